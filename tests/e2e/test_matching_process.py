"""Matching as its own process, driven only through `district.events` (and read through its HTTP metrics): the
other contexts' events as their producers publish them, then a fair from opening to awards; with the catalog
running too, an award final after its standstill (a drill moves the day) moves the catalog's project; an
evaluation changes an organization's fit."""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.matching import cli
from shared.contracts.common import CATEGORIES, DEFAULT_DEPARTMENTS, DEFAULT_STREETS, GRADES
from tests.e2e.test_catalog_process import proposal
from tests.support.bus import BusProbe, Event
from tests.support.metrics import deliveries
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

BATCH = "2015-1"
PRODUCERS = {"catalog": "catalog", "registration": "registration", "grading": "training-grading",
             "training": "training-grading", "evaluation": "evaluation"}
PERIOD = {"start": "2015-01-01", "end": "2015-12-31"}
TODAY = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


def project(project_id: str, category: str, purchaser: dict[str, str], min_grade: str | None = None,
            version: int = 1, **changes: Any) -> dict[str, Any]:
    """`catalog.project.published` as the catalog publishes it."""
    return {
        "project_id": project_id, "project_ref": f"ref-{project_id}", "batch": BATCH, "title": f"项目{project_id}",
        "category": category, "service_class": "public_welfare", "purchaser": purchaser, "community": None,
        "budget_fen": 8_000_000, "content": "服务内容", "requirements": None, "standards": None,
        "min_grade": min_grade, "period": PERIOD, "status": "published", "version": version, **changes,
    }


def organization(org_id: str, street: str, domains: list[str], staff: int, status: str = "active",
                 version: int = 1) -> dict[str, Any]:
    """The full organization state registration publishes with every organization event."""
    return {
        "org_id": org_id, "uscc": "51510107MJ0000000X", "name": f"机构{org_id[:4]}",
        "legal_form": "social_service_institution", "street": street, "community": f"{street[:2]}社区",
        "domains": domains, "full_time_staff": staff, "founded_on": "2009-05-04", "registered_on": "2010-03-01",
        "status": status, "version": version,
    }


def grade(org_id: str, code: str) -> dict[str, Any]:
    """`grading.grade.assigned`, valid for five years from today."""
    return {"org_id": org_id, "assessment_id": str(uuid.uuid4()), "round": "2015", "grade": code,
            "total_score": 850, "assessed_on": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=5 * 365)).isoformat(), "version": 1}


def finance_completion(org_id: str) -> dict[str, Any]:
    return {"enrolment_id": str(uuid.uuid4()), "course_id": str(uuid.uuid4()), "course_ref": "TR-1",
            "org_id": org_id, "audience": "finance", "certificate_no": "WH-TR-1-0001",
            "completed_on": TODAY.isoformat()}


def evaluation(org_id: str, score: float, rating: str, on: date) -> dict[str, Any]:
    """`evaluation.contract.evaluated` for a contract of an earlier year."""
    return {"contract_id": str(uuid.uuid4()), "project_id": "P-2014", "org_id": org_id, "score": score,
            "rating": rating, "payment_recommendation": {}, "evaluated_on": on.isoformat(), "version": 1}


def street(name: str) -> dict[str, str]:
    return {"kind": "street", "name": name}


def handled(process: ServiceProcess) -> Counter[str]:
    """Deliveries matching has handled, by consumer (`matching.<purpose>`), from its /metrics."""
    return deliveries(process.url, {"handled"})


async def publish_and_apply(bus: BusProbe, process: ServiceProcess, events: list[tuple[str, dict[str, Any]]],
                            timeout: float = 15.0) -> None:
    """Publish other contexts' events (in the given order) and wait until matching has applied every one: they
    are answered by nothing on the bus, so the service's own count of handled deliveries says when."""
    before = await asyncio.to_thread(handled, process)
    expected = Counter(f"matching.{purpose(type_)}" for type_, _ in events)
    for type_, data in events:
        await bus.send(type_, data, source=PRODUCERS[type_.split(".")[0]])
    deadline = time.monotonic() + timeout
    while True:
        now = await asyncio.to_thread(handled, process)
        if all(now[q] - before[q] >= n for q, n in expected.items()):
            return
        assert time.monotonic() < deadline, f"matching did not apply {dict(expected)} within {timeout}s"
        await asyncio.sleep(0.1)


