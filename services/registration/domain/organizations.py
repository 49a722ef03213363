"""Registration's rules on organizations: which applications are registered, what an update may change, and
suspension and reinstatement.

Pure: typed values in, values out. The district's rules that need more than the input (a valid credit code for
the legal form, not already registered; one of the district's streets and a community of that street; founded
neither after today nor before the district's earliest date; an org_id naming a registered organization) are
validators of the intake models here, given an `IntakeContext` when the kernel's `read_intake` reads them, so one
reading names every bad field. The decisions then take what was read and the stored organization it concerns.
Ids derive from the input (`org_id_for`); today's date and the district's lists (`DistrictRules`) are passed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from typing import Annotated, Any, Final, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.registration.domain import uscc
from services.registration.domain.identity import mask_phone
from shared.calendar import DEFAULT_EARLIEST_DATE, before_earliest
from shared.contracts.common import DEFAULT_COMMUNITIES, DEFAULT_STREETS, Category
from shared.contracts.registration import (
    ORGANIZATION_REGISTERED,
    ORGANIZATION_REINSTATED,
    ORGANIZATION_REJECTED,
    ORGANIZATION_SUSPENDED,
    ORGANIZATION_UPDATED,
    Contact,
    IntakeOrganizationApplied,
    IntakeOrganizationReinstated,
    IntakeOrganizationSuspended,
    IntakeOrganizationUpdated,
    LegalForm,
    OrganizationChanges,
    OrganizationRegistered,
    OrganizationReinstated,
    OrganizationStatus,
    OrganizationSuspended,
    OrganizationUpdated,
    PublishedContact,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.intake import read_intake
from shared.labels import label
from shared.outcome import Emit, rejected

ORGANIZATION_NAMESPACE: Final = uuid.UUID("1fba5c10-a410-5cbf-9fc3-c50de74e42f9")
UNKNOWN_ORGANIZATION: Final = "no organization is registered with this id"
M = TypeVar("M", bound=BaseModel)


def org_id_for(code: str) -> uuid.UUID:
    """The organization's id, fixed by its credit code (in any case or spacing)."""
    return uuid.uuid5(ORGANIZATION_NAMESPACE, uscc.normalise(code))


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


@dataclass(frozen=True)
class Decision:
    """What an intake about an organization decides: the organization to save (None: nothing changes) and the
    events to publish."""

    events: tuple[Emit, ...]
    organization: Organization | None = None


# --- reading an intake by the district's rules ------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictRules:
    """The district's own lists an intake is read against (its settings): its sub-districts, the communities in
    each, and the earliest date an input may name."""

    streets: tuple[str, ...] = DEFAULT_STREETS
    communities: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_COMMUNITIES)
    earliest: date = DEFAULT_EARLIEST_DATE


@dataclass(frozen=True)
class IntakeContext:
    """What the district's rules need besides the input: today's date, the district's lists, the organization the
    input's org_id names (looked up beforehand; None when none is registered under it), and for an application the
    organization already registered under its credit code, if any."""

    today: date
    district: DistrictRules = field(default_factory=DistrictRules)
    organization: Organization | None = None
    registered: Organization | None = None


def context(today: date, district: DistrictRules | None = None, organization: Organization | None = None,
            registered: Organization | None = None) -> dict[str, Any]:
    """The validation context registration's intake models are read with (`read_intake(..., context=...)`)."""
    return {"registration": IntakeContext(today, district or DistrictRules(), organization, registered)}


def context_of(info: ValidationInfo) -> IntakeContext:
    """The context a validator was given (a rule that needs one refuses to read without it)."""
    given = info.context.get("registration") if isinstance(info.context, dict) else None
    if not isinstance(given, IntakeContext):
        raise TypeError("registration's intake is read with its context: read_intake(..., context=context(today))")
    return given


def refuse(messages: list[str], shown_input: Any) -> None:
    """Raise one error per message, all on the field being validated."""
    if messages:
        raise ValidationError.from_exception_data(
            "registration rules",
            [
                InitErrorDetails(
                    type=PydanticCustomError("registration_rule", "{reason}", {"reason": message}),
                    loc=(),
                    input=shown_input,
                )
                for message in messages
            ],
        )


def street_problems(street: str, streets: Sequence[str]) -> list[str]:
    if street in streets:
        return []
    if f"{street}街道" in streets:
        return [_("is not one of the district's sub-districts; did you mean {street}街道?").format(street=street)]
    return [_("must be one of the district's sub-districts: {value}").format(value=', '.join(streets))]


