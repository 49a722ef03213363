"""The catalog's store against the real database: projects read back as saved, one per purchaser and ref, and
the read queries' filters and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.catalog.domain import District, Project, propose, read_proposal
from services.catalog.store import ProjectStore
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.mongo import Client
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database

pytestmark = pytest.mark.integration

DISTRICT = District(DEFAULT_STREETS, DEFAULT_DEPARTMENTS)


@pytest.fixture
async def stored(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, ProjectStore]]:
    async with store_database(mongo_url, f"{db_prefix}catalog") as (client, db):
        store = ProjectStore(db)
        await store.ensure_indexes()
        yield client, store


def project(ref: str, **changes: Any) -> Project:
    data = {"project_ref": ref, "batch": "2015-1", "title": "老年人日间照料", "category": "助老",
            "service_class": "public_welfare", "purchaser": {"kind": "street", "name": "望江路街道"},
            "budget_fen": 12_000_000, "content": "为辖区老人提供日间照料",
            "period": {"start": "2015-01-01", "end": "2015-12-31"}} | changes
    proposal = read_proposal(data, DISTRICT)
    made, _ = propose(proposal, None)  # type: ignore[arg-type]
    assert made is not None
    return made


async def insert(client: Client, store: ProjectStore, *projects: Project) -> None:
    async def step(tx: Transaction) -> None:
        for p in projects:
            store.insert(p, tx)

    await committed(client, store.projects.database, step)


async def test_a_project_reads_back_exactly_as_saved(stored: tuple[Client, ProjectStore]) -> None:
    client, store = stored
    first = project("2015-1-001", min_grade="3A", community="望江楼社区")
    await insert(client, store, first)
    assert await store.get(first.project_id) == first
    noted = replace(first, awards={"a-1": "cancelled", "a-2": "proposed"})

    async def note(tx: Transaction) -> None:
        store.save(noted, tx)

    await committed(client, store.projects.database, note)
    assert await store.get(first.project_id) == noted


async def test_a_save_in_the_same_transaction_is_seen_by_a_later_read(stored: tuple[Client, ProjectStore]) -> None:
    client, store = stored
    first = project("2015-1-001")

    async def step(tx: Transaction) -> Project | None:
        store.insert(first, tx)
        store.save(replace(first, status="awarded", version=2, contract_id="c-1"), tx)
        return await store.get(first.project_id, tx)

    seen = await committed(client, store.projects.database, step)
    assert seen is not None and seen.status == "awarded" and seen.contract_id == "c-1"


async def test_a_second_project_with_the_same_purchaser_and_ref_is_refused_by_the_database(
    stored: tuple[Client, ProjectStore],
) -> None:
    client, store = stored
    await insert(client, store, project("2015-1-001"))
    clash = replace(project("2015-1-001"), project_id="another-id")
    with pytest.raises(DuplicateKeyError):
        await insert(client, store, clash)


async def test_search_filters_and_pages_in_a_stable_order(stored: tuple[Client, ProjectStore]) -> None:
    client, store = stored
    await insert(client, store, *(project(f"2015-1-{n:03d}") for n in range(1, 6)),
                 project("2015-1-100", category="济困"), project("2015-2-001", batch="2015-2"))
    page, total = await store.search({"batch": "2015-1"}, limit=2, offset=2)
    assert total == 6 and [p.proposal.project_ref for p in page] == ["2015-1-003", "2015-1-004"]
    only, total = await store.search({"category": "济困"}, limit=10, offset=0)
    assert total == 1 and only[0].proposal.project_ref == "2015-1-100"
