"""The five services as processes, under faults: killed at random, cut off from the broker, without their
database, fed poison, fed every cross-service event twice and out of order, and run as competing replicas.

What must hold each time: every intake answered exactly once (one distinct answer per intake and type; an
outbox repeating an event with the same event id after a crash is counted, not a double), every effect
applied once, readiness telling the truth, and the same final state whatever the delivery order.

The bounded forms run in `make test` (about 4 minutes); the long form (`slow`) in `make test-faults`.
`FAULT_EVENTS` (default 2000) sets the stream's size, `FAULT_KILLS` (default 3) the kills per service of the long
form (one burst of kills every 40 s of a slower stream), `FAULT_RATE` (default 150) the intakes sent per second,
`FAULT_SEED` replays a run's choices. Every figure goes to tests/faults/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared import embedded_db
from shared.failover import connect
from tests.faults.support.deliveries import TODAY, CrossServiceEvents, cross_service_events, differences, final_state
from tests.faults.support.drill import (
    MODULES,
    RATE,
    SEED,
    Chaos,
    Fault,
    Start,
    consumers_back,
    drill,
    failing,
    phase_of,
    queue_depths,
    rabbitmqctl,
    settled,
    start_suite,
    until_all,
    vhost_of,
    watch,
)
from tests.faults.support.ledger import Databases, Ledger, tally
from tests.faults.support.results import record
from tests.faults.support.workload import Stream, StreamSize, district_size
from tests.integration.test_kernel import kernel_service, running
from tests.support.bus import BusProbe
from tests.support.endpoints import isolated_vhost
from tests.support.metrics import deliveries
from tests.support.processes import ServiceProcess
from tools.seed import build

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

EVENTS = int(os.environ.get("FAULT_EVENTS", "2000"))
KILLS = int(os.environ.get("FAULT_KILLS", "3"))


# -- 1. kill -9 at random moments ----------------------------------------------------------------------------------


@pytest.mark.timeout(420)
async def test_killing_every_service_once_mid_stream_loses_and_doubles_nothing(
    start_service: Start, rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    await kill_drill(start_service, rabbit_url, mongo_url, db_prefix, rounds=1, seconds_per_round=None,
                     section="process faults: kill -9")


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_killing_every_service_repeatedly_mid_stream_loses_and_doubles_nothing(
    start_service: Start, rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    await kill_drill(start_service, rabbit_url, mongo_url, db_prefix, rounds=KILLS, seconds_per_round=40.0,
                     section="process faults: kill -9, long form")


async def kill_drill(start_service: Start, rabbit_url: str, mongo_url: str, db_prefix: str, *, rounds: int,
                     seconds_per_round: float | None, section: str) -> None:
    """Kill every service `rounds` times while the stream runs: at FAULT_RATE, all kills within its first seconds
    (`seconds_per_round` None), or paced to last `seconds_per_round` per round, one burst of kills in each."""
    rng = random.Random(SEED)
    processes = start_suite(start_service)
    chaos: list[Chaos] = []

    def pace(stream: Stream) -> float:
        return RATE if seconds_per_round is None else min(RATE, stream.planned / (seconds_per_round * rounds))

    def fault(stream: Stream) -> Fault:
        chaos.append(Chaos.bursts(processes, rounds, window=0.8 * stream.planned / pace(stream), rng=rng))
        return chaos[0].run

    result = await drill(rabbit_url, mongo_url, db_prefix, EVENTS, fault, rng, pace)
    done = sorted(chaos[0].done, key=lambda k: k.at)
    last_kill = max(k.at for k in done)
    stall = result.ledger.longest_wait(result.stream.intakes)
    by_service = {name: [k for k in done if k.service == name] for name in MODULES}
    record(section, {
        **result.figures(), "kills (kill -9)": len(done), "kills per service": rounds,
        "all answered, s after the last kill": round(result.seconds["stream answered in"] - last_kill, 1),
        # A transaction the killed process left open holds its documents until it is aborted: what that costs.
        "worst stall after kill -9 (s from an intake's confirm to its answer)": round(stall, 1),
        "kills": {name: {"at s (after the stream began)": [k.at for k in kills],
                         "s to /ready 200 after the kill": [k.seconds_to_ready for k in kills]}
                  for name, kills in by_service.items()},
    })
    assert len(done) == rounds * len(MODULES)
    # The next process of each service aborts what its killed predecessor left open (`shared.sessions`), so the
    # wait is the restart and the backlog it left: seconds on a quiet machine. A return to the database's own
    # minute fails here; a loaded machine, whose restarts and backlogs take longer, does not.
    assert stall < 45, f"an intake waited {stall:.1f}s for its answer after the kills"
    result.check()


# -- 2. the broker: every connection closed, then the broker stopped and started -----------------------------------


async def publish_more(ledger: Ledger, rng: random.Random, label: str) -> list[str]:
    """A few more intakes for catalog, registration and training, from a district of their own."""
    district = build(district_size(StreamSize.about(100), label, rng.randrange(2**31)))
    courses = [{"course_ref": f"{label}-{n}", "title": "社会组织财务管理", "topic": "财务", "audience": "finance",
                "capacity": 30, "sessions": 2} for n in range(10)]
    return (await ledger.publish("intake.project.proposed", district.projects)
            + await ledger.publish("intake.organization.applied", district.organizations[:30])
            + await ledger.publish("intake.course.offered", courses))


@pytest.fixture
def broker_restarted_after() -> Iterator[None]:
    """Whatever happens to the test (a timeout included), the broker is running again after it."""
    yield
    rabbitmqctl("start_app", check=False)
    rabbitmqctl("await_startup", check=False)


@pytest.mark.timeout(420)
@pytest.mark.usefixtures("broker_restarted_after")
async def test_the_services_reconnect_by_themselves_after_the_broker_drops_them_and_after_it_restarts(
    start_service: Start, rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    rng = random.Random(SEED)
    processes = start_suite(start_service)
    figures: dict[str, Any] = {}
    marks: dict[str, float] = {}
    ledger: list[Ledger] = []

    def fault(stream: Stream) -> Fault:
        ledger.append(stream.ledger)
        return outages

    async def outages(started: float) -> None:
        await asyncio.sleep(rng.uniform(1.5, 3.0))
        marks["after close_all_connections (everyone reconnecting)"] = time.monotonic()
        await asyncio.to_thread(rabbitmqctl, "close_all_connections", "-p", vhost_of(rabbit_url), "fault test")
        await publish_more(ledger[0], rng, "closed")
        figures["connections closed: s until every consumer is back"] = round(await consumers_back(rabbit_url), 1)
        figures["connections closed: s until every /ready 200"] = round(await until_all(processes, 200, 60), 1)
        await asyncio.sleep(rng.uniform(1.5, 3.0))
        try:
            marks["while stop_app ran (confirmed before the broker went down)"] = time.monotonic()
            await asyncio.to_thread(rabbitmqctl, "stop_app")
            figures["broker stopped: s until every /ready 503"] = round(await until_all(processes, 503, 30), 1)
            named = await failing(processes)
            figures["broker down: what /ready names as failing"] = sorted({", ".join(v) for v in named.values()})
            polls, wrong = await watch(processes, 3.0, 503)
            figures["broker down: /ready polls"], figures["broker down: /ready not 503"] = polls, wrong
        finally:
            await asyncio.to_thread(rabbitmqctl, "start_app")
            await asyncio.to_thread(rabbitmqctl, "await_startup")
        restarted = marks["after start_app (services reconnecting)"] = time.monotonic()
        await publish_more(ledger[0], rng, "restarted")
        await until_all(processes, 200, 90)
        figures["broker started: s until every /ready 200"] = round(time.monotonic() - restarted, 1)
        await consumers_back(rabbit_url)
        figures["broker started: s until every consumer is back"] = round(time.monotonic() - restarted, 1)
        marks["after every service was ready again"] = time.monotonic()
        await publish_more(ledger[0], rng, "after")

    result = await drill(rabbit_url, mongo_url, db_prefix, min(EVENTS, 1000), fault, rng)
    phases = phase_of(result.ledger, marks)
    record("process faults: broker connections closed, broker restarted", {
        **result.figures(), **figures, "faults injected": "close_all_connections, stop_app + start_app",
        "intakes confirmed by the broker, by phase": dict(phases)})
    assert figures["broker down: /ready not 503"] == 0
    assert figures["broker down: what /ready names as failing"] == ["broker"]
    assert phases["after start_app (services reconnecting)"] > 0, "nothing was sent while reconnecting"
    assert phases["after every service was ready again"] > 0
    result.check()


# -- 3. the database stopped for 10 s ------------------------------------------------------------------------------


@pytest.mark.timeout(420)
async def test_ready_turns_503_while_the_database_is_down_and_nothing_is_lost_or_doubled_when_it_is_back(
    start_service: Start, rabbit_url: str, db_prefix: str, tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    port = embedded_db.free_port()
    storage = tmp_path / "db"
    database = [embedded_db.start(storage, port=port, log=tmp_path / "db.log")]
    figures: dict[str, Any] = {}
    processes: dict[str, ServiceProcess] = {}
    try:
        processes.update(start_suite(start_service, MONGO_URL=database[0].url))

        async def outage(started: float) -> None:
            await asyncio.sleep(rng.uniform(2.0, 4.0))
            try:
                stopped = time.monotonic()
                await asyncio.to_thread(database[0].stop)
                figures["database stopped: s until every /ready 503"] = round(await until_all(processes, 503, 30), 1)
                named = await failing(processes)
                figures["database down: what /ready names as failing"] = sorted({", ".join(v) for v in named.values()})
                polls, wrong = await watch(processes, max(0.0, stopped + 10.0 - time.monotonic()), 503)
                figures["database down: /ready polls"], figures["database down: /ready not 503"] = polls, wrong
            finally:
                database[0] = await asyncio.to_thread(embedded_db.start, storage, port=port, log=tmp_path / "db.log")
            figures["database down for s"] = round(time.monotonic() - stopped, 1)
            figures["database back: s until every /ready 200"] = round(await until_all(processes, 200, 60), 1)

        result = await drill(rabbit_url, database[0].url, db_prefix, min(EVENTS, 1000), lambda _: outage, rng)
    finally:
        for process in processes.values():  # before their database, so that they stop at once
            process.stop()
        database[0].stop()
    record("process faults: database stopped for 10 s", {**result.figures(), **figures,
                                                          "faults injected": "the database stopped (SIGINT) for 10 s"})
    assert figures["database down: /ready not 503"] == 0
    assert figures["database down: what /ready names as failing"] == ["database"]
    result.check()


# -- 4. poison: a handler that fails every time on one input ------------------------------------------------------


async def dead_letters(rabbit_url: str, queue: str, enough: Callable[[set[str]], bool],
                       timeout: float = 60.0) -> dict[str, Any]:
    """Read (and ack) a dead-letter queue's messages, by message id, until `enough(ids)` (or the time is up)."""
    found: dict[str, Any] = {}
    connection = await connect(rabbit_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue(queue, passive=True)
        deadline = time.monotonic() + timeout
        while not enough(set(found)) and time.monotonic() < deadline:
            message = await dlq.get(no_ack=False, fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            await message.ack()
            found[str(message.message_id)] = message
    return found


def dead_letter_row(message: Any, sent_at: datetime) -> dict[str, Any]:
    headers = message.headers or {}
    dead_at = datetime.fromisoformat(str(headers.get("x-dead-lettered-at")))
    return {"queue": headers.get("x-original-queue"), "deliveries": headers.get("x-failed-deliveries"),
            "s from publication to dead letter": round((dead_at - sent_at).total_seconds(), 1),
            "reason": str(headers.get("x-error"))[:160]}


def proposal_of(ref: str, n: int = 0) -> dict[str, Any]:
    return {"project_ref": ref, "batch": "2015-1", "title": f"社区助老服务{n}", "category": "助老",
            "service_class": "public_welfare", "purchaser": {"kind": "street", "name": "玉林街道"},
            "budget_fen": 1_000_000 + n, "content": "为辖区老人提供助餐服务",
            "period": {"start": "2015-01-01", "end": "2015-12-31"}}


@pytest.mark.timeout(300)
async def test_a_poison_message_is_dead_lettered_with_its_reason_while_the_rest_flow(
    start_service: Start, rabbit_url: str, mongo_url: str, db_prefix: str, service_env: dict[str, str],
) -> None:
    start_suite(start_service, ["catalog", "evaluation"])
    limit = int(service_env["DELIVERY_LIMIT"])
    rows: dict[str, Any] = {}
    async with Ledger(rabbit_url) as ledger:
        # A real input: a reference ending in U+001F, which the proposal's validation keeps and the catalog's
        # look-up strips, so a second proposal of it is not found as existing and then collides on insert.
        first = await ledger.publish("intake.project.proposed", [proposal_of("POISON-1\x1f")])
        assert (await ledger.answers(first, "the first proposal"))[0]["type"] == "catalog.project.published"
        broken_award = {"contract_id": "C-BROKEN", "project_id": "no-such-project", "org_id": "O-1",
                        "amount_fen": "a great deal"}
        sent_at = datetime.now(UTC)
        [again] = await ledger.publish("intake.project.proposed", [proposal_of("POISON-1\x1f", 1)])
        [award] = await ledger.publish("matching.contract.awarded", [broken_award])
        good = await ledger.publish("intake.project.proposed", [proposal_of(f"GOOD-{n}", n) for n in range(300)])
        answers = await ledger.answers(good, "the proposals after the poison", timeout=120)
        catalog_dead = await dead_letters(rabbit_url, "catalog.dlq", lambda ids: award in ids and (
            again in ids or ledger.answer(again) is not None))
        evaluation_dead = await dead_letters(rabbit_url, "evaluation.dlq", lambda ids: award in ids)
        await ledger.quiet(1.0)
        counted = tally(ledger)
    real = "catalog: a real input, the same reference ending in U+001F proposed twice"
    if again in catalog_dead:
        rows[real] = dead_letter_row(catalog_dead[again], sent_at)
        assert ledger.answer(again) is None
        assert catalog_dead[again].headers["x-failed-deliveries"] == limit
        assert f"failed on {limit} deliveries" in str(catalog_dead[again].headers["x-error"])
    else:  # fixed: the repeat is recognised and refused, as any repeated reference is
        refused = ledger.answer(again)
        assert refused is not None and refused["type"] == "catalog.project.rejected", refused
        rows[real] = {"queue": "-", "deliveries": 1, "reason": "not poison: answered catalog.project.rejected"}
    rows["catalog: matching.contract.awarded breaking the contract"] = dead_letter_row(catalog_dead[award], sent_at)
    rows["evaluation: matching.contract.awarded breaking the contract"] = dead_letter_row(evaluation_dead[award],
                                                                                          sent_at)
    assert "unprocessable" in str(catalog_dead[award].headers["x-error"])
    assert set(catalog_dead) <= {again, award} and set(evaluation_dead) == {award}
    rows["in-process kernel service: a handler that always raises"] = await kernel_poison(rabbit_url, mongo_url,
                                                                                          db_prefix)
    record("process faults: poison messages", {
        "delivery limit (DELIVERY_LIMIT)": limit, "good intakes sent alongside": len(good),
        "good intakes answered": sum(1 for a in answers if a["type"] == "catalog.project.published"),
        "lost": len([i for i in good if ledger.answer(i) is None]), "doubled": len(counted.doubled),
        "dead letters": rows})
    assert counted.doubled == [] and all(a["type"] == "catalog.project.published" for a in answers)


async def kernel_poison(rabbit_url: str, mongo_url: str, db_prefix: str) -> dict[str, Any]:
    """The kernel's own poison scenario (tests/integration/test_kernel.py), in this process, measured."""
    async with BusProbe(rabbit_url) as bus, running(kernel_service(rabbit_url, mongo_url, f"{db_prefix}k", limit=3)):
        sent_at = datetime.now(UTC)
        poison = await bus.send("intake.kernel.work", {"n": 0, "poison": True})
        good = [await bus.send("intake.kernel.work", {"n": i}) for i in range(1, 101)]
        await bus.wait_for(lambda evs: all(bus.answers_to(g["event_id"]) for g in good), timeout=60)
        found = await dead_letters(rabbit_url, "kerneltest.dlq", lambda ids: bool(ids))
    [dead] = found.values()
    assert dead.message_id == poison["event_id"] and dead.headers["x-failed-deliveries"] == 3
    return {**dead_letter_row(dead, sent_at), "good alongside": len(good),
            "good answered": sum(1 for g in good if bus.answers_to(g["event_id"]))}


# -- 5. every cross-service event twice and out of order; two replicas at once ---------------------------------


DELIVERED = ["catalog", "matching", "training-grading", "evaluation"]


@dataclass
class Suite:
    """One suite of its own: a vhost, a database prefix, and the processes consuming there."""

    name: str
    rabbit_url: str
    prefix: str
    services: list[str]


def handled(process: ServiceProcess) -> int:
    """Deliveries the process has finished (handled, or found to be repeats), from its /metrics."""
    return sum(deliveries(process.url).values())


async def deliver(suite: Suite, start_service: Start, mongo_url: str, events: CrossServiceEvents,
                  rng: random.Random | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start the suite, publish the proposals, then the events: in order phase by phase (`rng` None), or every
    event 1-3 times in a random order; return the final state and the figures."""
    processes = [start_service(MODULES[name], RABBITMQ_URL=suite.rabbit_url, MONGO_DATABASE_PREFIX=suite.prefix,
                               TODAY=TODAY.isoformat()) for name in suite.services]
    dbs = Databases(mongo_url, suite.prefix)
    started = time.monotonic()
    try:
        async with Ledger(suite.rabbit_url) as ledger:
            await ledger.answers(await ledger.publish("intake.project.proposed", events.proposals), "proposals")
            await settled(suite.rabbit_url, dbs, DELIVERED)
            if rng is None:
                deliveries = len(events.events)
                for phase in events.phases:  # each phase consumed by all before the next is published
                    await ledger.publish_envelopes(phase)
                    await settled(suite.rabbit_url, dbs, DELIVERED)
            else:
                copies, deliveries = events.shuffled_with_repeats(rng)
                await ledger.publish_envelopes(copies)
                await settled(suite.rabbit_url, dbs, DELIVERED)
            dead = sum(n for q, n in (await asyncio.to_thread(queue_depths, suite.rabbit_url)).items()
                       if q.endswith(".dlq"))
            state = await final_state(dbs, DELIVERED)
            per_process = [await asyncio.to_thread(handled, p) for p in processes]
            assert min(per_process) > 0, f"a process consumed nothing: {per_process}"  # replicas share the work
    finally:
        await dbs.close()
        for process in processes:
            process.stop()
    return state, {
        "processes": ", ".join(suite.services), "deliveries published": deliveries, "dead-lettered": dead,
        "deliveries handled per process": ", ".join(f"{n} {c}" for n, c in zip(suite.services, per_process,
                                                                                  strict=True)),
        "documents": sum(len(docs) for collections in state.values() for docs in collections.values()),
        "seconds": round(time.monotonic() - started, 1)}


@pytest.mark.timeout(420)
async def test_cross_service_events_twice_and_out_of_order_and_two_replicas_reach_the_state_of_one_clean_delivery(
    start_service: Start, rabbit_base_url: str, rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    rng = random.Random(SEED)
    events = cross_service_events(rng)
    with isolated_vhost(rabbit_base_url) as shuffled_url, isolated_vhost(rabbit_base_url) as replicas_url:
        suites = [
            (Suite("once, in order", rabbit_url, db_prefix, DELIVERED), None),
            (Suite("1-3 times each, shuffled", shuffled_url, f"t{uuid.uuid4().hex[:8]}_", DELIVERED),
             random.Random(rng.random())),
            (Suite("two replicas of catalog and of matching, 1-3 times each, shuffled", replicas_url,
                   f"t{uuid.uuid4().hex[:8]}_", ["catalog", "catalog", "matching", "matching", "training-grading",
                                                 "evaluation"]), random.Random(rng.random())),
        ]
        results = [await deliver(suite, start_service, mongo_url, events, order) for suite, order in suites]
    clean = results[0][0]
    diffs = {suite.name: differences(clean, state) for (suite, _), (state, _) in zip(suites, results, strict=True)}
    record("process faults: duplicated and reordered deliveries, competing replicas", {
        "seed (FAULT_SEED)": SEED, "distinct cross-service events": len(events.events),
        "event types": ", ".join(sorted({e["type"] for e in events.events})),
        "suites": {suite.name: {**figures, "documents differing from the clean delivery": len(diffs[suite.name])}
                   for (suite, _), (_, figures) in zip(suites, results, strict=True)},
    })
    assert all(figures["dead-lettered"] == 0 for _, figures in results)
    assert {(service, name): len(clean[service][name]) for service, name in FILLED} == FILLED, "not all applied"
    differing = [f"{name}: {line}" for name, found in diffs.items() for line in found]
    assert not differing, "final state differs from the clean delivery:\n" + "\n".join(differing[:20])


# What the clean delivery leaves, by (service, collection): what the test's events say, so a delivery that
# applied nothing fails here rather than comparing two empty states.
FILLED = {("catalog", "projects"): 20, ("matching", "projects"): 20, ("matching", "organizations"): 40,
          ("matching", "grades"): 26, ("matching", "evaluations"): 10, ("training-grading", "organizations"): 40,
          ("evaluation", "contracts"): 20}

# services/catalog/domain.py `advance` adds 1 to the version per transition applied: published -> evaluated
# directly (the award delivered late) gives version 2 where the order published -> awarded -> evaluated gives 3.
