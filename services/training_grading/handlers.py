"""Training and grading's subscribers and its one job: courses, enrolments, attendance and assessments from
outside, registration's organizations and people kept as this service's own copies, and the expiry of grades past
their validity.

Each handler reads its input (the kernel's `intake`/`reads`), loads what the decision needs, lets `domain` decide,
and keeps the outcome; the kernel runs it in one transaction with the inbox claim and the outbox events. The
expiry job changes each record in a transaction of its own, with the outbox and an event id derived from the
record's version, so running it twice (or on two replicas) announces each expiry once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from services.training_grading.domain.grading import (
    RULES_CONTEXT,
    Assessment,
    GradingRules,
    assess,
    assessment_id_for,
    expire,
    expiry_event_id,
)
from services.training_grading.domain.training import (
    Enrolled,
    course_id_for,
    enrol,
    enrolment_id_for,
    open_course,
    record_attendance,
)
from services.training_grading.projections import OrganizationView, PersonView, newer
from services.training_grading.store import TrainingGradingStore
from shared.calendar import DEFAULT_EARLIEST_DATE
from shared.contracts import grading, registration, training
from shared.documents import Collection
from shared.jobs import JobRun
from shared.subscriptions import LooksUp, Subscriptions, by_id
from shared.unit_of_work import Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingGrading:
    """What the handlers and the expiry job need: the store, the district's grading rules, the check's period, and
    the earliest date an assessment may name."""

    store: TrainingGradingStore
    rules: GradingRules
    expiry_check_seconds: float
    earliest: date = DEFAULT_EARLIEST_DATE


subscriptions = Subscriptions[TrainingGrading]()


# -- training ------------------------------------------------------------------------------------------------

def offered_course(data: Mapping[str, Any], deps: TrainingGrading) -> list[tuple[Collection, Any]]:
    """The course an offer would open (`course_id_for` its ref), looked up with the batch's by `_id`."""
    ref = data.get("course_ref")
    return [(deps.store.courses, str(course_id_for(ref.strip())))] if isinstance(ref, str) else []


@subscriptions.intake(training.COURSE_OFFERED, training.CourseOffered, rejects=training.COURSE_REJECTED,
                      echo=("course_ref",), looks_up=offered_course,
                      description="The district offers a course: opened, or rejected naming every bad field.")
async def course_offered(offer: training.CourseOffered, tx: Transaction, deps: TrainingGrading) -> None:
    course, outcomes = open_course(offer, existing=await deps.store.course_by_ref(offer.course_ref, tx))
    if course is not None:
        deps.store.insert_course(course, tx)
    tx.emit(*outcomes)


def _enrolment_reads(data: Mapping[str, Any], deps: TrainingGrading) -> list[tuple[Collection, Any]]:
    """What an enrolment reads: its course, organization and person, and the enrolment it would be."""
    course, person = uuid.UUID(str(data["course_id"])), uuid.UUID(str(data["person_id"]))
    store = deps.store
    return [(store.courses, str(course)), (store.organizations, data.get("org_id")), (store.people, str(person)),
            (store.enrolments, str(enrolment_id_for(course, person)))]


@subscriptions.intake(training.ENROLMENT_REQUESTED, training.EnrolmentRequested, rejects=training.ENROLMENT_REJECTED,
                      echo=("course_id", "org_id", "person_id"), personal=("person.name",), looks_up=_enrolment_reads,
                      description="A seat for one registered person (registration's person_id) of an active "
                                  "organization, in the role the course is for, once per course, while seats are "
                                  "left.")
async def enrolment_requested(request: training.EnrolmentRequested, tx: Transaction, deps: TrainingGrading) -> None:
    enrolled, outcomes = enrol(
        request,
        course=await deps.store.course(request.course_id, tx),
        organization=await deps.store.organization(request.org_id, tx),
        person=await deps.store.person(request.person_id, tx),
        existing=await deps.store.enrolment(enrolment_id_for(request.course_id, request.person_id), tx),
    )
    if isinstance(enrolled, Enrolled):
        deps.store.save_course(enrolled.course, tx)
        deps.store.insert_enrolment(enrolled.enrolment, tx)
    tx.emit(*outcomes)


@subscriptions.intake(training.ATTENDANCE_RECORDED, training.AttendanceRecorded, rejects=training.ATTENDANCE_REJECTED,
                      echo=("enrolment_id",), looks_up=by_id(lambda deps: deps.store.enrolments, "enrolment_id"),
                      description="One session attended; the last missing one completes the course, announced once. "
                                  "A session already recorded is answered saying so.")
async def attendance_recorded(attendance: training.AttendanceRecorded, tx: Transaction, deps: TrainingGrading) -> None:
    enrolment, outcomes = record_attendance(
        attendance, enrolment=await deps.store.enrolment(attendance.enrolment_id, tx), today=tx.today)
    if enrolment is not None:
        deps.store.save_enrolment(enrolment, tx)
    tx.emit(*outcomes)


# -- grading -------------------------------------------------------------------------------------------------

