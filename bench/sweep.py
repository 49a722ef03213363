"""A sweep of the kernel's concurrency settings on one service: prefetch, group-commit batch size and the
transactions in flight, one factor at a time from the defaults, each a fresh process and database.

    .venv/bin/python -m bench.sweep [--service catalog] [--events 3000] [--output bench/SWEEP.md]

Each setting: a warm-up, then `--events` published as fast as confirmed (bench/load.py `saturate`); the rate, the
CPU per event of the service and the database, and the group commits (shared/batching.py) it made. The bare
relay is measured first in the same vhost, as the reference every rate is a share of.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import relay_baseline, stopping
from bench.load import Bus, CpuMeter, local_broker_pid, saturate
from bench.run import ROOT, SUITES, fresh_database, load_average
from bench.service_load import GroupCommits, group_commits
from shared.settings import DEFAULT_RABBITMQ_URL
from tests.support.endpoints import script_vhost
from tests.support.processes import ServiceProcess

DEFAULTS = {"PREFETCH": "64", "TRANSACTION_BATCH": "32", "TRANSACTIONS_IN_FLIGHT": "2"}
VARIED = {"PREFETCH": ("16", "64", "256"), "TRANSACTION_BATCH": ("1", "8", "32", "128"),
          "TRANSACTIONS_IN_FLIGHT": ("1", "2", "4")}


def settings() -> list[dict[str, str]]:
    """The defaults, then each factor varied alone (the defaults not repeated)."""
    chosen = [dict(DEFAULTS)]
    for name, values in VARIED.items():
        chosen += [{**DEFAULTS, name: v} for v in values if v != DEFAULTS[name]]
    return chosen


async def one(name: str, url: str, env: dict[str, str], events: int) -> tuple[float, dict[str, float], GroupCommits]:
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
                await saturate(bus, 300, make, start=10_000_000)
                meter = CpuMeter({"service": process.process.pid, "database": db_pid, "broker": local_broker_pid()})
                before = await asyncio.to_thread(group_commits, process.url)
                result = await saturate(bus, events, make, meter=meter, timeout=600)
                after = await asyncio.to_thread(group_commits, process.url)
        finally:
            process.stop()
    return result.rate, result.cpu_ms_per_event(), GroupCommits(after[0] - before[0], after[1] - before[1])


async def sweep(name: str, events: int) -> list[str]:
    base = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    lines = [f"# Sweep of the kernel's concurrency settings: {name}", "",
             f"Written by `{sys.executable} -m bench.sweep {' '.join(sys.argv[1:])}` on "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the start {load_average()}. Each row a "
             f"fresh process and database, {events:,} events saturated after a warm-up; one factor varied at a time "
             "from the defaults.", ""]
    with script_vhost(base) as url:
        relay = await relay_baseline.measure(url, events=events, warmup=300, rate=200, seconds=1)
        lines += [f"Bare two-hop relay in the same vhost: {relay.saturated.rate:,.0f} events/s.", "",
                  "| PREFETCH | TRANSACTION_BATCH | TRANSACTIONS_IN_FLIGHT | events/s | of the relay "
                  "| service ms CPU/event | database ms CPU/event | group commits | mean events each "
                  "| load average after |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for env in settings():
            rate, cpu, grouped = await one(name, url, env, events)
            lines.append(f"| {env['PREFETCH']} | {env['TRANSACTION_BATCH']} | {env['TRANSACTIONS_IN_FLIGHT']} | "
                         f"{rate:,.0f} | {rate / relay.saturated.rate:.0%} | {cpu.get('service', 0):.2f} | "
                         f"{cpu.get('database', 0):.2f} | {grouped.transactions:,} | {grouped.mean:.1f} | "
                         f"{load_average()} |")
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=[n for n, s in SUITES.items() if hasattr(s, "EVENT")], default="catalog")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "SWEEP.md")
    args = parser.parse_args()
    lines = stopping.run(sweep(args.service, args.events))
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
