"""The training-and-grading process: wires its store, handlers and the grade-expiry check to the kernel's
service; `python -m services.training_grading` runs it."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from pydantic import BaseModel

from services.training_grading.grade_expiry import GradeExpiry
from services.training_grading.handlers import TrainingGradingHandlers
from services.training_grading.settings import NAME, TrainingGradingSettings
from services.training_grading.store import TrainingGradingStore
from shared.contracts import grading, registration, training
from shared.service import Service


def build(settings: TrainingGradingSettings | None = None) -> Service:
    settings = settings or TrainingGradingSettings()
    service = Service(NAME, settings)
    store = TrainingGradingStore(service.db)
    service.on_startup.append(store.ensure_indexes)
    handlers = TrainingGradingHandlers(store, settings.grading)
    _consume_training(service, handlers)
    _consume_grading(service, handlers)
    _consume_organizations(service, handlers)
    expiry = GradeExpiry(service.client, store, service.outbox, source=NAME, clock=service.clock.now,
                         day_of=service.clock.day_of)
    service.every(settings.expiry_check_seconds, expiry.check)
    _publish(service)
    return service


def _consume_training(service: Service, handlers: TrainingGradingHandlers) -> None:
    service.consume("course-offered", training.COURSE_OFFERED, handlers.course_offered,
                    document=training.CourseOffered,
                    description="The district offers a course: opened, or rejected naming every bad field.")
    service.consume("enrolment-requested", training.ENROLMENT_REQUESTED, handlers.enrolment_requested,
                    document=training.EnrolmentRequested,
                    description="A seat for one person of an active organization, while seats are left.")
    service.consume("attendance-recorded", training.ATTENDANCE_RECORDED, handlers.attendance_recorded,
                    document=training.AttendanceRecorded,
                    description="One session attended; the last missing one completes the course, announced once.")


def _consume_grading(service: Service, handlers: TrainingGradingHandlers) -> None:
    service.consume("assessment-submitted", grading.ASSESSMENT_SUBMITTED, handlers.assessment_submitted,
                    document=grading.AssessmentSubmitted,
                    description="One round's indicator scores: a 1A-5A grade valid for five years, or a rejection.")


def _consume_organizations(service: Service, handlers: TrainingGradingHandlers) -> None:
    documents: dict[str, type[BaseModel]] = {
        registration.ORGANIZATION_REGISTERED: registration.OrganizationRegistered,
        registration.ORGANIZATION_UPDATED: registration.OrganizationUpdated,
        registration.ORGANIZATION_SUSPENDED: registration.OrganizationSuspended,
        registration.ORGANIZATION_REINSTATED: registration.OrganizationReinstated,
    }
    for event_type, document in documents.items():
        service.consume(f"organization-{event_type.rsplit('.', 1)[-1]}", event_type, handlers.organization_changed,
                        document=document,
                        description="Registration's organization state, kept at its newest version (stale ignored).")


def _publish(service: Service) -> None:
    service.publishes(training.COURSE_OPENED, training.CourseOpened, "A course is open for enrolment.")
    service.publishes(training.COURSE_REJECTED, training.CourseRejected, "A course offer was refused.")
    service.publishes(training.ENROLMENT_CONFIRMED, training.EnrolmentConfirmed, "A person has a seat on a course.")
    service.publishes(training.ENROLMENT_REJECTED, training.EnrolmentRejected, "An enrolment was refused.")
    service.publishes(training.ATTENDANCE_NOTED, training.AttendanceNoted, "A session's first attendance.")
    service.publishes(training.ATTENDANCE_REJECTED, training.AttendanceRejected, "An attendance was refused.")
    service.publishes(training.COURSE_COMPLETED, training.CourseCompleted,
                      "Every session attended: the person completed the course (once per enrolment).")
    service.publishes(grading.GRADE_ASSIGNED, grading.GradeAssigned, "An organization's grade from now on.")
    service.publishes(grading.GRADE_EXPIRED, grading.GradeExpired, "A grade's validity ended; it counts as none.")
    service.publishes(grading.ASSESSMENT_REJECTED, grading.AssessmentRejected, "An assessment was refused.")


def create_app() -> AsgiFastStream:
    return build().app()


app = create_app()
