"""Training and grading's handlers and its grade-expiry job against an in-memory store: what is loaded, kept and
announced for each event."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

import pytest

from services.training_grading.domain.grading import (
    GradingRecord,
    GradingRules,
    IndicatorMaxima,
    assessment_id_for,
    expiry_event_id,
)
from services.training_grading.domain.training import Course, Enrolment
from services.training_grading.handlers import TrainingGrading, grade_expiry, subscriptions
from services.training_grading.projections import OrganizationView, PersonView
from shared.consumer import Unprocessable
from shared.envelope import new_event
from shared.unit_of_work import Transaction
from tests.handlers.support import Emitted, deliver, run_job

SCORES_850 = {"basic_conditions": 90, "internal_governance": 300, "performance": 340, "social_evaluation": 120}


class InMemoryTrainingGrading:
    """Training and grading's store, in dicts."""

    def __init__(self) -> None:
        self.courses: dict[uuid.UUID, Course] = {}
        self.enrolments: dict[uuid.UUID, Enrolment] = {}
        self.organizations: dict[str, OrganizationView] = {}
        self.people: dict[uuid.UUID, PersonView] = {}
        self.grades: dict[str, GradingRecord] = {}

    async def course(self, course_id: uuid.UUID, reader: Any = None) -> Course | None:
        return self.courses.get(course_id)

    async def course_by_ref(self, course_ref: str, reader: Any = None) -> Course | None:
        return next((c for c in self.courses.values() if c.course_ref == course_ref), None)

    def insert_course(self, course: Course, tx: Transaction) -> None:
        assert course.course_id not in self.courses
        self.courses[course.course_id] = course

    def save_course(self, course: Course, tx: Transaction) -> None:
        self.courses[course.course_id] = course

    async def enrolment(self, enrolment_id: uuid.UUID, reader: Any = None) -> Enrolment | None:
        return self.enrolments.get(enrolment_id)

    def insert_enrolment(self, enrolment: Enrolment, tx: Transaction) -> None:
        assert enrolment.enrolment_id not in self.enrolments
        self.enrolments[enrolment.enrolment_id] = enrolment

    def save_enrolment(self, enrolment: Enrolment, tx: Transaction) -> None:
        self.enrolments[enrolment.enrolment_id] = enrolment

    async def organization(self, org_id: str, reader: Any = None) -> OrganizationView | None:
        return self.organizations.get(org_id)

    def save_organization(self, organization: OrganizationView, tx: Transaction) -> None:
        self.organizations[organization.org_id] = organization

    async def person(self, person_id: uuid.UUID, reader: Any = None) -> PersonView | None:
        return self.people.get(person_id)

    def save_person(self, person: PersonView, tx: Transaction) -> None:
        self.people[person.person_id] = person

    async def grading_record(self, org_id: str, reader: Any = None) -> GradingRecord | None:
        return self.grades.get(org_id)

    def save_grading_record(self, record: GradingRecord, tx: Transaction) -> None:
        self.grades[record.org_id] = record

    async def grades_past_validity(self, today: date, limit: int = 500) -> list[str]:
        # Every graded record: the job's domain decision, not this query, says which expire.
        return sorted(org_id for org_id, r in self.grades.items() if r.current and r.current.grade)


@pytest.fixture
def deps() -> TrainingGrading:
    return TrainingGrading(InMemoryTrainingGrading(), GradingRules(), expiry_check_seconds=60)  # type: ignore[arg-type]


def store(deps: TrainingGrading) -> InMemoryTrainingGrading:
    return cast(InMemoryTrainingGrading, deps.store)


def organization(org_id: str = "org-1", version: int = 1, status: str = "active") -> dict[str, Any]:
    return {"org_id": org_id, "uscc": "51510107MJ0000000X", "name": "玉林社工服务中心",
            "legal_form": "social_service_institution", "street": "玉林街道", "community": "玉林北路社区",
            "domains": ["助老"], "full_time_staff": 6, "founded_on": "2009-05-04", "registered_on": "2010-03-01",
            "status": status, "version": version}


def offer(**changes: Any) -> dict[str, Any]:
    return {"course_ref": "TR-2015-01", "title": "社会组织财务管理实务", "topic": "财务制度", "audience": "finance",
            "capacity": 2, "sessions": 2} | changes


def person_id(name: str, org_id: str = "org-1") -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{org_id}:{name}")