async def until_handled(process: ServiceProcess, purpose: str, count: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while (await asyncio.to_thread(handled, process))[f"matching.{purpose}"] < count:
        assert time.monotonic() < deadline, f"matching.{purpose}: fewer than {count} handled within {timeout}s"
        await asyncio.sleep(0.1)


def purpose(event_type: str) -> str:
    """The consumer (queue purpose) matching gives an event type: `grading.grade.assigned` -> `grade-assigned`."""
    _, thing, action = event_type.split(".")
    return f"{thing}-{action}".replace("_", "-")


async def ask(bus: BusProbe, type_: str, data: dict[str, Any], answers: int = 1) -> list[Event]:
    sent = await bus.send(type_, data, source="wuhou-fair-desk")
    await bus.wait_for(lambda evs: len([e for e in evs if e.get("correlation_id") == sent["event_id"]]) >= answers)
    return bus.answers_to(sent["event_id"])


async def open_fair(bus: BusProbe, fair_ref: str, slots: int = 4) -> dict[str, Any]:
    [opened] = await ask(bus, "intake.fair.opened", {"fair_ref": fair_ref, "batch": BATCH,
                                                     "date": "2014-11-19", "slots": slots, "slot_minutes": 20})
    assert opened["type"] == "matching.fair.opened", opened
    data: dict[str, Any] = opened["data"]
    return data


async def interest(bus: BusProbe, fair_id: str, org_id: str, project_id: str) -> Event:
    [answer] = await ask(bus, "intake.interest.expressed",
                         {"fair_id": fair_id, "org_id": org_id, "project_id": project_id})
    return answer


def of_type(events: list[Event], type_: str) -> list[Event]:
    return [e for e in events if e["type"] == type_]


async def move_day(bus: BusProbe, day: date, prefixes: tuple[str, ...] = ("matching",)) -> dict[str, Event]:
    """A drill: move every service's day to `day`; each named service's confirmation (sent once its jobs ran)."""
    sent = await bus.send("intake.clock.set", {"today": day.isoformat()}, source="district-drill")
    wanted = {f"{p}.clock.set" for p in prefixes}
    await bus.wait_for(lambda evs: wanted <= {e["type"] for e in evs if e.get("correlation_id") == sent["event_id"]},
                       timeout=30)
    return {e["type"].split(".")[0]: e for e in bus.answers_to(sent["event_id"])}


# O-A: 4A, a finance-trained leader, 5 staff (one contract at a time): 83.5 on P-1 and P-3.
# O-B: 2A, below P-1's 3A minimum: 70.5 on P-2. O-C: ungraded: 62.5 on P-3.
# O-D: suspended (version 2), whose registration (version 1) arrives after the suspension. Nobody serves P-4.
A, B, C, D = (str(uuid.uuid4()) for _ in range(4))
FAIR_DAY_SOURCES: list[tuple[str, dict[str, Any]]] = [
    ("catalog.project.published", project("P-1", "助老", street("玉林街道"), min_grade="3A")),
    ("catalog.project.published", project("P-2", "青少年服务", street("望江路街道"))),
    ("catalog.project.published", project("P-3", "社区文化", {"kind": "department", "name": "区文化体育局"})),
    ("catalog.project.published", project("P-4", "济困", street("玉林街道"))),
    ("registration.organization.registered", organization(A, "玉林街道", ["助老", "社区文化"], staff=5)),
    ("registration.organization.registered", organization(B, "望江路街道", ["青少年服务", "助老"], staff=6)),
    ("registration.organization.registered", organization(C, "红牌楼街道", ["社区文化"], staff=5)),
    ("registration.organization.suspended", organization(D, "玉林街道", ["助老"], staff=9, status="suspended",
                                                         version=2) | {"reason": "年检不合格"}),
    ("registration.organization.registered", organization(D, "玉林街道", ["助老"], staff=9)),
    ("grading.grade.assigned", grade(A, "4A")),
    ("grading.grade.assigned", grade(B, "2A")),
    ("grading.grade.assigned", grade(D, "5A")),
    ("training.course.completed", finance_completion(A)),
]


async def test_a_fair_goes_from_opening_to_awards_and_a_second_awards_request_names_the_same_contracts(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    matching = start_service("matching")
    await publish_and_apply(bus, matching, FAIR_DAY_SOURCES)

    fair = await open_fair(bus, "wuhou-2014-11-19")
    assert fair["invited"] == [A, B, C]
    assert [(i["fit_score"], i["project_id"]) for i in fair["invitations"]] == [
        (83.5, "P-1"), (70.5, "P-2"), (62.5, "P-3")]

    recorded = await interest(bus, fair["fair_id"], A, "P-1")
    assert recorded["type"] == "matching.interest.recorded" and recorded["data"]["fit_score"] == 83.5
    assert {k: v["value"] for k, v in recorded["data"]["breakdown"].items()} == {
        "domain": 1.0, "locality": 1.0, "grade": 0.8, "past_evaluations": 0.5, "finance_trained": 0.5,
        "capacity_left": 1.0}
    below = await interest(bus, fair["fair_id"], B, "P-1")
    assert below["type"] == "matching.interest.rejected"
    assert below["data"]["errors"] == [
        {"field": "org_id", "message": "grade 2A is below the project's minimum 3A (rule: min_grade)"}]
    suspended = await interest(bus, fair["fair_id"], D, "P-1")
    assert {"field": "org_id", "message": "organization is suspended (rule: active)"} in suspended["data"]["errors"]
    for org_id, project_id in ((A, "P-3"), (B, "P-2"), (C, "P-3")):
        assert (await interest(bus, fair["fair_id"], org_id, project_id))["type"] == "matching.interest.recorded"

    [scheduled] = await ask(bus, "intake.fair.schedule_requested", {"fair_id": fair["fair_id"]})
    meetings = scheduled["data"]["meetings"]
    assert scheduled["type"] == "matching.fair.scheduled" and scheduled["data"]["unscheduled"] == []
    assert sorted((m["org_id"], m["purchaser"]["name"]) for m in meetings) == sorted(
        [(A, "玉林街道"), (A, "区文化体育局"), (B, "望江路街道"), (C, "区文化体育局")])
    assert len({(m["org_id"], m["slot"]) for m in meetings}) == len({(m["table"], m["slot"]) for m in meetings}) == 4
    assert scheduled["data"]["slots_used"] == 2
    [again] = await ask(bus, "intake.fair.schedule_requested", {"fair_id": fair["fair_id"]})
    assert again["type"] == "matching.fair.rescheduled"
    assert (again["data"]["added"], again["data"]["moved"], again["data"]["cancelled"]) == ([], [], [])

    answers = await ask(bus, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]}, answers=4)
    awarded = {e["data"]["project_id"]: e["data"] for e in of_type(answers, "matching.award.proposed")}
    assert {p: a["org_id"] for p, a in awarded.items()} == {"P-1": A, "P-2": B, "P-3": C}  # A: one at a time
    assert awarded["P-1"]["amount_fen"] == 8_000_000 and awarded["P-1"]["org_street"] == "玉林街道"
    [unawarded] = of_type(answers, "matching.project.unawarded")
    assert unawarded["data"] | {} == {"fair_id": fair["fair_id"], "project_id": "P-4", "award_id": None,
                                      "reason": "no organization expressed interest"}

    [repeat] = await ask(bus, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]})
    assert repeat["type"] == "matching.fair.rejected"
    assert sorted(repeat["data"]["award_ids"]) == sorted(a["award_id"] for a in awarded.values())
    assert "(rule: awards_once)" in repeat["data"]["errors"][0]["message"]
    await bus.quiet(1.0)
    assert len(of_type(bus.events, "matching.award.proposed")) == 3
    assert of_type(bus.events, "matching.contract.awarded") == []  # standing still: no contract yet


