"""The process-fault drills: the suite started, a stream sent while a fault is injected, then the checks.

`drill` prepares a small year, sends the stream while a fault runs, waits for every answer and for the suite
to settle (outboxes sent, queues empty), and returns what was sent, answered and stored. `Chaos` kills services
with `kill -9` at seeded moments and restarts them; `statuses`, `until_all` and `watch` poll every `/ready`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.faults.support.ledger import Databases, Ledger, Tally, tally
from tests.faults.support.workload import Stream, StreamSize, prepare_contracts
from tests.support.processes import ServiceProcess
from tools.suite import SUITE

RATE = float(os.environ.get("FAULT_RATE", "150"))
SEED = int(os.environ.get("FAULT_SEED", str(random.randrange(2**32))))
MODULES = {spec.name: spec.module for spec in SUITE}

Start = Callable[..., ServiceProcess]


def rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=120, check=check)


def vhost_of(url: str) -> str:
    """The vhost of `url` (of its first node, when it names several comma-separated)."""
    return unquote(urlsplit(url.split(",")[0]).path.lstrip("/")) or "/"


def queue_depths(rabbit_url: str) -> dict[str, int]:
    """Messages in each queue of the vhost, ready and unacknowledged together."""
    out = rabbitmqctl("list_queues", "-p", vhost_of(rabbit_url), "--formatter", "json", "name", "messages").stdout
    return {q["name"]: int(q["messages"]) for q in json.loads(out or "[]")}


async def settled(rabbit_url: str, dbs: Databases, services: list[str], timeout: float = 180.0) -> float:
    """Wait until every outbox is sent and every service queue is empty, twice in a row; the seconds it took."""
    started = time.monotonic()
    calm = 0
    while calm < 2:
        depths = await asyncio.to_thread(queue_depths, rabbit_url)
        busy = {q: n for q, n in depths.items() if n and not q.startswith("faults.") and not q.endswith(".dlq")}
        unsent = {s: await dbs.count(s, "outbox", {}) for s in services}
        calm = calm + 1 if not busy and not any(unsent.values()) else 0
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not settled within {timeout:.0f}s: queues {busy}, unsent {unsent}")
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def start_suite(start_service: Start, names: list[str] | None = None, **env: str) -> dict[str, ServiceProcess]:
    return {name: start_service(MODULES[name], **env) for name in (names or list(MODULES))}


def distinct(ledger: Ledger, type_: str) -> list[dict[str, Any]]:
    return [e["data"] for e in ledger.by_type.get(type_, [])]


@dataclass
class Kill:
    service: str
    at: float  # seconds after the stream began
    seconds_to_ready: float = 0.0


@dataclass
class Chaos:
    """Kills each service `rounds` times, in bursts at seeded random moments of the stream, restarting each at once."""

    processes: dict[str, ServiceProcess]
    plan: list[Kill]
    done: list[Kill] = field(default_factory=list)

    @classmethod
    def bursts(cls, processes: dict[str, ServiceProcess], rounds: int, window: float, rng: random.Random) -> Chaos:
        plan: list[Kill] = []
        for r in range(rounds):
            # One burst per share of the window, each service once, back to back: the documents a killed process
            # held stay locked until its successor aborts its transactions (seconds), however close the kills.
            at = window * (r + rng.uniform(0.2, 0.8)) / rounds
            names = list(processes)
            rng.shuffle(names)
            for name in names:
                plan.append(Kill(name, round(at, 2)))
                at += rng.uniform(0.0, 1.5)
        return cls(processes, plan)

    async def run(self, started: float) -> None:
        tasks = []
        for kill in self.plan:
            await asyncio.sleep(max(0.0, started + kill.at - time.monotonic()))
            tasks.append(asyncio.create_task(self._kill_and_restart(kill)))
        await asyncio.gather(*tasks)

    async def _kill_and_restart(self, kill: Kill) -> None:
        process = self.processes[kill.service]
        began = time.monotonic()
        await asyncio.to_thread(process.kill9)
        process.start()
        await asyncio.to_thread(process.wait_ready, 120.0)
        kill.seconds_to_ready = round(time.monotonic() - began, 2)
        self.done.append(kill)


async def effects(dbs: Databases, ledger: Ledger) -> dict[str, tuple[int, int]]:
    """Each effect as (what the answers announced, what the databases hold): equal when applied once."""
    completed = Counter(d["enrolment_id"] for d in distinct(ledger, "training.course.completed"))
    evaluated = Counter(d["contract_id"] for d in distinct(ledger, "evaluation.contract.evaluated"))
    versions = [d["version"] async for d in dbs.collection("training-grading", "grading_records").find({})]
    reports = [len(d.get("reports", [])) async for d in dbs.collection("evaluation", "contracts").find({})]
    graded = {d["org_id"] for d in distinct(ledger, "grading.grade.assigned")}
    finance = [len(d.get("finance_enrolments", [])) async for d in dbs.collection("matching", "training").find({})]
    return {
        "catalog: projects": (len(distinct(ledger, "catalog.project.published")),
                              await dbs.count("catalog", "projects")),
        "catalog: projects evaluated": (len(evaluated),
                                        await dbs.count("catalog", "projects", {"status": "evaluated"})),
        "registration: organizations": (len(distinct(ledger, "registration.organization.registered")),
                                         await dbs.count("registration", "organizations")),
        "registration: people": (len(distinct(ledger, "registration.person.added")),
                                 await dbs.count("registration", "people")),
        "training: enrolments": (len(distinct(ledger, "training.enrolment.confirmed")),
                                 await dbs.count("training-grading", "enrolments")),
        "training: completions": (sum(completed.values()),
                                  await dbs.count("training-grading", "enrolments", {"completed_on": {"$ne": None}})),
        "training: completions per enrolment": (len(completed), sum(completed.values())),
        "grading: grades assigned": (len(distinct(ledger, "grading.grade.assigned")), sum(versions)),
        "evaluation: contracts monitored": (len(distinct(ledger, "evaluation.monitoring.opened")),
                                            await dbs.count("evaluation", "contracts")),
        "evaluation: reports": (len(distinct(ledger, "evaluation.report.accepted")), sum(reports)),
        "evaluation: evaluations per contract": (len(evaluated), sum(evaluated.values())),
        "matching: projects": (await dbs.count("catalog", "projects"), await dbs.count("matching", "projects")),
        "matching: organizations": (await dbs.count("registration", "organizations"),
                                    await dbs.count("matching", "organizations")),
        "matching: grades": (len(graded), await dbs.count("matching", "grades")),
        "matching: finance completions": (
            sum(1 for d in distinct(ledger, "training.course.completed") if d["audience"] == "finance"), sum(finance)),
        "training-grading: organizations": (await dbs.count("registration", "organizations"),
                                            await dbs.count("training-grading", "organizations")),
        "training-grading: people": (await dbs.count("registration", "people"),
                                     await dbs.count("training-grading", "people")),
    }


@dataclass
class Drill:
    """One run of the stream with a fault injected: what was sent and answered, and what the databases hold."""

    ledger: Ledger
    stream: Stream
    counted: Tally
    applied: dict[str, tuple[int, int]]
    seconds: dict[str, float]
    rate: float

    def figures(self) -> dict[str, Any]:
        return {
            "seed (FAULT_SEED)": SEED, "intake events sent": self.counted.intakes,
            "of which in the stream under faults": len(self.stream.intakes),
            "stream's pace (intakes/s)": round(self.rate, 1),
            "lost": len(self.counted.lost), "doubled": len(self.counted.doubled),
            "repeats by outbox (same event_id again)": self.counted.repeats_by_outbox,
            "repeats by type": ", ".join(f"{t} {n}" for t, n in self.counted.repeats_by_type.items()) or "none",
            "publish retries (broker unreachable)": self.ledger.publish_retries,
            "dropped before sending (dependency refused)": self.stream.dropped,
            **{f"{k} s": round(v, 1) for k, v in self.seconds.items()},
            "effects (announced, stored)": {k: {"announced": a, "stored": s} for k, (a, s) in self.applied.items()},
        }

    def check(self) -> None:
        assert self.counted.lost == [], f"{len(self.counted.lost)} intakes never answered: {self.counted.lost[:5]}"
        assert self.counted.doubled == [], f"answered twice: {self.counted.doubled[:5]}"
        assert {k: v for k, v in self.applied.items() if v[0] != v[1]} == {}
        assert all(stored > 0 for _, stored in self.applied.values()), self.applied  # every service had work


Fault = Callable[[float], Awaitable[None]]


async def drill(rabbit_url: str, mongo_url: str, db_prefix: str, events: int, fault: Callable[[Stream], Fault],
                rng: random.Random, pace: Callable[[Stream], float] = lambda _: RATE) -> Drill:
    """Prepare a small year, then send the stream at `pace(stream)` intakes a second while `fault(stream)(started)`
    runs; wait for every answer and for the suite to settle."""
    dbs = Databases(mongo_url, db_prefix)
    try:
        async with Ledger(rabbit_url) as ledger:
            began = time.monotonic()
            prepared = await prepare_contracts(ledger, dbs, rng)
            seconds = {"preparation (a small year to the awards)": time.monotonic() - began}
            stream = Stream(ledger, dbs, StreamSize.about(events), rng, prepared)
            rate = pace(stream)
            started = time.monotonic()
            await asyncio.gather(stream.run(rate), fault(stream)(started))
            seconds["stream sent in"] = time.monotonic() - started
            await ledger.answers(stream.intakes, "the stream", timeout=300)
            seconds["stream answered in"] = time.monotonic() - started
            await ledger.quiet(2.0)
            seconds["settled (outboxes sent, queues empty) after"] = await settled(rabbit_url, dbs, list(MODULES))
            return Drill(ledger, stream, tally(ledger), await effects(dbs, ledger), seconds, rate)
    finally:
        await dbs.close()


async def statuses(processes: dict[str, ServiceProcess]) -> dict[str, int]:
    answers = await asyncio.gather(*(asyncio.to_thread(p.ready_status) for p in processes.values()))
    return dict(zip(processes, answers, strict=True))


def ready_checks(process: ServiceProcess) -> dict[str, str]:
    """What /ready says of each dependency: "ok" or why not."""
    try:
        with urllib.request.urlopen(f"{process.url}/ready", timeout=5) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
    checks: dict[str, str] = json.loads(body)["checks"]
    return checks


async def failing(processes: dict[str, ServiceProcess]) -> dict[str, list[str]]:
    """Which dependencies each service's /ready names as failing."""
    found = await asyncio.gather(*(asyncio.to_thread(ready_checks, p) for p in processes.values()))
    return {name: sorted(k for k, v in checks.items() if v != "ok") for name, checks in zip(processes, found,
                                                                                             strict=True)}


