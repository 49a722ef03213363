"""The services' look-up hints against the real database: a group commit reads, before its first handler, the
documents by `_id` its handlers will read, and the handlers then find them without asking the database again
(`shared.subscriptions.LooksUp`, `shared.batching`). A hint naming the wrong document would show here as a read
per event."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest

from bench.suite_catalog import proposal
from services.catalog.domain import District
from services.catalog.handlers import Catalog
from services.catalog.handlers import subscriptions as catalog_subscriptions
from services.catalog.store import ProjectStore
from services.matching.domain.fairs import MatchingRules
from services.matching.handlers import Matching
from services.matching.handlers import subscriptions as matching_subscriptions
from services.matching.store import MatchingStore
from services.registration.domain.identity import IdentityKey, IdentityKeys
from services.registration.domain.organizations import DistrictRules
from services.registration.handlers import Registration
from services.registration.handlers import subscriptions as registration_subscriptions
from services.registration.store import RegistrationStore
from shared.batching import TransactionBatcher
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.envelope import Envelope, new_event
from shared.inbox import Inbox
from shared.mongo import Client, Database
from shared.outbox import Outbox
from shared.subscriptions import Subscriptions
from shared.unit_of_work import Transaction
from tests.e2e.test_matching_process import organization
from tests.integration.test_registration_store import insert
from tests.integration.test_registration_store import organization as registered_organization
from tests.support.stores import store_database

pytestmark = pytest.mark.integration

D = TypeVar("D")
NOW = datetime(2015, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
async def database(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, Database]]:
    async with store_database(mongo_url, f"{db_prefix}look_ups") as found:
        yield found


async def batch_reads(client: Client, db: Database, subscriptions: Subscriptions[D], deps: D,
                      events: list[Envelope]) -> list[int]:
    """Hand `events` to the service's handlers through a group commit (one transaction at a time, so all but the
    first wait and go together); the reads each handler's transaction had sent when it finished."""
    batcher = TransactionBatcher(client, Inbox(db), Outbox(db), source="look-up-test", max_batch=32, transactions=1)
    reads: list[int] = []

    async def handle(event: Envelope) -> list[Envelope]:
        [subscription] = [s for s in subscriptions.subscriptions if s.binding == event.type]
        assert subscription.looks_up is not None, f"{event.type} has no look-up hint"
        looks_up = subscription.looks_up

        async def handler(envelope: Envelope, tx: Transaction) -> None:
            await subscription.handle(envelope, tx, deps)
            reads.append(tx.pending.reads)

        return await batcher.handle(f"test.{subscription.purpose}", event, handler, now=NOW, today=date(2015, 3, 2),
                                    looks_up=lambda envelope: looks_up(envelope.data, deps))

    await asyncio.gather(*(handle(e) for e in events))
    assert batcher.batches == 1
    return reads


async def test_matchings_copies_of_organizations_are_read_together_for_a_batch(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    store = MatchingStore(db)
    deps = Matching(store, MatchingRules(), tables=())
    ids = [str(uuid.uuid4()) for _ in range(20)]
    await db["organizations"].insert_many([{"_id": i, **organization(i, "玉林街道", ["elderly"], 5)} for i in ids[:10]])
    events = [new_event("registration.organization.updated", organization(i, "玉林街道", ["elderly"], 9, version=2),
                        source="registration") for i in ids[:10]]
    events += [new_event("registration.organization.registered", organization(i, "浆洗街街道", ["youth"], 3),
                         source="registration") for i in ids[10:]]
    reads = await batch_reads(client, db, matching_subscriptions, deps, events)
    # The first event alone (one read); the other 19 in one batch, their 19 organizations read in one statement.
    assert reads[0] == 1 and set(reads[1:]) == {1}
    kept = {d["_id"]: (d["full_time_staff"], d["version"]) for d in await db["organizations"].find().to_list()}
    assert kept == {**{i: (9, 2) for i in ids[:10]}, **{i: (3, 1) for i in ids[10:]}}


async def test_the_catalogs_proposals_look_up_the_project_each_would_be(database: tuple[Client, Database]) -> None:
    client, db = database
    deps = Catalog(ProjectStore(db), District(DEFAULT_STREETS, DEFAULT_DEPARTMENTS))
    data: list[dict[str, Any]] = [proposal(n, run="look-up") for n in range(30)]
    data.append(proposal(3, run="look-up"))  # the same purchaser and reference again: refused, naming the first
    data.append({**proposal(99, run="look-up"), "purchaser": "not a purchaser"})  # no hint: refused by the handler
    events = [new_event("intake.project.proposed", d, source="test") for d in data]
    reads = await batch_reads(client, db, catalog_subscriptions, deps, events)
    # The first alone; the other 31 in one batch: 29 distinct projects read in two statements (25 to one), the
    # hint of the malformed one skipped and its handler refusing it before it reads anything.
    assert reads[0] == 1 and max(reads[1:]) == 2
    assert await db["projects"].count_documents({}) == 30
    rejected = [e for e in await db["outbox"].find().to_list() if e["type"] == "catalog.project.rejected"]
    assert len(rejected) == 2


async def test_registrations_people_read_their_organizations_and_their_people_together_for_a_batch(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    store = RegistrationStore(db)
    await store.ensure_indexes()
    deps = Registration(store, DistrictRules(), IdentityKeys(IdentityKey(b"look-up-test-key")))
    registered = [registered_organization(seed) for seed in range(4)]
    await insert(client, store, *registered)
    orgs = [str(o.org_id) for o in registered]
    data = [{"org_id": orgs[n % 4], "person_ref": f"p-{n}", "role": "finance", "name": f"员工{n}"} for n in range(21)]
    data.append({**data[5]})  # the same person again: refused as already named, seeing the batch's own insert
    events = [new_event("intake.person.added", d, source="test") for d in data]
    reads = await batch_reads(client, db, registration_subscriptions, deps, events)
    # The first alone (its organization, then its people: two reads); the other 21 in one batch: their 4
    # organizations in one read and their people in one, whatever each inserts meanwhile.
    assert reads[0] == 2 and set(reads[1:]) == {2}
    assert await db["people"].count_documents({}) == 21
    refused = [e for e in await db["outbox"].find().to_list() if e["type"] != "registration.person.added"]
    assert len(refused) == 1
