"""Training rules (培训): opening courses, enrolling people, recording attendance, issuing completions. Pure.

Each decision takes the typed intake (read by the kernel) and the state it needs, and returns (state to save |
None, events). A person is registration's `person_id`, the same person in every context: one seat per person on a
course, only for a person of the organization asking, in the role the course is for. A repeated attendance of a
session changes nothing and is answered saying it was already recorded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, computed_field

from services.training_grading.projections import OrganizationView, PersonView
from shared.contracts.training import (
    ATTENDANCE_NOTED,
    ATTENDANCE_REJECTED,
    COURSE_COMPLETED,
    COURSE_OPENED,
    COURSE_REJECTED,
    ENROLMENT_CONFIRMED,
    ENROLMENT_REJECTED,
    AttendanceNoted,
    AttendanceRecorded,
    Audience,
    CourseCompleted,
    CourseOffered,
    CourseOpened,
    EnrolmentConfirmed,
    EnrolmentRequested,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit, rejected

# Fixed forever: course and enrolment ids derive from it, so the same course_ref always names the same course.
TRAINING_NAMESPACE = uuid.UUID("6f1d7c3e-52a4-5b8e-9c61-0a7e4d2b9f10")
# The rules an enrolment or an attendance is refused under, as rejections name them.
PERSON_REGISTERED = "person_registered"
PERSON_OF_THE_ORGANIZATION = "person_of_the_organization"
AUDIENCE_MATCHES_ROLE = "audience_matches_role"
ONE_SEAT_PER_PERSON = "one_seat_per_person"
ONCE_PER_SESSION = "once_per_session"


class Course(BaseModel):
    """A course on offer and how many of its seats are taken."""

    model_config = ConfigDict(frozen=True)

    course_id: uuid.UUID
    course_ref: str
    title: str
    topic: str
    audience: Audience
    capacity: int
    sessions: int
    seats_taken: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken


class Enrolment(BaseModel):
    """One person's seat on one course: the sessions they attended and, once all are, their certificate."""

    model_config = ConfigDict(frozen=True)

    enrolment_id: uuid.UUID
    course_id: uuid.UUID
    course_ref: str
    audience: Audience
    sessions: int
    org_id: str
    person_id: uuid.UUID
    person_role: str
    seat_no: int
    attended: tuple[int, ...] = ()
    completed_on: date | None = None
    certificate_no: str | None = None


@dataclass(frozen=True)
class Enrolled:
    """What a confirmed enrolment changes: the course (one more seat taken) and the new enrolment."""

    course: Course
    enrolment: Enrolment


def course_id_for(course_ref: str) -> uuid.UUID:
    return uuid.uuid5(TRAINING_NAMESPACE, f"course:{course_ref}")


def enrolment_id_for(course_id: uuid.UUID, person_id: uuid.UUID) -> uuid.UUID:
    """One seat per person on a course: the enrolment's id is fixed by the course and the person."""
    return uuid.uuid5(TRAINING_NAMESPACE, f"enrolment:{course_id}:person:{person_id}")


def certificate_no(course_ref: str, seat_no: int) -> str:
    """`WH-TR-<course_ref>-<seat>`: a seat is never given twice on a course, so neither is the number."""
    return f"WH-TR-{course_ref}-{seat_no:04d}"


def open_course(offer: CourseOffered, *, existing: Course | None) -> tuple[Course | None, list[Emit]]:
    """Open the offered course, unless a course with its ref (`existing`) is already open."""
    if existing is not None:
        message = _("course {course_ref} already exists (course_id {course_id})").format(
            course_ref=offer.course_ref, course_id=existing.course_id)
        error = FieldError(field="course_ref", message=message)
        return None, [rejected(COURSE_REJECTED, [error], course_ref=offer.course_ref)]
    course = Course(course_id=course_id_for(offer.course_ref), **offer.model_dump())
    return course, [Emit(COURSE_OPENED, CourseOpened(**course.model_dump()).model_dump(mode="json"))]


def enrol(
    request: EnrolmentRequested,
    *,
    course: Course | None,
    organization: OrganizationView | None,
    person: PersonView | None,
    existing: Enrolment | None,
) -> tuple[Enrolled | None, list[Emit]]:
    """Give the person a seat: the course and the organization must exist, it active, a seat free; the person
    registered, of that organization, in the role the course is for, without a seat on it yet.

    `person` is registration's person under `request.person_id`, as this service has it; `existing` the enrolment
    with id `enrolment_id_for(request.course_id, request.person_id)`, if any.
    """
    errors = [*_enrolment_errors(request, course, organization), *_person_errors(request, course, person, existing)]
    if errors or course is None or person is None:
        ids = {"course_id": str(request.course_id), "org_id": request.org_id, "person_id": str(request.person_id)}
        return None, [rejected(ENROLMENT_REJECTED, errors, **ids)]
    enrolment = Enrolment(
        enrolment_id=enrolment_id_for(course.course_id, person.person_id),
        course_id=course.course_id,
        course_ref=course.course_ref,
        audience=course.audience,
        sessions=course.sessions,
        org_id=request.org_id,
        person_id=person.person_id,
        person_role=person.role,
        seat_no=course.seats_taken + 1,
    )
    course = course.model_copy(update={"seats_taken": course.seats_taken + 1})
    confirmed = EnrolmentConfirmed(**enrolment.model_dump(), seats_left=course.seats_left)
    return Enrolled(course, enrolment), [Emit(ENROLMENT_CONFIRMED, confirmed.model_dump(mode="json"))]


