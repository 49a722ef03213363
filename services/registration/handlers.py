"""Registration's subscribers: applications, updates, suspensions, reinstatements and people, from outside.

Each reads its input (the kernel's `read_intake`), loads what the decision needs, lets `domain` decide, and keeps
the outcome; the kernel runs it in one transaction with the inbox claim and the outbox events. Invalid input is
answered with a rejection event naming every bad field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from services.registration.domain import uscc
from services.registration.domain.identity import IdentityKeys
from services.registration.domain.organizations import (
    Decision,
    DistrictRules,
    Named,
    Organization,
    Reinstatement,
    Suspension,
    Update,
    org_id_for,
    read_about,
    read_application,
    register,
    reinstate,
    suspend,
    update,
)
from services.registration.domain.people import add_person, read_person
from services.registration.store import RegistrationStore
from shared.contracts import registration as events
from shared.documents import ByField
from shared.envelope import Envelope
from shared.outcome import Emit
from shared.subscriptions import LooksUp, Subscriptions, by_id
from shared.unit_of_work import Transaction

M = TypeVar("M", Update, Suspension, Reinstatement)
MAX_CODE_LOOKUP = 64  # a credit code is 18 characters; anything much longer is refused without a look-up


@dataclass(frozen=True)
class Registration:
    """What registration's handlers need: its store, the district's lists (streets, communities, earliest date), and
    the keys that hash ID numbers."""

    store: RegistrationStore
    district: DistrictRules
    id_keys: IdentityKeys


subscriptions = Subscriptions[Registration]()
# The organization an intake names by org_id (read before the intake is: `_named_organization`).
NAMED: LooksUp[Registration] = by_id(lambda registration: registration.store.organizations, "org_id")


def named_and_people(data: Mapping[str, Any], registration: Registration) -> list[tuple[Any, Any]]:
    """A person's organization by `_id`, and its people by their `org_id` (`RegistrationStore.people_of`): a batch
    of people reads them for all its organizations in one statement, not one per person."""
    org_id = data.get("org_id")
    return [*NAMED(data, registration), (registration.store.people, ByField("org_id", org_id))]


def _code(data: Mapping[str, Any]) -> str | None:
    """The application's credit code in its canonical spelling, if it is one worth looking up."""
    code = data.get("uscc")
    return uscc.normalise(code) if isinstance(code, str) and len(code) <= MAX_CODE_LOOKUP else None


def code_holder(data: Mapping[str, Any], registration: Registration) -> list[tuple[Any, Any]]:
    """The organization an application's code would be (`org_id_for`), looked up with the batch's by `_id`."""
    code = _code(data)
    return [] if code is None else [(registration.store.organizations, str(org_id_for(code)))]


@subscriptions.subscriber(events.ORGANIZATION_APPLIED, document=events.IntakeOrganizationApplied,
                          looks_up=code_holder,
                          description="An organization applies: registered (version 1), or rejected naming every bad "
                                      "field; a credit code already registered is refused naming that org_id, "
                                      "whatever else is wrong.")
async def organization_applied(event: Envelope, tx: Transaction, registration: Registration) -> None:
    # The code is looked up before the application is read, so a code already registered is named in the same
    # rejection as any other bad field.
    code = _code(event.data)
    registered = await registration.store.organization_by_code(code, tx) if code is not None else None
    application = read_application(event.data, registered, tx.today, registration.district)
    if isinstance(application, Emit):
        tx.emit(application)
        return
    decision = register(application, tx.today)
    if decision.organization is not None:
        registration.store.insert_organization(decision.organization, tx)
    tx.emit(*decision.events)


# The intakes below name an organization by org_id. Each is a `subscriber`, not an `intake`, for the same reason as
# an application: the organization must be looked up before the input is read, so that an org_id naming no
# registered organization is refused in the same rejection as every other bad field (`read_about` calls the
# kernel's `read_intake`).


