"""Attendance: each session counts once (a repeat is answered saying so), a course is completed exactly once, bad
sessions are refused."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from services.training_grading.domain.training import Enrolment, record_attendance
from shared.contracts.training import ATTENDANCE_REJECTED, AttendanceRecorded
from shared.intake import read_intake
from shared.outcome import Emit

TODAY = date(2015, 12, 10)
ENROLMENT_ID = uuid.UUID("00000000-0000-5000-8000-000000000001")
PERSON_ID = uuid.UUID("00000000-0000-5000-8000-0000000000a1")


def read_attendance(data: dict[str, Any]) -> AttendanceRecorded | Emit:
    """The attendance read as the handler reads it."""
    return read_intake(AttendanceRecorded, data, rejected=ATTENDANCE_REJECTED, echo=("enrolment_id",))


def enrolment(attended: tuple[int, ...] = (), sessions: int = 3) -> Enrolment:
    return Enrolment(
        enrolment_id=ENROLMENT_ID, course_id=uuid.UUID("00000000-0000-5000-8000-0000000000c1"),
        course_ref="TR-2015-01", audience="leader", sessions=sessions, org_id="org-1",
        person_id=PERSON_ID, person_role="leader", seat_no=7, attended=attended,
    )


def attend(session: int) -> AttendanceRecorded:
    parsed = read_attendance({"enrolment_id": str(ENROLMENT_ID), "session": session})
    assert isinstance(parsed, AttendanceRecorded)
    return parsed


def test_a_first_attendance_is_noted_with_the_count_so_far() -> None:
    updated, events = record_attendance(attend(2), enrolment=enrolment(), today=TODAY)
    assert updated is not None
    assert updated.attended == (2,)
    assert [e.type for e in events] == ["training.attendance.noted"]
    assert events[0].data["attended"] == 1
    assert events[0].data["sessions"] == 3


def test_a_repeated_attendance_changes_nothing_and_is_answered_that_it_was_already_recorded() -> None:
    # Issue 19, item 4: a repeat under a new event_id got no answer at all (this failed before the change).
    updated, events = record_attendance(attend(2), enrolment=enrolment(attended=(2,)), today=TODAY)
    assert updated is None
    [answer] = events
    assert answer.type == "training.attendance.rejected" and answer.data["enrolment_id"] == str(ENROLMENT_ID)
    assert answer.data["errors"] == [{"field": "session", "message": f"session 2 of enrolment {ENROLMENT_ID} is "
                                      "already recorded (1 of 3 sessions attended); nothing changed "
                                      "(rule: once_per_session)"}]


def test_the_last_missing_session_completes_the_course_with_a_certificate() -> None:
    updated, events = record_attendance(attend(1), enrolment=enrolment(attended=(2, 3)), today=TODAY)
    assert updated is not None
    assert updated.completed_on == TODAY
    assert [e.type for e in events] == ["training.attendance.noted", "training.course.completed"]
    assert events[1].data == {
        "enrolment_id": str(ENROLMENT_ID), "course_id": "00000000-0000-5000-8000-0000000000c1",
        "course_ref": "TR-2015-01", "org_id": "org-1", "person_id": str(PERSON_ID), "audience": "leader",
        "certificate_no": "WH-TR-TR-2015-01-0007", "completed_on": "2015-12-10",
    }


def test_a_completed_course_is_announced_once_however_often_attendance_repeats() -> None:
    state = enrolment()
    completions, answers = 0, 0
    for session in (1, 2, 3, 3, 1, 2, 3):
        updated, events = record_attendance(attend(session), enrolment=state, today=TODAY)
        state = updated or state
        completions += sum(e.type == "training.course.completed" for e in events)
        answers += bool(events)
    assert completions == 1 and answers == 7  # every attendance answered
    assert state.certificate_no == "WH-TR-TR-2015-01-0007"


@pytest.mark.parametrize("session", [0, 4, -1])
def test_a_session_outside_the_course_is_rejected_naming_the_session(session: int) -> None:
    updated, events = record_attendance(attend(session), enrolment=enrolment(), today=TODAY)
    assert updated is None
    assert events[0].type == "training.attendance.rejected"
    assert events[0].data["errors"] == [
        {"field": "session", "message": f"must be between 1 and 3 (the sessions of course TR-2015-01), got {session}"}
    ]


def test_attendance_for_an_unknown_enrolment_is_rejected() -> None:
    updated, events = record_attendance(attend(1), enrolment=None, today=TODAY)
    assert updated is None
    assert events == [
        Emit("training.attendance.rejected", {
            "enrolment_id": str(ENROLMENT_ID),
            "errors": [{"field": "enrolment_id", "message": f"unknown enrolment {ENROLMENT_ID}"}],
        })
    ]


def test_a_session_that_is_not_an_integer_is_rejected_at_reading() -> None:
    outcome = read_attendance({"enrolment_id": str(ENROLMENT_ID), "session": "2"})
    assert isinstance(outcome, Emit)
    assert outcome.type == "training.attendance.rejected"
    assert outcome.data["enrolment_id"] == str(ENROLMENT_ID)
    assert [e["field"] for e in outcome.data["errors"]] == ["session"]
