"""Registration's events: what intake may send about social organizations and their people, and the answers.

Intake models check shape only (types, lengths, the nine categories); the district's rules that need the
credit-code algorithm, the configured sub-districts or today's date are registration's own (services/registration).
Outcome models tolerate added fields, so consumers keep working when registration publishes more.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)

from shared.contracts.common import Category, Rejection
from shared.i18n import _

LegalForm = Literal["social_group", "social_service_institution", "foundation"]
LEGAL_FORMS: Final = ("social_group", "social_service_institution", "foundation")
OrganizationStatus = Literal["active", "suspended"]
PersonRole = Literal["leader", "finance", "social_worker"]

ORGANIZATION_APPLIED: Final = "intake.organization.applied"
ORGANIZATION_UPDATE_REQUESTED: Final = "intake.organization.updated"
ORGANIZATION_SUSPENSION_REQUESTED: Final = "intake.organization.suspended"
ORGANIZATION_REINSTATEMENT_REQUESTED: Final = "intake.organization.reinstated"
PERSON_ADDITION_REQUESTED: Final = "intake.person.added"
ORGANIZATION_REGISTERED: Final = "registration.organization.registered"
ORGANIZATION_UPDATED: Final = "registration.organization.updated"
ORGANIZATION_SUSPENDED: Final = "registration.organization.suspended"
ORGANIZATION_REINSTATED: Final = "registration.organization.reinstated"
ORGANIZATION_REJECTED: Final = "registration.organization.rejected"
PERSON_ADDED: Final = "registration.person.added"
PERSON_REJECTED: Final = "registration.person.rejected"

MAX_STAFF: Final = 100_000
_MOBILE_OR_LANDLINE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(value: str) -> str:
    if not _MOBILE_OR_LANDLINE.fullmatch(value):
        raise ValueError(_("must be a mobile number (11 digits, 13x-19x) or a landline with area code "
                            "(028-85551234)"))
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(_("must be an e-mail address (name@domain.cn)"))
    return value


def _iso_date(value: Any) -> Any:
    # Lax pydantic would read an integer as a Unix timestamp; a date here is only ever written YYYY-MM-DD.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError(_("must be a date written YYYY-MM-DD"))


ShortText = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Code = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Phone = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_phone)]
Email = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_email)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Staff = Annotated[StrictInt, Field(ge=0, le=MAX_STAFF)]


class Contact(BaseModel):
    """How the district reaches an organization."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phone: Phone | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _some_way(self) -> Contact:
        if self.phone is None and self.email is None:
            raise ValueError(_("must give a phone, an email, or both"))
        return self


def _distinct_domains(domains: list[Category]) -> list[Category]:
    twice = sorted({d.value for d in domains if domains.count(d) > 1})
    if twice:
        raise ValueError(_("lists {value} more than once; name each domain once").format(value=', '.join(twice)))
    return domains


Domains = Annotated[list[Category], Field(min_length=1, max_length=len(Category)), AfterValidator(_distinct_domains)]


# --- intake ---------------------------------------------------------------------------------------------------


class IntakeOrganizationApplied(BaseModel):
    """`intake.organization.applied`: an organization applies to be registered in the district."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # legal_form comes before uscc so a validator on uscc can compare the code's second character with it.
    legal_form: LegalForm
    uscc: Code
    name: ShortText
    street: ShortText
    community: ShortText
    domains: Domains
    full_time_staff: Staff
    founded_on: IsoDate
    contact: Contact | None = None


class OrganizationChanges(BaseModel):
    """What an update may change; anything left out (or null) stays. `domains` replaces the whole list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: Contact | None = None
    full_time_staff: Staff | None = None
    domains: Domains | None = None
    community: ShortText | None = None
    street: ShortText | None = None  # only together with community: a community lies in one street


