"""The baseline: a bare aio-pika relay, no database, as fast as the broker lets one process answer events.

Two hops, the same shape as an intake answered by a service:

    producer --(hop 1)--> quorum queue `bench-relay.in` --> relay process --(hop 2)--> sink's queue

The relay is its own process (as a service is), consumes with the services' prefetch (64, `PREFETCH`), decodes
each envelope, publishes an answer (a new envelope with `correlation_id` = the event's id and the same data)
persistent and with publisher confirms, and acknowledges the event once the broker has confirmed the answer.
Each delivery is its own task, so up to `prefetch` confirms are in flight at once (pipelined). The queue is
declared with the services' own arguments (quorum, delivery limit, dead-letter exchange: `shared.topology`).

    python -m bench.relay_baseline serve --url amqp://... [--prefetch 64]   (the relay alone; run.py starts it)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from bench.load import (
    Bus,
    CpuMeter,
    OpenLoop,
    Saturated,
    intake_event,
    local_broker_pid,
    memory_of,
    open_loop,
    saturate,
)
from shared.failover import connect
from shared.topology import service_queue

IN_KEY = "bench.relay.requested"
OUT_KEY = "bench.relay.answered"
QUEUE = "bench-relay.in"
MAX_LIFETIME_SECONDS = 1800.0


async def serve(url: str, prefetch: int, lifetime: float) -> None:
    """Relay IN_KEY events to OUT_KEY answers until SIGTERM/SIGINT or `lifetime` seconds."""
    connection = await connect(url)
    consuming = await connection.channel()
    await consuming.set_qos(prefetch_count=prefetch)
    publishing = await connection.channel(publisher_confirms=True)
    exchange = await publishing.declare_exchange("district.events", aio_pika.ExchangeType.TOPIC, durable=True)
    await consuming.declare_exchange("district.events", aio_pika.ExchangeType.TOPIC, durable=True)
    arguments = service_queue("bench-relay", "in", IN_KEY, 10).arguments
    queue = await consuming.declare_queue(QUEUE, durable=True, arguments=arguments)
    await queue.bind("district.events", IN_KEY)

    async def relay(message: AbstractIncomingMessage) -> None:
        event: dict[str, Any] = json.loads(message.body)
        answer = {"event_id": str(uuid.uuid4()), "type": OUT_KEY, "version": 1,
                  "occurred_at": datetime.now(UTC).isoformat(), "source": "bench-relay",
                  "correlation_id": event["event_id"], "data": event["data"]}
        await exchange.publish(
            aio_pika.Message(json.dumps(answer).encode(), message_id=answer["event_id"],
                             correlation_id=event["event_id"], content_type="application/json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=OUT_KEY)
        await message.ack()

    await queue.consume(relay)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("ready", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), lifetime)
    await connection.close()


@dataclass
class RelayFigures:
    prefetch: int
    saturated: Saturated
    latency: OpenLoop
    rss_mib: dict[str, float]


def start_relay(url: str, prefetch: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.relay_baseline", "serve", "--url", url, "--prefetch", str(prefetch)],
        stdout=subprocess.PIPE, text=True, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    line = process.stdout.readline()  # the relay prints "ready" once it consumes; it exits on a failure
    if line.strip() != "ready":
        process.kill()
        raise RuntimeError(f"the relay did not start (exit code {process.wait()})")
    return process


def relay_payload(n: int) -> tuple[str, str, bytes]:
    """The same data as a catalog proposal, so bodies are the same size as the suite's."""
    from bench.suite_catalog import proposal

    return intake_event(IN_KEY, proposal(n, run="relay"))


async def measure(url: str, *, events: int, warmup: int, rate: float, seconds: float,
                  prefetch: int = 64) -> RelayFigures:
    """Start the relay, warm it, saturate it with `events`, then hold `rate` events/s for `seconds`."""
    process = start_relay(url, prefetch)
    try:
        async with Bus(url, (OUT_KEY,)) as bus:
            await saturate(bus, warmup, relay_payload, start=-warmup, timeout=60)
            meter = CpuMeter({"relay": process.pid, "broker": local_broker_pid(), "load driver": os.getpid()})
            saturated = await saturate(bus, events, relay_payload, timeout=max(60.0, events / 100), meter=meter)
            latency = await open_loop(bus, rate, seconds, relay_payload, start=events)
            rss = memory_of(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return RelayFigures(prefetch, saturated, latency, rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="run the relay until SIGTERM")
    run.add_argument("--url", required=True)
    run.add_argument("--prefetch", type=int, default=64)
    run.add_argument("--lifetime", type=float, default=MAX_LIFETIME_SECONDS)
    args = parser.parse_args()
    asyncio.run(serve(args.url, args.prefetch, args.lifetime))


if __name__ == "__main__":
    main()
