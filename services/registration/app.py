"""The registration process: wires its store, handlers and read queries to the kernel's service;
`python -m services.registration` runs it."""

from __future__ import annotations

import logging

from faststream.asgi import AsgiFastStream

from services.registration.api import build_api
from services.registration.domain.organizations import DistrictRules
from services.registration.handlers import Registration, subscriptions
from services.registration.settings import MAKE_A_KEY, MIN_KEY_LENGTH, NAME, RegistrationSettings
from services.registration.store import RegistrationStore
from shared.service import Service

log = logging.getLogger(__name__)


def build(settings: RegistrationSettings | None = None) -> Service:
    settings = settings or RegistrationSettings()
    service = Service(NAME, settings)
    store = RegistrationStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    if settings.uses_development_key:
        service.on_startup.append(_warn_of_the_development_key)
    district = DistrictRules(settings.district.streets, settings.communities, settings.calendar.earliest)
    service.include(subscriptions, Registration(store, district, settings.id_keys))
    service.api = build_api(store, settings)
    return service


async def _warn_of_the_development_key() -> None:
    log.warning("IDENTITY_HASH_KEY is not set: ID numbers are hashed with the development-only key, which anyone "
                "can read in the source (allowed only with DISTRICT_ENV=development). Elsewhere set IDENTITY_HASH_KEY "
                "(a secret of %d+ characters: %s).", MIN_KEY_LENGTH, MAKE_A_KEY)


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
