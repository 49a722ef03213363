"""Fixtures shared by every test: a real broker and a real database, never mocks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from shared import embedded_db
from tests.support.bus import BusProbe
from tests.support.endpoints import isolated_vhost, mongo_endpoint, rabbit_endpoint


@pytest.fixture(scope="session")
def rabbit_base_url() -> Iterator[str]:
    with rabbit_endpoint() as url:
        yield url


@pytest.fixture
def rabbit_url(rabbit_base_url: str) -> Iterator[str]:
    """A vhost of the test's own, so no queue or message outlives the test."""
    with isolated_vhost(rabbit_base_url) as url:
        yield url


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[tuple[str, embedded_db.EmbeddedServer | None]]:
    with mongo_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def mongo_url(mongo_server: tuple[str, embedded_db.EmbeddedServer | None]) -> str:
    return mongo_server[0]


@pytest.fixture
def db_prefix() -> str:
    """A database-name prefix of the test's own, so tests sharing one server never see each other's data."""
    return f"t{uuid.uuid4().hex[:8]}_"


@pytest.fixture
def service_env(rabbit_url: str, mongo_url: str, db_prefix: str) -> dict[str, str]:
    # Development: the tests' services may hash ID numbers with the development key (registration refuses it
    # elsewhere); a test of production behaviour sets DISTRICT_ENV itself.
    return {"RABBITMQ_URL": rabbit_url, "MONGO_URL": mongo_url, "MONGO_DATABASE_PREFIX": db_prefix,
            "DELIVERY_LIMIT": "5", "TRANSIENT_RETRY_SECONDS": "60", "DISTRICT_ENV": "development"}


@pytest.fixture
async def bus(rabbit_url: str) -> AsyncIterator[BusProbe]:
    async with BusProbe(rabbit_url) as probe:
        yield probe
