"""Runs every benchmark in one go on this machine and writes bench/RESULTS.md.

    .venv/bin/python -m bench.run            # full: 100,000 events through each service (`make bench`, 40-60 min)
    .venv/bin/python -m bench.run --quick    # 10,000 events through each service, shorter runs (~10 min)

In order: the bare two-hop relay (the baseline), the embedded database alone, each of the five service processes
(throughput, latency at a fixed offered rate, memory), an award's fan-out to two services, the source district's
year (bench/district.py), and bench/matching_solvers.py. The broker is RabbitMQ at RABBITMQ_URL (default the local
one), each part in a vhost created for it and deleted after it; the database is a fresh embedded SecantusDB per
part (or MONGO_URL when set, each part in databases of its own). Every load goes to 127.0.0.1, is bounded in count and
time, and stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    cluster_catalog,
    db_baseline,
    district,
    relay_baseline,
    stopping,
    suite_catalog,
    suite_evaluation,
    suite_matching,
    suite_registration,
    suite_training,
)
from bench.results import SOURCE_AGAIN, Machine, Run, render, render_years
from shared import embedded_db
from shared.settings import DEFAULT_RABBITMQ_URL, BusSettings
from tests.support.endpoints import script_vhost
from tools.demo.cycle import FULL as SOURCE_YEAR
from tools.demo.cycle import CycleScale
from tools.seed import WUHOU, DistrictSize
from tools.suite import SUITE

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
YEARS = ROOT / "bench" / "YEARS.md"


@dataclass(frozen=True)
class Plan:
    warmup: int
    relay_events: int
    rate: float
    latency_seconds: float
    db_sequential: int
    db_concurrent: int
    db_batched: int
    service_events: int  # each service's throughput run, warm-up included; memory is read at its end
    service_total: int  # events through each service in all; memory is read after every 10,000 and at the end
    fan_out_events: int


FULL = Plan(warmup=500, relay_events=20_000, rate=200, latency_seconds=20, db_sequential=1_000,
            db_concurrent=3_000, db_batched=10_000, service_events=10_000, service_total=100_000,
            fan_out_events=3_000)
QUICK = Plan(warmup=300, relay_events=5_000, rate=200, latency_seconds=10, db_sequential=300, db_concurrent=1_000,
             db_batched=3_000, service_events=5_000, service_total=10_000,
             fan_out_events=1_000)
# The source's district ten times over: 2,400 projects, 11,770 organizations, 550 invited to the fair.
TEN_TIMES = CycleScale(
    DistrictSize("wuhou-x10", projects=2_400, organizations=11_770, communities=83, flagship_organizations=180,
                 seed=20141119, ref_prefix="2015-1-X", key_prefix="seed-x10"),
    trained_people=11_500, course_capacity=50, assessments=1_200, interests_per_org=SOURCE_YEAR.interests_per_org,
    slots=SOURCE_YEAR.slots)
TEN_TIMES_ENV = {"MATCHING_RULES": '{"invite_limit": 550}'}
assert SOURCE_YEAR.district == WUHOU
# Each service's intake -> outcome path (bench/suite_*.py), in the order they are measured.
SUITES = {"catalog": suite_catalog, "registration": suite_registration, "training_grading": suite_training,
          "matching": suite_matching, "evaluation": suite_evaluation}


def machine() -> Machine:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else "MemTotal: 0 kB"
    total_kib = int(next(line for line in meminfo.splitlines() if line.startswith("MemTotal")).split()[1])
    versions = {name: importlib.metadata.version(name) for name in ("secantusdb", "aio-pika", "pymongo", "faststream")}
    if shutil.which("rabbitmqctl"):
        found = subprocess.run(["rabbitmqctl", "-q", "version"], capture_output=True, text=True, check=False)
        versions = {"RabbitMQ": found.stdout.strip() or "unknown", **versions}
    return Machine(platform=platform.platform(), cpu=models[0] if models else platform.processor() or "unknown",
                   cores=os.cpu_count() or 0, memory_gib=total_kib / 2**20, python=platform.python_version(),
                   versions=versions)


def say(line: str) -> None:
    print(f"bench: {line}", flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextlib.contextmanager
def fresh_database(commands: list[str]) -> Iterator[tuple[str, int | None]]:
    """A fresh embedded server in a temporary folder (or MONGO_URL when set): its URL and its process id."""
    if os.environ.get("MONGO_URL"):
        yield os.environ["MONGO_URL"], None
        return
    folder = Path(tempfile.mkdtemp(prefix="district-bench-db-"))
    server = embedded_db.start(folder / "data", log=folder / "secantusd.log")
    commands.append(f"secantusd-py --host 127.0.0.1 --port {server.port} --storage-path {folder / 'data'}"
                    "  # shared/embedded_db.py")
    try:
        yield server.url, server.process.pid
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_databases(commands: list[str], modules: Sequence[str]) -> Iterator[dict[str, str]]:
    """A fresh embedded server for each of `modules`, as `make dev` runs them (or MONGO_URL for all when set): each
    module's URL."""
    if os.environ.get("MONGO_URL"):
        yield {module: os.environ["MONGO_URL"] for module in modules}
        return
    commands.append("secantusd-py --host 127.0.0.1 --port <free> --storage-path <temporary>  # one per service, "
                    "as make dev runs them (shared/embedded_db.py)")
    with contextlib.ExitStack() as stack:
        yield {module: stack.enter_context(fresh_database([]))[0] for module in modules}


