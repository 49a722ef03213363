"""The registration process: wires its store and handlers to the kernel's service; `python -m
services.registration` runs it."""

from __future__ import annotations

import logging

from faststream.asgi import AsgiFastStream

from services.registration.handlers import RegistrationHandlers
from services.registration.settings import MIN_KEY_LENGTH, NAME, RegistrationSettings
from services.registration.store import RegistrationStore
from shared.contracts import registration as events
from shared.service import Service

log = logging.getLogger(__name__)


def build(settings: RegistrationSettings | None = None) -> Service:
    settings = settings or RegistrationSettings()
    service = Service(NAME, settings)
    store = RegistrationStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    if settings.uses_development_key:
        service.on_startup.append(_warn_of_the_development_key)
    handlers = RegistrationHandlers(store, settings.district.streets, settings.id_key)
    _consume(service, handlers)
    _publish(service)
    return service


async def _warn_of_the_development_key() -> None:
    log.warning("IDENTITY_HASH_KEY is not set: ID numbers are hashed with the local-development-only key, which "
                "anyone can read in the source. Set IDENTITY_HASH_KEY (a secret of %d+ characters) outside "
                "local development, before the first person is added.", MIN_KEY_LENGTH)


def _consume(service: Service, handlers: RegistrationHandlers) -> None:
    service.consume("organization-applied", events.ORGANIZATION_APPLIED, handlers.organization_applied,
                    document=events.IntakeOrganizationApplied,
                    description="An organization applies: registered (version 1), or rejected naming every bad "
                                "field; a credit code already registered is refused naming that org_id.")
    service.consume("organization-updated", events.ORGANIZATION_UPDATE_REQUESTED, handlers.organization_updated,
                    document=events.IntakeOrganizationUpdated,
                    description="A registered organization's changed particulars: its new state, version + 1.")
    service.consume("organization-suspended", events.ORGANIZATION_SUSPENSION_REQUESTED,
                    handlers.organization_suspended, document=events.IntakeOrganizationSuspended,
                    description="Civil affairs suspends an active organization, for a stated reason.")
    service.consume("organization-reinstated", events.ORGANIZATION_REINSTATEMENT_REQUESTED,
                    handlers.organization_reinstated, document=events.IntakeOrganizationReinstated,
                    description="Civil affairs lifts a suspension, for a stated reason.")
    service.consume("person-added", events.PERSON_ADDITION_REQUESTED, handlers.person_added,
                    document=events.IntakePersonAdded,
                    description="An organization names one of its people; an ID number is checked (GB 11643) and "
                                "kept only as a keyed hash and a masked form, never stored or published in clear.")


def _publish(service: Service) -> None:
    service.publishes(events.ORGANIZATION_REGISTERED, events.OrganizationRegistered,
                      "An organization is registered: its full state, version 1.")
    service.publishes(events.ORGANIZATION_UPDATED, events.OrganizationUpdated,
                      "An organization's particulars changed: its full state, the fields changed, its version.")
    service.publishes(events.ORGANIZATION_SUSPENDED, events.OrganizationSuspended,
                      "An organization is suspended (never eligible meanwhile): its full state and the reason.")
    service.publishes(events.ORGANIZATION_REINSTATED, events.OrganizationReinstated,
                      "An organization is active again: its full state and the reason.")
    service.publishes(events.ORGANIZATION_REJECTED, events.OrganizationRejected,
                      "An application, update, suspension or reinstatement was refused, with every reason.")
    service.publishes(events.PERSON_ADDED, events.PersonAdded,
                      "A person of an organization, masked: no ID number or phone in clear.")
    service.publishes(events.PERSON_REJECTED, events.PersonRejected,
                      "A person was refused, with every reason (never repeating the ID number).")


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
