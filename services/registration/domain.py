"""Registration's rules: which social organizations are registered, in what state, and with which people.

Pure: each decision takes the stored state it concerns and the intake `data`, and returns a `Decision` (the new
state to save, if any, and the events to publish). Ids derive from the input (`org_id_for`, `person_id_for`);
today's date and the ID hashing key are passed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict

from services.registration import uscc
from services.registration.identity import id_hash, looks_like_id_number, mask_id_number, mask_name, mask_phone
from services.registration.intake import Application, Changes, IntakeRules, PersonEntry, Update, read
from shared.contracts.common import Category
from shared.contracts.registration import (
    ORGANIZATION_REGISTERED,
    ORGANIZATION_REINSTATED,
    ORGANIZATION_REJECTED,
    ORGANIZATION_SUSPENDED,
    ORGANIZATION_UPDATED,
    PERSON_ADDED,
    PERSON_REJECTED,
    Contact,
    IntakeOrganizationReinstated,
    IntakeOrganizationSuspended,
    LegalForm,
    OrganizationRegistered,
    OrganizationReinstated,
    OrganizationStatus,
    OrganizationSuspended,
    OrganizationUpdated,
    PersonAdded,
    PersonRole,
    PublishedContact,
)
from shared.envelope import FieldError
from shared.outcome import Emit, rejected

ORGANIZATION_NAMESPACE: Final = uuid.UUID("1fba5c10-a410-5cbf-9fc3-c50de74e42f9")
UNKNOWN_ORGANIZATION: Final = FieldError(field="org_id", message="no organization is registered with this id")
M = TypeVar("M", bound=BaseModel)


def org_id_for(code: str) -> uuid.UUID:
    """The organization's id, fixed by its credit code (in any case or spacing)."""
    return uuid.uuid5(ORGANIZATION_NAMESPACE, uscc.normalise(code))


def person_id_for(org_id: uuid.UUID, person_ref: str) -> uuid.UUID:
    """A person's id, fixed by the organization and the organization's own reference for the person."""
    return uuid.uuid5(org_id, person_ref.strip())


class Organization(BaseModel):
    """A registered social organization as registration keeps it (its contact in clear, for the district)."""

    model_config = ConfigDict(frozen=True)

    org_id: uuid.UUID
    uscc: str
    name: str
    legal_form: LegalForm
    street: str
    community: str
    domains: tuple[Category, ...]
    full_time_staff: int
    founded_on: date
    registered_on: date
    status: OrganizationStatus = "active"
    version: int = 1
    contact: Contact | None = None
    suspension_reason: str | None = None

    def state(self) -> dict[str, Any]:
        """The fields every organization event carries, with the contact phone masked."""
        fields = self.model_dump(exclude={"contact", "suspension_reason"})
        contact = None
        if self.contact is not None:
            phone = self.contact.phone
            contact = PublishedContact(phone_masked=mask_phone(phone) if phone else None, email=self.contact.email)
        return {**fields, "contact": contact}


class Person(BaseModel):
    """One of an organization's people. The ID number is kept only as a keyed hash and a masked form."""

    model_config = ConfigDict(frozen=True)

    person_id: uuid.UUID
    org_id: uuid.UUID
    person_ref: str
    name: str
    role: PersonRole
    id_hash: str | None = None
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
class Decision:
    """What one intake event decides: the state to save (None: nothing changes) and the events to publish."""

    events: tuple[Emit, ...]
    organization: Organization | None = None
    person: Person | None = None


def register(data: Any, *, existing: Organization | None, streets: Sequence[str], today: date) -> Decision:
    """`intake.organization.applied`. `existing`: the organization already registered under this code, if any."""
    application = read(Application, data, IntakeRules(today, tuple(streets)))
    if isinstance(application, list):
        return _organization_rejected(application, uscc=given_code(data))
    if existing is not None:
        duplicate = FieldError(field="uscc", message=f"is already registered, as organization {existing.org_id}")
        return _organization_rejected([duplicate], uscc=application.uscc, org_id=str(existing.org_id))
    organization = Organization(
        org_id=org_id_for(application.uscc), registered_on=today, domains=_in_catalog_order(application.domains),
        **application.model_dump(include={
            "uscc", "name", "legal_form", "street", "community", "full_time_staff", "founded_on", "contact",
        }),
    )
    event = OrganizationRegistered(**organization.state())
    return Decision((Emit(ORGANIZATION_REGISTERED, event.model_dump(mode="json")),), organization=organization)


def update(data: Any, *, existing: Organization | None, streets: Sequence[str], today: date) -> Decision:
    """`intake.organization.updated`: contact, staff, domains (the whole list) or community (with its street)."""
    known = _known(Update, data, existing, IntakeRules(today, tuple(streets)))
    if isinstance(known, list):
        return _organization_rejected(known, org_id=given_org_id(data))
    request, organization = known
    changes = _changes(organization, request.changes)
    if isinstance(changes, list):
        return _organization_rejected(changes, org_id=str(organization.org_id))
    updated = organization.model_copy(update={**changes, "version": organization.version + 1})
    event = OrganizationUpdated(**updated.state(), changed=list(changes))
    return Decision((Emit(ORGANIZATION_UPDATED, event.model_dump(mode="json")),), organization=updated)


