"""Registration's rules on an organization's people (leaders, finance staff, social workers): who may be added,
and how a person is kept and published without an ID number or phone in clear.

Pure: typed values in, values out. A person's entry is read by the kernel's `read_intake` with registration's
context (`organizations.read_about`): its ID number, if given, must be a valid GB 11643 number, and the kernel
refuses one in any other field (the reference, the name, ...). The ID hashing keys and today's date are passed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from services.registration.domain.identity import (
    IdentityKeys,
    id_number_problems,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
)
from services.registration.domain.organizations import (
    Named,
    Organization,
    RegisteredOrgId,
    context_of,
    read_about,
    refuse,
)
from shared.contracts.registration import (
    PERSON_ADDED,
    PERSON_REJECTED,
    IntakePersonAdded,
    PersonAdded,
    PersonRole,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.outcome import Emit, rejected
from shared.personal_data import holds_id_number

MAX_SHOWN_REF: Final = 64


def person_id_for(org_id: uuid.UUID, person_ref: str) -> uuid.UUID:
    """A person's id, fixed by the organization and the organization's own reference for the person."""
    return uuid.uuid5(org_id, person_ref.strip())


class Person(BaseModel):
    """One of an organization's people. The ID number is kept only as a keyed hash (with the id of its key) and a
    masked form. A hash without a key id was made before keys had ids, under a key still configured."""

    model_config = ConfigDict(frozen=True)

    person_id: uuid.UUID
    org_id: uuid.UUID
    person_ref: str
    name: str
    role: PersonRole
    id_hash: str | None = None
    id_key_id: str | None = None
    id_masked: str | None = None
    phone: str | None = None
    added_on: date
    version: int = 1

    def published(self) -> dict[str, Any]:
        return PersonAdded(
            person_id=self.person_id, org_id=self.org_id, person_ref=self.person_ref, role=self.role,
            name_masked=mask_name(self.name), id_number_masked=self.id_masked,
            phone_masked=mask_phone(self.phone) if self.phone else None, added_on=self.added_on, version=self.version,
        ).model_dump(mode="json")


@dataclass(frozen=True)
class PersonDecision:
    """What `intake.person.added` decides: the person to keep (None: nothing changes) and the events to publish."""

    events: tuple[Emit, ...]
    person: Person | None = None


class PersonEntry(IntakePersonAdded):
    """A person of a registered organization whose ID number, if given, is a valid GB 11643 number (normalised: a
    trailing x upper-cased)."""

    org_id: RegisteredOrgId

    @field_validator("id_number")
    @classmethod
    def _citizen_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        number = normalise_id_number(value)
        refuse(id_number_problems(number, context_of(info).today), "(hidden)")
        return number


class PersonNamed(Named):
    """The ids a person's entry names, as its rejection may repeat them: never an ID number given as the reference
    (a rejection is published)."""

    person_ref: str | None = None

    @field_validator("person_ref", mode="before")
    @classmethod
    def _shown_or_none(cls, value: Any) -> str | None:
        if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_SHOWN_REF or holds_id_number(value):
            return None
        return value.strip()


def read_person(data: Mapping[str, Any], organization: Organization | None,
                today: date) -> tuple[PersonEntry, Organization] | Emit:
    """A person's entry and the organization it names (looked up beforehand), or the rejection naming every bad
    field and the ids it may repeat."""
    return read_about(PersonEntry, data, organization, rejected=PERSON_REJECTED, today=today, named=PersonNamed,
                      id_number_at=("id_number",))


def add_person(entry: PersonEntry, organization: Organization, people: Iterable[Person], *, keys: IdentityKeys,
               today: date) -> PersonDecision:
    """`intake.person.added`. `people`: those already recorded for the organization; `keys`: the HMAC keys (the
    current one makes the new hash; a person hashed under any configured key is recognised)."""
    hashes = keys.hashes(entry.id_number) if entry.id_number else {}
    mine = [p for p in people if p.org_id == organization.org_id]
    clashes = _clashes(entry, hashes, mine)
    if clashes:
        # The person already recorded is named by id, so the sender can go on with them (enrol them, say).
        first = next((p for p in mine if p.person_ref == entry.person_ref or _same_number(p, hashes)), None)
        refusal = rejected(PERSON_REJECTED, clashes, org_id=str(organization.org_id), person_ref=entry.person_ref,
                           person_id=str(first.person_id) if first else None)
        return PersonDecision((refusal,))
    person = Person(
        person_id=person_id_for(organization.org_id, entry.person_ref), org_id=organization.org_id,
        person_ref=entry.person_ref, name=entry.name, role=entry.role, phone=entry.phone, added_on=today,
        id_hash=hashes.get(keys.current.id), id_key_id=keys.current.id if hashes else None,
        id_masked=mask_id_number(entry.id_number) if entry.id_number else None,
    )
    return PersonDecision((Emit(PERSON_ADDED, person.published()),), person=person)


def _clashes(entry: PersonEntry, hashes: Mapping[str, str], people: Sequence[Person]) -> list[FieldError]:
    errors: list[FieldError] = []
    for person in people:
        if person.person_ref == entry.person_ref:
            errors.append(FieldError(field="person_ref", message=_("is already used for person {person_id}").format(
                person_id=person.person_id)))
        if _same_number(person, hashes):
            message = _("this person is already recorded for the organization, as person {person_id}").format(
                person_id=person.person_id)
            errors.append(FieldError(field="id_number", message=message))
    return errors


def _same_number(person: Person, hashes: Mapping[str, str]) -> bool:
    """Whether the person's stored hash is the entry's number hashed under the same key."""
    if person.id_hash is None:
        return False
    if person.id_key_id is None:
        return person.id_hash in hashes.values()
    return hashes.get(person.id_key_id) == person.id_hash