def person(name: str, org_id: str = "org-1", role: str = "finance", version: int = 1) -> dict[str, Any]:
    """`registration.person.added` as registration publishes it."""
    return {"person_id": str(person_id(name, org_id)), "org_id": org_id, "person_ref": name, "role": role,
            "name_masked": name[:1] + "*", "added_on": "2015-01-05", "version": version}


async def registered(deps: TrainingGrading, **changes: Any) -> None:
    assert await deliver(subscriptions, deps, "registration.organization.registered",
                         organization(**changes)) == []
    for name in ("王芳", "李强"):
        await added(deps, name, org_id=changes.get("org_id", "org-1"))


async def added(deps: TrainingGrading, name: str, **changes: Any) -> None:
    assert await deliver(subscriptions, deps, "registration.person.added", person(name, **changes)) == []


async def opened(deps: TrainingGrading, **changes: Any) -> str:
    emitted = await deliver(subscriptions, deps, "intake.course.offered", offer(**changes))
    return str(emitted.one("training.course.opened")["course_id"])


async def enrol(deps: TrainingGrading, course_id: str, name: str = "王芳", org_id: str = "org-1") -> Emitted:
    return await deliver(subscriptions, deps, "intake.enrolment.requested",
                         {"course_id": course_id, "org_id": org_id, "person_id": str(person_id(name, "org-1")),
                          "person": {"name": name, "role": "会计"}})


async def assessed(deps: TrainingGrading, assessed_on: str = "2015-05-01", **changes: Any) -> Emitted:
    return await deliver(subscriptions, deps, "intake.assessment.submitted",
                         {"org_id": "org-1", "round": "2015", "assessed_on": assessed_on, "scores": SCORES_850}
                         | changes, today=date(2015, 6, 1))


async def test_an_offer_is_kept_and_a_second_one_of_its_ref_is_refused_naming_the_course(
    deps: TrainingGrading,
) -> None:
    course_id = await opened(deps)
    emitted = await deliver(subscriptions, deps, "intake.course.offered", offer(title="另一门课"))
    assert course_id in emitted.errors()["course_ref"]
    [kept] = store(deps).courses.values()
    assert (str(kept.course_id), kept.title) == (course_id, "社会组织财务管理实务")


async def test_an_invalid_offer_keeps_nothing_and_echoes_its_ref(deps: TrainingGrading) -> None:
    emitted = await deliver(subscriptions, deps, "intake.course.offered", offer(capacity=0))
    assert list(emitted.errors()) == ["capacity"]
    assert emitted.one("training.course.rejected")["course_ref"] == "TR-2015-01"
    assert store(deps).courses == {}


async def test_an_enrolment_takes_a_seat_and_the_same_person_again_is_refused(deps: TrainingGrading) -> None:
    await registered(deps)
    course_id = await opened(deps)
    confirmed = (await enrol(deps, course_id)).one("training.enrolment.confirmed")
    assert confirmed["seats_left"] == 1
    again = await enrol(deps, course_id)
    assert confirmed["enrolment_id"] in again.errors()["person_id"]
    assert store(deps).courses[uuid.UUID(course_id)].seats_taken == 1
    assert store(deps).enrolments[uuid.UUID(confirmed["enrolment_id"])].person_id == person_id("王芳")


async def test_people_are_kept_from_registrations_events_without_names_newest_version_first(
    deps: TrainingGrading,
) -> None:
    await added(deps, "王芳", role="finance", version=2)
    await added(deps, "王芳", role="leader", version=1)  # late and stale
    kept = store(deps).people[person_id("王芳")]
    assert (kept.role, kept.version, kept.org_id) == ("finance", 2, "org-1")
    assert "王" not in kept.model_dump_json()


async def test_a_person_training_never_heard_of_or_of_the_wrong_role_is_refused_keeping_nothing(
    deps: TrainingGrading,
) -> None:
    await registered(deps)
    await added(deps, "张敏", role="social_worker")
    course_id = await opened(deps)
    unknown = await enrol(deps, course_id, "赵六")
    assert "(rule: person_registered)" in unknown.errors()["person_id"]
    social_worker = await enrol(deps, course_id, "张敏")
    assert "(rule: audience_matches_role)" in social_worker.errors()["person_id"]
    assert store(deps).enrolments == {} and store(deps).courses[uuid.UUID(course_id)].seats_taken == 0


async def test_a_full_course_and_an_unknown_organization_are_refused_keeping_nothing(deps: TrainingGrading) -> None:
    await registered(deps)
    course_id = await opened(deps, capacity=1)
    await enrol(deps, course_id, "王芳")
    refused = await enrol(deps, course_id, "李强", org_id="org-unknown")
    assert set(refused.errors()) == {"course_id", "org_id", "person_id"}  # 李强 is of org-1
    assert "is full" in refused.errors()["course_id"]
    assert len(store(deps).enrolments) == 1


