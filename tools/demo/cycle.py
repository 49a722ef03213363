"""The district's year, stage by stage, driven only through intake events on the bus.

seed → courses and enrolments toward the training target → grade assessments → the fair (invitations,
interests, the one-to-one schedule) → awards → milestone reports with resident satisfaction → evaluations.
Each stage waits for the services' answers before the next begins, and everything seen is kept for the report.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from services.registration.domain.organizations import org_id_for
from tools.demo.bus import DemoBus, Event
from tools.demo.suite import caught_up
from tools.seed import SAMPLE, WUHOU, District, DistrictSize, build
from tools.suite import SUITE

SERVICES = {spec.name: spec for spec in SUITE}
FAIR_DATE = "2014-11-19"  # the source's fair (项目对接会)
COURSE_TOPICS = {"leader": "社会组织法律法规与政策", "finance": "社会组织财务管理与财税政策"}
INDICATORS = ("服务完成率", "活动参与率", "目标达成率")


@dataclass(frozen=True)
class CycleScale:
    district: DistrictSize
    trained_people: int
    course_capacity: int
    assessments: int
    interests_per_org: int
    slots: int


FULL = CycleScale(WUHOU, trained_people=1150, course_capacity=50, assessments=120, interests_per_org=4, slots=12)
SMALL = CycleScale(SAMPLE, trained_people=40, course_capacity=10, assessments=12, interests_per_org=3, slots=6)


@dataclass
class CycleRecord:
    """What the year produced, as the services announced it."""

    district: District
    run: str
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    people_added: int = 0
    person_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (org_id, person_ref): registration's id
    courses: list[Event] = field(default_factory=list)
    completions: list[Event] = field(default_factory=list)
    grades: list[Event] = field(default_factory=list)
    fair: Event | None = None
    interests: list[Event] = field(default_factory=list)
    schedule: Event | None = None
    awards: list[Event] = field(default_factory=list)
    unawarded: list[Event] = field(default_factory=list)
    reports: list[Event] = field(default_factory=list)
    evaluations: list[Event] = field(default_factory=list)
    status_changes: list[Event] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _split(answers: list[Event], success: str, record: CycleRecord) -> list[Event]:
    ok = [a for a in answers if a["type"] == success]
    for answer in answers:
        if answer["type"] != success:
            record.rejected[answer["type"]].append(answer)
    return ok


async def seed(bus: DemoBus, record: CycleRecord) -> None:
    district = record.district
    answers = await bus.answers("publishing the catalog", await bus.publish("intake.project.proposed",
                                                                              district.projects))
    for proposal, answer in zip(district.projects, answers, strict=True):
        project_id = answer["data"].get("project_id")
        if project_id:  # published now, or named as already published by an earlier run
            record.projects[project_id] = {**proposal, "project_id": project_id,
                                           "new": answer["type"] == "catalog.project.published"}
        if answer["type"] != "catalog.project.published":
            record.rejected[answer["type"]].append(answer)
    answers = await bus.answers("registering organizations",
                                await bus.publish("intake.organization.applied", district.organizations))
    for application, answer in zip(district.organizations, answers, strict=True):
        org_id = str(org_id_for(application["uscc"]))
        if answer["type"] == "registration.organization.registered" or answer["data"].get("org_id") == org_id:
            record.organizations[org_id] = {**application, "org_id": org_id,
                                            "new": answer["type"] == "registration.organization.registered"}
        else:
            record.rejected[answer["type"]].append(answer)
    people = [p for p in district.people if p["org_id"] in record.organizations]
    answers = await bus.answers("adding leaders and finance staff", await bus.publish("intake.person.added", people))
    for person, answer in zip(people, answers, strict=True):
        if answer["data"].get("person_id"):  # added now, or named as already recorded by an earlier run
            record.person_ids[person["org_id"], person["person_ref"]] = str(answer["data"]["person_id"])
    record.people_added = len(_split(answers, "registration.person.added", record))


def _new(record: CycleRecord, kind: str) -> int:
    items = record.projects if kind == "projects" else record.organizations
    return sum(1 for item in items.values() if item["new"])


async def train(bus: DemoBus, record: CycleRecord, scale: CycleScale) -> None:
    staff = [p for p in record.district.people
             if (p["org_id"], p["person_ref"]) in record.person_ids and p["role"] in COURSE_TOPICS]
    # A fixed sample across the whole district, so every street sends people, as the district would.
    trainees = random.Random(1150).sample(staff, min(scale.trained_people, len(staff)))
    by_audience: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person in trainees:
        by_audience[person["role"]].append(person)
    offers = [{"course_ref": f"{record.run}-{audience}-{n + 1:02d}",
               "title": f"{COURSE_TOPICS[audience]}（第{n + 1}期）",
               "topic": COURSE_TOPICS[audience], "audience": audience, "capacity": scale.course_capacity,
               "sessions": 2}
              for audience, people in sorted(by_audience.items())
              for n in range(math.ceil(len(people) / scale.course_capacity))]
    opened = _split(await bus.answers("opening courses", await bus.publish("intake.course.offered", offers)),
                    "training.course.opened", record)
    record.courses = opened
    await caught_up(SERVICES["training-grading"],
                    {"training-grading.organization-registered": _new(record, "organizations"),
                     "training-grading.person-added": record.people_added})
    seats: dict[str, list[str]] = defaultdict(list)
    for course in opened:
        seats[course["data"]["audience"]] += [course["data"]["course_id"]] * course["data"]["capacity"]
    requests = [{"course_id": seats[p["role"]][i], "org_id": p["org_id"],
                 "person_id": record.person_ids[p["org_id"], p["person_ref"]],
                 "person": {"name": p["name"], "role": p["role"]}}
                for audience, people in by_audience.items() for i, p in enumerate(people) if p["role"] == audience]
    confirmed = _split(await bus.answers("enrolling staff", await bus.publish("intake.enrolment.requested", requests)),
                       "training.enrolment.confirmed", record)
    enrolments = {c["data"]["enrolment_id"] for c in confirmed}
    attendance = [{"enrolment_id": e, "session": s} for s in (1, 2) for e in sorted(enrolments)]
    await bus.publish("intake.attendance.recorded", attendance)
    await bus.until("attending sessions", lambda: sum(
        1 for c in bus.by_type["training.course.completed"] if c["data"]["enrolment_id"] in enrolments),
        len(enrolments))
    record.completions = [c for c in bus.by_type["training.course.completed"]
                          if c["data"]["enrolment_id"] in enrolments]


def _scores(rng: random.Random) -> dict[str, int]:
    quality = min(max(rng.gauss(0.76, 0.1), 0.42), 0.985)
    maxima = {"basic_conditions": 100, "internal_governance": 350, "performance": 400, "social_evaluation": 150}
    return {k: max(0, min(m, round(m * (quality + rng.uniform(-0.04, 0.04))))) for k, m in maxima.items()}


async def grade(bus: DemoBus, record: CycleRecord, scale: CycleScale, rng: random.Random) -> None:
    candidates = sorted(record.organizations)
    chosen = rng.sample(candidates, min(scale.assessments, len(candidates)))
    submissions = [{"org_id": org_id, "round": "2014", "scores": _scores(rng)} for org_id in chosen]
    answers = await bus.answers("assessing grades", await bus.publish("intake.assessment.submitted", submissions))
    record.grades = _split(answers, "grading.grade.assigned", record)


async def hold_fair(bus: DemoBus, record: CycleRecord, scale: CycleScale, rng: random.Random) -> None:
    await caught_up(SERVICES["matching"], {
        "matching.project-published": _new(record, "projects"),
        "matching.organization-registered": _new(record, "organizations"),
        "matching.grade-assigned": len(record.grades),
        "matching.course-completed": len(record.completions),
    })
    batch = record.district.projects[0]["batch"]
    [opened] = await bus.answers("opening the fair", await bus.publish("intake.fair.opened", [{
        "fair_ref": f"{batch}-fair-{record.run}", "batch": batch, "date": FAIR_DATE, "slots": scale.slots,
        "slot_minutes": 20}]))
    if opened["type"] != "matching.fair.opened":
        raise RuntimeError(f"the fair was refused: {opened['data'].get('errors')}")
    record.fair = opened
    fair_id = opened["data"]["fair_id"]
    interests = []
    for invitation in opened["data"]["invitations"]:
        org = record.organizations.get(invitation["org_id"])
        wanted = [invitation["project_id"]]
        if org is not None:
            others = sorted(pid for pid, p in record.projects.items()
                            if p["category"] in org["domains"] and pid != invitation["project_id"])
            wanted += rng.sample(others, min(scale.interests_per_org - 1, len(others)))
        interests += [{"fair_id": fair_id, "org_id": invitation["org_id"], "project_id": pid} for pid in wanted]
    record.interests = await bus.answers("expressing interest", await bus.publish("intake.interest.expressed",
                                                                                  interests))
    [record.schedule] = await bus.answers("scheduling one-to-one meetings", await bus.publish(
        "intake.fair.schedule_requested", [{"fair_id": fair_id}]))
    [awards_request] = await bus.publish("intake.fair.awards_requested", [{"fair_id": fair_id}])
    await bus.settle("awarding projects", lambda: len(bus.by_correlation.get(awards_request, [])))
    answers = bus.by_correlation[awards_request]
    record.awards = [a for a in answers if a["type"] == "matching.contract.awarded"]
    record.unawarded = [a for a in answers if a["type"] == "matching.project.unawarded"]


def _report(contract: Event, milestone: dict[str, Any], final: bool, quality: float,
            rng: random.Random) -> dict[str, Any]:
    due = date.fromisoformat(milestone["due_on"])
    late = rng.random() < 0.15
    submitted = due + timedelta(days=rng.randint(1, 20) if late else -rng.randint(0, 10))
    respondents = rng.randint(30, 200)
    return {
        "contract_id": contract["data"]["contract_id"], "milestone": milestone["name"], "final": final,
        "submitted_on": max(submitted, date.fromisoformat(contract["data"]["period"]["start"])).isoformat(),
        "indicators": {name: round(min(100.0, max(0.0, 100 * quality + rng.uniform(-8, 8))), 1)
                       for name in INDICATORS},
        "satisfaction": {"respondents": respondents, "satisfied": min(
            respondents, round(respondents * min(1.0, quality + rng.uniform(-0.1, 0.1))))},
    }


async def deliver(bus: DemoBus, record: CycleRecord, rng: random.Random) -> None:
    award_ids = {a["event_id"] for a in record.awards}
    await bus.until("opening monitoring", lambda: sum(
        1 for m in bus.by_type["evaluation.monitoring.opened"] if m["correlation_id"] in award_ids), len(award_ids))
    plans = {m["data"]["contract_id"]: m["data"] for m in bus.by_type["evaluation.monitoring.opened"]
             if m["correlation_id"] in award_ids}
    quality = {a["data"]["contract_id"]: min(0.99, max(0.45, rng.gauss(0.55 + a["data"]["fit_score"] / 300, 0.12)))
               for a in record.awards}
    contracts = {a["data"]["contract_id"]: a for a in record.awards}
    interim: list[dict[str, Any]] = []
    finals: list[dict[str, Any]] = []
    for contract_id, plan in sorted(plans.items()):
        milestones = plan["milestones"]
        for i, milestone in enumerate(milestones):
            report = _report(contracts[contract_id], milestone, i == len(milestones) - 1, quality[contract_id], rng)
            (finals if report["final"] else interim).append(report)
    accepted = await bus.answers("reporting milestones", await bus.publish("intake.report.submitted", interim))
    accepted += await bus.answers("reporting final results", await bus.publish("intake.report.submitted", finals))
    record.reports = accepted
    for answer in accepted:
        if answer["type"] != "evaluation.report.accepted":
            record.rejected[answer["type"]].append(answer)
    await bus.until("evaluating contracts", lambda: sum(
        1 for e in bus.by_type["evaluation.contract.evaluated"] if e["data"]["contract_id"] in plans), len(plans))
    record.evaluations = [e for e in bus.by_type["evaluation.contract.evaluated"] if e["data"]["contract_id"] in plans]
    evaluated = {e["data"]["project_id"] for e in record.evaluations}
    await bus.until("catalog recording evaluations", lambda: len(
        {c["data"]["project_id"] for c in bus.by_type["catalog.project.status_changed"]
         if c["data"]["status"] == "evaluated"} & evaluated), len(evaluated))
    record.status_changes = list(bus.by_type["catalog.project.status_changed"])


def new_record(scale: CycleScale) -> CycleRecord:
    return CycleRecord(district=build(scale.district), run=uuid.uuid4().hex[:6])
