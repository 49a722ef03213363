"""Training rules (培训): opening courses, enrolling people, recording attendance, issuing completions. Pure.

Each decision takes the typed intake (read by the kernel) and the state it needs, and returns (state to save |
None, events). A repeated attendance of a session changes nothing and announces nothing: the first one was
already announced.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, computed_field

from services.training_grading.projections import OrganizationView
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
    Person,
)
from shared.envelope import FieldError
from shared.outcome import Emit, rejected

# Fixed forever: course and enrolment ids derive from it, so the same course_ref always names the same course.
TRAINING_NAMESPACE = uuid.UUID("6f1d7c3e-52a4-5b8e-9c61-0a7e4d2b9f10")


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
    person_key: str
    person_name: str
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


def person_key(org_id: str, person: Person) -> str:
    """Who a person is: their organization's `person_ref` for them when given (a reference is the organization's
    own, as in registration, so two organizations may both have a "leader"), else (organization, name, role),
    spacing and case aside."""
    if person.person_ref is not None:
        return f"ref:{org_id}:{person.person_ref}"
    return "|".join(("person", org_id, _folded(person.name), _folded(person.role)))


def enrolment_id_for(course_id: uuid.UUID, key: str) -> uuid.UUID:
    return uuid.uuid5(TRAINING_NAMESPACE, f"enrolment:{course_id}:{key}")


def certificate_no(course_ref: str, seat_no: int) -> str:
    """`WH-TR-<course_ref>-<seat>`: a seat is never given twice on a course, so neither is the number."""
    return f"WH-TR-{course_ref}-{seat_no:04d}"


def open_course(offer: CourseOffered, *, existing: Course | None) -> tuple[Course | None, list[Emit]]:
    """Open the offered course, unless a course with its ref (`existing`) is already open."""
    if existing is not None:
        message = f"course {offer.course_ref} already exists (course_id {existing.course_id})"
        error = FieldError(field="course_ref", message=message)
        return None, [rejected(COURSE_REJECTED, [error], course_ref=offer.course_ref)]
    course = Course(course_id=course_id_for(offer.course_ref), **offer.model_dump())
    return course, [Emit(COURSE_OPENED, CourseOpened(**course.model_dump()).model_dump(mode="json"))]


def enrol(
    request: EnrolmentRequested,
    *,
    course: Course | None,
    organization: OrganizationView | None,
    existing: Enrolment | None,
) -> tuple[Enrolled | None, list[Emit]]:
    """Give the person a seat: the course and the organization must exist, it active, a seat free, no seat yet.

    `existing` is the enrolment with id `enrolment_id_for(request.course_id, person_key(...))`, if any.
    """
    errors = _enrolment_errors(request, course, organization, existing)
    if errors or course is None:
        ids = {"course_id": str(request.course_id), "org_id": request.org_id}
        return None, [rejected(ENROLMENT_REJECTED, errors, **ids)]
    key = person_key(request.org_id, request.person)
    enrolment = Enrolment(
        enrolment_id=enrolment_id_for(course.course_id, key),
        course_id=course.course_id,
        course_ref=course.course_ref,
        audience=course.audience,
        sessions=course.sessions,
        org_id=request.org_id,
        person_key=key,
        person_name=request.person.name,
        person_role=request.person.role,
        seat_no=course.seats_taken + 1,
    )
    course = course.model_copy(update={"seats_taken": course.seats_taken + 1})
    confirmed = EnrolmentConfirmed(**enrolment.model_dump(), seats_left=course.seats_left)
    return Enrolled(course, enrolment), [Emit(ENROLMENT_CONFIRMED, confirmed.model_dump(mode="json"))]


def record_attendance(
    attendance: AttendanceRecorded, *, enrolment: Enrolment | None, today: date
) -> tuple[Enrolment | None, list[Emit]]:
    """Mark the session attended; when it was the last one missing, the course is completed (`today`).

    A session already attended returns (None, []): nothing changes, nothing is announced again.
    """
    errors = _attendance_errors(attendance, enrolment)
    if errors or enrolment is None:
        return None, [rejected(ATTENDANCE_REJECTED, errors, enrolment_id=str(attendance.enrolment_id))]
    if attendance.session in enrolment.attended:
        return None, []
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
    existing: Enrolment | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if course is None:
        errors.append(FieldError(field="course_id", message=f"unknown course {request.course_id}"))
    elif course.seats_left <= 0:
        message = f"course {course.course_ref} is full: {course.seats_taken} of {course.capacity} seats taken"
        errors.append(FieldError(field="course_id", message=message))
    if organization is None:
        errors.append(FieldError(field="org_id", message=f"unknown organization {request.org_id}"))
    elif not organization.is_active:
        message = f"organization {request.org_id} is {organization.status}; only an active one may enrol"
        errors.append(FieldError(field="org_id", message=message))
    if existing is not None:
        # Events leave the service: name the enrolment, not the person.
        message = (f"this person ({request.person.role}) is already enrolled in course "
                   f"{existing.course_ref} (enrolment_id {existing.enrolment_id})")
        errors.append(FieldError(field="person", message=message))
    return errors


def _attendance_errors(attendance: AttendanceRecorded, enrolment: Enrolment | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if enrolment is None:
        errors.append(FieldError(field="enrolment_id", message=f"unknown enrolment {attendance.enrolment_id}"))
        if attendance.session < 1:
            errors.append(FieldError(field="session", message=f"must be 1 or more, got {attendance.session}"))
    elif not 1 <= attendance.session <= enrolment.sessions:
        message = (f"must be between 1 and {enrolment.sessions} (the sessions of course {enrolment.course_ref}), "
                   f"got {attendance.session}")
        errors.append(FieldError(field="session", message=message))
    return errors


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()
