"""A whole small year of the district for the personal-data scan: the SAMPLE district registered with its 120
leaders and finance staff (each with an ID number in the field meant for it), intakes putting ID numbers in
fields not meant for them, courses and completions by person_id, grades, the fair and its awards, reports and
evaluations, and a few dead letters carrying ID numbers. Each step waits for the services' answers.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.faults.support.identity import Misplaced, misplaced_numbers
from tests.faults.support.ledger import Databases, Event, Ledger
from tests.faults.support.workload import Prepared, prepare_contracts, until_counts
from tools.demo.cycle import COURSE_TOPICS
from tools.demo.delivery import report_for

CAPACITY = 30
MISPLACED_ROUNDS = 7  # each of the seven shapes of a number once, in each of six kinds of intake


@dataclass
class Year:
    """What the year sent and what came back, for the scan and its figures."""

    prepared: Prepared
    numbers: list[str]  # every ID number the year sent, in whatever field
    people: list[Event] = field(default_factory=list)
    misplaced: list[tuple[Misplaced, Event]] = field(default_factory=list)
    completions: list[Event] = field(default_factory=list)
    evaluations: list[Event] = field(default_factory=list)
    dead_letters_sent: int = 0


async def a_whole_year(ledger: Ledger, dbs: Databases, rng: random.Random) -> Year:
    prepared = await prepare_contracts(ledger, dbs, rng)
    year = Year(prepared, [p["id_number"] for p in prepared.district.people if p.get("id_number")])
    year.people = list(ledger.by_type["registration.person.added"])
    await _train(ledger, dbs, year)
    await _report_and_evaluate(ledger, year, rng)
    return year


async def _train(ledger: Ledger, dbs: Databases, year: Year) -> None:
    staff: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person in year.people:
        if person["data"]["role"] in COURSE_TOPICS:
            staff[person["data"]["role"]].append(person["data"])
    offers = [{"course_ref": f"PD-{audience}-{n + 1}", "title": f"{COURSE_TOPICS[audience]}（第{n + 1}期）",
               "topic": COURSE_TOPICS[audience], "audience": audience, "capacity": CAPACITY, "sessions": 1}
              for audience, people in sorted(staff.items()) for n in range(math.ceil(len(people) / CAPACITY))]
    courses = [a["data"] for a in await ledger.answers(await ledger.publish("intake.course.offered", offers),
                                                       "courses")]
    assert all("course_id" in c for c in courses), courses
    seats: dict[str, list[str]] = defaultdict(list)
    for course in courses:
        seats[course["audience"]] += [course["course_id"]] * course["capacity"]
    requests = [{"course_id": seats[audience][i], "org_id": p["org_id"], "person_id": p["person_id"],
                 "person": {"name": "（见登记）", "role": audience}}
                for audience, people in staff.items() for i, p in enumerate(people)]
    await until_counts(dbs, {("training-grading", "people"): len(year.people)})
    confirmed = [a for a in await ledger.answers(await ledger.publish("intake.enrolment.requested", requests),
                                                 "enrolments") if a["type"] == "training.enrolment.confirmed"]
    assert len(confirmed) == len(requests), [a for a in ledger.by_type["training.enrolment.rejected"]][:3]
    attendance = [{"enrolment_id": c["data"]["enrolment_id"], "session": 1} for c in confirmed]
    answers = await ledger.answers(await ledger.publish("intake.attendance.recorded", attendance), "attendance")
    done = {a["data"]["enrolment_id"] for a in answers}
    await ledger.until(lambda: len(done & {c["data"]["enrolment_id"] for c in
                                          ledger.by_type["training.course.completed"]}) == len(done), "completions")
    year.completions = [c for c in ledger.by_type["training.course.completed"] if c["data"]["enrolment_id"] in done]

    first = year.people[0]["data"]
    numbers, cases = misplaced_numbers(first["org_id"], first["person_id"], courses[0]["course_id"],
                                       MISPLACED_ROUNDS)
    year.numbers += numbers
    for kind in sorted({c.type for c in cases}):
        mine = [c for c in cases if c.type == kind]
        answers = await ledger.answers(await ledger.publish(kind, [c.data for c in mine]), f"misplaced {kind}")
        year.misplaced += list(zip(mine, answers, strict=True))


async def _report_and_evaluate(ledger: Ledger, year: Year, rng: random.Random) -> None:
    """Each contract's milestones in turn: a round of reports, then their purchasers' reviews accepting them."""
    rounds: list[list[tuple[dict[str, str], dict[str, Any]]]] = []
    for _, (award, milestones) in sorted(year.prepared.contracts.items()):
        quality = min(0.99, max(0.45, rng.gauss(0.75, 0.1)))
        for i, milestone in enumerate(milestones):
            report = report_for(award["data"]["contract_id"], milestone["name"], i == len(milestones) - 1,
                                quality, rng)
            if len(rounds) <= i:
                rounds.append([])
            rounds[i].append((award["data"]["purchaser"], report))
    for i, reports in enumerate(rounds, 1):
        answers = await ledger.answers(await ledger.publish("intake.report.submitted", [r for _, r in reports]),
                                       f"reports, round {i}")
        assert all(a["type"] == "evaluation.report.accepted" for a in answers), answers[:3]
        reviews = [{"report_id": a["data"]["report_id"], "reviewer": purchaser, "accepted": True,
                    "notes": "核查无误", "evidence": []} for (purchaser, _), a in zip(reports, answers, strict=True)]
        answers = await ledger.answers(await ledger.publish("intake.report.reviewed", reviews),
                                       f"reviews, round {i}")
        assert all(a["type"] == "evaluation.report.reviewed" for a in answers), answers[:3]
    contracts = set(year.prepared.contracts)
    await ledger.until(lambda: contracts <= {e["data"]["contract_id"] for e in
                                             ledger.by_type["evaluation.contract.evaluated"]}, "evaluations")
    year.evaluations = [e for e in ledger.by_type["evaluation.contract.evaluated"]
                        if e["data"]["contract_id"] in contracts]
