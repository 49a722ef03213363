"""Registration's handlers against an in-memory store: what is looked up, kept and announced for each event."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest

from services.registration.domain import uscc
from services.registration.domain.identity import IdentityKey, IdentityKeys, make_id_number
from services.registration.domain.organizations import DistrictRules, Organization, org_id_for
from services.registration.domain.people import Person
from services.registration.handlers import Registration, subscriptions
from shared.contracts.registration import OrganizationRejected, PersonRejected
from shared.unit_of_work import Transaction
from tests.handlers.support import Emitted, deliver

CODE = uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, 1_177)
ID_NUMBER = make_id_number("510107", date(1980, 5, 17), 17)  # ends in X


class InMemoryRegistration:
    """Registration's store, in dicts."""

    def __init__(self) -> None:
        self.organizations: dict[uuid.UUID, Organization] = {}
        self.people: dict[uuid.UUID, Person] = {}

    async def organization(self, org_id: uuid.UUID, reader: Any = None) -> Organization | None:
        return self.organizations.get(org_id)

    async def organization_by_code(self, code: str, reader: Any = None) -> Organization | None:
        return next((o for o in self.organizations.values() if o.uscc == code), None)

    def insert_organization(self, organization: Organization, tx: Transaction) -> None:
        assert organization.org_id not in self.organizations
        self.organizations[organization.org_id] = organization

    def save_organization(self, organization: Organization, tx: Transaction) -> None:
        assert organization.org_id in self.organizations
        self.organizations[organization.org_id] = organization

    async def people_of(self, org_id: uuid.UUID, reader: Any = None) -> list[Person]:
        return [p for p in self.people.values() if p.org_id == org_id]

    def insert_person(self, person: Person, tx: Transaction) -> None:
        assert person.person_id not in self.people
        self.people[person.person_id] = person


@pytest.fixture
def store() -> InMemoryRegistration:
    return InMemoryRegistration()


@pytest.fixture
def registration(store: InMemoryRegistration) -> Registration:
    keys = IdentityKeys(IdentityKey(b"handler-test-key"))
    return Registration(store, DistrictRules(), keys)  # type: ignore[arg-type]


def application(**changes: Any) -> dict[str, Any]:
    return {"uscc": CODE, "name": "玉林社区邻里互助会", "legal_form": "social_group", "street": "浆洗街街道",
            "community": "黉门街社区", "domains": ["助老"], "full_time_staff": 6, "founded_on": "2011-04-02",
            "contact": {"phone": "13812345678"}} | changes


def person(org_id: str, **changes: Any) -> dict[str, Any]:
    return {"org_id": org_id, "person_ref": "HR-001", "name": "张三丰", "role": "finance", "id_number": ID_NUMBER,
            "phone": "13812345678"} | changes


async def apply(registration: Registration, **changes: Any) -> str:
    emitted = await deliver(subscriptions, registration, "intake.organization.applied", application(**changes))
    return str(emitted.one("registration.organization.registered")["org_id"])


async def send(registration: Registration, event_type: str, data: dict[str, Any]) -> Emitted:
    return await deliver(subscriptions, registration, event_type, data)


