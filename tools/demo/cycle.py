"""The district's year, stage by stage, driven only through intake events on the bus.

seed → courses and enrolments toward the training target → grade assessments → the fair (invitations,
interests, the one-to-one schedule) → awards proposed, three of them challenged (a complaint upheld and the
project awarded again, one dismissed, one filed after the standstill and refused), the district's day moved
past the standstill with a drill, and the awards final → delivery (`tools.demo.delivery`: the contracts' year on
a drill clock, reports, the purchasers' reviews, payments, overdue milestones, evaluations, an appeal). Each
stage waits for the services' answers before the next begins, and everything seen is kept for the report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.calendar import add_years
from shared.i18n import _
from shared.labels import label
from shared.operator import Unreachable, fetch
from tools.demo.bus import DemoBus, Event
from tools.seed import SAMPLE, WUHOU, District, DistrictSize, build
from tools.suite import SUITE

SERVICES = {spec.name: spec for spec in SUITE}
FAIR_DATE = "2014-11-19"  # the source's fair (项目对接会)
LEAD_DAYS = 30  # the fair and its awards come first: the contracts' year starts at least this long after today
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
    asked: dict[str, list[str]] = field(default_factory=dict)  # this run's intake event ids, by what they asked
    census: dict[str, Any] = field(default_factory=dict)  # registration's census, read from its API
    people_added: int = 0
    person_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (org_id, person_ref): registration's id
    courses: list[Event] = field(default_factory=list)
    completions: list[Event] = field(default_factory=list)
    grades: list[Event] = field(default_factory=list)
    fair: Event | None = None
    interests: list[Event] = field(default_factory=list)
    schedule: Event | None = None  # as it stands after the reschedule (the change applied to the first plan)
    sides: list[Event] = field(default_factory=list)  # answers to availability, declines, requests and locks
    rescheduled: Event | None = None
    proposals: list[Event] = field(default_factory=list)  # every matching.award.proposed, re-awards included
    challenges: list[dict[str, Any]] = field(default_factory=list)  # each complaint, its outcome and what followed
    drill: list[Event] = field(default_factory=list)  # the services' confirmations that the day moved
    awards: list[Event] = field(default_factory=list)  # the contracts: awards final after their standstill
    unawarded: list[Event] = field(default_factory=list)
    reports: list[Event] = field(default_factory=list)  # every answer to a report: received, or refused
    reviews: list[Event] = field(default_factory=list)  # evaluation.report.reviewed
    payments: list[Event] = field(default_factory=list)  # evaluation.payment.released / .withheld
    alerts: list[Event] = field(default_factory=list)  # evaluation.milestone.overdue / .met
    appeals: list[Event] = field(default_factory=list)  # evaluation.appeal.registered / .closed
    evaluations: list[Event] = field(default_factory=list)  # the newest version of each contract's evaluation
    status_changes: list[Event] = field(default_factory=list)
    drills: list[str] = field(default_factory=list)  # the days the delivery stage moved the district's clock to
    story: dict[str, str] = field(default_factory=dict)  # what the delivery stage made happen on purpose, and where
    years_moved: int = 0  # how far the source's periods were moved to lie ahead of the district's day
    seconds: dict[str, float] = field(default_factory=dict)


def _split(answers: list[Event], success: str, record: CycleRecord) -> list[Event]:
    ok = [a for a in answers if a["type"] == success]
    for answer in answers:
        if answer["type"] != success:
            record.rejected[answer["type"]].append(answer)
    return ok


async def seed(bus: DemoBus, record: CycleRecord) -> None:
    """Publish the catalog, the organizations and their people; keep each as the service answered it: what it
    announced, or, for one already registered by an earlier run, what its read API says now."""
    await _choose_batch(record)
    district = record.district
    proposals = await bus.publish("intake.project.proposed", district.projects)
    answers = await bus.answers(_("publishing the catalog"), proposals)
    record.asked["projects"] = proposals
    for answer in answers:
        project_id = answer["data"].get("project_id")
        if answer["type"] == "catalog.project.published":
            record.projects[project_id] = {**answer["data"], "new": True, "source": "announced by catalog"}
        elif project_id:  # named as already published by an earlier run: read it back from the catalog
            found = await _read(SERVICES["catalog"].url, f"/projects/{project_id}")
            record.projects[project_id] = {**found, "new": False, "source": "read from catalog's API"}
            record.rejected[answer["type"]].append(answer)
        else:
            record.rejected[answer["type"]].append(answer)
    applications = await bus.publish("intake.organization.applied", district.organizations)
    answers = await bus.answers(_("registering organizations"), applications)
    record.asked["organizations"] = applications
    for answer in answers:
        org_id = answer["data"].get("org_id")
        if answer["type"] == "registration.organization.registered":
            record.organizations[org_id] = {**answer["data"], "new": True, "source": "announced by registration"}
        elif org_id:  # this credit code is registered already: the rejection names the organization
            found = await _read(SERVICES["registration"].url, f"/organizations/{org_id}")
            record.organizations[org_id] = {**found, "new": False, "source": "read from registration's API"}
        else:
            record.rejected[answer["type"]].append(answer)
    record.census = await _read(SERVICES["registration"].url, "/census")
    people = [p for p in district.people if p["org_id"] in record.organizations]
    record.asked["people"] = await bus.publish("intake.person.added", people)
    answers = await bus.answers(_("adding leaders and finance staff"), record.asked["people"])
    for person, answer in zip(people, answers, strict=True):
        if answer["data"].get("person_id"):  # added now, or named as already recorded by an earlier run
            record.person_ids[person["org_id"], person["person_ref"]] = str(answer["data"]["person_id"])
    record.people_added = len(_split(answers, "registration.person.added", record))


async def _choose_batch(record: CycleRecord) -> None:
    """The source's batch; once earlier runs have awarded all of it, the district's next batch (2015-2, ...), so
    that every run holds a fair with something left to buy."""
    source = record.district.projects[0]["batch"]
    year, number = source.rsplit("-", 1)
    for n in itertools.count(int(number)):
        batch = f"{year}-{n}"
        known = (await _read(SERVICES["catalog"].url, "/projects", {"batch": batch, "limit": 1}))["total"]
        open_ = (await _read(SERVICES["catalog"].url, "/projects", {"batch": batch, "status": "published",
                                                                    "limit": 1}))["total"]
        if known == 0 or open_ > 0:
            break
    if batch != source:
        record.district = dataclasses.replace(record.district, projects=[
            {**p, "batch": batch, "project_ref": f"{batch}/{p['project_ref']}"} for p in record.district.projects])
    await _ahead_of_the_clock(record)


async def _ahead_of_the_clock(record: CycleRecord) -> None:
    """The source's periods (2015) moved by whole years to start after the district's day: drills move the day
    forward only, so a year the contracts are delivered in must still lie ahead."""
    today = date.fromisoformat((await _read(SERVICES["evaluation"].url, "/overview"))["today"])
    first = min(date.fromisoformat(p["period"]["start"]) for p in record.district.projects)
    years = 0
    while add_years(first, years) <= today + timedelta(days=LEAD_DAYS):
        years += 1
    record.years_moved = years
    if years:
        record.district = dataclasses.replace(record.district, projects=[
            {**p, "period": {k: add_years(date.fromisoformat(v), years).isoformat() for k, v in p["period"].items()}}
            for p in record.district.projects])


async def _awards_decision(bus: DemoBus, request: str, fair_id: str, timeout: float = 180.0) -> dict[str, Any] | None:
    """Matching's decision on the awards `request` asked for, as soon as it keeps one; None if the request was
    refused (its answer is a `matching.fair.rejected`)."""
    deadline = time.monotonic() + timeout
    while True:
        if any(a["type"] == "matching.fair.rejected" for a in bus.by_correlation.get(request, [])):
            return None
        decision = await _awards_decided(fair_id)
        if decision is not None:
            return decision
        if time.monotonic() > deadline:
            raise TimeoutError(f"matching decided no awards for fair {fair_id} within {timeout:.0f}s of the request")
        await asyncio.sleep(0.1)


async def _awards_decided(fair_id: str) -> dict[str, Any] | None:
    """The fair's award decision as matching keeps it; None where none was made (the request was refused)."""
    try:
        return await _read(SERVICES["matching"].url, f"/fairs/{fair_id}/awards")
    except Unreachable as exc:
        if exc.status == 404:
            return None
        raise


