"""The process-fault tests' workload: a realistic stream of intake events over the five services.

`Stream` drives a realistic mix at a steady pace, each intake sent only once what it refers to exists (people
after their organization, a seat after the course opened, attendance after the seat, a report after the last
one), so that a fault can land while every service is busy. `prepare_contracts` first runs a small district's
year up to the awards, and moves the district's day past their standstill, so that the stream has contracts to
report on.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from pymongo.errors import PyMongoError

from services.registration.domain.organizations import org_id_for
from services.registration.domain.people import person_id_for
from shared.envelope import new_event
from tests.faults.support.ledger import SOURCE, Databases, Event, Ledger
from tools.demo.cycle import COURSE_TOPICS, FAIR_DATE, _scores
from tools.demo.delivery import report_for
from tools.seed import SAMPLE, DistrictSize, build

# -- a small year up to the awards, so that the stream has contracts to report on ----------------------------------


@dataclass
class Prepared:
    """What the preparation left: the district, its organizations' ids, and each contract with its milestones."""

    district: Any
    org_ids: list[str]
    assessed: set[str]
    contracts: dict[str, tuple[Event, list[dict[str, Any]]]]


async def prepare_contracts(ledger: Ledger, dbs: Databases, rng: random.Random) -> Prepared:
    """The SAMPLE district registered and published, a few grades, and a fair held up to its awards."""
    district = build(SAMPLE)
    applied = await ledger.publish("intake.organization.applied", district.organizations)
    proposed = await ledger.publish("intake.project.proposed", district.projects)
    answers = await ledger.answers(applied + proposed, "preparing: catalog and register")
    org_ids = [a["data"]["org_id"] for a in answers[:len(applied)] if a["type"].endswith(".registered")]
    # Training enrols registration's people by person_id: the district's leaders and finance staff first.
    added = await ledger.publish("intake.person.added", [p for p in district.people if p["org_id"] in org_ids])
    people = [a for a in await ledger.answers(added, "preparing: people") if a["type"].endswith(".added")]
    await until_counts(dbs, {("training-grading", "organizations"): len(org_ids),
                             ("training-grading", "people"): len(people)})
    assessed = set(rng.sample(org_ids, 12))
    submissions = [{"org_id": o, "round": "2014", "scores": _scores(rng)} for o in sorted(assessed)]
    graded = await ledger.publish("intake.assessment.submitted", submissions)
    grades = [a for a in await ledger.answers(graded, "preparing: grades") if a["type"] == "grading.grade.assigned"]
    await until_counts(dbs, {("matching", "projects"): len(district.projects), ("matching", "organizations"):
                             len(org_ids), ("matching", "grades"): len(grades)})
    return Prepared(district, org_ids, assessed, await hold_fair(ledger, district))


async def hold_fair(ledger: Ledger, district: Any) -> dict[str, tuple[Event, list[dict[str, Any]]]]:
    """Open the fair, express the invited interests, schedule, award; each contract with its milestones."""
    batch = district.projects[0]["batch"]
    opening = await ledger.publish("intake.fair.opened", [{"fair_ref": f"{batch}-drill", "batch": batch,
                                                            "date": FAIR_DATE, "slots": 6, "slot_minutes": 20}])
    [opened] = await ledger.answers(opening, "preparing: the fair")
    assert opened["type"] == "matching.fair.opened", opened
    fair_id = opened["data"]["fair_id"]
    projects = [p for p in ledger.by_type["catalog.project.published"] if p["data"]["batch"] == batch]
    wanted = [{"fair_id": fair_id, "org_id": i["org_id"], "project_id": i["project_id"]}
              for i in opened["data"]["invitations"]]
    interests = await ledger.publish("intake.interest.expressed", wanted)
    await ledger.answers(interests, "preparing: interests")
    schedule = await ledger.publish("intake.fair.schedule_requested", [{"fair_id": fair_id}])
    await ledger.answers(schedule, "preparing: the schedule")
    awarding = await ledger.publish("intake.fair.awards_requested", [{"fair_id": fair_id}])
    await ledger.until(lambda: len(ledger.by_correlation.get(awarding[0], [])) >= len(projects), "awards", 60)
    proposed = {a["data"]["award_id"]: a["data"] for a in ledger.by_correlation[awarding[0]]
                if a["type"] == "matching.award.proposed"}
    # Past the standstill (a drill moves the district's day), each award becomes its contract.
    ends = max(date.fromisoformat(a["standstill_ends"]) for a in proposed.values())
    await ledger.publish("intake.clock.set", [{"today": (ends + timedelta(days=1)).isoformat()}])
    await ledger.until(lambda: sum(1 for c in ledger.by_type["matching.contract.awarded"]
                                   if c["data"]["award_id"] in proposed) == len(proposed), "contracts", 60)
    awards = [c for c in ledger.by_type["matching.contract.awarded"] if c["data"]["award_id"] in proposed]
    award_ids = {a["event_id"] for a in awards}
    await ledger.until(lambda: sum(1 for m in ledger.by_type["evaluation.monitoring.opened"]
                                   if m["correlation_id"] in award_ids) == len(awards), "monitoring", 60)
    plans = {m["data"]["contract_id"]: m["data"]["milestones"] for m in ledger.by_type["evaluation.monitoring.opened"]}
    return {a["data"]["contract_id"]: (a, plans[a["data"]["contract_id"]]) for a in awards}


