"""A sweep of the kernel's concurrency settings on one service: prefetch, group-commit batch size and the
transactions in flight, one factor at a time from the defaults (and any combination named with `--also`), each a
fresh process and database.

    .venv/bin/python -m bench.sweep [--service catalog] [--events 3000] [--rounds 2] [--seconds 10]
                                    [--vary TRANSACTIONS_IN_FLIGHT] [--also PREFETCH=256,TRANSACTIONS_IN_FLIGHT=4]
                                    [--output bench/SWEEP.md]

Each setting: a warm-up, then `--events` published as fast as confirmed (bench/load.py `saturate`): the rate, the
CPU per event of the service and the database, and the group commits (shared/batching.py) it made; then the
latency at 200 events/s offered for `--seconds` (bench/load.py `open_loop`). The bare relay is measured first in
the same vhost, as the reference every rate is a share of. With `--rounds`, the settings are run round after
round, in the same order each round, so that the machine's drift falls on every setting alike; each row gives
every round's rate and the median of each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench import relay_baseline, stopping
from bench.load import Bus, CpuMeter, local_broker_pid, open_loop, saturate
from bench.run import ROOT, SUITES, fresh_database, load_average
from bench.service_load import GroupCommits, group_commits
from shared.settings import DEFAULT_RABBITMQ_URL, BusSettings
from tests.support.endpoints import script_vhost
from tests.support.processes import ServiceProcess

# The services' own defaults (shared/settings.py), by the variable that sets each.
DEFAULTS = {str(BusSettings.model_fields[name].validation_alias): str(BusSettings.model_fields[name].default)
            for name in ("prefetch", "transaction_batch", "transactions_in_flight")}
VARIED = {"PREFETCH": ("16", "64", "256"), "TRANSACTION_BATCH": ("1", "8", "32", "128"),
          "TRANSACTIONS_IN_FLIGHT": ("1", "2", "4")}


RATE = 200.0  # events/s offered in the latency window, as in bench/run.py


def settings(also: list[dict[str, str]] | None = None, vary: list[str] | None = None) -> list[dict[str, str]]:
    """The defaults, then each factor varied alone (the defaults not repeated; only those in `vary` when given),
    then the combinations in `also`."""
    chosen = [dict(DEFAULTS)]
    for name, values in VARIED.items():
        if not vary or name in vary:
            chosen += [{**DEFAULTS, name: v} for v in values if v != DEFAULTS[name]]
    return chosen + [{**DEFAULTS, **combination} for combination in also or []]


def combination(text: str) -> dict[str, str]:
    """`--also`'s NAME=VALUE,NAME=VALUE, only of the swept settings."""
    chosen = dict(part.split("=", 1) for part in text.split(",") if "=" in part)
    unknown = set(chosen) - set(DEFAULTS)
    if not chosen or unknown or len(chosen) != text.count(",") + 1 or not all(
            v.isdigit() and int(v) > 0 for v in chosen.values()):
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=VALUE pairs separated by commas, VALUE a whole "
                                         f"number above 0, NAME one of {', '.join(DEFAULTS)}")
    return chosen


@dataclass
class Sample:
    rate: float
    cpu: dict[str, float]
    grouped: GroupCommits
    p50: float
    p99: float


async def one(name: str, url: str, env: dict[str, str], events: int, seconds: float, start: int) -> Sample:
    suite = SUITES[name]
    make = suite.EVENT  # not every suite has one: matching's events need a fair first
    with fresh_database([]) as (mongo_url, db_pid):
        process = ServiceProcess(name, {"RABBITMQ_URL": url, "MONGO_URL": mongo_url, "MONGO_DATABASE_PREFIX": "sweep_",
                                        "IDENTITY_HASH_KEY": "bench-identity-hash-key-not-for-production", **env})
        process.start()
        try:
            process.wait_ready()
            assert process.process is not None
            async with Bus(url, suite.OUTCOMES, suite.EXPECTED) as bus:
                await saturate(bus, 300, make, start=start)
                meter = CpuMeter({"service": process.process.pid, "database": db_pid, "broker": local_broker_pid()})
                before = await asyncio.to_thread(group_commits, process.url)
                result = await saturate(bus, events, make, start=start + 300, meter=meter, timeout=600)
                after = await asyncio.to_thread(group_commits, process.url)
                latency = await open_loop(bus, RATE, seconds, make, start=start + 300 + events)
        finally:
            process.stop()
    if not result.complete or latency.answered != latency.sent:
        raise RuntimeError(f"{name} with {env}: {result.answered} of {result.events} and {latency.answered} of "
                           f"{latency.sent} answered")
    return Sample(result.rate, result.cpu_ms_per_event(), GroupCommits(after[0] - before[0], after[1] - before[1]),
                  latency.p(50), latency.p(99))


