"""The matching process: wires its store, handlers and read queries to the kernel's service;
`python -m services.matching` runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.matching.api import build_api
from services.matching.handlers import Matching, subscriptions
from services.matching.settings import NAME, MatchingSettings
from services.matching.store import MatchingStore
from shared.service import Service


def build(settings: MatchingSettings | None = None) -> Service:
    settings = settings or MatchingSettings()
    service = Service(NAME, settings)
    store = MatchingStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    service.include(subscriptions, Matching(store, settings.rules, tuple(settings.tables), settings.calendar.calendar,
                                            settings.standstill_check_seconds))
    service.api = build_api(store, settings.rules, service.clock.today)
    return service


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
