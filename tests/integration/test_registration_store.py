"""Registration's store against the real database: organizations and people read back as saved, one organization
per credit code and one person per reference or ID number, and the read queries' filters, pages and census sites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.registration.domain import uscc
from services.registration.domain.census import Site
from services.registration.domain.identity import id_hash, make_id_number
from services.registration.domain.organizations import Organization, org_id_for
from services.registration.domain.people import Person, person_id_for
from services.registration.store import RegistrationStore
from shared.contracts.common import Category
from shared.mongo import Client
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database

pytestmark = pytest.mark.integration

KEY = b"store-test-key"


@pytest.fixture
async def stored(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, RegistrationStore]]:
    async with store_database(mongo_url, f"{db_prefix}registration") as (client, db):
        store = RegistrationStore(db)
        await store.ensure_indexes()
        yield client, store


def organization(seed: int, **changes: Any) -> Organization:
    code = uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, seed)
    fields: dict[str, Any] = {
        "org_id": org_id_for(code), "uscc": code, "name": f"邻里互助会{seed}", "legal_form": "social_group",
        "street": "玉林街道", "community": "黉门街社区", "domains": (Category.ELDERLY,), "full_time_staff": 6,
        "founded_on": date(2011, 4, 2), "registered_on": date(2015, 3, 2), "contact": {"phone": "13812345678"},
    }
    return Organization.model_validate(fields | changes)


def person(of: Organization, ref: str, sequence: int | None = None) -> Person:
    number = make_id_number("510107", date(1980, 5, 17), sequence) if sequence is not None else None
    return Person(person_id=person_id_for(of.org_id, ref), org_id=of.org_id, person_ref=ref, name="张三丰",
                  role="finance", id_hash=id_hash(number, KEY) if number else None,
                  id_masked=number[:6] + "********" + number[-4:] if number else None, added_on=date(2015, 3, 2))


async def insert(client: Client, store: RegistrationStore, *organizations: Organization) -> None:
    async def step(tx: Transaction) -> None:
        for o in organizations:
            store.insert_organization(o, tx)

    await committed(client, store.organizations.database, step)


async def add_people(client: Client, store: RegistrationStore, *people: Person) -> None:
    async def step(tx: Transaction) -> None:
        for p in people:
            store.insert_person(p, tx)

    await committed(client, store.people.database, step)


async def test_an_organization_reads_back_exactly_as_saved_by_id_and_by_code(
    stored: tuple[Client, RegistrationStore],
) -> None:
    client, store = stored
    first = organization(1, suspension_reason=None)
    await insert(client, store, first)
    assert await store.organization(first.org_id) == first
    assert await store.organization_by_code(first.uscc) == first
    assert await store.organization(org_id_for(uscc.make_uscc("foundation", "510107", 1))) is None


async def test_a_save_in_the_same_transaction_is_seen_by_a_later_read(stored: tuple[Client, RegistrationStore]) -> None:
    client, store = stored
    first = organization(1)
    suspended = first.model_copy(update={"status": "suspended", "suspension_reason": "年检不合格", "version": 2})

    async def step(tx: Transaction) -> Organization | None:
        store.insert_organization(first, tx)
        store.save_organization(suspended, tx)
        return await store.organization(first.org_id, tx)

    assert await committed(client, store.organizations.database, step) == suspended
    assert await store.organization(first.org_id) == suspended


async def test_a_second_organization_with_the_same_credit_code_is_refused_by_the_database(
    stored: tuple[Client, RegistrationStore],
) -> None:
    client, store = stored
    await insert(client, store, organization(1))
    clash = organization(1).model_copy(update={"org_id": org_id_for(uscc.make_uscc("foundation", "510107", 9))})
    with pytest.raises(DuplicateKeyError):
        await insert(client, store, clash)


async def test_people_read_back_as_saved_and_one_per_reference_and_per_id_number(
    stored: tuple[Client, RegistrationStore],
) -> None:
    client, store = stored
    org, other = organization(1), organization(2)
    await insert(client, store, org, other)
    first, without_number = person(org, "HR-001", 7), person(org, "HR-002")
    await add_people(client, store, first, without_number, person(other, "HR-001", 7))
    assert await store.people_of(org.org_id) == sorted([first, without_number], key=lambda p: str(p.person_id))
    with pytest.raises(DuplicateKeyError):
        await add_people(client, store, person(org, "HR-001", 8))
    with pytest.raises(DuplicateKeyError):
        await add_people(client, store, person(org, "HR-003", 7))
    await add_people(client, store, person(org, "HR-004"))  # a second person without an ID number is no clash
    assert len(await store.people_of(org.org_id)) == 3


async def test_search_filters_and_pages_in_a_stable_order(stored: tuple[Client, RegistrationStore]) -> None:
    client, store = stored
    await insert(client, store, *(organization(n) for n in range(1, 6)),
                 organization(6, community="玉林社区", status="suspended", suspension_reason="年检不合格"),
                 organization(7, street="簇桥街道", community="七里村社区", domains=(Category.YOUTH, Category.ELDERLY)))
    codes = sorted(uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, n) for n in range(1, 6))
    page, total = await store.search({"community": "黉门街社区"}, limit=2, offset=2)
    assert total == 5 and [o.uscc for o in page] == codes[2:4]
    everyone, total = await store.search({}, limit=10, offset=0)
    assert total == 7 and [o.street for o in everyone][-1] == "簇桥街道"
    suspended, total = await store.search({"status": "suspended"}, limit=10, offset=0)
    assert total == 1 and suspended[0].community == "玉林社区"
    youth, total = await store.search({"domains": Category.YOUTH.value}, limit=10, offset=0)
    assert total == 1 and youth[0].community == "七里村社区"


async def test_sites_are_every_organizations_street_community_and_status(
    stored: tuple[Client, RegistrationStore],
) -> None:
    client, store = stored
    await insert(client, store, organization(1), organization(2, street="簇桥街道", community="七里村社区",
                                                               status="suspended"))
    assert sorted(await store.sites(), key=lambda s: s.street) == [
        Site("玉林街道", "黉门街社区", "active"), Site("簇桥街道", "七里村社区", "suspended")]
