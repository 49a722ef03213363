"""Registration's MongoDB collections: organizations (keyed by org_id, one per credit code) and their people
(keyed by person_id; an ID number only as its keyed hash and masked form). Nothing else touches them."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from pymongo import ASCENDING

from services.registration.domain.census import Site
from services.registration.domain.organizations import Organization, org_id_for
from services.registration.domain.people import Person
from shared.documents import Writer, count, find, find_by, find_one
from shared.mongo import Database, Document
from shared.unit_of_work import Transaction


class RegistrationStore:
    def __init__(self, db: Database) -> None:
        self.organizations = db["organizations"]
        self.people = db["people"]

    async def ensure_indexes(self) -> None:
        await self.organizations.create_index("uscc", unique=True, name="one_organization_per_credit_code")
        await self.organizations.create_index([("street", ASCENDING), ("community", ASCENDING)],
                                              name="by_street_community")
        await self.people.create_index([("org_id", ASCENDING), ("person_ref", ASCENDING)], unique=True,
                                       name="one_person_per_ref")
        # Two replicas adding the same person under different refs at once: the second is refused here.
        await self.people.create_index([("org_id", ASCENDING), ("id_hash", ASCENDING)], unique=True,
                                       partialFilterExpression={"id_hash": {"$type": "string"}},
                                       name="one_person_per_id_number")

    # -- organizations -------------------------------------------------------------------------------------

    async def organization(self, org_id: uuid.UUID, reader: Writer | None = None) -> Organization | None:
        doc = await find_one(self.organizations, {"_id": str(org_id)}, reader)
        return _organization(doc) if doc else None

    async def organization_by_code(self, code: str, reader: Writer | None = None) -> Organization | None:
        """The organization registered under `code` (its canonical, upper-case spelling): the one keyed by the id
        the code gives (`org_id_for`), as every organization is, and a code never changes (no update names it), so
        a read by `_id`, which a batch looks up together (`handlers.code_holder`), not one by code each."""
        return await self.organization(org_id_for(code), reader)

    def insert_organization(self, organization: Organization, tx: Transaction) -> None:
        tx.insert(self.organizations, _organization_document(organization))

    def save_organization(self, organization: Organization, tx: Transaction) -> None:
        tx.replace(self.organizations, str(organization.org_id), _organization_document(organization))

    async def search(self, query: dict[str, Any], *, limit: int, offset: int) -> tuple[list[Organization], int]:
        """One page of the organizations matching `query` (by street, community, then credit code), and how many
        match in all."""
        docs = await find(self.organizations, query, sort=[("street", ASCENDING), ("community", ASCENDING),
                                                           ("uscc", ASCENDING)], limit=limit, skip=offset)
        return [_organization(d) for d in docs], await count(self.organizations, query)

    async def sites(self) -> list[Site]:
        """Where every organization is, and its status: what the census counts."""
        docs = await find(self.organizations, {}, projection={"street": 1, "community": 1, "status": 1})
        return [Site(d["street"], d["community"], d["status"]) for d in docs]

    # -- people --------------------------------------------------------------------------------------------

    async def people_of(self, org_id: uuid.UUID, reader: Writer | None = None) -> list[Person]:
        docs = await find_by(self.people, "org_id", str(org_id), reader, sort=[("_id", ASCENDING)])
        return [_person(doc) for doc in docs]

    def insert_person(self, person: Person, tx: Transaction) -> None:
        tx.insert(self.people, _person_document(person))

    async def hashes_by_key(self) -> Counter[str | None]:
        """How many people's ID-number hashes each key made (None: made before keys had ids)."""
        docs = await find(self.people, {"id_hash": {"$type": "string"}}, projection={"id_key_id": 1})
        return Counter(doc.get("id_key_id") for doc in docs)


def _organization_document(organization: Organization) -> Document:
    return {"_id": str(organization.org_id), **organization.model_dump(mode="json", exclude={"org_id"})}


def _organization(doc: dict[str, Any]) -> Organization:
    return Organization.model_validate({**doc, "org_id": doc["_id"]})


def _person_document(person: Person) -> Document:
    # None fields are left out, so the partial unique index sees only people with an ID number.
    return {"_id": str(person.person_id), **person.model_dump(mode="json", exclude={"person_id"}, exclude_none=True)}


def _person(doc: dict[str, Any]) -> Person:
    return Person.model_validate({**doc, "person_id": doc["_id"]})