def suspend(data: Any, *, existing: Organization | None) -> Decision:
    """`intake.organization.suspended`: an active organization becomes suspended."""
    known = _known(IntakeOrganizationSuspended, data, existing)
    if isinstance(known, list):
        return _organization_rejected(known, org_id=given_org_id(data))
    request, organization = known
    if organization.status == "suspended":
        already = f"organization is already suspended (reason: {organization.suspension_reason})"
        return _organization_rejected([FieldError(field="org_id", message=already)], org_id=str(organization.org_id))
    suspended = organization.model_copy(
        update={"status": "suspended", "suspension_reason": request.reason, "version": organization.version + 1}
    )
    event = OrganizationSuspended(**suspended.state(), reason=request.reason)
    return Decision((Emit(ORGANIZATION_SUSPENDED, event.model_dump(mode="json")),), organization=suspended)


def reinstate(data: Any, *, existing: Organization | None) -> Decision:
    """`intake.organization.reinstated`: a suspended organization becomes active again."""
    known = _known(IntakeOrganizationReinstated, data, existing)
    if isinstance(known, list):
        return _organization_rejected(known, org_id=given_org_id(data))
    request, organization = known
    if organization.status != "suspended":
        active = FieldError(field="org_id", message=f"organization is not suspended: it is {organization.status}")
        return _organization_rejected([active], org_id=str(organization.org_id))
    reinstated = organization.model_copy(
        update={"status": "active", "suspension_reason": None, "version": organization.version + 1}
    )
    event = OrganizationReinstated(**reinstated.state(), reason=request.reason)
    return Decision((Emit(ORGANIZATION_REINSTATED, event.model_dump(mode="json")),), organization=reinstated)


def add_person(
    data: Any, *, organization: Organization | None, people: Iterable[Person], id_key: bytes, today: date
) -> Decision:
    """`intake.person.added`. `people`: those already recorded for the organization; `id_key`: the HMAC key."""
    known = _known(PersonEntry, data, organization, IntakeRules(today))
    if isinstance(known, list):
        return _person_rejected(known, data)
    entry, org = known
    hashed = id_hash(entry.id_number, id_key) if entry.id_number else None
    clashes = _clashes(entry, hashed, [p for p in people if p.org_id == org.org_id])
    if clashes:
        return _person_rejected(clashes, data)
    person = Person(
        person_id=person_id_for(org.org_id, entry.person_ref), org_id=org.org_id, person_ref=entry.person_ref,
        name=entry.name, role=entry.role, id_hash=hashed, phone=entry.phone, added_on=today,
        id_masked=mask_id_number(entry.id_number) if entry.id_number else None,
    )
    return Decision((Emit(PERSON_ADDED, person.published()),), person=person)


def _known(
    model: type[M], data: Any, existing: Organization | None, rules: IntakeRules | None = None
) -> tuple[M, Organization] | list[FieldError]:
    """The request and the organization it names, or every reason it cannot apply (an unknown org_id among them)."""
    request = read(model, data, rules)
    errors = list(request) if isinstance(request, list) else []
    if existing is None and not any(error.field == "org_id" for error in errors):
        errors.insert(0, UNKNOWN_ORGANIZATION)
    if isinstance(request, list) or existing is None:
        return errors
    return request, existing


def _changes(organization: Organization, changes: Changes) -> dict[str, Any] | list[FieldError]:
    """The fields that actually change, or why the request changes nothing it may."""
    if changes.street is not None and changes.community is None:
        return [FieldError(field="changes.street", message="may change only together with community")]
    proposed: dict[str, Any] = {
        "contact": changes.contact,
        "full_time_staff": changes.full_time_staff,
        "domains": _in_catalog_order(changes.domains) if changes.domains is not None else None,
        "community": changes.community,
        "street": changes.street,
    }
    named = {field: value for field, value in proposed.items() if value is not None}
    if not named:
        return [FieldError(field="changes", message="must name at least one of contact, full_time_staff, "
                                                    "domains, community (with street)")]
    changing = {field: value for field, value in named.items() if value != getattr(organization, field)}
    if not changing:
        return [FieldError(field="changes", message="changes nothing: the organization already has these values")]
    return changing


def _clashes(entry: PersonEntry, hashed: str | None, people: Sequence[Person]) -> list[FieldError]:
    errors: list[FieldError] = []
    for person in people:
        if person.person_ref == entry.person_ref:
            errors.append(FieldError(field="person_ref", message=f"is already used for person {person.person_id}"))
        if hashed is not None and person.id_hash == hashed:
            message = f"this person is already recorded for the organization, as person {person.person_id}"
            errors.append(FieldError(field="id_number", message=message))
    return errors


def _in_catalog_order(domains: Iterable[Category]) -> tuple[Category, ...]:
    chosen = set(domains)
    return tuple(category for category in Category if category in chosen)


def _organization_rejected(errors: list[FieldError], **ids: str | None) -> Decision:
    return Decision((rejected(ORGANIZATION_REJECTED, errors, **ids),))


def _person_rejected(errors: list[FieldError], data: Any) -> Decision:
    ref = data.get("person_ref") if isinstance(data, Mapping) else None
    plausible = isinstance(ref, str) and 0 < len(ref.strip()) <= 64 and not looks_like_id_number(ref)
    person_ref = ref.strip() if plausible and isinstance(ref, str) else None
    return Decision((rejected(PERSON_REJECTED, errors, org_id=given_org_id(data), person_ref=person_ref),))


def given_code(data: Any) -> str | None:
    """The credit code as given, normalised, to look it up and name it in a rejection (if a plausible string)."""
    code = data.get("uscc") if isinstance(data, Mapping) else None
    return uscc.normalise(code) if isinstance(code, str) and 0 < len(code.strip()) <= 64 else None


def given_org_id(data: Any) -> str | None:
    """The org_id as given, in canonical form, when it is a UUID at all (to look it up and name it)."""
    value = data.get("org_id") if isinstance(data, Mapping) else None
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None
