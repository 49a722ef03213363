"""The matching process: wires its store and handlers to the kernel's service; `python -m services.matching`
runs it. One queue per event type it consumes: the projections of other contexts, and the fair's intake."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from pydantic import BaseModel

from services.matching.fair_handlers import FairHandlers
from services.matching.projection_handlers import ProjectionHandlers
from services.matching.projections import (
    CourseCompletion,
    EvaluationResult,
    GradeExpiry,
    GradeView,
    OrganizationView,
    ProjectStatusChange,
    ProjectView,
)
from services.matching.settings import NAME, MatchingSettings
from services.matching.store import MatchingStore
from shared.contracts import matching as events
from shared.contracts import registration
from shared.service import Service


def build(settings: MatchingSettings | None = None) -> Service:
    settings = settings or MatchingSettings()
    service = Service(NAME, settings)
    store = MatchingStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    _consume_projections(service, ProjectionHandlers(store))
    _consume_fair_intake(service, FairHandlers(store, settings.rules, settings.tables))
    _publish(service)
    return service


def _consume_projections(service: Service, handlers: ProjectionHandlers) -> None:
    kept = "kept at its newest version; stale, repeated and out-of-order events change nothing"
    service.consume("project-published", "catalog.project.published", handlers.project_published,
                    document=ProjectView, description=f"A catalog project matching can offer at a fair, {kept}.")
    service.consume("project-status-changed", "catalog.project.status_changed", handlers.project_status_changed,
                    document=ProjectStatusChange, description=f"A project's status (only published ones are "
                                                              f"offered), {kept}.")
    organization_events: dict[str, type[BaseModel]] = {
        registration.ORGANIZATION_REGISTERED: OrganizationView, registration.ORGANIZATION_UPDATED: OrganizationView,
        registration.ORGANIZATION_SUSPENDED: OrganizationView, registration.ORGANIZATION_REINSTATED: OrganizationView,
    }
    for event_type, document in organization_events.items():
        service.consume(f"organization-{event_type.rsplit('.', 1)[-1]}", event_type, handlers.organization_changed,
                        document=document, description=f"An organization's full state (suspended: never "
                                                       f"eligible), {kept}.")
    service.consume("grade-assigned", "grading.grade.assigned", handlers.grade_assigned, document=GradeView,
                    description=f"An organization's grade, for the min_grade rule and the grade factor, {kept}.")
    service.consume("grade-expired", "grading.grade.expired", handlers.grade_expired, document=GradeExpiry,
                    description="A grade's validity ended: from now on it counts as none.")
    service.consume("course-completed", "training.course.completed", handlers.course_completed,
                    document=CourseCompletion,
                    description="A finance-staff completion counts toward the finance_trained factor, once each.")
    service.consume("contract-evaluated", "evaluation.contract.evaluated", handlers.contract_evaluated,
                    document=EvaluationResult,
                    description="A contract's evaluation: its score feeds past_evaluations, a fail bars for a "
                                "while (no_recent_fail), and it ends the contract's hold on capacity.")


def _consume_fair_intake(service: Service, handlers: FairHandlers) -> None:
    service.consume("fair-opened", events.FAIR_OPEN_REQUESTED, handlers.fair_open_requested,
                    document=events.FairOpenRequested,
                    description="Hold a fair for a batch: the eligible organizations invited, best fit first.")
    service.consume("interest-expressed", events.INTEREST_EXPRESSED, handlers.interest_expressed,
                    document=events.InterestExpressed,
                    description="An organization wants a project of the fair: recorded with its fit and "
                                "breakdown, or rejected naming every rule it breaks.")
    service.consume("schedule-requested", events.SCHEDULE_REQUESTED, handlers.schedule_requested,
                    document=events.ScheduleRequested,
                    description="Plan the fair's one-to-one talks (decided once; asked again, the same answer).")
    service.consume("awards-requested", events.AWARDS_REQUESTED, handlers.awards_requested,
                    document=events.AwardsRequested,
                    description="Award the fair's projects for the greatest total fit (decided once; asked "
                                "again, a rejection naming the contracts already awarded).")


def _publish(service: Service) -> None:
    service.publishes(events.FAIR_OPENED, events.FairOpened, "A fair is open: its invited organizations, best fit "
                                                             "first, and why each is invited.")
    service.publishes(events.FAIR_REJECTED, events.FairRejected,
                      "An open, schedule or awards request was refused, with every reason.")
    service.publishes(events.INTEREST_RECORDED, events.InterestRecorded,
                      "An interest is recorded, with the organization's fit and its breakdown per factor.")
    service.publishes(events.INTEREST_REJECTED, events.InterestRejected,
                      "An interest was refused, naming every rule it breaks.")
    service.publishes(events.FAIR_SCHEDULED, events.FairScheduled,
                      "The fair's one-to-one meetings by slot and table, and those that did not fit, with why.")
    service.publishes(events.CONTRACT_AWARDED, events.ContractAwarded,
                      "One project awarded to one organization (one event per contract, once).")
    service.publishes(events.PROJECT_UNAWARDED, events.ProjectUnawarded,
                      "A project of the fair's batch that no organization was awarded, and why.")


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
