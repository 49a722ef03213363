"""The evaluation process: wires its store, handlers and read queries to the kernel's service;
`python -m services.evaluation` runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.evaluation.api import build_api
from services.evaluation.handlers import Evaluation, subscriptions
from services.evaluation.settings import NAME, EvaluationSettings
from services.evaluation.store import ContractStore
from shared.service import Service


def build(settings: EvaluationSettings | None = None) -> Service:
    settings = settings or EvaluationSettings()
    service = Service(NAME, settings)
    store = ContractStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    service.include(subscriptions, Evaluation(store, settings.rules, settings.calendar.calendar,
                                              settings.deadline_check_seconds))
    service.api = build_api(store, service.clock.today)
    return service


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