async def test_the_fair_from_both_sides_availability_a_decline_a_must_a_late_interest_a_lock_and_a_reschedule(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    matching = start_service("matching")
    await publish_and_apply(bus, matching, FAIR_DAY_SOURCES)
    [opened] = await ask(bus, "intake.fair.opened", {"fair_ref": "wuhou-both-sides", "batch": BATCH,
                                                     "date": "2014-11-19", "slots": 4, "slot_minutes": 20,
                                                     "starts_at": "14:00",
                                                     "breaks": [{"after_slot": 2, "minutes": 10}]})
    fair_id = opened["data"]["fair_id"]
    culture, yulin, wangjiang = {"kind": "department", "name": "区文化体育局"}, street("玉林街道"), street("望江路街道")
    for org_id, project_id in ((A, "P-1"), (B, "P-2"), (C, "P-3")):
        assert (await interest(bus, fair_id, org_id, project_id))["type"] == "matching.interest.recorded"
    [away] = await ask(bus, "intake.fair.availability", {"fair_id": fair_id, "purchaser": culture,
                                                         "unavailable_slots": [1]})
    assert away["type"] == "matching.fair.availability_recorded"
    [declined] = await ask(bus, "intake.meeting.declined", {"fair_id": fair_id, "purchaser": wangjiang,
                                                            "org_id": B, "reason": "已有合作"})
    assert declined["type"] == "matching.meeting.declined"
    [must] = await ask(bus, "intake.meeting.requested", {"fair_id": fair_id, "purchaser": yulin, "org_id": C,
                                                         "priority": "must"})
    assert must["type"] == "matching.meeting.requested"

    [scheduled] = await ask(bus, "intake.fair.schedule_requested", {"fair_id": fair_id})
    meetings = {(m["org_id"], m["purchaser"]["name"]): m for m in scheduled["data"]["meetings"]}
    assert set(meetings) == {(A, "玉林街道"), (C, "玉林街道"), (C, "区文化体育局")}
    assert meetings[C, "玉林街道"]["must"] and meetings[C, "区文化体育局"]["slot"] != 1
    [left] = scheduled["data"]["unscheduled"]
    assert (left["org_id"], left["reason"]) == (B, "declined by the purchaser: 已有合作")
    for m in meetings.values():  # the break after slot 2 pushes slots 3 and 4 ten minutes later
        minutes = (m["slot"] - 1) * 20 + (10 if m["slot"] > 2 else 0)
        assert m["starts_at"] == f"2014-11-19T{14 + minutes // 60}:{minutes % 60:02d}:00+08:00"

    [locked] = await ask(bus, "intake.meeting.locked", {"fair_id": fair_id, "org_id": A, "purchaser": yulin})
    assert locked["data"]["slot"] == meetings[A, "玉林街道"]["slot"]
    assert (await interest(bus, fair_id, A, "P-3"))["type"] == "matching.interest.recorded"  # after the schedule
    [rescheduled] = await ask(bus, "intake.fair.schedule_requested", {"fair_id": fair_id})
    assert rescheduled["type"] == "matching.fair.rescheduled"
    [added] = rescheduled["data"]["added"]
    assert (added["meeting"]["org_id"], added["meeting"]["purchaser"]) == (A, culture)
    assert added["meeting"]["slot"] not in (1, locked["data"]["slot"], meetings[C, "区文化体育局"]["slot"])
    assert rescheduled["data"]["moved"] == [] and rescheduled["data"]["cancelled"] == []


async def test_the_catalog_moves_a_project_to_awarded_only_once_its_award_is_final_after_the_standstill(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    matching = start_service("matching")
    elderly = await ask(bus, "intake.project.proposed", proposal(category="助老", min_grade="3A"))
    youth = await ask(bus, "intake.project.proposed", proposal(category="青少年服务", min_grade=None,
                                                                purchaser=street("望江路街道")))
    project_ids = [e[0]["data"]["project_id"] for e in (elderly, youth)]
    await publish_and_apply(bus, matching, [
        ("registration.organization.registered", organization(A, "玉林街道", ["助老", "青少年服务"], staff=10)),
        ("grading.grade.assigned", grade(A, "4A")),
    ])
    await until_handled(matching, "project-published", 2)  # the catalog's own publications

    fair = await open_fair(bus, "wuhou-2014-11-19")
    assert (await interest(bus, fair["fair_id"], A, project_ids[0]))["type"] == "matching.interest.recorded"
    answers = await ask(bus, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]}, answers=2)
    [proposed] = of_type(answers, "matching.award.proposed")
    assert of_type(answers, "matching.project.unawarded")[0]["data"]["project_id"] == project_ids[1]
    # Under standstill the project stays published, and another fair cannot offer it.
    early = await open_fair(bus, "wuhou-2014-12-01")
    held = await interest(bus, early["fair_id"], A, project_ids[0])
    assert {"field": "project_id", "message": f"award {proposed['data']['award_id']} of another fair holds the "
            "project (under standstill or final) (rule: open)"} in held["data"]["errors"]

    day_after = date.fromisoformat(proposed["data"]["standstill_ends"]) + timedelta(days=1)
    assert (await move_day(bus, day_after))["matching"]["data"]["today"] == day_after.isoformat()
    award = await bus.wait_for(lambda evs: bool(of_type(evs, "matching.contract.awarded")), timeout=20)
    [award] = of_type(award, "matching.contract.awarded")
    assert award["data"]["award_id"] == proposed["data"]["award_id"]
    moved = await bus.answer(award["event_id"])
    assert moved["type"] == "catalog.project.status_changed"
    assert moved["data"] | {} == {"project_id": project_ids[0], "status": "awarded", "previous": "published",
                                  "version": 2, "contract_id": award["data"]["contract_id"]}
    await until_handled(matching, "project-status-changed", 1)
    later = await open_fair(bus, "wuhou-2015-03-01")
    refused = await interest(bus, later["fair_id"], A, project_ids[0])
    assert {"field": "project_id", "message": "project is awarded, not published (rule: published)"} in \
        refused["data"]["errors"]


