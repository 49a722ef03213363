"""Across services: an award fanning out to two services, and the district's whole year (`make demo`'s cycle).

- **Fan-out**: the catalog and evaluation as processes; the catalog first publishes the projects, then each
  `matching.contract.awarded` (source matching) for one of them moves the catalog's project to `awarded` and opens
  evaluation's monitoring. An award counts as answered when both `catalog.project.status_changed` and
  `evaluation.monitoring.opened` have arrived: saturated throughput, and latency at a fixed offered rate.
- **District year**: the five services as processes in drill mode, and the demo's cycle (tools/demo) run against
  them: seed, training, grading, the fair, delivery; each stage's time and the intake events it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.load import Bus, CpuMeter, OpenLoop, Outgoing, Saturated, intake_event, open_loop, saturate
from bench.suite_catalog import proposed
from bench.suite_evaluation import award
from shared.contracts.matching import CONTRACT_AWARDED
from shared.operator import fetch_all
from tests.support.processes import ServiceProcess
from tools.demo.bus import DemoBus, Progress
from tools.demo.cycle import CycleRecord, CycleScale, grade, hold_fair, new_record, seed, train
from tools.demo.delivery import deliver
from tools.suite import SUITE

FAN_OUT = ("catalog.project.status_changed", "evaluation.monitoring.opened")
DRILL = {"DISTRICT_CLOCK": "drill", "DISTRICT_ENV": "development"}


@dataclass
class FanOutFigures:
    projects: int
    saturated: Saturated
    latency: OpenLoop


@contextlib.contextmanager
def services(modules: Sequence[str], rabbit_url: str, mongo_url: str | Mapping[str, str],
             env: dict[str, str] | None = None) -> Iterator[dict[str, ServiceProcess]]:
    """The services as processes, each its own database: on one server (`mongo_url` a URL) or each on its own
    (`mongo_url` a URL per module, as `make dev` runs them); ready; stopped after."""
    prefix = f"bench{uuid.uuid4().hex[:8]}_"
    started: dict[str, ServiceProcess] = {}
    try:
        for module in modules:
            url = mongo_url if isinstance(mongo_url, str) else mongo_url[module]
            process = ServiceProcess(module, {"RABBITMQ_URL": rabbit_url, "MONGO_URL": url,
                                              "MONGO_DATABASE_PREFIX": prefix,
                                              "IDENTITY_HASH_KEY": "bench-identity-hash-key-not-for-production",
                                              **(env or {})})
            started[module] = process.start()
        for process in started.values():
            process.wait_ready()
        yield started
    finally:
        for process in started.values():
            process.stop()


async def fan_out(rabbit_url: str, mongo_url: str, *, warmup: int, events: int, rate: float, seconds: float,
                  database_pid: int | None = None) -> FanOutFigures:
    """Awards of published projects, each answered by the catalog and evaluation (see the module doc)."""
    needed = warmup + events + int(rate * seconds)
    with services(("catalog", "evaluation"), rabbit_url, mongo_url) as running:
        async with Bus(rabbit_url, ("catalog.project.published",)) as catalog:
            published = await saturate(catalog, needed, lambda n: proposed(100_000_000 + n), timeout=600)
        if not published.complete:
            raise RuntimeError(f"the catalog published {published.answered} of {needed} projects")
        project_ids = await _project_ids(running["catalog"], needed)

        def awarded(n: int) -> Outgoing:
            return intake_event(CONTRACT_AWARDED, {**award(n), "project_id": project_ids[n]}, source="matching")

        async with Bus(rabbit_url, ("catalog.project.#", "evaluation.monitoring.#"), FAN_OUT,
                       every_expected=True) as bus:
            await saturate(bus, warmup, awarded, timeout=300)
            pids = {m: p.process.pid for m, p in running.items() if p.process is not None}
            meter = CpuMeter({**pids, "database": database_pid, "load driver": os.getpid()})
            saturated = await saturate(bus, events, awarded, start=warmup, timeout=600, meter=meter)
            latency = await open_loop(bus, rate, seconds, awarded, start=warmup + events)
    return FanOutFigures(needed, saturated, latency)


async def _project_ids(catalog: ServiceProcess, count: int) -> list[str]:
    """The ids of the catalog's projects, read through its API (the order does not matter)."""
    found = await asyncio.to_thread(fetch_all, catalog.url, "/projects")
    return [p["project_id"] for p in found][:count]


class CountingBus(DemoBus):
    """The demo's bus, counting the intake events it sends."""

    sent = 0

    async def publish(self, type_: str, items: Sequence[dict[str, Any]]) -> list[str]:
        self.sent += len(items)
        return await super().publish(type_, items)


@dataclass
class Stage:
    name: str
    seconds: float
    intakes: int

    @property
    def rate(self) -> float:
        return self.intakes / self.seconds if self.seconds > 0 else 0.0


@dataclass
class YearFigures:
    scale: str
    stages: list[Stage] = field(default_factory=list)
    record: CycleRecord | None = None

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)

    @property
    def intakes(self) -> int:
        return sum(s.intakes for s in self.stages)


async def district_year(rabbit_url: str, mongo_urls: Mapping[str, str], scale: CycleScale, label: str,
                        env: dict[str, str] | None = None) -> YearFigures:
    """The demo's cycle against the five services started here in drill mode, each on its own database server
    (`mongo_urls`, by module), as `make dev` runs them (see the module doc)."""
    figures = YearFigures(label)
    with services([s.module for s in SUITE], rabbit_url, mongo_urls, {**DRILL, **(env or {})}) as running:
        saved = {s.port_var: os.environ.get(s.port_var) for s in SUITE}
        os.environ.update({s.port_var: str(running[s.module].port) for s in SUITE})  # the demo reads them
        try:
            record = new_record(scale)
            rng = random.Random(2015)
            bus = CountingBus(rabbit_url, Progress(enabled=False))
            async with bus:
                stages = [("seed", seed(bus, record)), ("training", train(bus, record, scale)),
                          ("grading", grade(bus, record, scale, rng)), ("fair", hold_fair(bus, record, scale, rng)),
                          ("delivery", deliver(bus, record, rng))]
                for name, stage in stages:
                    before, started = bus.sent, time.monotonic()
                    await stage
                    figures.stages.append(Stage(name, time.monotonic() - started, bus.sent - before))
            figures.record = record
        finally:
            for var, value in saved.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value
    return figures