def community_problems(community: str, street: str | None, communities: Mapping[str, Sequence[str]]) -> list[str]:
    """Why `community` may not be named with `street` (None: the street is itself wrong or unchanged-unknown): it
    must be one of the district's communities (DISTRICT_COMMUNITIES), and one of that street's."""
    home = next((where for where, names in communities.items() if community in names), None)
    if home is not None:
        if street is None or street == home or street not in communities:
            return []
        return [_("{community} lies in {home}, not {street} (rule: community_in_its_street)").format(
            community=community, home=home, street=street)]
    nearest, where = nearest_community(community, street, communities)
    return [_("is not one of the district's communities; the nearest known is {nearest} ({where}) (rule: "
               "known_community)").format(nearest=nearest, where=where)]


def nearest_community(name: str, street: str | None,
                      communities: Mapping[str, Sequence[str]]) -> tuple[str, str]:
    """The known community whose name is most like `name`, with its street; on a tie, one in `street` first."""
    known = [(candidate, where) for where, names in communities.items() for candidate in names]
    return max(known, key=lambda pair: (SequenceMatcher(None, name, pair[0]).ratio(), pair[1] == street,
                                        -known.index(pair)))


def _registered(org_id: uuid.UUID, info: ValidationInfo) -> uuid.UUID:
    found = context_of(info).organization
    if found is None or found.org_id != org_id:
        raise ValueError(UNKNOWN_ORGANIZATION)
    return org_id


RegisteredOrgId = Annotated[uuid.UUID, AfterValidator(_registered)]


class Application(IntakeOrganizationApplied):
    """An application that passes the district's rules; `uscc` is upper-cased."""

    @field_validator("uscc")
    @classmethod
    def _credit_code(cls, value: str, info: ValidationInfo) -> str:
        code = uscc.normalise(value)
        registered = context_of(info).registered
        taken = [f"is already registered, as organization {registered.org_id}"] if registered is not None else []
        refuse([*uscc.problems(code, info.data.get("legal_form")), *taken], value)
        return code

    @field_validator("street")
    @classmethod
    def _district_street(cls, value: str, info: ValidationInfo) -> str:
        refuse(street_problems(value, context_of(info).district.streets), value)
        return value

    @field_validator("community")
    @classmethod
    def _district_community(cls, value: str, info: ValidationInfo) -> str:
        refuse(community_problems(value, info.data.get("street"), context_of(info).district.communities), value)
        return value

    @field_validator("founded_on")
    @classmethod
    def _not_in_future_nor_before_the_earliest_date(cls, value: date, info: ValidationInfo) -> date:
        given = context_of(info)
        future = [f"must not be after today ({given.today.isoformat()})"] if value > given.today else []
        refuse([*future, *before_earliest(value, given.district.earliest)], value.isoformat())
        return value


