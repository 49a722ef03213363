"""The catalog process: wires its store, handlers and read queries to the kernel's service;
`python -m services.catalog` runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.catalog.api import build_api
from services.catalog.domain import District
from services.catalog.handlers import Catalog, subscriptions
from services.catalog.settings import NAME, CatalogSettings
from services.catalog.store import ProjectStore
from shared.service import Service


def build(settings: CatalogSettings | None = None) -> Service:
    settings = settings or CatalogSettings()
    service = Service(NAME, settings)
    store = ProjectStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    district = District(settings.district.streets, settings.district.departments, settings.calendar.earliest)
    service.include(subscriptions, Catalog(store, district))
    service.api = build_api(store)
    return service


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
