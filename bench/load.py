"""The load driver every benchmark shares: a confirming producer, an outcome sink, and the two load shapes.

- `saturate`: publish N events as fast as the broker confirms them (a window of unconfirmed publishes in flight)
  and time from the first publish until the last outcome has arrived.
- `open_loop`: send at a fixed rate on a clock (a send is never held back by a slow answer), and measure each
  event's latency as the outcome's arrival time minus the time its send was scheduled for, matched by
  correlation id. Scheduling from the clock, not from the previous answer, keeps a slow system from hiding
  its own queueing delay (no coordinated omission).

Everything talks to 127.0.0.1 only, is bounded in count and time, and stops by itself.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection

from shared.failover import connect

EXCHANGE = "district.events"
# One event to send: its routing key, its event_id (outcomes carry it as correlation_id) and its body.
Outgoing = tuple[str, str, bytes]
MakeEvent = Callable[[int], Outgoing]


def intake_event(type_: str, data: dict[str, Any], source: str = "bench") -> Outgoing:
    """An envelope as another district system would send it (CONTRACT.md, "Bus")."""
    event_id = str(uuid.uuid4())
    body = {"event_id": event_id, "type": type_, "version": 1, "occurred_at": datetime.now(UTC).isoformat(),
            "source": source, "correlation_id": None, "data": data}
    return type_, event_id, json.dumps(body, ensure_ascii=False).encode()


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def memory_of(pid: int) -> dict[str, float]:
    """The process's resident set now and at its peak (VmRSS, VmHWM), in MiB, from /proc/<pid>/status."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used so far (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def local_broker_pid() -> int | None:
    """The local RabbitMQ's Erlang VM, if one runs on this machine (read-only: its CPU time is measured)."""
    if shutil.which("pgrep") is None:
        return None
    found = subprocess.run(["pgrep", "-o", "-x", "beam.smp"], capture_output=True, text=True, check=False)
    return int(found.stdout.split()[0]) if found.returncode == 0 and found.stdout.split() else None