async def until_counts(dbs: Databases, wanted: dict[tuple[str, str], int], timeout: float = 120.0) -> None:
    """Wait until each (service, collection) holds at least the given number of documents."""
    deadline = time.monotonic() + timeout
    while True:
        counts = {key: await dbs.count(*key) for key in wanted}
        if all(counts[k] >= n for k, n in wanted.items()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"projections behind: {counts} of {wanted}")
        await asyncio.sleep(0.2)


# -- the stream -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamSize:
    """How many of each intake the stream sends; people, enrolments and attendance follow from these."""

    projects: int
    organizations: int
    trainees: int
    assessments: int
    course_capacity: int = 50

    @classmethod
    def about(cls, events: int) -> StreamSize:
        """A mix of about `events` intakes: 15 % projects, 15 % applications, 30 % people, 37 % training, ..."""
        unit = events / 2000
        return cls(projects=round(300 * unit), organizations=round(300 * unit), trainees=round(250 * unit),
                   assessments=round(100 * unit))


@dataclass
class Pending:
    """One intake waiting to be sent: `ready()` says True (send it), False (not yet) or None (never: drop it)."""

    type: str
    data: Callable[[], dict[str, Any]]
    ready: Callable[[], bool | None]
    then: Callable[[str], None] | None = None  # told the event id once it is sent


