"""The catalog on `make cluster`'s three RabbitMQ nodes with two replicas, against the single node, in one run.

    make cluster && .venv/bin/python -m bench.cluster_catalog            # 5,000 events a row (~3 min)
    .venv/bin/python -m bench.cluster_catalog --events 10000

Four rows, each on a fresh embedded database and a vhost of its own: the single node (the broker on 5672) with one
catalog process and with two, then the three-node cluster with one and with two (replica k preferring node k).
Each row: a warm-up, then N intakes published as fast as confirmed, timed until the last outcome, with the CPU time
of the broker node(s), the catalog process(es) and the database over the same span. Every queue on the cluster is a
quorum queue with three replicas, so what the cluster rows add is the replication: each message is written on three
nodes and confirmed once a majority holds it.

Writes its section of bench/RESULTS.md ("Catalog on a three-node cluster"), replacing the one before; bench/run.py
keeps that section when it rewrites the file. Every load goes to 127.0.0.1, bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import stopping
from bench.load import Bus, CpuMeter, Saturated, local_broker_pid, saturate
from bench.suite_catalog import EXPECTED, OUTCOMES, proposed
from shared.settings import DEFAULT_RABBITMQ_URL
from tests.support.endpoints import script_vhost, user_url
from tests.support.processes import ServiceProcess
from tools import cluster

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Catalog on a three-node cluster (bench/cluster_catalog.py)"
WARMUP = 300


@dataclass
class Row:
    broker: str
    replicas: int
    figures: Saturated
    cpu_ms: dict[str, float] = field(default_factory=dict)


def say(line: str) -> None:
    print(f"bench: {line}", flush=True)


@contextlib.contextmanager
def cluster_vhost() -> Iterator[tuple[str, str]]:
    """A provisioned vhost of the run's own on the cluster: (its name, the administrator's URL on the first node)."""
    vhost = f"district-bench-{uuid.uuid4().hex[:8]}"
    seed = cluster.live_node()
    cluster.provision(seed, vhost)
    cluster.ctl(seed, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield vhost, cluster.NODES[0].url("guest", "guest", vhost)
    finally:
        cluster.ctl(cluster.live_node(), "delete_vhost", vhost)


async def run_row(broker: str, urls: list[str], bus_url: str, mongo_url: str, database_pid: int | None,
                  events: int, broker_pids: dict[str, int | None]) -> Row:
    prefix = f"bench{uuid.uuid4().hex[:8]}_"
    processes = [ServiceProcess("catalog", {"RABBITMQ_URL": url, "MONGO_URL": mongo_url,
                                            "MONGO_DATABASE_PREFIX": prefix}).start() for url in urls]
    try:
        for process in processes:
            process.wait_ready()
        async with Bus(bus_url, OUTCOMES, EXPECTED) as bus:
            await saturate(bus, WARMUP, proposed, timeout=120)
            pids: dict[str, int | None] = {**broker_pids, "database": database_pid}
            pids.update({f"catalog {k + 1}": p.process.pid if p.process else None for k, p in enumerate(processes)})
            meter = CpuMeter(pids)
            figures = await saturate(bus, events, proposed, start=WARMUP, timeout=max(300.0, events / 5),
                                     meter=meter)
    finally:
        for process in processes:
            process.stop()
    row = Row(broker, len(urls), figures, figures.cpu_ms_per_event())
    say(f"{broker}, {len(urls)} catalog process(es): {figures.rate:,.0f} events/s "
        f"({figures.answered:,}/{figures.events:,} answered)")
    return row


async def measure(events: int) -> tuple[list[Row], dict[str, float]]:
    from bench.run import fresh_database  # the same fresh embedded server per part as bench/run.py

    rows: list[Row] = []
    commands: list[str] = []
    single_pid = {"broker": local_broker_pid()}
    nodes = {n.nodename: cluster.beam_pid(n) for n in cluster.NODES}
    memory = {f"{n.nodename} before": cluster.memory_mb(n) for n in cluster.NODES}
    with script_vhost(os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)) as admin:
        for replicas in (1, 2):
            with fresh_database(commands) as (mongo_url, pid):
                rows.append(await run_row("single node", [user_url(admin, "catalog")] * replicas, admin, mongo_url,
                                          pid, events, single_pid))
    with cluster_vhost() as (vhost, admin):
        for replicas in (1, 2):
            urls = [cluster.urls("catalog", prefer=k, vhost=vhost) for k in range(replicas)]
            with fresh_database(commands) as (mongo_url, pid):
                rows.append(await run_row("three nodes", urls, admin, mongo_url, pid, events, nodes))
    memory.update({f"{n.nodename} after": cluster.memory_mb(n) for n in cluster.NODES})
    return rows, memory


def section(rows: list[Row], memory: dict[str, float], events: int) -> str:
    single = next(r for r in rows if r.broker == "single node" and r.replicas == 1).figures.rate
    lines = [
        HEADING, "",
        f"Written by `{' '.join(['python', '-m', 'bench.cluster_catalog', *sys.argv[1:]])}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, load average "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])} at the end. One run: the single node "
        "(the broker on 5672) and `make cluster`'s three nodes (quorum queues with three replicas), catalog "
        f"process(es) each on a fresh embedded database; {WARMUP} warm-up intakes, then {events:,} published as "
        "fast as confirmed, timed until the last outcome.", "",
        "| broker | catalog processes | events | answered | time to last outcome | throughput | vs single node, "
        "one process | broker CPU ms/event | catalog CPU ms/event | database CPU ms/event |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cpu = row.cpu_ms
        broker_cpu = sum(v for k, v in cpu.items() if k == "broker" or "@" in k)
        catalog_cpu = sum(v for k, v in cpu.items() if k.startswith("catalog"))
        lines.append(f"| {row.broker} | {row.replicas} | {row.figures.events:,} | {row.figures.answered:,} | "
                     f"{row.figures.seconds:.2f} s | **{row.figures.rate:,.0f} events/s** | "
                     f"{row.figures.rate / single:.0%} | {broker_cpu:.3f} | {catalog_cpu:.3f} | "
                     f"{cpu.get('database', 0.0):.3f} |")
    cluster_two = next(r for r in rows if r.broker == "three nodes" and r.replicas == 2)
    single_two = next(r for r in rows if r.broker == "single node" and r.replicas == 2)
    cost = 1 - cluster_two.figures.rate / single_two.figures.rate if single_two.figures.rate else 0.0
    lines += [
        "",
        f"The cost of replication, two processes on three nodes against two on one: **{cost:.0%} of the "
        f"throughput** ({cluster_two.figures.rate:,.0f} against {single_two.figures.rate:,.0f} events/s). On this "
        "machine all three nodes share two cores with the service processes and the database, so the cluster rows "
        "measure the extra work of replication (every message written on three nodes, confirmed by a majority), "
        "not what three machines would add. The load average above says how busy the machine was (other work "
        "included): a busy machine gives lower figures than a quiet one, so compare the rows of one run, not runs.",
        "",
        "Resident memory of the cluster's nodes (MB): "
        + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()) + ".", "",
    ]
    return "\n".join(lines)


def write(text: str, path: Path = RESULTS) -> None:
    """Replace this benchmark's section of `path` (or add it at the end)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    updated = pattern.sub(lambda _: text, current) if pattern.search(current) else current.rstrip("\n") + "\n\n" + text
    path.write_text(updated)


def kept_section(path: Path = RESULTS) -> str:
    """This benchmark's section as `path` holds it (bench/run.py keeps it when it rewrites the file), or ''."""
    if not path.exists():
        return ""
    found = re.search(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", path.read_text(), re.S | re.M)
    return found.group(0) if found else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not cluster.running():
        print("bench: the three-node cluster does not run: `make cluster` first", file=sys.stderr)
        return 2
    rows, memory = stopping.run(measure(args.events))
    write(section(rows, memory, args.events), args.output)
    say(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