@contextlib.contextmanager
def part_vhost(commands: list[str]) -> Iterator[str]:
    """A provisioned vhost of one part's own, deleted after it. A service's queues outlive its process: in one
    vhost for the whole run, the evaluation suite's 100,000 awards waited in the catalog's queue (left by the
    catalog's suite), and the fan-out's catalog had to dead-letter them all before it reached its own awards."""
    with script_vhost(os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)) as url:
        vhost = url.rsplit("/", 1)[-1]
        commands.append(f"rabbitmqctl add_vhost {vhost}  # this part's own; deleted after it")
        yield url


async def measure_all(plan: Plan, run: Run, services: list[str], ten_times: bool, years_only: bool = False) -> None:
    if not years_only:
        await measure_parts(plan, run, services)
        if services:
            return
    await measure_years(run, ten_times)


async def measure_parts(plan: Plan, run: Run, services: list[str]) -> None:
    """The relay and database baselines, each service named (all when none is), the fan-out when none is."""
    with part_vhost(run.commands) as url:
        run.commands.append(f"{sys.executable} -m bench.relay_baseline serve --url <vhost> --prefetch 64")
        run.relay = await relay_baseline.measure(url, events=plan.relay_events, warmup=plan.warmup,
                                                 rate=plan.rate, seconds=plan.latency_seconds)
    say(f"bare relay: {run.relay.saturated.rate:,.0f} events/s, p99 {run.relay.latency.p(99):.1f} ms")
    with fresh_database(run.commands) as (mongo_url, _):
        run.database = await db_baseline.measure(mongo_url, sequential=plan.db_sequential,
                                                 concurrent=plan.db_concurrent, batches=plan.db_batched)
    say("database: " + "; ".join(f"{f.mode} {f.rate:,.0f}/s" for f in run.database))
    for name, module in SUITES.items():
        if services and name not in services:
            continue
        with part_vhost(run.commands) as url, fresh_database(run.commands) as (mongo_url, pid):
            run.commands.append(f"{sys.executable} -m services.{name}  # RABBITMQ_URL=<vhost> MONGO_URL=<that>")
            figures = await module.measure(url, mongo_url, warmup=plan.warmup, events=plan.service_events,
                                           rate=plan.rate, seconds=plan.latency_seconds,
                                           memory_total=plan.service_total, database_pid=pid)
            run.services.append(figures)
            say(f"{name}: {figures.saturated.rate:,.0f} events/s, p99 {figures.latency.p(99):.1f} ms, VmRSS "
                + " → ".join(f"{p.rss_mib:.1f} MiB at {p.events:,}" for p in figures.memory))
            if not figures.complete:
                run.problems.append(f"{name}: some events were not answered in time; its log ends:\n"
                                    f"```\n{figures.log_tail}\n```")
    if services:
        return
    with part_vhost(run.commands) as url, fresh_database(run.commands) as (mongo_url, pid):
        run.commands.append(f"{sys.executable} -m services.catalog, services.evaluation  # the fan-out")
        run.fan_out = await district.fan_out(url, mongo_url, warmup=plan.warmup, events=plan.fan_out_events,
                                             rate=plan.rate, seconds=plan.latency_seconds, database_pid=pid)
    say(f"fan-out: {run.fan_out.saturated.rate:,.0f} awards/s, p99 {run.fan_out.latency.p(99):.1f} ms")