class Stream:
    """The intake mix at a steady pace; each intake goes out once what it refers to exists."""

    def __init__(self, ledger: Ledger, dbs: Databases, size: StreamSize, rng: random.Random,
                 prepared: Prepared | None = None, name: str = "drill") -> None:
        self.ledger, self.dbs, self.rng, self.prepared = ledger, dbs, rng, prepared
        self.queues: dict[str, deque[Pending]] = defaultdict(deque)
        self.intakes: list[str] = []
        self.dropped = 0
        self.known_to_training: set[str] = set(prepared.org_ids if prepared else [])
        self.people_known_to_training: set[str] = set()
        district = build(district_size(size, name, rng.randrange(2**31)))
        self._plan_catalog_and_register(district, size)
        self._plan_training(district, size)
        self._plan_assessments(district, size)
        self._plan_reports()

    # -- the plan --------------------------------------------------------------------------------------------------

    def _plan_catalog_and_register(self, district: Any, size: StreamSize) -> None:
        for proposal in district.projects[:size.projects]:
            self._add("catalog", "intake.project.proposed", proposal)
        self.applications: dict[str, str] = {}  # org_id -> the application's event id
        people = defaultdict(list)
        for person in district.people:
            people[person["org_id"]].append(person)
        for application in district.organizations[:size.organizations]:
            org_id = org_id_of(application)
            self._add("registration", "intake.organization.applied", application,
                      then=partial(self.applications.__setitem__, org_id))
            for person in people[org_id]:
                self._add("registration", "intake.person.added", person, ready=partial(self._registered, org_id))
        self.new_people = [p for o in district.organizations[:size.organizations] for p in people[org_id_of(o)]]

    def _registered(self, org_id: str) -> bool | None:
        event_id = self.applications.get(org_id)
        answer = self.ledger.answer(event_id) if event_id else None
        if answer is None:
            return False
        return True if answer["type"] == "registration.organization.registered" else None

    def _plan_training(self, district: Any, size: StreamSize) -> None:
        prepared_people = list(self.prepared.district.people) if self.prepared else []
        trainees = [p for p in prepared_people + self.new_people if p["role"] in COURSE_TOPICS][:size.trainees]
        by_audience: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for person in trainees:
            by_audience[person["role"]].append(person)
        run = uuid.uuid4().hex[:6]
        for audience, people in sorted(by_audience.items()):
            for n in range(math.ceil(len(people) / size.course_capacity)):
                offer = {"course_ref": f"{run}-{audience}-{n + 1:02d}",
                         "title": f"{COURSE_TOPICS[audience]}（第{n + 1}期）", "topic": COURSE_TOPICS[audience],
                         "audience": audience, "capacity": size.course_capacity, "sessions": 2}
                opened: list[str] = []
                self._add("training", "intake.course.offered", offer, then=opened.append)
                for person in people[n * size.course_capacity:(n + 1) * size.course_capacity]:
                    self._enrol(person, opened)

    def _enrol(self, person: dict[str, Any], opened: list[str]) -> None:
        def course_id() -> str:
            return str(self.ledger.by_correlation[opened[0]][0]["data"]["course_id"])

        def ready() -> bool | None:
            if not opened or self.ledger.answer(opened[0]) is None:
                return False
            if self.ledger.answer(opened[0])["type"] != "training.course.opened":  # type: ignore[index]
                return None
            return person["org_id"] in self.known_to_training and person_id in self.people_known_to_training

        def data() -> dict[str, Any]:
            return {"course_id": course_id(), "org_id": person["org_id"], "person_id": person_id,
                    "person": {"name": person["name"], "role": person["role"]}}

        person_id = person_id_of(person)

        self._add("training", "intake.enrolment.requested", data, ready=ready, then=self._attend)

    def _attend(self, enrolment_event: str) -> None:
        def confirmed() -> bool | None:
            answer = self.ledger.answer(enrolment_event)
            return None if answer and answer["type"] != "training.enrolment.confirmed" else answer is not None

        def enrolment_id() -> str:
            return str(self.ledger.by_correlation[enrolment_event][0]["data"]["enrolment_id"])

        def second(session_one: str) -> None:
            self._add("training", "intake.attendance.recorded", lambda: {"enrolment_id": enrolment_id(), "session": 2},
                      ready=lambda: self.ledger.answer(session_one) is not None)

        self._add("training", "intake.attendance.recorded", lambda: {"enrolment_id": enrolment_id(), "session": 1},
                  ready=confirmed, then=second)

    def _plan_assessments(self, district: Any, size: StreamSize) -> None:
        prepared = [o for o in self.prepared.org_ids if o not in self.prepared.assessed] if self.prepared else []
        candidates = prepared + [org_id_of(o) for o in district.organizations[:size.organizations]]
        for org_id in candidates[:size.assessments]:
            submission = {"org_id": org_id, "round": "2014", "scores": _scores(self.rng)}
            self._add("grading", "intake.assessment.submitted", submission,
                      ready=partial(self._known_to_training, org_id))

    def _known_to_training(self, org_id: str) -> bool:
        return org_id in self.known_to_training

    def _plan_reports(self) -> None:
        if self.prepared is None:
            return
        for contract_id, (award, milestones) in sorted(self.prepared.contracts.items()):
            quality = min(0.99, max(0.45, self.rng.gauss(0.55 + award["data"]["fit_score"] / 300, 0.12)))
            reports = [report_for(contract_id, m["name"], i == len(milestones) - 1, quality, self.rng)
                       for i, m in enumerate(milestones)]
            self._chain_reports(award["data"]["purchaser"], reports)

    def _chain_reports(self, purchaser: dict[str, str], reports: list[dict[str, Any]],
                       after: str | None = None) -> None:
        """Each report once the one before was reviewed; each reviewed (accepted) once it was received."""
        if not reports:
            return
        first, rest = reports[0], reports[1:]
        self._add("evaluation", "intake.report.submitted", first,
                  ready=lambda: after is None or self.ledger.answer(after) is not None,
                  then=lambda event_id: self._review(purchaser, event_id, rest))

    def _review(self, purchaser: dict[str, str], submitted: str, rest: list[dict[str, Any]]) -> None:
        def received() -> bool | None:
            answer = self.ledger.answer(submitted)
            return None if answer and answer["type"] != "evaluation.report.accepted" else answer is not None

        def review() -> dict[str, Any]:
            report_id = self.ledger.by_correlation[submitted][0]["data"]["report_id"]
            return {"report_id": report_id, "reviewer": purchaser, "accepted": True, "notes": "核查无误",
                    "evidence": []}

        self._add("evaluation", "intake.report.reviewed", review, ready=received,
                  then=lambda event_id: self._chain_reports(purchaser, rest, event_id))

    def _add(self, kind: str, type_: str, data: dict[str, Any] | Callable[[], dict[str, Any]],
             ready: Callable[[], bool | None] = lambda: True, then: Callable[[str], None] | None = None) -> None:
        self.queues[kind].append(Pending(type_, data if callable(data) else partial(dict, data), ready, then))

    @property
    def planned(self) -> int:
        return sum(len(q) for q in self.queues.values())

    # -- sending ---------------------------------------------------------------------------------------------------

    async def run(self, rate: float, timeout: float = 600.0) -> None:
        """Send everything planned, about `rate` intakes a second over all kinds, each when it is ready."""
        started = last_refresh = time.monotonic()
        tick = 0.25
        while any(self.queues.values()):
            if time.monotonic() - last_refresh > 0.5:
                with contextlib.suppress(PyMongoError):  # the database may be down: a fault test's doing
                    self.known_to_training = await self.dbs.ids("training-grading", "organizations")
                    self.people_known_to_training = await self.dbs.ids("training-grading", "people")
                last_refresh = time.monotonic()
            batch = self._take(max(1, round(rate * tick)))
            if batch:
                await self._send(batch)
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"stream: {self.planned} intakes never became ready")
            await asyncio.sleep(tick)

    def _take(self, budget: int) -> list[Pending]:
        taken: list[Pending] = []
        kinds = [k for k, q in self.queues.items() if q]
        while budget > 0 and kinds:
            for kind in list(kinds):
                queue = self.queues[kind]
                found = self._first_ready(queue)
                if found is None:
                    kinds.remove(kind)
                    continue
                taken.append(found)
                budget -= 1
        return taken

    def _first_ready(self, queue: deque[Pending]) -> Pending | None:
        for _ in range(min(len(queue), 400)):
            pending = queue[0]
            state = pending.ready()
            if state:
                queue.popleft()
                return pending
            if state is None:
                queue.popleft()
                self.dropped += 1
                continue
            queue.rotate(-1)
        return None

    async def _send(self, batch: list[Pending]) -> None:
        envelopes = [new_event(p.type, p.data(), source=SOURCE, event_id=uuid.uuid4()) for p in batch]
        await self.ledger.publish_envelopes([e.model_dump(mode="json") for e in envelopes])
        for pending, envelope in zip(batch, envelopes, strict=True):
            self.intakes.append(str(envelope.event_id))
            if pending.then is not None:
                pending.then(str(envelope.event_id))


def district_size(size: StreamSize, name: str, seed: int) -> DistrictSize:
    """A generated district with at least the stream's projects and organizations (the seed's own rules)."""
    organizations = min(max(size.organizations, 40), 1300)
    communities = min(83, max(10, math.ceil(organizations / 10)))
    return DistrictSize(f"faults-{name}", projects=max(size.projects, 24), organizations=organizations,
                        communities=communities, flagship_organizations=18, seed=seed,
                        ref_prefix=f"2015-1-{name.upper()}-", key_prefix=f"faults-{name}")


def org_id_of(application: dict[str, Any]) -> str:
    return str(org_id_for(application["uscc"]))


def person_id_of(person: dict[str, Any]) -> str:
    """Registration's id for a seeded person (fixed by the organization and its reference for the person)."""
    return str(person_id_for(uuid.UUID(person["org_id"]), person["person_ref"]))
