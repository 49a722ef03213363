"""Training's event contract: what may be asked of it (courses, enrolments, attendance) and what it announces.

Intake models ignore fields they do not know (a sender may add fields, never rename them: CONTRACT.md); a field
they know is checked strictly, so `capacity: "30"` or `capacity: 30.5` is refused rather than guessed at.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from shared.envelope import FieldError
from shared.i18n import _

COURSE_OFFERED = "intake.course.offered"
ENROLMENT_REQUESTED = "intake.enrolment.requested"
ATTENDANCE_RECORDED = "intake.attendance.recorded"

COURSE_OPENED = "training.course.opened"
COURSE_REJECTED = "training.course.rejected"
ENROLMENT_CONFIRMED = "training.enrolment.confirmed"
ENROLMENT_REJECTED = "training.enrolment.rejected"
ATTENDANCE_NOTED = "training.attendance.noted"
ATTENDANCE_REJECTED = "training.attendance.rejected"
COURSE_COMPLETED = "training.course.completed"

Audience = Literal["leader", "finance", "social_worker"]
AUDIENCES: tuple[Audience, ...] = ("leader", "finance", "social_worker")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

_COURSE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def _course_ref(value: str) -> str:
    # The ref becomes part of a certificate number, so it is kept to characters that print anywhere.
    if not _COURSE_REF.fullmatch(value):
        raise ValueError(
            _("must be 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit, got {value!r}").format(
                value=value)
        )
    return value


CourseRef = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_course_ref)]
Capacity = Annotated[StrictInt, Field(ge=1, le=10_000)]
SessionCount = Annotated[StrictInt, Field(ge=1, le=100)]


class _Intake(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Outcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# --- intake ---------------------------------------------------------------------------------------------


class CourseOffered(_Intake):
    """`intake.course.offered`: a course the district buys for organization staff."""

    course_ref: CourseRef
    title: Text
    topic: Text
    audience: Audience
    capacity: Capacity
    sessions: SessionCount


class Person(_Intake):
    """The person as the sender writes them, for its own records: who the person is, is `person_id`; training
    keeps neither name nor role from here (registration's role decides the course's audience)."""

    name: Name
    role: Name


class EnrolmentRequested(_Intake):
    """`intake.enrolment.requested`: a seat on a course for one person of one organization, the person named by
    registration's `person_id` (from `registration.person.added`), the same in every context."""

    course_id: uuid.UUID
    org_id: Name
    person_id: uuid.UUID
    person: Person | None = None


class AttendanceRecorded(_Intake):
    """`intake.attendance.recorded`: an enrolled person attended one session (1-based) of their course."""

    enrolment_id: uuid.UUID
    session: StrictInt


# --- outcome --------------------------------------------------------------------------------------------


class CourseOpened(_Outcome):
    """`training.course.opened`."""

    course_id: uuid.UUID
    course_ref: str
    title: str
    topic: str
    audience: Audience
    capacity: int
    sessions: int
    version: int = 1


class EnrolmentConfirmed(_Outcome):
    """`training.enrolment.confirmed`; `seats_left` counts after this enrolment."""

    enrolment_id: uuid.UUID
    course_id: uuid.UUID
    course_ref: str
    org_id: str
    person_id: uuid.UUID
    audience: Audience
    seats_left: int


class AttendanceNoted(_Outcome):
    """`training.attendance.noted`: a first attendance of a session; a repeat of it announces nothing."""

    enrolment_id: uuid.UUID
    course_id: uuid.UUID
    org_id: str
    session: int
    attended: int
    sessions: int


class CourseCompleted(_Outcome):
    """`training.course.completed`: every session attended; announced once per enrolment."""

    enrolment_id: uuid.UUID
    course_id: uuid.UUID
    course_ref: str
    org_id: str
    person_id: uuid.UUID
    audience: Audience
    certificate_no: str
    completed_on: date


# --- rejections -----------------------------------------------------------------------------------------


class _Rejected(_Outcome):
    errors: list[FieldError]


class CourseRejected(_Rejected):
    """`training.course.rejected`: every reason, with the course_ref when the offer carried one."""

    course_ref: str | None = None


class EnrolmentRejected(_Rejected):
    """`training.enrolment.rejected`: every reason (the course is full, the organization suspended, ...)."""

    course_id: str | None = None
    org_id: str | None = None


class AttendanceRejected(_Rejected):
    """`training.attendance.rejected`: an unknown enrolment, a session the course does not have, or a session
    already recorded (nothing changed: the first was answered with `training.attendance.noted`)."""

    enrolment_id: str | None = None