class Changes(OrganizationChanges):
    """Changes whose street, if any, is one of the district's, and whose community lies in the street it will be
    in (the new street, or the organization's own)."""

    @field_validator("street")
    @classmethod
    def _district_street(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            refuse(street_problems(value, context_of(info).district.streets), value)
        return value

    @model_validator(mode="after")
    def _community_of_its_street(self, info: ValidationInfo) -> Changes:
        if self.community is not None:
            given = context_of(info)
            current = given.organization.street if given.organization is not None else None
            problems = community_problems(self.community, self.street or current, given.district.communities)
            if problems:
                raise ValidationError.from_exception_data("registration rules", [InitErrorDetails(
                    type=PydanticCustomError("registration_rule", "{reason}", {"reason": problems[0]}),
                    loc=("community",), input=self.community)])
        return self


class Update(IntakeOrganizationUpdated):
    """An update of a registered organization whose changes pass the district's rules."""

    org_id: RegisteredOrgId
    changes: Changes


class Suspension(IntakeOrganizationSuspended):
    """A suspension of a registered organization."""

    org_id: RegisteredOrgId


class Reinstatement(IntakeOrganizationReinstated):
    """A reinstatement of a registered organization."""

    org_id: RegisteredOrgId


class Named(BaseModel):
    """The ids an intake about an organization names, read on their own: the handler looks the organization up by
    its org_id before it reads the intake, and a rejection names them as its event types them.

    Lenient: an id that is not one is left out (the intake's own reading says what is wrong with it). The kernel's
    echo repeats plausible text as given; registration's rejections carry org_id as a UUID, so it is read as one.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    org_id: uuid.UUID | None = None

    @field_validator("org_id", mode="before")
    @classmethod
    def _an_id_or_none(cls, value: Any) -> uuid.UUID | None:
        try:
            return uuid.UUID(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def ids(self) -> dict[str, str]:
        return {name: str(value) for name, value in self if value is not None}


def read_application(data: Any, registered: Organization | None, today: date,
                     district: DistrictRules | None = None) -> Application | Emit:
    """An application read by the district's rules, or the rejection naming every bad field. `registered`: the
    organization already registered under its credit code (looked up beforehand), named with the other faults."""
    read = read_intake(Application, data, rejected=ORGANIZATION_REJECTED, echo=("uscc",),
                       context=context(today, district, registered=registered))
    if isinstance(read, Emit) and registered is not None:
        return Emit(read.type, {**read.data, "org_id": str(registered.org_id)})
    return read


def read_about(
    model: type[M], data: Mapping[str, Any], organization: Organization | None, *, rejected: str, today: date,
    district: DistrictRules | None = None, named: type[Named] = Named, id_number_at: Sequence[str] = (),
) -> tuple[M, Organization] | Emit:
    """An intake about the organization its org_id names, with that organization (looked up beforehand: None when
    none is registered under it); or the rejection naming every bad field, an unknown organization among them,
    and the ids `named` reads from the intake."""
    request = read_intake(model, data, rejected=rejected, context=context(today, district, organization),
                          id_number_at=id_number_at)
    if isinstance(request, Emit):
        return Emit(request.type, {**named.model_validate(data).ids(), **request.data})
    if organization is None:
        raise TypeError(f"{model.__name__} must refuse an org_id that names no registered organization")
    return request, organization


# --- decisions --------------------------------------------------------------------------------------------------


def register(application: Application, today: date) -> Decision:
    """`intake.organization.applied`: an application read by the district's rules (`read_application`; a code
    already registered is refused there) becomes a registered organization."""
    organization = Organization(
        org_id=org_id_for(application.uscc), registered_on=today, domains=_in_catalog_order(application.domains),
        **application.model_dump(include={
            "uscc", "name", "legal_form", "street", "community", "full_time_staff", "founded_on", "contact",
        }),
    )
    event = OrganizationRegistered(**organization.state())
    return Decision((Emit(ORGANIZATION_REGISTERED, event.model_dump(mode="json")),), organization=organization)


def update(request: Update, organization: Organization) -> Decision:
    """`intake.organization.updated`: contact, staff, domains (the whole list) or community (with its street)."""
    changes = _changes(organization, request.changes)
    if isinstance(changes, list):
        return _rejected(changes, org_id=str(organization.org_id))
    updated = organization.model_copy(update={**changes, "version": organization.version + 1})
    event = OrganizationUpdated(**updated.state(), changed=list(changes))
    return Decision((Emit(ORGANIZATION_UPDATED, event.model_dump(mode="json")),), organization=updated)


def suspend(request: Suspension, organization: Organization) -> Decision:
    """`intake.organization.suspended`: an active organization becomes suspended."""
    if organization.status == "suspended":
        already = _("organization is already suspended (reason: {reason})").format(
            reason=organization.suspension_reason)
        return _rejected([FieldError(field="org_id", message=already)], org_id=str(organization.org_id))
    suspended = organization.model_copy(
        update={"status": "suspended", "suspension_reason": request.reason, "version": organization.version + 1}
    )
    event = OrganizationSuspended(**suspended.state(), reason=request.reason)
    return Decision((Emit(ORGANIZATION_SUSPENDED, event.model_dump(mode="json")),), organization=suspended)


def reinstate(request: Reinstatement, organization: Organization) -> Decision:
    """`intake.organization.reinstated`: a suspended organization becomes active again."""
    if organization.status != "suspended":
        active = FieldError(field="org_id", message=_("organization is not suspended: it is {status}").format(
            status=label(organization.status)))
        return _rejected([active], org_id=str(organization.org_id))
    reinstated = organization.model_copy(
        update={"status": "active", "suspension_reason": None, "version": organization.version + 1}
    )
    event = OrganizationReinstated(**reinstated.state(), reason=request.reason)
    return Decision((Emit(ORGANIZATION_REINSTATED, event.model_dump(mode="json")),), organization=reinstated)


def _changes(organization: Organization, changes: Changes) -> dict[str, Any] | list[FieldError]:
    """The fields that actually change, or why the request changes nothing it may."""
    if changes.street is not None and changes.community is None:
        return [FieldError(field="changes.street", message=_("may change only together with community"))]
    proposed: dict[str, Any] = {
        "contact": changes.contact,
        "full_time_staff": changes.full_time_staff,
        "domains": _in_catalog_order(changes.domains) if changes.domains is not None else None,
        "community": changes.community,
        "street": changes.street,
    }
    named = {field: value for field, value in proposed.items() if value is not None}
    if not named:
        return [FieldError(field="changes", message=_("must name at least one of contact, full_time_staff, "
                                                       "domains, community (with street)"))]
    changing = {field: value for field, value in named.items() if value != getattr(organization, field)}
    if not changing:
        return [FieldError(field="changes", message=_("changes nothing: the organization already has these values"))]
    return changing


def _in_catalog_order(domains: Iterable[Category]) -> tuple[Category, ...]:
    chosen = set(domains)
    return tuple(category for category in Category if category in chosen)


def _rejected(errors: list[FieldError], **ids: str | None) -> Decision:
    return Decision((rejected(ORGANIZATION_REJECTED, errors, **ids),))
