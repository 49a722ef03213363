"""Opening courses and enrolling people, each by registration's person_id: the rejections a sender sees (each
naming its rule) and what a confirmation says."""

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
)
from services.training_grading.projections import OrganizationView, PersonView
from shared.contracts.training import (
    COURSE_REJECTED,
    ENROLMENT_REJECTED,
    CourseOffered,
    EnrolmentRequested,
)
from shared.intake import read_intake
from shared.outcome import Emit


def read_offer(data: dict[str, Any]) -> CourseOffered | Emit:
    """The offer read as the handler reads it."""
    return read_intake(CourseOffered, data, rejected=COURSE_REJECTED, echo=("course_ref",))


PERSON_ID = uuid.UUID("0c5e2f7a-3b1d-5a9e-8f42-6d7c1b0e9a33")


def read_enrolment_request(data: dict[str, Any]) -> EnrolmentRequested | Emit:
    return read_intake(EnrolmentRequested, data, rejected=ENROLMENT_REJECTED, echo=("course_id", "org_id",
                                                                                    "person_id"))


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


def active(status: str = "active") -> OrganizationView:
    return OrganizationView(
        org_id="org-1", street="玉林街道", status=status, registered_on=date(2012, 3, 1), version=1
    )


def person(role: str = "finance", org_id: str = "org-1", person_id: uuid.UUID = PERSON_ID) -> PersonView:
    """Registration's person, as training keeps it from `registration.person.added`."""
    return PersonView(person_id=person_id, org_id=org_id, role=role, version=1)


def request(course: Course, person_id: uuid.UUID = PERSON_ID, **changes: Any) -> EnrolmentRequested:
    parsed = read_enrolment_request({"course_id": str(course.course_id), "org_id": "org-1", "person_id": str(person_id),
                                     "person": {"name": "王芳", "role": "会计"}, **changes})
    assert isinstance(parsed, EnrolmentRequested)
    return parsed


def enrolled_as(parsed: EnrolmentRequested, course: Course | None, *, organization: OrganizationView | None = None,
                who: PersonView | None = None, existing: Enrolment | None = None) -> tuple[Enrolled | None, list[Emit]]:
    return enrol(parsed, course=course, organization=organization or active(), person=who or person(),
                 existing=existing)


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
    enrolled, events = enrolled_as(request(course), course)
    assert isinstance(enrolled, Enrolled)
    assert enrolled.course.seats_taken == 1
    assert (enrolled.enrolment.seat_no, enrolled.enrolment.person_id) == (1, PERSON_ID)
    assert events[0].type == "training.enrolment.confirmed"
    assert events[0].data == {
        "enrolment_id": str(enrolled.enrolment.enrolment_id), "course_id": str(course.course_id),
        "course_ref": "TR-2015-01", "org_id": "org-1", "person_id": str(PERSON_ID), "audience": "finance",
        "seats_left": 1,
    }


def test_a_full_course_refuses_the_next_person_and_says_it_is_full() -> None:
    course = opened(capacity=30).model_copy(update={"seats_taken": 30})
    enrolled, events = enrolled_as(request(course), course)
    assert enrolled is None
    assert errors_of(events[0]) == {"course_id": "course TR-2015-01 is full: 30 of 30 seats taken"}


def test_the_last_seat_can_still_be_taken() -> None:
    course = opened(capacity=30).model_copy(update={"seats_taken": 29})
    enrolled, events = enrolled_as(request(course), course)
    assert enrolled is not None
    assert events[0].data["seats_left"] == 0


def test_an_unknown_course_and_an_unknown_organization_are_both_named() -> None:
    course = opened()
    enrolled, events = enrol(request(course), course=None, organization=None, person=person(), existing=None)
    assert enrolled is None
    assert events[0].type == "training.enrolment.rejected"
    assert (events[0].data["org_id"], events[0].data["person_id"]) == ("org-1", str(PERSON_ID))
    errors = errors_of(events[0])
    assert errors["course_id"] == f"unknown course {course.course_id}"
    assert errors["org_id"] == "unknown organization org-1"


def test_a_suspended_organization_cannot_enrol_anyone() -> None:
    course = opened()
    enrolled, events = enrolled_as(request(course), course, organization=active("suspended"))
    assert enrolled is None
    assert "suspended" in errors_of(events[0])["org_id"]