class CpuMeter:
    """CPU seconds each watched process, and the whole machine, used between `start` and `stop`."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid is not None}
        self.used: dict[str, float] = {}
        self._before: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        readings = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        readings["machine (every process)"] = machine_busy_seconds()
        return readings

    def start(self) -> None:
        self._before = self._now()

    def stop(self) -> dict[str, float]:
        after = self._now()
        self.used = {name: after[name] - self._before[name] for name in after}
        return self.used


class Bus:
    """The driver's two connections: one publishes with confirms, the other receives outcomes."""

    def __init__(self, url: str, outcome_patterns: tuple[str, ...], expected: tuple[str, ...] = (), *,
                 every_expected: bool = False) -> None:
        self.url = url
        self.patterns = outcome_patterns
        # Only these outcome types count as throughput (a rejection answers an event but is no work done);
        # empty: every outcome counts. With `every_expected`, an event is answered once an outcome of each
        # expected type has arrived (a fan-out: one event, answers from several services).
        self.expected = frozenset(expected)
        self.every_expected = every_expected
        self._seen: dict[str, set[str]] = {}
        self.arrivals: dict[str, float] = {}
        self.expected_ids: set[str] = set()
        self.types: collections.Counter[str] = collections.Counter()
        self._waiting: set[str] = set()
        self._all_arrived = asyncio.Event()
        self._connections: list[AbstractRobustConnection] = []
        self.exchange: AbstractExchange | None = None

    async def __aenter__(self) -> Bus:
        publishing = await connect(self.url)
        receiving = await connect(self.url)
        self._connections = [publishing, receiving]
        channel = await publishing.channel(publisher_confirms=True)
        self.exchange = await _events_exchange(channel)
        inbound = await receiving.channel()
        await _events_exchange(inbound)
        queue = await inbound.declare_queue("", exclusive=True, auto_delete=True)
        for pattern in self.patterns:
            await queue.bind(EXCHANGE, pattern)
        await queue.consume(self._on_outcome, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for connection in self._connections:
            await connection.close()

    async def _on_outcome(self, message: AbstractIncomingMessage) -> None:
        correlation = message.correlation_id
        if correlation is not None and self.every_expected and correlation not in self.arrivals:
            seen = self._seen.setdefault(correlation, set())
            seen.add(message.routing_key or "?")
            if not self.expected <= seen:
                return
            del self._seen[correlation]
        if correlation is not None and correlation not in self.arrivals:
            self.arrivals[correlation] = time.monotonic()
            self.types[message.routing_key or "?"] += 1
            if not self.expected or message.routing_key in self.expected:
                self.expected_ids.add(correlation)
            if correlation in self._waiting:
                self._waiting.discard(correlation)
                if not self._waiting:
                    self._all_arrived.set()

    async def publish(self, outgoing: Outgoing) -> None:
        assert self.exchange is not None
        key, event_id, body = outgoing
        message = aio_pika.Message(body, message_id=event_id, content_type="application/json",
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self.exchange.publish(message, routing_key=key)

    async def until_answered(self, event_ids: list[str], timeout: float) -> bool:
        """Wait until every event has an outcome; False if `timeout` seconds pass first."""
        self._waiting = {e for e in event_ids if e not in self.arrivals}
        if not self._waiting:
            return True
        self._all_arrived.clear()
        try:
            await asyncio.wait_for(self._all_arrived.wait(), timeout)
        except TimeoutError:
            return False
        finally:
            self._waiting = set()
        return True


async def _events_exchange(channel: AbstractChannel) -> AbstractExchange:
    return await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)


@dataclass
class Saturated:
    """N events published as fast as confirmed; the time until the last outcome."""

    events: int
    answered: int
    seconds: float
    publish_seconds: float
    outcomes: dict[str, int] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def cpu_ms_per_event(self) -> dict[str, float]:
        return {name: used * 1000 / self.answered for name, used in self.cpu_seconds.items()} if self.answered else {}

    @property
    def complete(self) -> bool:
        return self.answered == self.events


async def saturate(bus: Bus, count: int, make: MakeEvent, *, start: int = 0, window: int = 500,
                   timeout: float = 600.0, meter: CpuMeter | None = None) -> Saturated:
    """Publish `count` events (numbered from `start`) with up to `window` unconfirmed; wait for every outcome.

    With a `meter`, the CPU time of its processes over the same span is kept with the figures."""
    outgoing = [make(start + n) for n in range(count)]
    ids = [event_id for _, event_id, _ in outgoing]
    before = collections.Counter(bus.types)
    gate = asyncio.Semaphore(window)

    async def send(one: Outgoing) -> None:
        try:
            await bus.publish(one)
        finally:
            gate.release()

    if meter is not None:
        meter.start()
    began = time.monotonic()
    tasks = []
    for one in outgoing:
        await gate.acquire()
        tasks.append(asyncio.create_task(send(one)))
    await asyncio.gather(*tasks)
    published = time.monotonic() - began
    await bus.until_answered(ids, timeout)
    answered_at = [bus.arrivals[e] for e in ids if e in bus.expected_ids]
    seconds = (max(answered_at) if answered_at else time.monotonic()) - began
    used = meter.stop() if meter is not None else {}
    return Saturated(count, len(answered_at), seconds, published, dict(bus.types - before), used)


@dataclass
class OpenLoop:
    """Latency at a fixed offered rate, per event from its scheduled send to its outcome's arrival."""

    rate: float
    seconds: float
    sent: int
    answered: int
    latencies_ms: list[float]
    worst_send_lag_ms: float
    outcomes: dict[str, int] = field(default_factory=dict)

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


async def open_loop(bus: Bus, rate: float, seconds: float, make: MakeEvent, *, start: int = 0,
                    drain_timeout: float = 60.0) -> OpenLoop:
    """Send `rate` events a second for `seconds`, each at its scheduled time, whatever the answers do."""
    count = int(rate * seconds)
    outgoing = [make(start + n) for n in range(count)]
    # The driver's own full collections (60-100 ms once it holds a saturated run's bookkeeping) would stop its
    # sends and its clock of arrivals and be counted as the system's latency: what exists now is frozen out of
    # the collector's reach first, as the services do after start-up.
    gc.collect()
    gc.freeze()
    before = collections.Counter(bus.types)
    scheduled: dict[str, float] = {}
    tasks: set[asyncio.Task[None]] = set()
    failed: list[BaseException] = []
    worst_lag = 0.0

    def sent(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failed.append(task.exception())  # type: ignore[arg-type]
    began = time.monotonic() + 0.05
    for n, one in enumerate(outgoing):
        due = began + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        worst_lag = max(worst_lag, time.monotonic() - due)
        scheduled[one[1]] = due
        task = asyncio.create_task(bus.publish(one))
        tasks.add(task)
        task.add_done_callback(sent)
    elapsed = time.monotonic() - began
    await asyncio.gather(*tasks, return_exceptions=True)
    if failed:
        raise RuntimeError(f"{len(failed)} of {count} publishes failed, the first: {failed[0]!r}")
    await bus.until_answered(list(scheduled), drain_timeout)
    latencies = sorted((bus.arrivals[e] - due) * 1000 for e, due in scheduled.items() if e in bus.expected_ids)
    return OpenLoop(rate, elapsed, count, len(latencies), latencies, worst_lag * 1000,
                    dict(bus.types - before))
