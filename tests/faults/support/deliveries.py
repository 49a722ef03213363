"""Cross-service events as their producers publish them, for the delivery-order tests, and the databases' final
state to compare between suites.

`CrossServiceEvents` is one small district's traffic between the services (registration's organization
states, grading's grades and expiries, training's completions, matching's awards, evaluation's results), in
phases whose order is the order the producers would publish them. `final_state` reads every collection of the
suite's databases except the inbox and outbox, with clock readings removed, so two suites compare equal when
they hold the same entities in the same states.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from services.catalog.domain import project_id_for
from services.registration.domain.organizations import Organization, org_id_for
from shared.contracts.common import Purchaser
from shared.envelope import new_event
from shared.outbox import SENT
from shared.sessions import PROCESSES
from tests.faults.support.workload import Databases, Event
from tools.seed import SAMPLE, build

PRODUCERS = {"registration": "registration", "grading": "training-grading", "training": "training-grading",
             "matching": "matching", "evaluation": "evaluation"}
NAMESPACE = uuid.UUID("0f5c2a8e-3b7d-5e1a-9c4f-6d2b8a0e1f37")
TODAY = date(2015, 3, 2)


def envelope(type_: str, data: dict[str, Any], key: str) -> Event:
    """The event as its producer would publish it, with an event id stable across suites."""
    event = new_event(type_, data, source=PRODUCERS[type_.split(".")[0]], event_id=uuid.uuid5(NAMESPACE, key))
    return event.model_dump(mode="json")


@dataclass
class CrossServiceEvents:
    """Phases of events; within a phase no two events concern one entity, so each phase is in order by itself."""

    proposals: list[dict[str, Any]]
    phases: list[list[Event]] = field(default_factory=list)

    @property
    def events(self) -> list[Event]:
        return [event for phase in self.phases for event in phase]

    def shuffled_with_repeats(self, rng: random.Random) -> tuple[list[Event], int]:
        """Every event 1 to 3 times (the same event id), all in a random order; and how many copies in all."""
        copies = [event for event in self.events for _ in range(rng.randint(1, 3))]
        rng.shuffle(copies)
        return copies, len(copies)


def cross_service_events(rng: random.Random, organizations: int = 40, projects: int = 20) -> CrossServiceEvents:
    district = build(SAMPLE)
    orgs = [_registered(application) for application in district.organizations[:organizations]]
    found = CrossServiceEvents(proposals=district.projects[:projects])
    found.phases.append([_org_event(o, "registered") for o in orgs])
    updated = [o.model_copy(update={"full_time_staff": o.full_time_staff + 1, "version": 2}) for o in orgs]
    found.phases.append([_org_event(o, "updated", changed=["full_time_staff"]) for o in updated])
    suspended = [o.model_copy(update={"status": "suspended", "version": 3}) for o in updated[::3]]
    found.phases.append([_org_event(o, "suspended", reason="年检不合格") for o in suspended])
    reinstated = [o.model_copy(update={"status": "active", "version": 4}) for o in suspended[::2]]
    found.phases.append([_org_event(o, "reinstated", reason="整改完成") for o in reinstated])
    graded = [str(o.org_id) for o in orgs[: organizations * 2 // 3]]
    found.phases.append([_grade(org_id, 1, rng) for org_id in graded])
    found.phases.append([_grade(org_id, 2, rng) for org_id in graded[::2]])
    found.phases.append([_expiry(org_id, rng) for org_id in graded[1::4]])
    found.phases.append([_completion(str(o.org_id), n) for n, o in enumerate(orgs[::2])])
    awards = [_award(p, orgs[n % len(orgs)], n) for n, p in enumerate(found.proposals)]
    found.phases.append(awards)
    found.phases.append([_evaluation(a["data"], rng) for a in awards[::2]])
    return found


def _registered(application: dict[str, Any]) -> Organization:
    return Organization.model_validate({
        **{k: v for k, v in application.items() if k != "contact"}, "org_id": org_id_for(application["uscc"]),
        "registered_on": "2014-06-01"})


def _org_event(org: Organization, action: str, **extra: Any) -> Event:
    data = {**_json(org.state()), **extra}
    return envelope(f"registration.organization.{action}", data, f"org:{org.org_id}:{org.version}")


def _json(state: dict[str, Any]) -> dict[str, Any]:
    dumped: dict[str, Any] = TypeAdapter(dict[str, Any]).dump_python(state, mode="json")
    return dumped


def _grade(org_id: str, version: int, rng: random.Random) -> Event:
    grade = rng.choice(["2A", "3A", "4A", "5A"])
    assessed = date(2014, 6, 1) + timedelta(days=90 * version)
    data = {"org_id": org_id, "assessment_id": str(uuid.uuid5(NAMESPACE, f"assessment:{org_id}:{version}")),
            "round": f"{2013 + version}", "grade": grade, "total_score": 700 + 40 * version,
            "scores": {"basic_conditions": 80, "internal_governance": 280, "performance": 300,
                       "social_evaluation": 100},
            "assessed_on": assessed.isoformat(), "valid_until": (assessed + timedelta(days=5 * 365)).isoformat(),
            "version": version}
    return envelope("grading.grade.assigned", data, f"grade:{org_id}:{version}")


def _expiry(org_id: str, rng: random.Random) -> Event:
    data = {"org_id": org_id, "assessment_id": str(uuid.uuid5(NAMESPACE, f"assessment:{org_id}:2")),
            "grade": rng.choice(["2A", "3A"]), "valid_until": "2015-01-31", "version": 3}
    return envelope("grading.grade.expired", data, f"expiry:{org_id}")


def _completion(org_id: str, n: int) -> Event:
    enrolment_id = str(uuid.uuid5(NAMESPACE, f"enrolment:{org_id}"))
    data = {"enrolment_id": enrolment_id, "course_id": str(uuid.uuid5(NAMESPACE, "course:finance")),
            "course_ref": "FIN-01", "org_id": org_id, "audience": "finance" if n % 3 else "leader",
            "certificate_no": f"WH-FIN-01-{n:04d}", "completed_on": "2015-01-20"}
    return envelope("training.course.completed", data, f"completion:{enrolment_id}")


def _award(proposal: dict[str, Any], org: Organization, n: int) -> Event:
    project_id = project_id_for(Purchaser.model_validate(proposal["purchaser"]), proposal["project_ref"])
    contract_id = str(uuid.uuid5(NAMESPACE, f"contract:{project_id}"))
    data = {"contract_id": contract_id, "fair_id": str(uuid.uuid5(NAMESPACE, "fair")), "project_id": project_id,
            "org_id": str(org.org_id), "amount_fen": proposal["budget_fen"] - 1000 * n, "fit_score": 60.0 + n,
            "title": proposal["title"], "category": proposal["category"], "purchaser": proposal["purchaser"],
            "org_street": org.street, "org_community": org.community, "period": proposal["period"]}
    return envelope("matching.contract.awarded", data, f"award:{contract_id}")


def _evaluation(award: dict[str, Any], rng: random.Random) -> Event:
    score = round(rng.uniform(55, 98), 1)
    rating = "excellent" if score >= 90 else "good" if score >= 75 else "pass" if score >= 60 else "fail"
    data = {"contract_id": award["contract_id"], "project_id": award["project_id"], "org_id": award["org_id"],
            "score": score, "rating": rating, "breakdown": {}, "payment_recommendation": {"release_fen": 0},
            "evaluated_on": "2015-02-27", "version": 1}
    return envelope("evaluation.contract.evaluated", data, f"evaluation:{award['contract_id']}")


# -- the databases' final state ----------------------------------------------------------------------------------


def _without_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if not _is_clock(v)}
    if isinstance(value, list):
        return [_without_clock(v) for v in value if not _is_clock(v)]
    return value


def _is_clock(value: Any) -> bool:
    """A clock reading (when a delivery was handled), as opposed to a date the data itself carries."""
    if isinstance(value, datetime):
        return True
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10:11] == "T":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


async def final_state(dbs: Databases, services: list[str]) -> dict[str, dict[str, list[Any]]]:
    """Every document of every collection but the kernel's bookkeeping (the inbox, the outbox, the sent events,
    the running processes' heartbeats), by service and collection, sorted by id."""
    state: dict[str, dict[str, list[Any]]] = {}
    for service in services:
        db = dbs.client[dbs.prefix + service.replace("-", "_")]
        state[service] = {}
        for name in sorted(await db.list_collection_names()):
            if name in {"inbox", "outbox", SENT, PROCESSES}:
                continue
            docs = [_without_clock(d) async for d in db[name].find({}).sort("_id", 1)]
            state[service][name] = docs
    return state


def differences(a: dict[str, dict[str, list[Any]]], b: dict[str, dict[str, list[Any]]]) -> list[str]:
    """Where two final states differ: collection counts, then documents by id (the first few)."""
    found: list[str] = []
    for service in sorted(set(a) | set(b)):
        for name in sorted(set(a.get(service, {})) | set(b.get(service, {}))):
            left = {str(d["_id"]): d for d in a.get(service, {}).get(name, [])}
            right = {str(d["_id"]): d for d in b.get(service, {}).get(name, [])}
            for key in sorted(set(left) | set(right)):
                if left.get(key) != right.get(key):
                    found.append(f"{service}.{name} {key}: {_changed(left.get(key), right.get(key))}")
    return found


def _changed(left: Any, right: Any) -> str:
    if not (isinstance(left, dict) and isinstance(right, dict)):
        return f"{left} != {right}"
    fields = sorted(k for k in set(left) | set(right) if left.get(k) != right.get(k))
    return "; ".join(f"{k}: {left.get(k)!r} != {right.get(k)!r}" for k in fields)
