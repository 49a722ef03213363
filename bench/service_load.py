"""One service under load, as its own process, driven only through `district.events`.

The sequence, counting every event the process handles from its start:
1. warm-up events (answered, not timed);
2. saturated throughput: the rest of the first `events` published as fast as confirmed, timed until the last
   outcome arrived; the process's memory is read at that point (VmRSS, VmHWM);
3. latency: `rate` events/s offered open-loop for `seconds`;
4. memory: saturated chunks of 10,000 until `memory_total` events in all, the memory read after each chunk.
"""

from __future__ import annotations

import asyncio
import os
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from bench.load import (
    Bus,
    CpuMeter,
    MakeEvent,
    OpenLoop,
    Saturated,
    local_broker_pid,
    memory_of,
    open_loop,
    saturate,
)
from tests.support.processes import ServiceProcess

MEMORY_CHUNK = 10_000
# What a service must hold before its intake can succeed (another service's projections, a fair): sent through
# the bus to the running process, which it waits for; returns how to make the measured events.
Prepare = Callable[[str, ServiceProcess], Awaitable[MakeEvent]]


@dataclass
class MemoryPoint:
    events: int
    rss_mib: float
    hwm_mib: float
    chunk_rate: float


@dataclass
class GroupCommits:
    """During the saturated run: transactions that committed several events, and how many events they held."""

    transactions: int
    events: int

    @property
    def mean(self) -> float:
        return self.events / self.transactions if self.transactions else 0.0


def group_commits(service_url: str) -> tuple[int, int]:
    """The process's group commits so far and the events in them, from its /metrics."""
    with urllib.request.urlopen(f"{service_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = {s.name: int(s.value) for f in text_string_to_metric_families(text) for s in f.samples}
    return found.get("district_group_commits", 0), found.get("district_group_committed_events", 0)


@dataclass
class ServiceFigures:
    service: str
    env: dict[str, str]
    saturated: Saturated
    latency: OpenLoop
    memory: list[MemoryPoint] = field(default_factory=list)
    complete: bool = True
    log_tail: str = ""
    grouped: GroupCommits | None = None


def _point(pid: int, events: int, rate: float) -> MemoryPoint:
    memory = memory_of(pid)
    return MemoryPoint(events, memory["VmRSS"], memory["VmHWM"], rate)


async def measure_service(module: str, rabbit_url: str, mongo_url: str, make: MakeEvent | None,
                          outcomes: tuple[str, ...], *, expected: tuple[str, ...], warmup: int, events: int,
                          rate: float, seconds: float,
                          memory_total: int, env: dict[str, str] | None = None,
                          database_pid: int | None = None, prepare: Prepare | None = None) -> ServiceFigures:
    """Run `module` as `python -m services.<module>` on its own database and measure it (see the module doc).

    With `prepare` instead of `make`, it runs once the process is ready and returns the event maker."""
    extra = dict(env or {})
    process = ServiceProcess(module, {"RABBITMQ_URL": rabbit_url, "MONGO_URL": mongo_url,
                                      "MONGO_DATABASE_PREFIX": f"bench{uuid.uuid4().hex[:8]}_", **extra})
    process.start()
    try:
        process.wait_ready()
        assert process.process is not None
        pid = process.process.pid
        if prepare is not None:
            make = await prepare(rabbit_url, process)
        assert make is not None, "measure_service needs `make` or `prepare`"
        async with Bus(rabbit_url, outcomes, expected) as bus:
            done = 0
            warm = await saturate(bus, warmup, make, start=done, timeout=120)
            done += warmup
            meter = CpuMeter({module: pid, "database": database_pid, "broker": local_broker_pid(),
                              "load driver": os.getpid()})
            before = await asyncio.to_thread(group_commits, process.url)
            saturated = await saturate(bus, events - warmup, make, start=done, timeout=max(120.0, events / 20),
                                       meter=meter)
            after = await asyncio.to_thread(group_commits, process.url)
            grouped = GroupCommits(after[0] - before[0], after[1] - before[1])
            done = events
            memory = [_point(pid, done, saturated.rate)]
            latency = await open_loop(bus, rate, seconds, make, start=done)
            done += latency.sent
            complete = warm.complete and saturated.complete and latency.answered == latency.sent
            while done < memory_total and complete:
                chunk = await saturate(bus, min(MEMORY_CHUNK, memory_total - done), make, start=done,
                                       timeout=max(120.0, MEMORY_CHUNK / 20))
                done += chunk.events
                complete = chunk.complete
                memory.append(_point(pid, done, chunk.rate))
        return ServiceFigures(module, extra, saturated, latency, memory, complete, process.log(15), grouped)
    finally:
        process.stop()
