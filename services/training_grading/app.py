"""The training-and-grading process: wires its store, handlers, grade-expiry job and read queries to the kernel's
service; `python -m services.training_grading` runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.training_grading.api import build_api
from services.training_grading.handlers import TrainingGrading, subscriptions
from services.training_grading.settings import NAME, TrainingGradingSettings
from services.training_grading.store import TrainingGradingStore
from shared.service import Service


def build(settings: TrainingGradingSettings | None = None) -> Service:
    settings = settings or TrainingGradingSettings()
    # Its events are `training.*` and `grading.*`: a drill's confirmation is `grading.clock.set`.
    service = Service(NAME, settings, prefix="grading")
    store = TrainingGradingStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    service.include(subscriptions, TrainingGrading(store, settings.grading, settings.expiry_check_seconds,
                                                   settings.calendar.earliest))
    service.api = build_api(store, service.clock.today, target=settings.training_target_people,
                            streets=settings.district.streets, roles=settings.training_target_roles)
    return service


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