async def measure_years(run: Run, ten_times: bool) -> None:
    """The source's district year, then (with `ten_times`) the district ten times its size and the source's year
    again, each on a fresh database and a vhost of its own: the ten-times year is judged against the source's
    measured on either side of it, as the machine's speed drifts over a run (a source's year of 25.9 s at the start
    of an afternoon was 31.0 s at its end)."""
    years: list[tuple[str, CycleScale, dict[str, str]]] = [("source", SOURCE_YEAR, {})]
    if ten_times:
        years += [("ten times", TEN_TIMES, TEN_TIMES_ENV), (SOURCE_AGAIN, SOURCE_YEAR, {})]
    for label, scale, env in years:
        with part_vhost(run.commands) as url, fresh_databases(run.commands, [s.module for s in SUITE]) as mongo_urls:
            settings = " ".join(f"{k}={v!r}" for k, v in env.items())
            run.commands.append(f"the five services (DISTRICT_CLOCK=drill {settings}) + tools/demo's cycle, "
                                f"{scale.district.name}  # bench/district.py")
            year = await district.district_year(url, mongo_urls, scale, label, env)
        run.years.append(year)
        say(f"district year ({label}): {year.seconds:.1f} s, " + ", ".join(
            f"{s.name} {s.seconds:.1f} s" for s in year.stages))


def matching_solvers(quick: bool, run: Run) -> str:
    command = [sys.executable, "bench/matching_solvers.py", *(["--quick"] if quick else [])]
    run.commands.append(" ".join(command))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        run.problems.append(f"bench/matching_solvers.py exited with {done.returncode}: {done.stderr[-1000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 events through each service, shorter runs")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the results (bench/RESULTS.md)")
    parser.add_argument("--service", action="append", choices=list(SUITES), default=[],
                        help="measure only this service (repeatable); the baselines run always, the fan-out and "
                             "the district year only when no service is named")
    parser.add_argument("--ten-times", action="store_true",
                        help="the ten-times district's year as well, and the source's again after it")
    parser.add_argument("--years-only", action="store_true",
                        help="only the district years (with --ten-times: the source's, the ten-times one and the "
                             "source's again), written to bench/YEARS.md")
    args = parser.parse_args()
    if args.years_only and args.output == RESULTS:
        args.output = YEARS
    plan = QUICK if args.quick else FULL
    bus = BusSettings()
    run = Run(started=datetime.now(UTC), finished=datetime.now(UTC), quick=args.quick, machine=machine(),
              settings={"PREFETCH": str(bus.prefetch), "TRANSACTION_BATCH": str(bus.transaction_batch),
                        "TRANSACTIONS_IN_FLIGHT": str(bus.transactions_in_flight)},
              commands=[f"{sys.executable} -m bench.run {' '.join(sys.argv[1:])}".strip()],
              load_average={"at the start": load_average()})
    say(f"{'quick' if args.quick else 'full'} run; results go to {args.output}")
    try:
        stopping.run(measure_all(plan, run, args.service, args.ten_times, args.years_only))
    except Exception as exc:  # write what was measured, and why the rest is missing
        run.problems.append(f"the run stopped early: {type(exc).__name__}: {exc}")
    if args.years_only:
        run.finished = datetime.now(UTC)
        run.load_average["at the end"] = load_average()
        args.output.write_text(render_years(run))
    else:
        run.load_average["after the broker and database parts"] = load_average()
        run.solvers = matching_solvers(args.quick, run)
        run.finished = datetime.now(UTC)
        run.load_average["at the end"] = load_average()
        # The cluster's row is measured apart (bench/cluster_catalog.py, which needs `make cluster`): kept.
        kept = cluster_catalog.kept_section(args.output)
        args.output.write_text(render(run) + (f"\n{kept.rstrip()}\n" if kept else ""))
    with contextlib.suppress(Exception):  # the figures themselves, to render again after a change of results.py
        args.output.with_suffix(".pickle").write_bytes(pickle.dumps(run))
    say(f"done in {(run.finished - run.started).total_seconds() / 60:.1f} minutes; results in {args.output}")
    if run.problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