async def _read(service_url: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = await asyncio.to_thread(fetch, service_url, path, params)
    return found


def _announced(bus: DemoBus, record: CycleRecord, type_: str, asked: str) -> list[str]:
    """The ids of the events of `type_` that answered this run's intake `asked` (what other services consume)."""
    return [e["event_id"] for e in bus.outcomes_of(type_, record.asked.get(asked, ()))]


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
    opened = _split(await bus.answers(_("opening courses"), await bus.publish("intake.course.offered", offers)),
                    "training.course.opened", record)
    record.courses = opened
    await bus.consumed(_("training-grading reading the register and its people"), SERVICES["training-grading"].url,
                       [*_announced(bus, record, "registration.organization.registered", "organizations"),
                        *_announced(bus, record, "registration.person.added", "people")])
    seats: dict[str, list[str]] = defaultdict(list)
    for course in opened:
        seats[course["data"]["audience"]] += [course["data"]["course_id"]] * course["data"]["capacity"]
    requests = [{"course_id": seats[p["role"]][i], "org_id": p["org_id"],
                 "person_id": record.person_ids[p["org_id"], p["person_ref"]],
                 "person": {"name": p["name"], "role": p["role"]}}
                for audience, people in by_audience.items() for i, p in enumerate(people) if p["role"] == audience]
    enrolled = await bus.answers(_("enrolling staff"), await bus.publish("intake.enrolment.requested", requests))
    confirmed = _split(enrolled, "training.enrolment.confirmed", record)
    enrolments = {c["data"]["enrolment_id"] for c in confirmed}
    attendance = [{"enrolment_id": e, "session": s} for s in (1, 2) for e in sorted(enrolments)]
    await bus.publish("intake.attendance.recorded", attendance)
    await bus.until(_("attending sessions"), bus.tally(
        "training.course.completed", lambda c: c["data"]["enrolment_id"] in enrolments), len(enrolments))
    record.completions = [c for c in bus.by_type["training.course.completed"]
                          if c["data"]["enrolment_id"] in enrolments]


def _scores(rng: random.Random) -> dict[str, int]:
    quality = min(max(rng.gauss(0.76, 0.1), 0.42), 0.985)
    maxima = {"basic_conditions": 100, "internal_governance": 350, "performance": 400, "social_evaluation": 150}
    return {k: max(0, min(m, round(m * (quality + rng.uniform(-0.04, 0.04))))) for k, m in maxima.items()}


async def grade(bus: DemoBus, record: CycleRecord, scale: CycleScale, rng: random.Random) -> None:
    candidates = sorted(record.organizations)
    chosen = rng.sample(candidates, min(scale.assessments, len(candidates)))
    # Each run is a round of its own (as each has its own courses and fair): a second `make demo` on the same suite
    # assesses again, where the same round would be refused as already assessed and the year left without grades.
    submissions = [{"org_id": org_id, "round": f"2014/{record.run}", "scores": _scores(rng)} for org_id in chosen]
    answers = await bus.answers(_("assessing grades"), await bus.publish("intake.assessment.submitted", submissions))
    record.grades = _split(answers, "grading.grade.assigned", record)


async def hold_fair(bus: DemoBus, record: CycleRecord, scale: CycleScale, rng: random.Random) -> None:
    await bus.consumed(_("matching reading the catalog, register, grades and training"), SERVICES["matching"].url, [
        *_announced(bus, record, "catalog.project.published", "projects"),
        *_announced(bus, record, "registration.organization.registered", "organizations"),
        *(g["event_id"] for g in record.grades), *(c["event_id"] for c in record.completions)])
    batch = record.district.projects[0]["batch"]
    [opened] = await bus.answers(_("opening the fair"), await bus.publish("intake.fair.opened", [{
        "fair_ref": f"{batch}-fair-{record.run}", "batch": batch, "date": FAIR_DATE, "slots": scale.slots,
        "slot_minutes": 20}]))
    if opened["type"] != "matching.fair.opened":
        raise RuntimeError(f"the fair was refused: {opened['data'].get('errors')}")
    record.fair = opened
    fair_id = opened["data"]["fair_id"]
    pricing = random.Random(87)  # its own generator: the rest of the year draws as it did before prices
    interests = []
    for invitation in opened["data"]["invitations"]:
        org = record.organizations.get(invitation["org_id"])
        wanted = [invitation["project_id"]]
        if org is not None:
            others = sorted(pid for pid, p in record.projects.items()
                            if p["category"] in org["domains"] and pid != invitation["project_id"])
            wanted += rng.sample(others, min(scale.interests_per_org - 1, len(others)))
        interests += [{"fair_id": fair_id, "org_id": invitation["org_id"], "project_id": pid,
                       **_asked_price(record.projects.get(pid), pricing)} for pid in wanted]
    record.interests = await bus.answers(_("expressing interest"), await bus.publish("intake.interest.expressed",
                                                                                  interests))
    await both_sides(bus, record, fair_id, scale)
    await award_projects(bus, record, fair_id)


async def both_sides(bus: DemoBus, record: CycleRecord, fair_id: str, scale: CycleScale) -> None:
    """The purchasers' side of the table: two tables away for a while, two meetings declined, one asked for as a
    must; the schedule; then one meeting locked, a table called away where a meeting sits, one meeting declined
    after it was announced, and the reschedule that announces only the change."""
    recorded = sorted((i["data"] for i in record.interests if i["type"] == "matching.interest.recorded"),
                      key=lambda i: (i["purchaser"]["kind"], i["purchaser"]["name"], i["org_id"]))
    tables = sorted({(i["purchaser"]["kind"], i["purchaser"]["name"]) for i in recorded})
    purchaser = [{"kind": kind, "name": name} for kind, name in tables]
    away = {p["name"]: [slot] for p, slot in zip(purchaser[:2], (1, scale.slots), strict=False)}
    said = [{"fair_id": fair_id, "purchaser": p, "unavailable_slots": away[p["name"]]} for p in purchaser[:2]]
    declined = [{"fair_id": fair_id, "purchaser": i["purchaser"], "org_id": i["org_id"], "reason": "已有合作机构"}
                for i in recorded[1:4:2]]
    invited = record.fair["data"]["invited"] if record.fair else []
    met = {(i["org_id"], i["purchaser"]["name"]) for i in recorded}
    asked = [{"fair_id": fair_id, "purchaser": p, "org_id": o, "priority": "must"}
             for p in purchaser[-1:] for o in invited if (o, p["name"]) not in met][:1]
    record.sides = await bus.answers(_("the purchasers' side"), [
        *await bus.publish("intake.fair.availability", said), *await bus.publish("intake.meeting.declined", declined),
        *await bus.publish("intake.meeting.requested", asked)])
    [record.schedule] = await bus.answers(_("scheduling one-to-one meetings"), await bus.publish(
        "intake.fair.schedule_requested", [{"fair_id": fair_id}]))
    meetings = sorted(record.schedule["data"]["meetings"], key=lambda m: (m["slot"], m["table"]))
    if len(meetings) < 3:
        return
    locked, dropped = meetings[0], meetings[len(meetings) // 2]
    busy = {(m["table"], m["slot"]) for m in meetings} | {(m["org_id"], m["slot"]) for m in meetings}
    away_at = {(m["table"], slot) for m in meetings for slot in away.get(m["purchaser"]["name"], [])}

    def can_move(m: dict[str, Any]) -> bool:
        return any((m["table"], s) not in busy | away_at and (m["org_id"], s) not in busy
                   for s in range(1, scale.slots + 1))

    movable = [m for m in reversed(meetings) if m not in (locked, dropped) and can_move(m)]
    if not movable:
        return
    moved = movable[0]
    changes = [
        *await bus.publish("intake.meeting.locked", [{"fair_id": fair_id, "org_id": locked["org_id"],
                                                      "purchaser": locked["purchaser"]}]),
        *await bus.publish("intake.fair.availability", [{"fair_id": fair_id, "purchaser": moved["purchaser"],
                                                         "unavailable_slots": sorted(
                                                             {*away.get(moved["purchaser"]["name"], []),
                                                              moved["slot"]})}]),
        *await bus.publish("intake.meeting.declined", [{"fair_id": fair_id, "purchaser": dropped["purchaser"],
                                                        "org_id": dropped["org_id"], "reason": "时间冲突"}]),
    ]
    record.sides += await bus.answers(_("locking, calling a table away, declining"), changes)
    [record.rescheduled] = await bus.answers(_("rescheduling"), await bus.publish(
        "intake.fair.schedule_requested", [{"fair_id": fair_id}]))
    record.schedule = with_changes(record.schedule, record.rescheduled)


def with_changes(schedule: Event, rescheduled: Event) -> Event:
    """The schedule as it stands after a reschedule: its announced change applied to the meetings before it."""
    change = rescheduled["data"]
    if rescheduled["type"] != "matching.fair.rescheduled":
        return schedule
    gone = {(c["meeting"]["org_id"], c["meeting"]["table"]) for c in (*change["cancelled"], *change["moved"])}
    kept = [m for m in schedule["data"]["meetings"] if (m["org_id"], m["table"]) not in gone]
    meetings = kept + [c["meeting"] for c in (*change["added"], *change["moved"])]
    added = {(c["meeting"]["org_id"], c["meeting"]["purchaser"]["name"]) for c in change["added"]}
    waiting = [u for u in schedule["data"]["unscheduled"] if (u["org_id"], u["purchaser"]["name"]) not in added]
    waiting += [{**{k: c["meeting"][k] for k in ("org_id", "purchaser", "fit_score", "project_ids")},
                 "reason": c["reason"]} for c in change["cancelled"]]
    return {**schedule, "data": {**schedule["data"], "meetings": sorted(meetings, key=lambda m: (m["slot"],
                                                                                               m["table"])),
                                 "unscheduled": waiting, "slots_used": change["slots_used"]}}


def _asked_price(project: dict[str, Any] | None, rng: random.Random) -> dict[str, Any]:
    """Half the organizations name a price, 80-100 % of the budget (whole yuan); the rest take the budget."""
    if project is None or rng.random() < 0.5:
        return {}
    return {"price_fen": round(project["budget_fen"] * rng.uniform(0.8, 1.0) / 100) * 100}


async def award_projects(bus: DemoBus, record: CycleRecord, fair_id: str) -> None:
    """Awards proposed; three challenged; the day moved past the standstill; the awards final, as contracts."""
    [request] = await bus.publish("intake.fair.awards_requested", [{"fair_id": fair_id}])

    def answered() -> int:
        return len(bus.by_correlation.get(request, []))

    # Matching keeps its decision and announces it in one transaction, so once it shows the decision, how many
    # answers to wait for is known (the events are relayed in rounds: a quiet moment is not the end).
    decision = await _awards_decision(bus, request, fair_id)
    if decision is not None:
        await bus.until(_("awarding projects"), answered, len(decision["awards"]) + len(decision["unawarded"]))
    answers = bus.by_correlation[request]
    record.proposals = [a for a in answers if a["type"] == "matching.award.proposed"]
    record.unawarded = [a for a in answers if a["type"] == "matching.project.unawarded"]
    if not record.proposals:
        raise RuntimeError(f"the fair awarded nothing: {[a['data'] for a in answers][:3]}")
    losers = _losers(record)
    targets = [p["data"] for p in sorted(record.proposals, key=lambda p: p["data"]["project_id"])
               if losers.get(p["data"]["project_id"])]
    for outcome, award in zip(("upheld", "dismissed"), targets, strict=False):
        await _challenge(bus, record, award, losers[award["project_id"]][0], outcome)
    live = await pass_standstill(bus, record)
    if len(targets) > 2:  # a complaint once the standstill is over: refused, the contract stands
        late = targets[2]
        await _challenge(bus, record, live.get(late["project_id"], late), losers[late["project_id"]][-1], "late")


def _losers(record: CycleRecord) -> dict[str, list[str]]:
    """For each proposed award, the other organizations whose interest in its project was recorded."""
    winners = {p["data"]["project_id"]: p["data"]["org_id"] for p in record.proposals}
    found: dict[str, list[str]] = defaultdict(list)
    for answer in record.interests:
        if answer["type"] == "matching.interest.recorded":
            data = answer["data"]
            if data["project_id"] in winners and data["org_id"] != winners[data["project_id"]]:
                found[data["project_id"]].append(data["org_id"])
    return {project_id: sorted(orgs) for project_id, orgs in found.items()}


GROUNDS = {"upheld": "服务场地一项未按采购需求计分，请复核", "dismissed": "中标机构等级评估结果存疑",
           "late": "中标机构人员配备不足"}


async def _challenge(bus: DemoBus, record: CycleRecord, award: dict[str, Any], org_id: str, outcome: str) -> None:
    """One complaint against an award and, when it is heard, the purchaser's decision on it."""
    [filed] = await bus.answers(_("challenging an award ({outcome})").format(outcome=label(outcome)), await bus.publish(
        "intake.complaint.filed", [{"award_id": award["award_id"], "org_id": org_id, "grounds": GROUNDS[outcome]}]))
    challenge: dict[str, Any] = {"outcome": outcome, "award": award, "complaint": filed, "then": []}
    record.challenges.append(challenge)
    if filed["type"] != "matching.complaint.registered":
        return
    upheld = outcome == "upheld"
    [decision] = await bus.publish("intake.complaint.decided", [{
        "complaint_id": filed["data"]["complaint_id"], "upheld": upheld,
        "reasoning": "经复核，评分确有错误，原评审结果作废" if upheld else "经复核，评审程序和评分无误"}])
    await bus.until(_("deciding the complaint"), lambda: len(bus.by_correlation.get(decision, [])), 3 if upheld else 1)
    answers = bus.by_correlation[decision]
    challenge["decision"], challenge["then"] = answers[0], answers[1:]
    record.proposals += [a for a in answers if a["type"] == "matching.award.proposed"]
    record.unawarded += [a for a in answers if a["type"] == "matching.project.unawarded"]


async def pass_standstill(bus: DemoBus, record: CycleRecord) -> dict[str, dict[str, Any]]:
    """Move the district's day (a drill) to the day after the last standstill; wait for every service to confirm
    and for each award still standing to become its contract. Returns the live award of each project."""
    cancelled = {e["data"]["award_id"] for c in record.challenges for e in c["then"]
                 if e["type"] == "matching.award.cancelled"}
    live = {p["data"]["project_id"]: p["data"] for p in record.proposals if p["data"]["award_id"] not in cancelled}
    resumed = [c["decision"]["data"]["standstill_ends"] for c in record.challenges
               if c.get("decision") and c["decision"]["data"].get("standstill_ends")]
    ends = max(date.fromisoformat(day) for day in [*(a["standstill_ends"] for a in live.values()), *resumed])
    day = (ends + timedelta(days=1)).isoformat()
    [drill] = await bus.publish("intake.clock.set", [{"today": day}])
    try:
        # A service confirms once its jobs for the new day have run: matching's turns every award that stood
        # still into its contract first, which in a large district takes a while, but shows as contracts coming.
        await bus.until(_("moving the district's day to {day}").format(day=day),
                        lambda: len(bus.by_correlation.get(drill, [])), len(SERVICES), timeout=60,
                        activity=lambda: bus.heard)
    except TimeoutError:
        raise RuntimeError(
            f"the district's day did not move to {day}: the awards stand still until {ends}. The demo moves the day "
            "with drills, which only a suite in drill mode takes (DISTRICT_CLOCK=drill, DISTRICT_ENV=development: "
            "`make dev` starts it so); see `make dlq`") from None
    record.drill = list(bus.by_correlation[drill])
    awards = {a["award_id"] for a in live.values()}
    await bus.until(_("awards becoming contracts after the standstill"), bus.tally(
        "matching.contract.awarded", lambda c: c["data"]["award_id"] in awards), len(awards))
    record.awards = [c for c in bus.by_type["matching.contract.awarded"] if c["data"]["award_id"] in awards]
    return live


def new_record(scale: CycleScale) -> CycleRecord:
    return CycleRecord(district=build(scale.district), run=uuid.uuid4().hex[:6])