def row(env: dict[str, str], samples: list[Sample], relay: float) -> str:
    rate = median(s.rate for s in samples)
    rates = ", ".join(f"{s.rate:,.0f}" for s in samples)
    transactions = median(s.grouped.transactions for s in samples)
    mean = median(s.grouped.mean for s in samples)
    return (f"| {env['PREFETCH']} | {env['TRANSACTION_BATCH']} | {env['TRANSACTIONS_IN_FLIGHT']} | {rates} | "
            f"**{rate:,.0f}** | {rate / relay:.0%} | {median(s.cpu.get('service', 0) for s in samples):.2f} | "
            f"{median(s.cpu.get('database', 0) for s in samples):.2f} | {transactions:,.0f} | {mean:.1f} | "
            f"{median(s.p50 for s in samples):.1f} | {median(s.p99 for s in samples):.1f} |")


async def sweep(name: str, events: int, rounds: int = 1, seconds: float = 10.0,
                also: list[dict[str, str]] | None = None, vary: list[str] | None = None) -> list[str]:
    base = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    chosen = settings(also, vary)
    lines = [f"# Sweep of the kernel's concurrency settings: {name}", "",
             f"Written by `{sys.executable} -m bench.sweep {' '.join(sys.argv[1:])}` on "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the start {load_average()}. Each row a "
             f"fresh process and database per round, {events:,} events saturated after a warm-up, then "
             f"{RATE:.0f} events/s offered for {seconds:g} s; one factor varied at a time from the defaults"
             f"{' (' + ', '.join(vary) + ' only)' if vary else ''}"
             f"{', then the combinations asked for' if also else ''}; {rounds} round(s), the settings in the same "
             "order each round; each figure is the median over the rounds.", ""]
    samples: list[list[Sample]] = [[] for _ in chosen]
    with script_vhost(base) as url:
        relay = await relay_baseline.measure(url, events=events, warmup=300, rate=RATE, seconds=1)
        for round_ in range(rounds):
            for k, env in enumerate(chosen):
                start = 10_000_000 * (1 + round_ * len(chosen) + k)
                samples[k].append(await one(name, url, env, events, seconds, start))
                print(f"round {round_ + 1}: {env}: {samples[k][-1]}", flush=True)
    lines += [f"Bare two-hop relay in the same vhost: {relay.saturated.rate:,.0f} events/s.", "",
              "| PREFETCH | TRANSACTION_BATCH | TRANSACTIONS_IN_FLIGHT | events/s, each round | events/s | of the "
              "relay | service ms CPU/event | database ms CPU/event | group commits | mean events each "
              f"| p50 at {RATE:.0f}/s (ms) | p99 (ms) |",
              "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
              *(row(env, found, relay.saturated.rate) for env, found in zip(chosen, samples, strict=True)), "",
              f"Load average at the end: {load_average()}."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=[n for n, s in SUITES.items() if hasattr(s, "EVENT")], default="catalog")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=1, help="each setting this many times, round after round")
    parser.add_argument("--seconds", type=float, default=10.0, help="the latency window at 200 events/s")
    parser.add_argument("--also", type=combination, action="append", default=[],
                        help="a combination to run as well, e.g. PREFETCH=256,TRANSACTIONS_IN_FLIGHT=4 (repeatable)")
    parser.add_argument("--vary", choices=list(VARIED), action="append", default=[],
                        help="vary only this factor (repeatable); all of them when none is named")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "SWEEP.md")
    args = parser.parse_args()
    lines = stopping.run(sweep(args.service, args.events, args.rounds, args.seconds, args.also, args.vary))
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
