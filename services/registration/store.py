"""Registration's MongoDB collections: organizations (keyed by org_id, one per credit code) and their people
(keyed by person_id; an ID number only as its keyed hash and masked form). Nothing else touches them."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from services.registration.domain import Organization, Person
from shared.mongo import Database, Document

Session = AsyncClientSession | None


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

    async def organization(self, org_id: str | None, session: Session = None) -> Organization | None:
        if org_id is None:
            return None
        doc = await self.organizations.find_one({"_id": str(org_id)}, session=session)
        return _organization(doc) if doc else None

    async def organization_by_code(self, code: str | None, session: Session = None) -> Organization | None:
        if code is None:
            return None
        doc = await self.organizations.find_one({"uscc": code}, session=session)
        return _organization(doc) if doc else None

    async def insert_organization(self, organization: Organization, session: Session) -> None:
        await self.organizations.insert_one(_organization_document(organization), session=session)

    async def save_organization(self, organization: Organization, session: Session) -> None:
        await self.organizations.replace_one({"_id": str(organization.org_id)},
                                             _organization_document(organization), session=session)

    async def all_organizations(self) -> list[Organization]:
        return [_organization(doc) async for doc in self.organizations.find().sort("_id", ASCENDING)]

    # -- people --------------------------------------------------------------------------------------------

    async def people_of(self, org_id: uuid.UUID, session: Session = None) -> list[Person]:
        cursor = self.people.find({"org_id": str(org_id)}, session=session).sort("_id", ASCENDING)
        return [_person(doc) async for doc in cursor]

    async def insert_person(self, person: Person, session: Session) -> None:
        await self.people.insert_one(_person_document(person), session=session)


def _organization_document(organization: Organization) -> Document:
    return {"_id": str(organization.org_id), **organization.model_dump(mode="json", exclude={"org_id"})}


def _organization(doc: dict[str, Any]) -> Organization:
    return Organization.model_validate({**doc, "org_id": doc["_id"]})


def _person_document(person: Person) -> Document:
    # None fields are left out, so the partial unique index sees only people with an ID number.
    return {"_id": str(person.person_id), **person.model_dump(mode="json", exclude={"person_id"}, exclude_none=True)}


def _person(doc: dict[str, Any]) -> Person:
    return Person.model_validate({**doc, "person_id": doc["_id"]})
