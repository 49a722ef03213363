"""Fixtures shared by every test: a real broker and a real database, never mocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from shared import embedded_db, i18n
from tests.support.bus import BusProbe
from tests.support.endpoints import Vhost, mongo_endpoint, provisioned_vhost, rabbit_endpoint, remove_session_users

# The suite reads its assertions in English, the code's own language (DISTRICT_LANGUAGE defaults to zh_CN for
# the people who run a district); tests of the Chinese texts choose it themselves. Every process the tests start
# inherits it.
os.environ.setdefault("DISTRICT_LANGUAGE", "en")
i18n.use(os.environ["DISTRICT_LANGUAGE"])


@pytest.fixture(scope="session")
def rabbit_base_url() -> Iterator[str]:
    with rabbit_endpoint() as url:
        try:
            yield url
        finally:
            remove_session_users()


@pytest.fixture
def vhost(rabbit_base_url: str) -> Iterator[Vhost]:
    """A vhost of the test's own, provisioned as compose's broker is: no queue or message outlives the test, and
    each service connects as its own user (`Vhost.url`)."""
    with provisioned_vhost(rabbit_base_url) as provisioned:
        yield provisioned


@pytest.fixture
def rabbit_url(vhost: Vhost) -> str:
    """The test vhost's administrator: the tests watch and stand in for other district systems with it."""
    return vhost.admin_url


@pytest.fixture
def operator_url(vhost: Vhost) -> str:
    """The operators' tools' user (make seed, demo, dlq, replay-dlq) on the test vhost."""
    return vhost.operator_url


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
    # Drill mode: a test moves the district's day with `intake.clock.set` (past an award's standstill, ...).
    # Development: the tests' services may hash ID numbers with the development key (registration refuses it
    # elsewhere); a test of production behaviour sets DISTRICT_ENV itself.
    return {"RABBITMQ_URL": rabbit_url, "MONGO_URL": mongo_url, "MONGO_DATABASE_PREFIX": db_prefix,
            "DELIVERY_LIMIT": "5", "TRANSIENT_RETRY_SECONDS": "60", "DISTRICT_CLOCK": "drill",
            "DISTRICT_ENV": "development"}


@pytest.fixture
async def bus(rabbit_url: str) -> AsyncIterator[BusProbe]:
    async with BusProbe(rabbit_url) as probe:
        yield probe