async def test_a_stale_organization_event_does_not_revive_a_suspended_organization(deps: TrainingGrading) -> None:
    course_id = await opened(deps)
    await registered(deps)
    await deliver(subscriptions, deps, "registration.organization.suspended",
                  organization(version=2, status="suspended") | {"reason": "年检不合格"})
    await registered(deps)  # version 1 again, late
    assert store(deps).organizations["org-1"].version == 2
    assert "suspended" in (await enrol(deps, course_id)).errors()["org_id"]


async def test_an_organization_event_that_breaks_the_contract_is_unprocessable(deps: TrainingGrading) -> None:
    with pytest.raises(Unprocessable, match="street"):
        await deliver(subscriptions, deps, "registration.organization.updated", {"org_id": "org-1", "version": 2})
    assert store(deps).organizations == {}


async def test_the_last_missing_session_completes_the_course_once(deps: TrainingGrading) -> None:
    await registered(deps)
    course_id = await opened(deps)
    enrolment_id = (await enrol(deps, course_id)).one("training.enrolment.confirmed")["enrolment_id"]

    async def attend(session: int) -> Emitted:
        return await deliver(subscriptions, deps, "intake.attendance.recorded",
                             {"enrolment_id": enrolment_id, "session": session}, today=date(2015, 12, 10))

    assert (await attend(1)).types() == ["training.attendance.noted"]
    completed = (await attend(2)).one("training.course.completed")
    assert (completed["completed_on"], completed["certificate_no"]) == ("2015-12-10", "WH-TR-TR-2015-01-0001")
    repeated = await attend(2)
    assert "already recorded" in repeated.errors()["session"]  # answered, nothing announced again
    assert store(deps).enrolments[uuid.UUID(enrolment_id)].completed_on == date(2015, 12, 10)


async def test_an_assessment_is_kept_with_an_id_derived_from_the_event_that_submitted_it(
    deps: TrainingGrading,
) -> None:
    await registered(deps)
    event = new_event("intake.assessment.submitted", {"org_id": "org-1", "round": "2015",
                                                      "assessed_on": "2015-05-01", "scores": SCORES_850},
                      source="handler-test")
    assigned = (await deliver(subscriptions, deps, event.type, event.data, event=event,
                              today=date(2015, 6, 1))).one("grading.grade.assigned")
    assert assigned["assessment_id"] == str(assessment_id_for(event.event_id))
    kept = store(deps).grades["org-1"]
    assert kept.current is not None and (kept.current.grade, kept.version) == ("4A", 1)


async def test_scores_are_checked_against_the_configured_maxima(deps: TrainingGrading) -> None:
    await registered(deps)
    rules = GradingRules(maxima=IndicatorMaxima(basic_conditions=50, internal_governance=350, performance=450))
    configured = TrainingGrading(deps.store, rules, expiry_check_seconds=60)
    emitted = await assessed(configured)
    assert emitted.errors() == {"scores.basic_conditions": "must be between 0 and 50, got 90"}
    assert emitted.one("grading.assessment.rejected")["org_id"] == "org-1"
    assert store(deps).grades == {}


async def test_a_second_assessment_of_the_same_round_is_refused_and_the_grade_is_kept(deps: TrainingGrading) -> None:
    await registered(deps)
    await assessed(deps)
    again = await assessed(deps, scores=SCORES_850 | {"performance": 400})
    assert "already assessed" in again.errors()["round"]
    assert store(deps).grades["org-1"].version == 1


async def run_expiry(deps: TrainingGrading, today: date) -> Emitted:
    return await run_job(grade_expiry, deps, today)


async def test_the_expiry_job_expires_a_grade_the_day_after_its_validity_once_with_a_stable_id(
    deps: TrainingGrading,
) -> None:
    await registered(deps)
    await assessed(deps)  # valid until 2020-05-01
    assert await run_expiry(deps, date(2020, 5, 1)) == []

    [expired] = await run_expiry(deps, date(2020, 5, 2))
    kept = store(deps).grades["org-1"]
    assert (expired.type, expired.data["version"], expired.correlation_id) == ("grading.grade.expired", 2, None)
    assert expired.event_id == expiry_event_id(kept)
    assert kept.current is not None and kept.current.expired
    assert await run_expiry(deps, date(2020, 5, 3)) == []