async def test_an_evaluation_changes_the_organizations_fit_and_a_fail_bars_it(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    matching = start_service("matching")
    good, failing = str(uuid.uuid4()), str(uuid.uuid4())
    await publish_and_apply(bus, matching, [
        ("catalog.project.published", project("P-1", "助老", street("玉林街道"), min_grade="3A")),
        ("registration.organization.registered", organization(good, "玉林街道", ["助老"], staff=5)),
        ("registration.organization.registered", organization(failing, "玉林街道", ["助老"], staff=5)),
        ("grading.grade.assigned", grade(good, "4A")),
        ("grading.grade.assigned", grade(failing, "4A")),
    ])
    autumn = await open_fair(bus, "wuhou-2014-11-19")
    before = await interest(bus, autumn["fair_id"], good, "P-1")
    assert (await interest(bus, autumn["fair_id"], failing, "P-1"))["type"] == "matching.interest.recorded"

    last_month = TODAY - timedelta(days=30)
    await publish_and_apply(bus, matching, [
        ("evaluation.contract.evaluated", evaluation(good, 95.0, "excellent", last_month)),
        ("evaluation.contract.evaluated", evaluation(failing, 40.0, "fail", last_month)),
    ])
    spring = await open_fair(bus, "wuhou-2015-03-01")
    after = await interest(bus, spring["fair_id"], good, "P-1")
    barred = await interest(bus, spring["fair_id"], failing, "P-1")

    assert spring["invited"] == [good]
    assert before["data"]["breakdown"]["past_evaluations"] == {"value": 0.5, "weight": 15.0, "points": 7.5}
    assert after["data"]["breakdown"]["past_evaluations"] == {"value": 0.95, "weight": 15.0, "points": 14.25}
    assert after["data"]["fit_score"] == before["data"]["fit_score"] + 6.75
    assert barred["type"] == "matching.interest.rejected"
    assert {"field": "org_id", "message": f"a fail evaluation on {last_month} is within the 730-day window "
                                          "(rule: no_recent_fail)"} in barred["data"]["errors"]


async def test_a_request_that_cannot_be_read_is_refused_naming_each_field_and_a_broken_event_is_dead_lettered(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    matching = start_service("matching")
    [fair] = await ask(bus, "intake.fair.opened", {"fair_ref": "wuhou-x", "batch": BATCH, "slots": 0,
                                                   "slot_minutes": 20})
    [bid] = await ask(bus, "intake.interest.expressed", {"fair_id": "f", "org_id": A, "project_id": "P-1",
                                                         "price": 100})
    [schedule] = await ask(bus, "intake.fair.schedule_requested", {"fair_id": "no-such-fair"})
    await bus.send("grading.grade.assigned", grade(A, "6A"), source="training-grading")

    assert fair["type"] == "matching.fair.rejected" and fair["data"]["fair_ref"] == "wuhou-x"
    assert {e["field"] for e in fair["data"]["errors"]} == {"date", "slots"}
    assert bid["type"] == "matching.interest.rejected"
    assert bid["data"]["errors"] == [{"field": "price", "message": "is not a known field"}]
    assert schedule["data"]["errors"] == [{"field": "fair_id", "message": "no fair no-such-fair has been opened"}]
    dead: list[Any] = []
    for _ in range(100):
        dead += await bus.drain_queue("matching.dlq")
        if dead:
            break
        await asyncio.sleep(0.1)
    [letter] = dead
    assert str(letter.headers["x-error"]).startswith(
        "unprocessable grading.grade.assigned: breaks the contract: grade:")
    assert matching.ready_status() == 200


def district(rng: random.Random, projects: int, organizations: int) -> list[tuple[str, dict[str, Any]]]:
    """A district's batch and its organizations (the source's 240 and 1,177), a third of them graded."""
    tables = [street(s) for s in DEFAULT_STREETS] + [{"kind": "department", "name": d} for d in DEFAULT_DEPARTMENTS]
    events = [("catalog.project.published", project(
        f"P-{n:03d}", rng.choice(CATEGORIES), rng.choice(tables), min_grade=rng.choice([None, None, "2A", "3A"])))
        for n in range(projects)]
    for n in range(organizations):
        org_id = f"O-{n:04d}"
        events.append(("registration.organization.registered", organization(
            org_id, rng.choice(DEFAULT_STREETS), rng.sample(CATEGORIES, rng.randint(1, 3)), staff=rng.randint(1, 30))))
        if rng.random() < 0.3:
            events.append(("grading.grade.assigned", grade(org_id, rng.choice(GRADES))))
    return events


async def test_a_district_sized_fair_invites_55_best_first_and_answers_every_project(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    matching = start_service("matching")
    await publish_and_apply(bus, matching, district(random.Random(2015), 240, 1177), timeout=60)

    started = time.monotonic()
    fair = await open_fair(bus, "wuhou-2014-11-19")
    opening = time.monotonic() - started
    for invited in fair["invitations"]:  # each invited organization bids for the project it fits best
        answer = await interest(bus, fair["fair_id"], invited["org_id"], invited["project_id"])
        assert answer["type"] == "matching.interest.recorded", answer
    started = time.monotonic()
    answers = await ask(bus, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]}, answers=240)
    awarding = time.monotonic() - started

    scores = [i["fit_score"] for i in fair["invitations"]]
    assert len(scores) == 55 and scores == sorted(scores, reverse=True)
    awarded = of_type(answers, "matching.award.proposed")
    assert 0 < len(awarded) <= 55 and len(awarded) + len(of_type(answers, "matching.project.unawarded")) == 240
    # How long opening and awarding take at this size is measured by `make bench` against a baseline of the same
    # run (bench/matching_solvers.py), not asserted here: on a shared machine a timed test fails for no reason.
    print(f"district-sized fair: opening {opening:.2f}s, awarding {awarding:.2f}s")


def get(process: ServiceProcess, path: str) -> tuple[int, Any]:
    """A read query's status and JSON answer."""
    try:
        with urllib.request.urlopen(f"{process.url}{path}", timeout=10) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read())


