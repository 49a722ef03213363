"""Training and grading as its own process, driven only through `district.events` (and read through its HTTP
metrics, its read API and the progress report), against the real broker and the embedded database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from services.registration.domain.uscc import WUHOU_REGION_CODE, make_uscc
from tests.support.bus import BusProbe, Event, envelope
from tests.support.metrics import deliveries
from tests.support.processes import ROOT, ServiceProcess

pytestmark = pytest.mark.e2e

SERVICE = "training_grading"
DISTRICT = timezone(timedelta(hours=8))
FAST_EXPIRY = {"GRADE_EXPIRY_CHECK_SECONDS": "1"}
SCORES_850 = {"basic_conditions": 90, "internal_governance": 300, "performance": 340, "social_evaluation": 120}


def organization(org_id: str, version: int = 1, status: str = "active", registered_on: str = "2010-03-01",
                 **extra: Any) -> dict[str, Any]:
    """The full organization state registration publishes with every organization event."""
    return {
        "org_id": org_id, "uscc": "51510107MJ0000000X", "name": "玉林社工服务中心",
        "legal_form": "social_service_institution", "street": "玉林街道", "community": "玉林北路社区",
        "domains": ["助老"], "full_time_staff": 6, "founded_on": "2009-05-04", "registered_on": registered_on,
        "status": status, "version": version, **extra,
    }


def offer(capacity: int = 30, sessions: int = 3, **changes: Any) -> dict[str, Any]:
    return {"course_ref": f"TR-{uuid.uuid4().hex[:8]}", "title": "社会组织财务管理实务", "topic": "财务制度",
            "audience": "finance", "capacity": capacity, "sessions": sessions, **changes}


def person_id(org_id: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"{org_id}:{name}"))


def person(org_id: str, name: str, role: str = "finance", version: int = 1) -> dict[str, Any]:
    """`registration.person.added` as registration publishes it (masked: no ID number, no name in clear)."""
    return {"person_id": person_id(org_id, name), "org_id": org_id, "person_ref": name, "role": role,
            "name_masked": name[:1] + "*" * (len(name) - 1), "added_on": "2015-01-05", "version": version}


def handled(process: ServiceProcess, purpose: str) -> int:
    """How many deliveries the service's `<purpose>` consumer has handled, from its /metrics."""
    return deliveries(process.url, {"handled"})[f"training-grading.{purpose}"]


async def until_handled(process: ServiceProcess, purpose: str, count: int, timeout: float = 10.0) -> None:
    """Organization events answer with nothing on the bus: wait until the service says it has applied them."""
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(handled, process, purpose) < count:
        assert time.monotonic() < deadline, f"{purpose}: fewer than {count} handled within {timeout}s"
        await asyncio.sleep(0.1)


async def register(bus: BusProbe, process: ServiceProcess, event_type: str, state: dict[str, Any],
                   purpose: str, count: int = 1, people: tuple[str, ...] = ("王芳", "李强", "张敏")) -> None:
    """Registration's organization event; with a new organization, its people (finance staff) too."""
    await bus.send(f"registration.organization.{event_type}", state, source="registration")
    await until_handled(process, purpose, count)
    if event_type == "registered" and count == 1:
        before = await asyncio.to_thread(handled, process, "person-added")
        for name in people:
            await bus.send("registration.person.added", person(state["org_id"], name), source="registration")
        await until_handled(process, "person-added", before + len(people))


async def open_course(bus: BusProbe, **changes: Any) -> Event:
    opened = await bus.answer((await bus.send("intake.course.offered", offer(**changes)))["event_id"])
    assert opened["type"] == "training.course.opened", opened
    return opened


async def request_enrolment(bus: BusProbe, course_id: str, org_id: str, name: str,
                            person_of: str | None = None) -> Event:
    sent = await bus.send("intake.enrolment.requested", {
        "course_id": course_id, "org_id": org_id, "person_id": person_id(person_of or org_id, name),
        "person": {"name": name, "role": "会计"}})
    return await bus.answer(sent["event_id"])


def of_type(bus: BusProbe, type_: str) -> list[Event]:
    return [e for e in bus.events if e.get("type") == type_]