@subscriptions.intake(grading.ASSESSMENT_SUBMITTED, Assessment, rejects=grading.ASSESSMENT_REJECTED, echo=("org_id",),
                      context=lambda deps, tx: {RULES_CONTEXT: deps.rules}, document=grading.AssessmentSubmitted,
                      looks_up=lambda data, deps: [(deps.store.organizations, data.get("org_id")),
                                                   (deps.store.grades, data.get("org_id"))],
                      description="One round's indicator scores: a 1A-5A grade valid for five years, or a rejection.")
async def assessment_submitted(submission: Assessment, tx: Transaction, deps: TrainingGrading) -> None:
    record, outcomes = assess(
        submission,
        assessment_id=assessment_id_for(tx.event.event_id),
        today=tx.today,
        organization=await deps.store.organization(submission.org_id, tx),
        record=await deps.store.grading_record(submission.org_id, tx),
        rules=deps.rules,
        earliest=deps.earliest,
    )
    if record is not None:
        deps.store.save_grading_record(record, tx)
    tx.emit(*outcomes)


@subscriptions.job("grade-expiry", every=lambda deps: deps.expiry_check_seconds)
async def grade_expiry(run: JobRun, deps: TrainingGrading) -> None:
    """Mark each grade past its validity expired and announce `grading.grade.expired` once."""
    expired = await run.steps([partial(_expire_grade, org_id, deps)
                               for org_id in await deps.store.grades_past_validity(run.today)])
    if expired:
        log.info("%d grade(s) expired on %s", expired, run.today)


async def _expire_grade(org_id: str, deps: TrainingGrading, tx: Transaction) -> int:
    # Read again inside the transaction: another replica, or a new assessment, may have come first.
    record = await deps.store.grading_record(org_id, tx)
    due = expire(record, tx.today) if record is not None else None
    if due is None:
        return 0
    expired, event = due
    deps.store.save_grading_record(expired, tx)
    tx.emit(event, event_id=expiry_event_id(expired))
    return 1


# -- registration's organizations ----------------------------------------------------------------------------

ORGANIZATION_STATE = "Registration's organization state, kept at its newest version (stale ignored)."
ORGANIZATION: LooksUp[TrainingGrading] = by_id(lambda deps: deps.store.organizations, "org_id")


@subscriptions.reads(registration.ORGANIZATION_REGISTERED, OrganizationView, description=ORGANIZATION_STATE,
                     document=registration.OrganizationRegistered, looks_up=ORGANIZATION)
@subscriptions.reads(registration.ORGANIZATION_UPDATED, OrganizationView, description=ORGANIZATION_STATE,
                     document=registration.OrganizationUpdated, looks_up=ORGANIZATION)
@subscriptions.reads(registration.ORGANIZATION_SUSPENDED, OrganizationView, description=ORGANIZATION_STATE,
                     document=registration.OrganizationSuspended, looks_up=ORGANIZATION)
@subscriptions.reads(registration.ORGANIZATION_REINSTATED, OrganizationView, description=ORGANIZATION_STATE,
                     document=registration.OrganizationReinstated, looks_up=ORGANIZATION)
async def organization_changed(incoming: OrganizationView, tx: Transaction, deps: TrainingGrading) -> None:
    """Any `registration.organization.*` event: keep its state unless a newer version is already kept."""
    kept = newer(await deps.store.organization(incoming.org_id, tx), incoming)
    if kept is not None:
        deps.store.save_organization(kept, tx)


@subscriptions.reads(registration.PERSON_ADDED, PersonView, document=registration.PersonAdded,
                     looks_up=by_id(lambda deps: deps.store.people, "person_id"),
                     description="Registration's people: who each is (person_id), of which organization, in which "
                                 "role; no name, no ID number.")
async def person_added(incoming: PersonView, tx: Transaction, deps: TrainingGrading) -> None:
    """`registration.person.added`: keep the person unless a newer version is already kept."""
    kept = newer(await deps.store.person(incoming.person_id, tx), incoming)
    if kept is not None:
        deps.store.save_person(kept, tx)


subscriptions.publishes(training.COURSE_OPENED, training.CourseOpened, "A course is open for enrolment.")
subscriptions.publishes(training.COURSE_REJECTED, training.CourseRejected, "A course offer was refused.")
subscriptions.publishes(training.ENROLMENT_CONFIRMED, training.EnrolmentConfirmed, "A person has a seat on a course.")
subscriptions.publishes(training.ENROLMENT_REJECTED, training.EnrolmentRejected, "An enrolment was refused.")
subscriptions.publishes(training.ATTENDANCE_NOTED, training.AttendanceNoted, "A session's first attendance.")
subscriptions.publishes(training.ATTENDANCE_REJECTED, training.AttendanceRejected,
                        "An attendance was refused, or was already recorded.")
subscriptions.publishes(training.COURSE_COMPLETED, training.CourseCompleted,
                        "Every session attended: the person completed the course (once per enrolment).")
subscriptions.publishes(grading.GRADE_ASSIGNED, grading.GradeAssigned, "An organization's grade from now on.")
subscriptions.publishes(grading.GRADE_EXPIRED, grading.GradeExpired, "A grade's validity ended; it counts as none.")
subscriptions.publishes(grading.ASSESSMENT_REJECTED, grading.AssessmentRejected, "An assessment was refused.")