async def test_the_read_api_answers_what_the_bus_announced_and_make_fair_prints_it(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    matching = start_service("matching")
    contact = {"phone_masked": "138****5678", "email": "office@example.org"}
    await publish_and_apply(bus, matching, [
        (type_, data | {"contact": contact}) if type_.startswith("registration.") else (type_, data)
        for type_, data in FAIR_DAY_SOURCES])
    fair = await open_fair(bus, "wuhou-2014-11-19")
    fair_id = fair["fair_id"]
    recorded = [await interest(bus, fair_id, org_id, project_id)
                for org_id, project_id in ((A, "P-1"), (A, "P-3"), (B, "P-2"), (C, "P-3"))]
    assert get(matching, f"/fairs/{fair_id}/schedule") == (
        404, {"error": f"fair {fair_id} has not been scheduled yet"})
    assert get(matching, f"/fairs/{fair_id}/awards")[0] == 404
    [scheduled] = await ask(bus, "intake.fair.schedule_requested", {"fair_id": fair_id})
    answers = await ask(bus, "intake.fair.awards_requested", {"fair_id": fair_id}, answers=4)

    status, listed = get(matching, "/fairs?batch=2015-1")
    assert status == 200 and listed["total"] == 1
    assert listed["items"][0] | {} == {"fair_id": fair_id, "fair_ref": "wuhou-2014-11-19", "batch": BATCH,
                                       "date": "2014-11-19", "slots": 4, "slot_minutes": 20, "starts_at": "14:00:00",
                                       "breaks": [], "invited": 3, "scheduled": True,
                                       "awards_decided_on": TODAY.isoformat()}
    assert get(matching, "/fairs?batch=2015-2")[1]["total"] == 0
    status, one = get(matching, f"/fairs/{fair_id}")
    assert status == 200 and one["invitations"] == fair["invitations"] and one["invited"] == fair["invited"]
    assert one["names"] == {org_id: f"机构{org_id[:4]}" for org_id in (A, B, C)}
    status, page = get(matching, f"/fairs/{fair_id}/interests?limit=3&offset=1")
    assert status == 200 and page["total"] == 4
    assert page["items"] == sorted((r["data"] for r in recorded), key=lambda i: i["interest_id"])[1:4]
    status, schedule = get(matching, f"/fairs/{fair_id}/schedule")
    assert status == 200 and {k: v for k, v in schedule.items() if k != "names"} == scheduled["data"]
    status, awards = get(matching, f"/fairs/{fair_id}/awards")
    assert status == 200 and awards["decided_on"] == TODAY.isoformat()
    assert awards["awards"] == [e["data"] for e in of_type(answers, "matching.award.proposed")]
    assert [(a["award_id"], a["status"]) for a in awards["current"]] == [
        (a["award_id"], "proposed") for a in awards["awards"]]
    assert awards["unawarded"] == [e["data"] for e in of_type(answers, "matching.project.unawarded")]

    status, profile = get(matching, f"/organizations/{A}/profile")
    assert status == 200 and profile["grade_held"] == "4A" and profile["finance_completions"] == 1
    assert (profile["capacity"], profile["active_contracts"], profile["capacity_left"]) == (1, 1, 0)
    assert "138" not in json.dumps(profile) and "office@" not in json.dumps(profile)

    assert get(matching, "/fairs/no-such-fair") == (404, {"error": "no fair no-such-fair has been opened"})
    assert get(matching, "/fairs/no-such-fair/interests")[0] == 404
    assert get(matching, "/organizations/nobody/profile") == (404, {"error": "matching knows no organization nobody"})
    status, malformed = get(matching, "/fairs?limit=0&batch=")
    assert status == 422 and {e["field"] for e in malformed["errors"]} == {"limit", "batch"}

    monkeypatch.setenv("MATCHING_URL", matching.url)
    assert await asyncio.to_thread(cli.main, ["wuhou-2014-11-19"]) == 0
    printed = capsys.readouterr().out
    assert "Fair wuhou-2014-11-19 (batch 2015-1, Nov 19, 2014): 3 invited" in printed
    assert f"机构{A[:4]}" in printed and "14:20" in printed and "14:40" not in printed  # slots 2 and 3
    assert "Awards decided on" in printed and "no organization expressed interest" in printed