async def test_enrolment_is_confirmed_until_the_course_is_full_then_refused_saying_so(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    service = start_service(SERVICE)
    await register(bus, service, "registered", organization("org-full"), "organization-registered")
    course = (await open_course(bus, capacity=2))["data"]

    answers = [await request_enrolment(bus, course["course_id"], "org-full", name) for name in ("王芳", "李强", "张敏")]

    assert [a["type"] for a in answers] == ["training.enrolment.confirmed"] * 2 + ["training.enrolment.rejected"]
    assert [a["data"]["seats_left"] for a in answers[:2]] == [1, 0]
    assert answers[2]["data"]["errors"] == [
        {"field": "course_id", "message": f"course {course['course_ref']} is full: 2 of 2 seats taken"}]


async def test_repeated_attendance_completes_the_course_once_and_counts_toward_the_target(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, service_env: dict[str, str],
) -> None:
    service = start_service(SERVICE)
    await register(bus, service, "registered", organization("org-attend"), "organization-registered")
    course = (await open_course(bus, sessions=2))["data"]
    enrolment_id = (await request_enrolment(bus, course["course_id"], "org-attend", "王芳"))["data"]["enrolment_id"]

    first = envelope("intake.attendance.recorded", {"enrolment_id": enrolment_id, "session": 1})
    await bus.publish(first)
    await bus.publish(first)  # the same event delivered twice
    repeats = []
    for session in (1, 2, 2):  # and each session recorded again as a new event
        repeats.append(await bus.send("intake.attendance.recorded", {"enrolment_id": enrolment_id,
                                                                     "session": session}))
    await bus.wait_for(lambda events: any(e.get("type") == "training.course.completed" for e in events))
    await bus.quiet(1.5)

    [completed] = of_type(bus, "training.course.completed")
    assert completed["data"]["enrolment_id"] == enrolment_id and completed["data"]["audience"] == "finance"
    assert completed["data"]["certificate_no"] == f"WH-TR-{course['course_ref']}-0001"
    assert completed["data"]["completed_on"] == datetime.now(UTC).astimezone(DISTRICT).date().isoformat()
    assert sorted(e["data"]["session"] for e in of_type(bus, "training.attendance.noted")) == [1, 2]
    # Every new event is answered, a repeat saying it was already recorded (issue 19, item 4).
    answers = [await bus.answer(sent["event_id"]) for sent in repeats]
    assert [a["type"] for a in answers] == ["training.attendance.rejected", "training.attendance.noted",
                                            "training.attendance.rejected"]
    assert all("already recorded" in a["data"]["errors"][0]["message"] for a in (answers[0], answers[2]))

    report = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.training_grading.cli"], cwd=ROOT,
        env={**os.environ, **service_env, "TRAINING_GRADING_URL": service.url}, capture_output=True, text=True,
        timeout=30)
    assert report.returncode == 0, report.stderr
    lines = [" ".join(line.split()) for line in report.stdout.splitlines()]
    assert "completed 1 people (0.1%)" in lines
    assert {"finance 1", "玉林街道 1", "望江路街道 0"} <= set(lines)