def test_a_person_registration_never_announced_is_refused_naming_the_rule() -> None:
    course = opened()
    enrolled, events = enrol(request(course), course=course, organization=active(), person=None, existing=None)
    assert enrolled is None
    assert errors_of(events[0]) == {"person_id": f"person {PERSON_ID} is not registered: registration has "
                                                 "announced no such person (rule: person_registered)"}


def test_a_person_of_another_organization_is_refused_naming_the_rule() -> None:
    course = opened()
    enrolled, events = enrolled_as(request(course), course, who=person(org_id="org-2"))
    assert enrolled is None
    assert errors_of(events[0]) == {"person_id": f"person {PERSON_ID} belongs to organization org-2, not org-1 "
                                                 "(rule: person_of_the_organization)"}


@pytest.mark.parametrize("role", ["social_worker", "leader"])
def test_a_person_whose_role_is_not_the_courses_audience_is_refused_naming_the_rule(role: str) -> None:
    course = opened(audience="finance")
    enrolled, events = enrolled_as(request(course), course, who=person(role=role))
    assert enrolled is None
    assert errors_of(events[0]) == {"person_id": f"person {PERSON_ID} is registered as {role}; course TR-2015-01 "
                                                 "is for finance (rule: audience_matches_role)"}


def test_the_role_registration_gave_decides_whatever_role_the_sender_writes() -> None:
    # Issue 13: one finance officer written as finance, as 会计 and by reference took three seats.
    course = opened()
    first = _already(course, request(course, person={"name": "王芳", "role": "finance"}))
    for written in ({"name": "王 芳", "role": "会计"}, {"name": "Wang Fang", "role": "cfo"}):
        again = request(course, person=written)
        assert enrolment_id_for(course.course_id, again.person_id) == first.enrolment_id
        enrolled, events = enrolled_as(again, course, existing=first)
        assert enrolled is None
        assert errors_of(events[0]) == {"person_id": f"person {PERSON_ID} is already enrolled in course TR-2015-01 "
                                                     f"(enrolment_id {first.enrolment_id}) "
                                                     "(rule: one_seat_per_person)"}


def _already(course: Course, parsed: EnrolmentRequested) -> Enrolment:
    enrolled, _ = enrolled_as(parsed, course)
    assert enrolled is not None
    return enrolled.enrolment


def test_the_same_person_may_take_a_seat_on_another_course() -> None:
    first, second = opened(course_ref="TR-2015-01"), opened(course_ref="TR-2015-02")
    assert _already(first, request(first)).enrolment_id != _already(second, request(second)).enrolment_id


def test_every_person_rule_broken_at_once_is_named_once_each() -> None:
    course = opened(audience="leader")
    first, _ = enrolled_as(request(course), course, who=person(role="leader"))
    assert first is not None
    enrolled, events = enrolled_as(request(course), course, who=person(org_id="org-2"), existing=first.enrolment)
    assert enrolled is None
    [rejection] = events
    rules = [e["message"].rsplit("(rule: ", 1)[1] for e in rejection.data["errors"]]
    assert rules == ["person_of_the_organization)", "audience_matches_role)", "one_seat_per_person)"]


def test_an_enrolment_request_without_a_person_id_is_rejected_naming_it() -> None:
    outcome = read_enrolment_request({"course_id": "not-a-uuid", "org_id": "org-1", "person": {"name": "王芳"}})
    assert isinstance(outcome, Emit)
    assert outcome.type == "training.enrolment.rejected"
    assert set(errors_of(outcome)) == {"course_id", "person_id", "person.role"}


def test_an_id_number_sent_as_the_persons_name_is_refused_and_not_repeated() -> None:
    outcome = read_enrolment_request({"course_id": str(uuid.uuid4()), "org_id": "org-1", "person_id": str(PERSON_ID),
                                      "person": {"name": "王芳 510107198005170017", "role": "会计"}})
    assert isinstance(outcome, Emit)
    assert list(errors_of(outcome)) == ["person.name"] and "510107" not in str(outcome.data)


def test_course_ids_are_stable_and_distinct_per_ref() -> None:
    assert course_id_for("TR-1") == course_id_for("TR-1")
    assert course_id_for("TR-1") != course_id_for("TR-2")
    assert isinstance(course_id_for("TR-1"), uuid.UUID)
