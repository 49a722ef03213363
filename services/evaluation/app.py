"""The evaluation process: wires its store and handlers to the kernel's service; `python -m services.evaluation`
runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.evaluation.domain import CONTRACT_EVALUATED, MONITORING_OPENED, REPORT_ACCEPTED, REPORT_REJECTED
from services.evaluation.handlers import EvaluationHandlers
from services.evaluation.settings import EvaluationSettings
from services.evaluation.store import ContractStore
from shared.contracts import evaluation as events
from shared.service import Service


def build(settings: EvaluationSettings | None = None) -> Service:
    settings = settings or EvaluationSettings()
    service = Service("evaluation", settings)
    store = ContractStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    handlers = EvaluationHandlers(store, settings)

    service.consume("contract-awarded", "matching.contract.awarded", handlers.contract_awarded,
                    document=events.ContractAwarded,
                    description="An award opens monitoring of its contract: milestones and a payment plan, once.")
    service.consume("report-submitted", "intake.report.submitted", handlers.report_submitted,
                    document=events.ReportSubmitted,
                    description="A milestone report: accepted with its OCDS status and late marking, or rejected "
                                "naming every bad field; the final report evaluates the contract.")

    service.publishes(MONITORING_OPENED, events.MonitoringOpened,
                      "A contract is under monitoring: its milestones, due dates and payment tranches.")
    service.publishes(REPORT_ACCEPTED, events.ReportAccepted, "A milestone report was accepted and judged.")
    service.publishes(REPORT_REJECTED, events.ReportRejected, "A milestone report was refused, with every reason.")
    service.publishes(CONTRACT_EVALUATED, events.ContractEvaluated,
                      "A contract's final report is in: its score, rating and payment recommendation.")
    return service


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