class IntakeOrganizationUpdated(BaseModel):
    """`intake.organization.updated`: a registered organization reports changed particulars."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_id: uuid.UUID
    changes: OrganizationChanges


class IntakeOrganizationSuspended(BaseModel):
    """`intake.organization.suspended`: civil affairs suspends an organization, for a stated reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_id: uuid.UUID
    reason: Reason


class IntakeOrganizationReinstated(BaseModel):
    """`intake.organization.reinstated`: civil affairs lifts a suspension, for a stated reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_id: uuid.UUID
    reason: Reason


class IntakePersonAdded(BaseModel):
    """`intake.person.added`: an organization names one of its people (leader, finance staff, social worker).

    `person_ref` is the organization's own reference for the person; with org_id it fixes the person_id.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_id: uuid.UUID
    person_ref: Code
    name: ShortText
    role: PersonRole
    id_number: Code | None = None
    phone: Phone | None = None


# --- outcomes -------------------------------------------------------------------------------------------------


class PublishedContact(BaseModel):
    """An organization's contact as published: the phone masked."""

    model_config = ConfigDict(frozen=True)

    phone_masked: str | None = None
    email: str | None = None


class OrganizationState(BaseModel):
    """The full state of an organization, carried by every organization event; `version` orders them."""

    model_config = ConfigDict(frozen=True)

    org_id: uuid.UUID
    uscc: str
    name: str
    legal_form: LegalForm
    street: str
    community: str
    domains: list[Category]
    full_time_staff: int
    founded_on: date
    registered_on: date
    status: OrganizationStatus
    version: int = Field(ge=1)
    contact: PublishedContact | None = None


class OrganizationRegistered(OrganizationState):
    """`registration.organization.registered` (version 1)."""


class OrganizationUpdated(OrganizationState):
    """`registration.organization.updated`: the new state, and which fields changed."""

    changed: list[str]


class OrganizationSuspended(OrganizationState):
    """`registration.organization.suspended`: the new state and why."""

    reason: str


class OrganizationReinstated(OrganizationState):
    """`registration.organization.reinstated`: the new state and why."""

    reason: str


class OrganizationRejected(Rejection):
    """`registration.organization.rejected`: every reason, with whatever identified the organization."""

    uscc: str | None = None
    org_id: uuid.UUID | None = None


class PersonAdded(BaseModel):
    """`registration.person.added`: a person of an organization, never with the ID number or phone in clear."""

    model_config = ConfigDict(frozen=True)

    person_id: uuid.UUID
    org_id: uuid.UUID
    person_ref: str
    role: PersonRole
    name_masked: str
    id_number_masked: str | None = None
    phone_masked: str | None = None
    added_on: date
    version: int = Field(ge=1)


class PersonRejected(Rejection):
    """`registration.person.rejected`; `person_id` names the person already recorded, when that is why."""

    org_id: uuid.UUID | None = None
    person_ref: str | None = None
    person_id: uuid.UUID | None = None


INTAKE_MODELS: Final[dict[str, type[BaseModel]]] = {
    ORGANIZATION_APPLIED: IntakeOrganizationApplied,
    ORGANIZATION_UPDATE_REQUESTED: IntakeOrganizationUpdated,
    ORGANIZATION_SUSPENSION_REQUESTED: IntakeOrganizationSuspended,
    ORGANIZATION_REINSTATEMENT_REQUESTED: IntakeOrganizationReinstated,
    PERSON_ADDITION_REQUESTED: IntakePersonAdded,
}
OUTCOME_MODELS: Final[dict[str, type[BaseModel]]] = {
    ORGANIZATION_REGISTERED: OrganizationRegistered,
    ORGANIZATION_UPDATED: OrganizationUpdated,
    ORGANIZATION_SUSPENDED: OrganizationSuspended,
    ORGANIZATION_REINSTATED: OrganizationReinstated,
    ORGANIZATION_REJECTED: OrganizationRejected,
    PERSON_ADDED: PersonAdded,
    PERSON_REJECTED: PersonRejected,
}