async def until_all(processes: dict[str, ServiceProcess], status: int, timeout: float) -> float:
    """Seconds until every service's /ready answers `status`."""
    started = time.monotonic()
    while set((await statuses(processes)).values()) != {status}:
        if time.monotonic() - started > timeout:
            now = await statuses(processes)
            why = {name: await asyncio.to_thread(ready_checks, processes[name]) for name, got in now.items()
                   if got != status}
            raise AssertionError(f"/ready never all {status} within {timeout:.0f}s: {now}; checks: {why}")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def watch(processes: dict[str, ServiceProcess], seconds: float, expected: int) -> tuple[int, int]:
    """Poll every /ready for `seconds`: (polls, answers other than `expected`)."""
    polls = wrong = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await statuses(processes)
        polls += len(found)
        wrong += sum(1 for status in found.values() if status != expected)
        await asyncio.sleep(0.2)
    return polls, wrong


async def consumers_back(rabbit_url: str, timeout: float = 60.0) -> float:
    """Seconds until every service queue of the vhost has a consumer again (`list_consumers`, which is current;
    the `consumers` column of `list_queues` lags by the statistics interval for quorum queues)."""
    started = time.monotonic()
    vhost = vhost_of(rabbit_url)
    while True:
        queues, consumers = await asyncio.gather(
            asyncio.to_thread(rabbitmqctl, "list_queues", "-p", vhost, "--formatter", "json", "name"),
            asyncio.to_thread(rabbitmqctl, "list_consumers", "-p", vhost, "--formatter", "json", "queue_name"))
        consumed = {c["queue_name"] for c in json.loads(consumers.stdout or "[]")}
        missing = [q["name"] for q in json.loads(queues.stdout or "[]") if q["name"] not in consumed
                   and not q["name"].startswith("faults.") and not q["name"].endswith(".dlq")]
        if not missing:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"no consumer on {missing} {timeout:.0f}s after the broker came back")
        await asyncio.sleep(0.2)


def phase_of(ledger: Ledger, marks: dict[str, float]) -> Counter[str]:
    """How many intakes the broker confirmed in each phase (the last mark passed before the confirm)."""
    order = sorted(marks.items(), key=lambda kv: kv[1])
    phases: Counter[str] = Counter()
    for _, confirmed in ledger.sent.values():
        passed = [name for name, at in order if at <= confirmed]
        phases[passed[-1] if passed else "before"] += 1
    return phases

