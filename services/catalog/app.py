"""The catalog process: wires its store and handlers to the kernel's service; `python -m services.catalog` runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.catalog.domain import District
from services.catalog.handlers import CatalogHandlers
from services.catalog.settings import CatalogSettings
from services.catalog.store import ProjectStore
from shared.contracts import catalog as events
from shared.service import Service


def build(settings: CatalogSettings | None = None) -> Service:
    settings = settings or CatalogSettings()
    service = Service("catalog", settings)
    store = ProjectStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    handlers = CatalogHandlers(store, District(settings.district.streets, settings.district.departments))

    service.consume("project-proposed", "intake.project.proposed", handlers.project_proposed,
                    document=events.ProjectProposed,
                    description="A purchaser proposes a project: published, or rejected naming every bad field.")
    service.consume("project-withdrawn", "intake.project.withdrawn", handlers.project_withdrawn,
                    document=events.ProjectWithdrawn,
                    description="A purchaser withdraws a published project that is not yet awarded.")
    service.consume("contract-awarded", "matching.contract.awarded", handlers.contract_awarded,
                    document=events.ContractAwardedRef, description="An award moves its project to `awarded`.")
    service.consume("contract-evaluated", "evaluation.contract.evaluated", handlers.contract_evaluated,
                    document=events.ContractEvaluatedRef,
                    description="An evaluation moves its project to `evaluated`.")

    service.publishes("catalog.project.published", events.ProjectPublished, "A proposal became a project.")
    service.publishes("catalog.project.rejected", events.ProjectRejected, "A proposal or withdrawal was refused.")
    service.publishes("catalog.project.status_changed", events.ProjectStatusChanged,
                      "A project moved along its lifecycle.")
    return service


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