def record_attendance(
    attendance: AttendanceRecorded, *, enrolment: Enrolment | None, today: date
) -> tuple[Enrolment | None, list[Emit]]:
    """Mark the session attended; when it was the last one missing, the course is completed (`today`).

    A session already attended changes nothing and announces nothing again; the sender is answered that it was
    already recorded (so it can tell "recorded" from "lost").
    """
    errors = _attendance_errors(attendance, enrolment)
    if errors or enrolment is None:
        return None, [rejected(ATTENDANCE_REJECTED, errors, enrolment_id=str(attendance.enrolment_id))]
    if attendance.session in enrolment.attended:
        message = (_("session {session} of enrolment {enrolment_id} is already recorded ({count} of {sessions} "
                      "sessions attended); nothing changed (rule: {rule})").format(
                       session=attendance.session, enrolment_id=enrolment.enrolment_id, count=len(enrolment.attended),
                       sessions=enrolment.sessions, rule=ONCE_PER_SESSION))
        return None, [rejected(ATTENDANCE_REJECTED, [FieldError(field="session", message=message)],
                               enrolment_id=str(attendance.enrolment_id))]
    attended = tuple(sorted((*enrolment.attended, attendance.session)))
    enrolment = enrolment.model_copy(update={"attended": attended})
    noted = AttendanceNoted(
        enrolment_id=enrolment.enrolment_id, course_id=enrolment.course_id, org_id=enrolment.org_id,
        session=attendance.session, attended=len(attended), sessions=enrolment.sessions,
    )
    events = [Emit(ATTENDANCE_NOTED, noted.model_dump(mode="json"))]
    if len(attended) == enrolment.sessions:  # reached once: a repeated session returned above
        number = certificate_no(enrolment.course_ref, enrolment.seat_no)
        enrolment = enrolment.model_copy(update={"completed_on": today, "certificate_no": number})
        completed = CourseCompleted(**enrolment.model_dump())
        events.append(Emit(COURSE_COMPLETED, completed.model_dump(mode="json")))
    return enrolment, events


def _enrolment_errors(
    request: EnrolmentRequested,
    course: Course | None,
    organization: OrganizationView | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if course is None:
        errors.append(FieldError(field="course_id", message=_("unknown course {course_id}").format(
            course_id=request.course_id)))
    elif course.seats_left <= 0:
        message = _("course {course_ref} is full: {seats_taken} of {capacity} seats taken").format(
            course_ref=course.course_ref, seats_taken=course.seats_taken, capacity=course.capacity)
        errors.append(FieldError(field="course_id", message=message))
    if organization is None:
        errors.append(FieldError(field="org_id", message=_("unknown organization {org_id}").format(
            org_id=request.org_id)))
    elif not organization.is_active:
        message = _("organization {org_id} is {status}; only an active one may enrol").format(
            org_id=request.org_id, status=label(organization.status))
        errors.append(FieldError(field="org_id", message=message))
    return errors


def _person_errors(
    request: EnrolmentRequested, course: Course | None, person: PersonView | None, existing: Enrolment | None,
) -> list[FieldError]:
    """Whether the person may take a seat: events leave the service, so they name the person by id only."""
    who = _("person {person_id}").format(person_id=request.person_id)
    if person is None:
        return [FieldError(field="person_id", message=_("{who} is not registered: registration has announced no "
                                                         "such person (rule: {rule})").format(
                                                             who=who, rule=PERSON_REGISTERED))]
    errors: list[FieldError] = []
    if person.org_id != request.org_id:
        errors.append(FieldError(field="person_id", message=_(
            "{who} belongs to organization {org_id}, not {named} (rule: {rule})").format(
                who=who, org_id=person.org_id, named=request.org_id, rule=PERSON_OF_THE_ORGANIZATION)))
    if course is not None and person.role != course.audience:
        errors.append(FieldError(field="person_id", message=_(
            "{who} is registered as {role}; course {course_ref} is for {audience} (rule: {rule})").format(
                who=who, role=label(person.role), course_ref=course.course_ref, audience=label(course.audience),
                rule=AUDIENCE_MATCHES_ROLE)))
    if existing is not None:
        errors.append(FieldError(field="person_id", message=_(
            "{who} is already enrolled in course {course_ref} (enrolment_id {enrolment_id}) (rule: {rule})").format(
                who=who, course_ref=existing.course_ref, enrolment_id=existing.enrolment_id, rule=ONE_SEAT_PER_PERSON)))
    return errors


def _attendance_errors(attendance: AttendanceRecorded, enrolment: Enrolment | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if enrolment is None:
        errors.append(FieldError(field="enrolment_id", message=_("unknown enrolment {enrolment_id}").format(
            enrolment_id=attendance.enrolment_id)))
        if attendance.session < 1:
            errors.append(FieldError(field="session", message=_("must be 1 or more, got {session}").format(
                session=attendance.session)))
    elif not 1 <= attendance.session <= enrolment.sessions:
        message = (_("must be between 1 and {sessions} (the sessions of course {course_ref}), got {session}").format(
            sessions=enrolment.sessions, course_ref=enrolment.course_ref, session=attendance.session))
        errors.append(FieldError(field="session", message=message))
    return errors