async def test_an_organization_registered_over_two_years_ago_is_graded_valid_for_five_years(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    service = start_service(SERVICE, TODAY="2015-12-01")
    await register(bus, service, "registered", organization("org-graded"), "organization-registered")

    sent = await bus.send("intake.assessment.submitted",
                          {"org_id": "org-graded", "round": "2015", "assessed_on": "2015-11-20",
                           "scores": SCORES_850})
    assigned = await bus.answer(sent["event_id"])

    assert assigned["type"] == "grading.grade.assigned"
    assert assigned["source"] == "training-grading"
    assert {k: assigned["data"][k] for k in ("org_id", "grade", "total_score", "valid_until", "version")} == {
        "org_id": "org-graded", "grade": "4A", "total_score": 850, "valid_until": "2020-11-20", "version": 1}


async def test_a_grade_past_its_validity_expires_by_itself_once(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    in_2015 = start_service(SERVICE, TODAY="2015-06-01", **FAST_EXPIRY)
    await register(bus, in_2015, "registered", organization("org-expiring"), "organization-registered")
    sent = await bus.send("intake.assessment.submitted",
                          {"org_id": "org-expiring", "round": "2015", "assessed_on": "2015-05-01",
                           "scores": SCORES_850})
    assigned = (await bus.answer(sent["event_id"]))["data"]
    assert (assigned["grade"], assigned["valid_until"]) == ("4A", "2020-05-01")
    await bus.quiet(1.5)  # checks run every second; a grade still valid is left alone
    assert of_type(bus, "grading.grade.expired") == []
    in_2015.stop()

    start_service(SERVICE, TODAY="2020-05-02", **FAST_EXPIRY)  # the same database, five years on
    await bus.wait_for(lambda events: any(e.get("type") == "grading.grade.expired" for e in events), timeout=10)
    await bus.quiet(2.5)

    [expired] = of_type(bus, "grading.grade.expired")
    assert expired["data"] == {"org_id": "org-expiring", "assessment_id": assigned["assessment_id"], "grade": "4A",
                               "valid_until": "2020-05-01", "version": 2}
    assert expired["source"] == "training-grading" and expired["correlation_id"] is None
    assert datetime.fromisoformat(expired["occurred_at"]).astimezone(DISTRICT).date() == date(2020, 5, 2)


async def test_garbage_goes_to_the_dead_letter_queue_with_the_reason_and_the_service_stays_ready(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    service = start_service(SERVICE)
    await bus.publish(b"{not json", routing_key="intake.enrolment.requested")
    await bus.send("registration.organization.registered", {"org_id": "org-broken", "version": 1},
                   source="registration")
    dead: list[Any] = []
    for _ in range(100):
        dead += await bus.drain_queue("training-grading.dlq")
        if len(dead) >= 2:
            break
        await asyncio.sleep(0.1)

    reasons = {m.headers["x-original-routing-key"]: str(m.headers["x-error"]) for m in dead}
    assert reasons["intake.enrolment.requested"].startswith("body is not valid JSON")
    broken = reasons["registration.organization.registered"]
    assert broken.startswith("unprocessable registration.organization.registered: breaks the contract")
    assert "street: is required" in broken and "founded_on: is required" in broken
    assert service.ready_status() == 200
    refused = await bus.answer((await bus.send("intake.course.offered", offer(capacity=0, audience="mayor")))
                               ["event_id"])
    assert refused["type"] == "training.course.rejected"
    assert {e["field"] for e in refused["data"]["errors"]} == {"capacity", "audience"}
    await open_course(bus)


async def test_only_a_registered_person_of_the_organization_in_the_courses_role_takes_a_seat_once(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, service_env: dict[str, str],
) -> None:
    """Issue 13: people are registration's people (its person_id), the same person everywhere. Registration and
    training run together; every person comes from registration's own answer."""
    start_service("registration")
    training_process = start_service(SERVICE)
    people: dict[str, str] = {}
    orgs: dict[str, str] = {}
    for seed, staff in ((21, (("王芳", "finance"), ("张敏", "social_worker"))), (22, (("李强", "finance"),))):
        application = {"uscc": make_uscc("social_group", WUHOU_REGION_CODE, seed), "name": f"邻里互助会{seed}",
                       "legal_form": "social_group", "street": "浆洗街街道", "community": "黉门街社区",
                       "domains": ["助老"], "full_time_staff": 6, "founded_on": "2010-04-02"}
        registered = await bus.answer((await bus.send("intake.organization.applied", application))["event_id"])
        orgs[str(seed)] = registered["data"]["org_id"]
        for name, role in staff:
            added = await bus.answer((await bus.send("intake.person.added", {
                "org_id": orgs[str(seed)], "person_ref": name, "name": name, "role": role}))["event_id"])
            assert added["type"] == "registration.person.added", added
            people[name] = added["data"]["person_id"]
    await until_handled(training_process, "person-added", 3, timeout=30)
    await until_handled(training_process, "organization-registered", 2, timeout=30)
    course_id = (await open_course(bus, audience="finance"))["data"]["course_id"]

    async def enrol(who: str, org: str = "21") -> Event:
        sent = await bus.send("intake.enrolment.requested", {"course_id": course_id, "org_id": orgs[org],
                                                             "person_id": who, "person": {"name": "王芳",
                                                                                          "role": "会计"}})
        return await bus.answer(sent["event_id"])

    def rule(answer: Event) -> str:
        assert answer["type"] == "training.enrolment.rejected", answer
        [error] = answer["data"]["errors"]
        assert error["field"] == "person_id" and "王芳" not in error["message"]
        return str(error["message"].rsplit("(rule: ", 1)[1].rstrip(")"))

    assert rule(await enrol(str(uuid.uuid4()))) == "person_registered"
    assert rule(await enrol(people["李强"])) == "person_of_the_organization"
    assert rule(await enrol(people["张敏"])) == "audience_matches_role"
    confirmed = await enrol(people["王芳"])
    assert confirmed["type"] == "training.enrolment.confirmed" and confirmed["data"]["person_id"] == people["王芳"]
    assert rule(await enrol(people["王芳"])) == "one_seat_per_person"
    status, course = await read(training_process, f"/courses/{course_id}")
    assert status == 200 and course["seats_taken"] == 1


async def test_a_suspended_organization_is_refused_enrolment_and_a_stale_event_does_not_revive_it(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    service = start_service(SERVICE)
    course_id = (await open_course(bus))["data"]["course_id"]
    await register(bus, service, "registered", organization("org-susp"), "organization-registered")
    await register(bus, service, "suspended", organization("org-susp", 2, "suspended", reason="年检不合格"),
                   "organization-suspended")
    await register(bus, service, "registered", organization("org-susp"), "organization-registered", count=2)

    refused = await request_enrolment(bus, course_id, "org-susp", "王芳")

    assert refused["type"] == "training.enrolment.rejected"
    assert refused["data"]["errors"] == [
        {"field": "org_id", "message": "organization org-susp is suspended; only an active one may enrol"}]
    await register(bus, service, "reinstated", organization("org-susp", 3, reason="整改完成"),
                   "organization-reinstated")
    assert (await request_enrolment(bus, course_id, "org-susp", "王芳"))["type"] == "training.enrolment.confirmed"


async def read(process: ServiceProcess, path: str) -> tuple[int, Any]:
    """A read query's status and JSON answer, as an operator's tool or another district system gets it."""
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
        response = await client.get(path)
    return response.status_code, response.json()


async def test_the_read_api_answers_the_grades_courses_and_progress_the_bus_announced_without_names(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    # Pinned to 2015: an assessment of 2015-11-20 sent later than 2020-11-20 would be refused as already lapsed.
    service = start_service(SERVICE, TODAY="2015-12-01")
    await register(bus, service, "registered", organization("org-api"), "organization-registered")
    sent = await bus.send("intake.assessment.submitted", {"org_id": "org-api", "round": "2015",
                                                          "assessed_on": "2015-11-20", "scores": SCORES_850})
    assigned = (await bus.answer(sent["event_id"]))["data"]
    course = (await open_course(bus, sessions=1))["data"]
    enrolment_id = (await request_enrolment(bus, course["course_id"], "org-api", "王芳"))["data"]["enrolment_id"]
    await bus.send("intake.attendance.recorded", {"enrolment_id": enrolment_id, "session": 1})
    await bus.wait_for(lambda events: any(e.get("type") == "training.course.completed" for e in events))

    status, grade = await read(service, "/organizations/org-api/grade")
    assert status == 200
    assert {k: grade[k] for k in ("org_id", "assessment_id", "grade", "total_score", "assessed_on", "valid_until",
                                  "round", "valid")} == {
        "org_id": "org-api", "assessment_id": assigned["assessment_id"], "grade": "4A", "total_score": 850,
        "assessed_on": "2015-11-20", "valid_until": "2020-11-20", "round": "2015", "valid": True}
    assert grade["as_of"] == "2015-12-01"
    status, fours = await read(service, "/grades?grade=4A&valid=true")
    assert status == 200 and [g["org_id"] for g in fours["items"]] == ["org-api"] and fours["total"] == 1
    assert (await read(service, "/grades?valid=false"))[1]["total"] == 0

    status, found = await read(service, f"/courses/{course['course_id']}")
    assert status == 200
    assert {k: found[k] for k in ("course_ref", "capacity", "seats_taken", "seats_left")} == {
        "course_ref": course["course_ref"], "capacity": 30, "seats_taken": 1, "seats_left": 29}
    status, listed = await read(service, "/courses?audience=finance&limit=1")
    assert status == 200 and listed["total"] == 1 and listed["items"][0]["course_id"] == course["course_id"]

    status, progress = await read(service, "/progress")
    assert status == 200
    assert (progress["target"], progress["people_completed"], progress["by_street"]["玉林街道"]) == (1150, 1, 1)
    answers = [await read(service, path) for path in ("/progress", "/courses", "/grades",
                                                      f"/courses/{course['course_id']}")]
    assert all("王芳" not in json.dumps(answer, ensure_ascii=False) for _, answer in answers)


async def test_a_grade_is_valid_through_its_last_day_as_the_district_counts_it(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    service = start_service(SERVICE, TODAY="2020-05-01")
    await register(bus, service, "registered", organization("org-last-day"), "organization-registered")
    sent = await bus.send("intake.assessment.submitted", {"org_id": "org-last-day", "round": "2015",
                                                          "assessed_on": "2015-05-01", "scores": SCORES_850})
    assert (await bus.answer(sent["event_id"]))["data"]["valid_until"] == "2020-05-01"

    status, grade = await read(service, "/organizations/org-last-day/grade")
    assert status == 200 and (grade["valid"], grade["as_of"], grade["expired"]) == (True, "2020-05-01", False)
    assert [g["org_id"] for g in (await read(service, "/grades?valid=true"))[1]["items"]] == ["org-last-day"]


async def test_the_read_api_says_what_is_unknown_and_names_each_malformed_parameter(
    start_service: Callable[..., ServiceProcess],
) -> None:
    service = start_service(SERVICE)
    status, answer = await read(service, "/organizations/org-never-assessed/grade")
    assert status == 404 and "org-never-assessed" in answer["error"]
    unknown = uuid.uuid4()
    status, answer = await read(service, f"/courses/{unknown}")
    assert status == 404 and str(unknown) in answer["error"]

    for path, field in (("/courses/not-a-uuid", "course_id"), ("/grades?grade=6A", "grade"),
                        ("/grades?valid=maybe", "valid"), ("/grades?limit=0", "limit"),
                        ("/courses?audience=mayor", "audience")):
        status, answer = await read(service, path)
        assert status == 422, path
        assert [e["field"] for e in answer["errors"]] == [field], path


async def test_a_drill_moving_the_day_past_a_grades_validity_expires_it_before_grading_confirms_the_day(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    service = start_service(SERVICE, TODAY="2015-06-01", DISTRICT_CLOCK="drill", DISTRICT_ENV="development")
    await register(bus, service, "registered", organization("org-drill"), "organization-registered")
    sent = await bus.send("intake.assessment.submitted", {"org_id": "org-drill", "round": "2015",
                                                          "assessed_on": "2015-05-01", "scores": SCORES_850})
    assert (await bus.answer(sent["event_id"]))["type"] == "grading.grade.assigned"

    confirmed = await bus.answer((await bus.send("intake.clock.set", {"today": "2020-05-02"}))["event_id"])
    assert confirmed["type"] == "grading.clock.set"
    assert confirmed["data"] == {"today": "2020-05-02", "service": "training-grading"}
    status, grade = await read(service, "/organizations/org-drill/grade")  # the job ran before the confirmation
    assert status == 200 and (grade["valid"], grade["expired"], grade["as_of"]) == (False, True, "2020-05-02")
    await bus.wait_for(lambda events: any(e.get("type") == "grading.grade.expired" for e in events), timeout=10)
    [expired] = of_type(bus, "grading.grade.expired")
    assert (expired["data"]["org_id"], expired["data"]["version"]) == ("org-drill", 2)