@subscriptions.subscriber(events.ORGANIZATION_UPDATE_REQUESTED, document=events.IntakeOrganizationUpdated,
                          looks_up=NAMED,
                          description="A registered organization's changed particulars: its new state, version + 1.")
async def organization_updated(event: Envelope, tx: Transaction, registration: Registration) -> None:
    await _decide_about_organization(Update, update, event, tx, registration)


@subscriptions.subscriber(events.ORGANIZATION_SUSPENSION_REQUESTED, document=events.IntakeOrganizationSuspended,
                          looks_up=NAMED,
                          description="Civil affairs suspends an active organization, for a stated reason.")
async def organization_suspended(event: Envelope, tx: Transaction, registration: Registration) -> None:
    await _decide_about_organization(Suspension, suspend, event, tx, registration)


@subscriptions.subscriber(events.ORGANIZATION_REINSTATEMENT_REQUESTED, document=events.IntakeOrganizationReinstated,
                          looks_up=NAMED, description="Civil affairs lifts a suspension, for a stated reason.")
async def organization_reinstated(event: Envelope, tx: Transaction, registration: Registration) -> None:
    await _decide_about_organization(Reinstatement, reinstate, event, tx, registration)


@subscriptions.subscriber(events.PERSON_ADDITION_REQUESTED, document=events.IntakePersonAdded,
                          personal=("id_number", "phone", "name"), looks_up=named_and_people,
                          description="An organization names one of its people; an ID number is checked (GB 11643) "
                                      "and kept only as a keyed hash and a masked form, never stored or published "
                                      "in clear.")
async def person_added(event: Envelope, tx: Transaction, registration: Registration) -> None:
    read = read_person(event.data, await _named_organization(event, tx, registration), tx.today)
    if isinstance(read, Emit):
        tx.emit(read)
        return
    entry, organization = read
    people = await registration.store.people_of(organization.org_id, tx)
    decision = add_person(entry, organization, people, keys=registration.id_keys, today=tx.today)
    if decision.person is not None:
        registration.store.insert_person(decision.person, tx)
    tx.emit(*decision.events)


async def _named_organization(event: Envelope, tx: Transaction, registration: Registration) -> Organization | None:
    org_id = Named.model_validate(event.data).org_id
    return await registration.store.organization(org_id, tx) if org_id is not None else None


async def _decide_about_organization(model: type[M], decide: Callable[[M, Organization], Decision], event: Envelope,
                                     tx: Transaction, registration: Registration) -> None:
    """Read the intake with the organization it names, let `decide` decide, and keep the organization it changed."""
    read = read_about(model, event.data, await _named_organization(event, tx, registration),
                      rejected=events.ORGANIZATION_REJECTED, today=tx.today, district=registration.district)
    decision = Decision((read,)) if isinstance(read, Emit) else decide(*read)
    if decision.organization is not None:
        registration.store.save_organization(decision.organization, tx)
    tx.emit(*decision.events)


subscriptions.publishes(events.ORGANIZATION_REGISTERED, events.OrganizationRegistered,
                        "An organization is registered: its full state, version 1.")
subscriptions.publishes(events.ORGANIZATION_UPDATED, events.OrganizationUpdated,
                        "An organization's particulars changed: its full state, the fields changed, its version.")
subscriptions.publishes(events.ORGANIZATION_SUSPENDED, events.OrganizationSuspended,
                        "An organization is suspended (never eligible meanwhile): its full state and the reason.")
subscriptions.publishes(events.ORGANIZATION_REINSTATED, events.OrganizationReinstated,
                        "An organization is active again: its full state and the reason.")
subscriptions.publishes(events.ORGANIZATION_REJECTED, events.OrganizationRejected,
                        "An application, update, suspension or reinstatement was refused, with every reason.")
subscriptions.publishes(events.PERSON_ADDED, events.PersonAdded,
                        "A person of an organization, masked: no ID number or phone in clear.")
subscriptions.publishes(events.PERSON_REJECTED, events.PersonRejected,
                        "A person was refused, with every reason (never repeating the ID number).")
