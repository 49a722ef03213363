"""An organization's people: the ID number checked, never kept or published in clear; duplicates refused."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from services.registration.domain import people as domain
from services.registration.domain import uscc
from services.registration.domain.identity import IdentityKey, IdentityKeys, id_hash, make_id_number
from services.registration.domain.organizations import Organization, org_id_for
from services.registration.domain.people import Person, read_person
from shared.contracts.common import Category
from shared.contracts.registration import PersonAdded
from shared.outcome import Emit

TODAY = date(2014, 11, 19)
KEY = b"test-only-hmac-key"
CODE = uscc.make_uscc("social_service_institution", uscc.WUHOU_REGION_CODE, 7)
ORGANIZATION = Organization(
    org_id=org_id_for(CODE), uscc=CODE, name="红牌楼社工服务中心", legal_form="social_service_institution",
    street="红牌楼街道", community="红牌楼社区", domains=(Category.YOUTH,), full_time_staff=12,
    founded_on=date(2012, 9, 1), registered_on=date(2013, 1, 8),
)
ID_NUMBER = make_id_number("510107", date(1980, 5, 17), 123)


def entry(**overrides: Any) -> dict[str, Any]:
    return {
        "org_id": str(ORGANIZATION.org_id), "person_ref": "HR-001", "name": "张三丰", "role": "finance",
        "id_number": ID_NUMBER, "phone": "13812345678", **overrides,
    }


def add(data: dict[str, Any], people: list[Person] | None = None, organization: Organization | None = ORGANIZATION,
        key: bytes = KEY, previous: tuple[bytes, ...] = ()) -> domain.PersonDecision:
    """The entry read as the handler reads it (with the organization it names), then decided."""
    read = read_person(data, organization, TODAY)
    if isinstance(read, Emit):
        return domain.PersonDecision((read,))
    keys = IdentityKeys(IdentityKey(key), tuple(IdentityKey(k) for k in previous))
    return domain.add_person(*read, people=people or [], keys=keys, today=TODAY)


def added(data: dict[str, Any]) -> Person:
    person = add(data).person
    assert person is not None
    return person


def errors_of(decision: domain.PersonDecision) -> list[dict[str, str]]:
    [event] = decision.events
    assert event.type == "registration.person.rejected"
    assert decision.person is None
    return list(event.data["errors"])


def test_person_is_published_masked_and_recorded_with_a_keyed_hash() -> None:
    decision = add(entry())

    [event] = decision.events
    assert event.type == "registration.person.added"
    published = PersonAdded.model_validate(event.data)
    assert published.person_id == domain.person_id_for(ORGANIZATION.org_id, "HR-001")
    assert (published.role, published.name_masked, published.version) == ("finance", "张**", 1)
    assert published.id_number_masked == f"**************{ID_NUMBER[-4:]}"
    assert published.phone_masked == "*******5678"
    assert decision.person is not None and decision.person.id_hash == id_hash(ID_NUMBER, KEY)


def test_the_id_number_is_in_clear_neither_in_the_record_nor_in_the_event() -> None:
    decision = add(entry())

    assert decision.person is not None
    assert ID_NUMBER not in decision.person.model_dump_json()
    assert ID_NUMBER not in json.dumps(decision.events[0].data, ensure_ascii=False)
    assert "13812345678" not in json.dumps(decision.events[0].data)


def test_person_without_id_number_or_phone_is_recorded_without_them() -> None:
    data = entry()
    del data["id_number"], data["phone"]

    person = added(data)

    assert (person.id_hash, person.id_masked, person.phone) == (None, None, None)


def test_lower_case_check_character_x_is_accepted_as_the_same_number() -> None:
    number = "11010519491231002X"

    assert added(entry(id_number=number.lower())).id_hash == id_hash(number, KEY)


def test_same_person_twice_in_one_organization_is_refused_naming_the_first() -> None:
    first = added(entry())

    again = add(entry(person_ref="HR-002", name="张三"), people=[first])
    assert errors_of(again) == [{
        "field": "id_number",
        "message": f"this person is already recorded for the organization, as person {first.person_id}",
    }]
    assert again.events[0].data["person_id"] == str(first.person_id)


def test_a_hash_is_kept_with_the_id_of_the_key_that_made_it() -> None:
    person = added(entry())
    assert person.id_key_id == IdentityKey(KEY).id and person.id_hash == id_hash(ID_NUMBER, KEY)


def test_after_a_key_rotation_a_person_hashed_under_the_previous_key_is_still_recognised() -> None:
    before = added(entry())
    rotated = b"the-districts-next-key-2026"

    decision = add(entry(person_ref="HR-002"), people=[before], key=rotated, previous=(KEY,))

    assert errors_of(decision) == [{"field": "id_number", "message": "this person is already recorded for the "
                                                                     f"organization, as person {before.person_id}"}]
    newcomer = add(entry(person_ref="HR-003", id_number=make_id_number("510107", date(1975, 1, 2), 8)),
                   people=[before], key=rotated, previous=(KEY,)).person
    assert newcomer is not None and newcomer.id_key_id == IdentityKey(rotated).id


def test_a_key_dropped_from_the_settings_no_longer_recognises_its_people() -> None:
    # Why a previous key stays configured while any person's hash uses it (GET /identity-keys counts them).
    before = added(entry())
    assert add(entry(person_ref="HR-002"), people=[before], key=b"the-districts-next-key-2026").person is not None


def test_a_hash_kept_before_keys_had_ids_is_recognised_under_any_configured_key() -> None:
    legacy = added(entry()).model_copy(update={"id_key_id": None})
    assert errors_of(add(entry(person_ref="HR-002"), people=[legacy], key=b"the-districts-next-key-2026",
                         previous=(KEY,)))[0]["field"] == "id_number"


def test_same_person_in_another_organization_is_accepted() -> None:
    other_org_id = org_id_for(uscc.make_uscc("foundation", "510107", 1))
    elsewhere = added(entry()).model_copy(update={"org_id": other_org_id})

    assert add(entry(), people=[elsewhere]).person is not None


def test_reference_already_used_in_the_organization_is_refused() -> None:
    first = added(entry())

    [error] = errors_of(add(entry(id_number=make_id_number("510107", date(1990, 1, 1), 5)), people=[first]))

    assert error == {"field": "person_ref", "message": f"is already used for person {first.person_id}"}


def test_invalid_id_number_is_refused_without_publishing_it() -> None:
    mistyped = ID_NUMBER[:5] + str((int(ID_NUMBER[5]) + 1) % 10) + ID_NUMBER[6:]

    decision = add(entry(id_number=mistyped))

    [error] = errors_of(decision)
    assert error["field"] == "id_number" and "MOD 11-2" in error["message"]
    assert mistyped not in json.dumps(decision.events[0].data)
    assert decision.events[0].data["person_ref"] == "HR-001"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"role": "director"}, "role", "'leader', 'finance' or 'social_worker'"),
        ({"name": " "}, "name", "at least 1 character"),
        ({"phone": "138-1234"}, "phone", "must be a mobile number"),
        ({"id_number": "510107198002301234"}, "id_number", "must be a real birth date"),  # 30 February
        ({"id_number": "5101071980"}, "id_number", "must be 18 characters, got 10"),
    ],
)
def test_each_bad_field_of_a_person_is_refused_by_name(overrides: dict[str, Any], field: str, message: str) -> None:
    [error] = errors_of(add(entry(**overrides)))

    assert error["field"] == field and message in error["message"]


def test_person_of_an_unknown_organization_is_refused() -> None:
    assert errors_of(add(entry(), organization=None)) == [
        {"field": "org_id", "message": "no organization is registered with this id"}
    ]


def test_an_id_number_given_as_the_reference_is_refused_and_not_repeated() -> None:
    # The kernel's guard refuses it (shared.personal_data), pointing at the field meant for it.
    decision = add(entry(person_ref=ID_NUMBER.lower()))

    [error] = errors_of(decision)
    assert error["field"] == "person_ref" and "no_id_number_outside_its_field" in error["message"]
    assert error["message"].endswith("give it as id_number")
    assert "person_ref" not in decision.events[0].data
    assert ID_NUMBER not in json.dumps(decision.events[0].data).upper()