async def test_an_application_is_kept_and_announced_at_version_1(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    org_id = await apply(registration)
    kept = store.organizations[uuid.UUID(org_id)]
    assert (kept.uscc, kept.version, kept.registered_on) == (CODE, 1, date(2015, 3, 2))
    assert kept.contact is not None and kept.contact.phone == "13812345678"


async def test_the_same_code_in_lower_case_is_refused_naming_the_first_which_stays_unchanged(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    org_id = await apply(registration)
    first = store.organizations[uuid.UUID(org_id)]
    emitted = await send(registration, "intake.organization.applied",
                         application(uscc=f" {CODE.lower()} ", name="另一个名字"))
    assert emitted.errors() == {"uscc": f"is already registered, as organization {org_id}"}
    assert emitted.one("registration.organization.rejected")["org_id"] == org_id
    assert store.organizations == {first.org_id: first}


async def test_a_code_already_registered_is_named_with_the_other_bad_fields_and_nothing_changes(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    # Issue 19, item 4: with another field wrong too, the duplicate went unnamed (this failed before the change).
    org_id = await apply(registration)
    first = store.organizations[uuid.UUID(org_id)]
    emitted = await send(registration, "intake.organization.applied", application(full_time_staff=-1))
    assert emitted.errors() == {"uscc": f"is already registered, as organization {org_id}",
                                "full_time_staff": "Input should be greater than or equal to 0"}
    assert emitted.one("registration.organization.rejected")["org_id"] == org_id
    assert store.organizations == {first.org_id: first}


async def test_an_invalid_application_keeps_nothing_and_names_the_code_it_gave(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    emitted = await send(registration, "intake.organization.applied", application(street="玉林", full_time_staff=-1))
    assert set(emitted.errors()) == {"street", "full_time_staff"}
    assert emitted.one("registration.organization.rejected")["uscc"] == CODE
    assert store.organizations == {}


async def test_an_update_is_kept_one_version_up(registration: Registration, store: InMemoryRegistration) -> None:
    org_id = await apply(registration)
    emitted = await send(registration, "intake.organization.updated",
                         {"org_id": org_id, "changes": {"full_time_staff": 9}})
    assert emitted.one("registration.organization.updated")["changed"] == ["full_time_staff"]
    kept = store.organizations[uuid.UUID(org_id)]
    assert (kept.full_time_staff, kept.version) == (9, 2)


async def test_an_unknown_organization_is_named_with_every_bad_change_in_its_canonical_form(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    unknown = org_id_for(uscc.make_uscc("foundation", uscc.WUHOU_REGION_CODE, 5))
    emitted = await send(registration, "intake.organization.updated",
                         {"org_id": str(unknown).upper(), "changes": {"full_time_staff": -3}})
    assert list(emitted.errors()) == ["org_id", "changes.full_time_staff"]
    assert emitted.errors()["org_id"] == "no organization is registered with this id"
    assert emitted.one("registration.organization.rejected")["org_id"] == str(unknown)
    assert store.organizations == {}


@pytest.mark.parametrize("event_type", ["intake.organization.updated", "intake.organization.suspended",
                                        "intake.organization.reinstated", "intake.person.added"])
async def test_a_malformed_org_id_is_refused_and_not_repeated_in_a_rejection_that_fits_its_own_schema(
    registration: Registration, event_type: str,
) -> None:
    data = {"org_id": "not-a-uuid", "changes": {"full_time_staff": 3}, "reason": "年检不合格",
            "person_ref": "HR-001", "name": "张三", "role": "finance"}
    fields = {"intake.organization.updated": ("org_id", "changes"),
              "intake.person.added": ("org_id", "person_ref", "name", "role")}.get(event_type, ("org_id", "reason"))
    emitted = await send(registration, event_type, {k: data[k] for k in fields})
    [rejection] = emitted
    assert list(emitted.errors()) == ["org_id"] and "valid UUID" in emitted.errors()["org_id"]
    assert "org_id" not in rejection.data
    (PersonRejected if event_type == "intake.person.added" else OrganizationRejected).model_validate(rejection.data)


async def test_a_suspension_and_a_reinstatement_are_kept_and_a_second_suspension_changes_nothing(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    org_id = await apply(registration)
    reason = {"org_id": org_id, "reason": "年检不合格"}
    assert (await send(registration, "intake.organization.suspended", reason)).types() == [
        "registration.organization.suspended"]
    suspended = store.organizations[uuid.UUID(org_id)]
    assert (suspended.status, suspended.suspension_reason, suspended.version) == ("suspended", "年检不合格", 2)

    again = await send(registration, "intake.organization.suspended", {**reason, "reason": "再次"})
    assert "already suspended" in again.errors()["org_id"]
    assert store.organizations[uuid.UUID(org_id)] == suspended

    await send(registration, "intake.organization.reinstated", {**reason, "reason": "整改完成"})
    reinstated = store.organizations[uuid.UUID(org_id)]
    assert (reinstated.status, reinstated.suspension_reason, reinstated.version) == ("active", None, 3)


async def test_a_person_is_kept_with_a_hash_and_announced_masked(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    org_id = await apply(registration)
    emitted = await send(registration, "intake.person.added", person(org_id, id_number=ID_NUMBER.lower()))
    published = emitted.one("registration.person.added")
    assert published["id_number_masked"] == "*" * 14 + ID_NUMBER[-4:]
    [kept] = store.people.values()
    assert kept.id_hash is not None and len(kept.id_hash) == 64
    assert ID_NUMBER not in kept.model_dump_json() + json.dumps(published)


async def test_the_same_id_number_again_is_refused_naming_the_first_person_and_nothing_more_is_kept(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    org_id = await apply(registration)
    first = (await send(registration, "intake.person.added", person(org_id)))
    person_id = first.one("registration.person.added")["person_id"]
    again = await send(registration, "intake.person.added", person(org_id, person_ref="HR-002"))
    assert again.errors() == {"id_number": f"this person is already recorded for the organization, as person "
                                           f"{person_id}"}
    assert again.one("registration.person.rejected")["person_ref"] == "HR-002"
    assert len(store.people) == 1


async def test_an_id_number_given_as_the_reference_is_refused_and_never_repeated(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    org_id = await apply(registration)
    emitted = await send(registration, "intake.person.added",
                         person(org_id, person_ref=ID_NUMBER, id_number=None, role="director"))
    assert set(emitted.errors()) == {"person_ref", "role"}
    rejection = emitted.one("registration.person.rejected")
    assert rejection["org_id"] == org_id and "person_ref" not in rejection
    assert ID_NUMBER not in json.dumps(rejection)
    assert store.people == {}


async def test_a_person_of_an_unknown_organization_is_refused_and_nothing_is_kept(
    registration: Registration, store: InMemoryRegistration,
) -> None:
    unknown = str(org_id_for(CODE))
    emitted = await send(registration, "intake.person.added", person(unknown))
    assert emitted.errors() == {"org_id": "no organization is registered with this id"}
    assert emitted.one("registration.person.rejected")["person_ref"] == "HR-001"
    assert store.people == {}
