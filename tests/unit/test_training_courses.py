"""Opening courses and enrolling people: the rejections a sender sees and what a confirmation says."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from services.training_grading.domain.training import (
    Course,
    Enrolled,
    Enrolment,
    course_id_for,
    enrol,
    enrolment_id_for,
    open_course,
    person_key,
)
from services.training_grading.projections import OrganizationView
from shared.contracts.training import (
    COURSE_REJECTED,
    ENROLMENT_REJECTED,
    CourseOffered,
    EnrolmentRequested,
    Person,
)
from shared.intake import read_intake
from shared.outcome import Emit


def read_offer(data: dict[str, Any]) -> CourseOffered | Emit:
    """The offer read as the handler reads it."""
    return read_intake(CourseOffered, data, rejected=COURSE_REJECTED, echo=("course_ref",))


def read_enrolment_request(data: dict[str, Any]) -> EnrolmentRequested | Emit:
    return read_intake(EnrolmentRequested, data, rejected=ENROLMENT_REJECTED, echo=("course_id", "org_id"))


def offer_data(**changes: Any) -> dict[str, Any]:
    return {
        "course_ref": "TR-2015-01", "title": "财务管理基础", "topic": "非营利组织会计制度",
        "audience": "finance", "capacity": 30, "sessions": 4, **changes,
    }


def opened(**changes: Any) -> Course:
    offer = read_offer(offer_data(**changes))
    assert isinstance(offer, CourseOffered)
    course, _ = open_course(offer, existing=None)
    assert course is not None
    return course


def organization(status: str = "active") -> OrganizationView:
    return OrganizationView(
        org_id="org-1", street="玉林街道", status=status, registered_on=date(2012, 3, 1), version=1
    )


def request(course: Course, **person: Any) -> EnrolmentRequested:
    parsed = read_enrolment_request(
        {"course_id": str(course.course_id), "org_id": "org-1", "person": {"name": "王芳", "role": "会计", **person}}
    )
    assert isinstance(parsed, EnrolmentRequested)
    return parsed


def errors_of(event: Emit) -> dict[str, str]:
    return {e["field"]: e["message"] for e in event.data["errors"]}


def test_a_valid_offer_opens_the_course_under_an_id_derived_from_its_ref() -> None:
    offer = read_offer(offer_data())
    assert isinstance(offer, CourseOffered)
    course, events = open_course(offer, existing=None)
    assert course is not None
    assert events == [
        Emit("training.course.opened", {
            "course_id": str(course_id_for("TR-2015-01")), "course_ref": "TR-2015-01", "title": "财务管理基础",
            "topic": "非营利组织会计制度", "audience": "finance", "capacity": 30, "sessions": 4, "version": 1,
        })
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": "30"}, "capacity"),
        ({"capacity": 30.0}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"sessions": 0}, "sessions"),
        ({"audience": "volunteer"}, "audience"),
        ({"title": "   "}, "title"),
        ({"topic": ""}, "topic"),
        ({"course_ref": "TR 01/x"}, "course_ref"),
    ],
)
def test_a_bad_offer_is_rejected_naming_the_field(changes: dict[str, Any], field: str) -> None:
    outcome = read_offer(offer_data(**changes))
    assert isinstance(outcome, Emit)
    assert outcome.type == "training.course.rejected"
    assert list(errors_of(outcome)) == [field]


def test_an_offer_with_several_faults_names_each_of_them() -> None:
    outcome = read_offer({"course_ref": "TR-9", "capacity": -1, "audience": "leader"})
    assert isinstance(outcome, Emit)
    assert outcome.data["course_ref"] == "TR-9"
    assert set(errors_of(outcome)) == {"title", "topic", "capacity", "sessions"}


def test_a_second_offer_of_the_same_ref_is_rejected_naming_the_existing_course() -> None:
    existing = opened()
    offer = read_offer(offer_data(title="another title"))
    assert isinstance(offer, CourseOffered)
    course, events = open_course(offer, existing=existing)
    assert course is None
    assert events[0].type == "training.course.rejected"
    assert str(existing.course_id) in errors_of(events[0])["course_ref"]


def test_an_enrolment_takes_a_seat_and_says_how_many_are_left() -> None:
    course = opened(capacity=2)
    enrolled, events = enrol(request(course), course=course, organization=organization(), existing=None)
    assert isinstance(enrolled, Enrolled)
    assert enrolled.course.seats_taken == 1
    assert enrolled.enrolment.seat_no == 1
    assert events[0].type == "training.enrolment.confirmed"
    assert events[0].data == {
        "enrolment_id": str(enrolled.enrolment.enrolment_id), "course_id": str(course.course_id),
        "course_ref": "TR-2015-01", "org_id": "org-1", "audience": "finance", "seats_left": 1,
    }


def test_a_full_course_refuses_the_next_person_and_says_it_is_full() -> None:
    course = opened(capacity=30).model_copy(update={"seats_taken": 30})
    enrolled, events = enrol(request(course), course=course, organization=organization(), existing=None)
    assert enrolled is None
    assert errors_of(events[0]) == {"course_id": "course TR-2015-01 is full: 30 of 30 seats taken"}


def test_the_last_seat_can_still_be_taken() -> None:
    course = opened(capacity=30).model_copy(update={"seats_taken": 29})
    enrolled, events = enrol(request(course), course=course, organization=organization(), existing=None)
    assert enrolled is not None
    assert events[0].data["seats_left"] == 0


def test_an_unknown_course_and_an_unknown_organization_are_both_named() -> None:
    course = opened()
    enrolled, events = enrol(request(course), course=None, organization=None, existing=None)
    assert enrolled is None
    assert events[0].type == "training.enrolment.rejected"
    assert events[0].data["org_id"] == "org-1"
    errors = errors_of(events[0])
    assert errors["course_id"] == f"unknown course {course.course_id}"
    assert errors["org_id"] == "unknown organization org-1"


def test_a_suspended_organization_cannot_enrol_anyone() -> None:
    course = opened()
    enrolled, events = enrol(request(course), course=course, organization=organization("suspended"), existing=None)
    assert enrolled is None
    assert "suspended" in errors_of(events[0])["org_id"]


def _already(course: Course, parsed: EnrolmentRequested) -> Enrolment:
    enrolled, _ = enrol(parsed, course=course, organization=organization(), existing=None)
    assert enrolled is not None
    return enrolled.enrolment


def test_the_same_person_cannot_enrol_twice_in_one_course() -> None:
    course = opened()
    first = _already(course, request(course))
    again = request(course, name=" 王芳 ", role="会计")
    assert enrolment_id_for(course.course_id, person_key("org-1", again.person)) == first.enrolment_id
    enrolled, events = enrol(again, course=course, organization=organization(), existing=first)
    assert enrolled is None
    assert str(first.enrolment_id) in errors_of(events[0])["person"]


def test_a_person_ref_identifies_the_person_whatever_name_is_written() -> None:
    by_ref = Person(name="王芳", role="会计", person_ref="P-001")
    assert person_key("org-1", by_ref) == person_key("org-1", Person(name="Wang Fang", role="cfo", person_ref="P-001"))


def test_two_organizations_may_use_the_same_person_ref_for_different_people() -> None:
    leader = Person(name="王芳", role="leader", person_ref="leader")
    assert person_key("org-1", leader) != person_key("org-2", Person(name="李强", role="leader", person_ref="leader"))
    accountant, chair = Person(name="王芳", role="会计"), Person(name="王芳", role="理事长")
    assert person_key("org-1", accountant) != person_key("org-1", chair)


def test_an_enrolment_request_with_a_malformed_course_id_is_rejected_naming_it() -> None:
    outcome = read_enrolment_request({"course_id": "not-a-uuid", "org_id": "org-1", "person": {"name": "王芳"}})
    assert isinstance(outcome, Emit)
    assert outcome.type == "training.enrolment.rejected"
    assert set(errors_of(outcome)) == {"course_id", "person.role"}


def test_course_ids_are_stable_and_distinct_per_ref() -> None:
    assert course_id_for("TR-1") == course_id_for("TR-1")
    assert course_id_for("TR-1") != course_id_for("TR-2")
    assert isinstance(course_id_for("TR-1"), uuid.UUID)
