"""Writes bench/RESULTS.md from one run's figures: the machine, the commands, every figure, ratio and goal."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.db_baseline import DbFigure
from bench.district import FanOutFigures, YearFigures
from bench.load import OpenLoop, Saturated, percentile
from bench.relay_baseline import RelayFigures
from bench.service_load import ServiceFigures

BENCH = Path(__file__).resolve().parent
# Written by their own commands (bench/profile.py, bench/sweep.py), included as they stand.
INCLUDED = (("PROFILE.md", "Where a delivery's CPU goes"), ("SWEEP.md", "Sweep of the kernel's concurrency settings"))
MEMORY_FLAT_TOLERANCE = 0.10  # VmRSS after the last event within 10 % of VmRSS after 10,000 counts as flat
THROUGHPUT_GOALS = {"catalog": 0.50}  # of the bare relay's throughput in the same run
OTHER_THROUGHPUT_GOAL = 0.40  # every other service
P99_GOAL_MS = 50.0
# From this share of its saturated rate up, the queue is what sets a service's p99; below it, pauses do
QUEUEING_LOAD = 0.7
# A p99 within this many times the median: every event pays the time, not a few struck by pauses
SPREAD = 3.0
YEAR_GOAL_SECONDS = 20.0  # the source's district year, cycle time
TEN_TIMES_GOAL = 10.0  # the ten-times district in at most this many times the source's year
SOURCE_AGAIN = "source, again"  # the source's year measured after the ten-times one (bench/run.py)


@dataclass
class Machine:
    platform: str
    cpu: str
    cores: int
    memory_gib: float
    python: str
    versions: dict[str, str]


@dataclass
class Run:
    started: datetime
    finished: datetime
    quick: bool
    machine: Machine
    settings: dict[str, str]
    commands: list[str]
    load_average: dict[str, str]
    relay: RelayFigures | None = None
    database: list[DbFigure] = field(default_factory=list)
    services: list[ServiceFigures] = field(default_factory=list)
    fan_out: FanOutFigures | None = None
    years: list[YearFigures] = field(default_factory=list)
    solvers: str = ""
    problems: list[str] = field(default_factory=list)


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _rate(value: float) -> str:
    return f"{value:,.0f} events/s"


def _verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def goals(run: Run) -> list[str]:
    """One line per goal and service: met or not, with the figure it rests on."""
    if run.relay is None or not run.services:
        return ["- the goals need the relay baseline and the services' figures; some are missing"]
    relay = run.relay.saturated.rate
    lines = []
    for s in run.services:
        goal = THROUGHPUT_GOALS.get(s.service, OTHER_THROUGHPUT_GOAL)
        ratio = s.saturated.rate / relay
        lines.append(f"- {s.service} throughput ≥ {goal:.0%} of the bare two-hop relay: {_verdict(ratio >= goal)} — "
                     f"{_rate(s.saturated.rate)} vs {_rate(relay)} = **{ratio:.0%}**.")
    for s in run.services:
        p99 = s.latency.p(99)
        lines.append(f"- {s.service} p99 intake → outcome ≤ {P99_GOAL_MS:.0f} ms at {s.latency.rate:.0f} events/s "
                     f"offered: {_verdict(p99 <= P99_GOAL_MS and s.latency.answered == s.latency.sent)} — p99 "
                     f"**{_ms(p99)}** ({s.latency.answered:,} of {s.latency.sent:,} answered; its saturated rate was "
                     f"{_rate(s.saturated.rate)}).")
    for s in run.services:
        first, last = s.memory[0], s.memory[-1]
        growth = last.rss_mib / first.rss_mib - 1
        lines.append(f"- {s.service} memory flat from {first.events:,} to {last.events:,} events (VmRSS within "
                     f"{MEMORY_FLAT_TOLERANCE:.0%}): {_verdict(abs(growth) <= MEMORY_FLAT_TOLERANCE and s.complete)}"
                     f" — {first.rss_mib:.1f} MiB → **{last.rss_mib:.1f} MiB** ({growth:+.1%}); peak (VmHWM) "
                     f"{last.hwm_mib:.1f} MiB.")
    return lines + year_goals(run)


def year_goals(run: Run) -> list[str]:
    """The district years' goals: the source's year in cycle time, the ten-times district against it."""
    lines = []
    sources = [y for y in run.years if y.scale in ("source", SOURCE_AGAIN)]
    if sources:
        source = sum(y.seconds for y in sources) / len(sources)
        both = (f", the mean of {' and '.join(f'{y.seconds:.1f} s' for y in sources)} before and after the "
                f"ten-times year" if len(sources) > 1 else "")
        lines.append(f"- The source's district year in ≤ {YEAR_GOAL_SECONDS:.0f} s of cycle time: "
                     f"{_verdict(source <= YEAR_GOAL_SECONDS)} — **{source:.1f} s** "
                     f"({sources[0].intakes:,} intake events{both}).")
        ten = next((y for y in run.years if y.scale == "ten times"), None)
        if ten is not None:
            times = ten.seconds / source
            lines.append(f"- The ten-times district in ≤ {TEN_TIMES_GOAL:.0f}× the source's year: "
                         f"{_verdict(times <= TEN_TIMES_GOAL)} — **{ten.seconds:.1f} s**, {times:.1f}×.")
    return lines


def what_it_would_take(run: Run) -> list[str]:
    """For each goal a service missed: the figures of this run that say what meeting it needs."""
    if run.relay is None:
        return []
    relay = run.relay.saturated.rate
    lines = []
    for s in run.services:
        goal = THROUGHPUT_GOALS.get(s.service, OTHER_THROUGHPUT_GOAL)
        cpu = s.saturated.cpu_ms_per_event()
        needed = goal * relay
        if s.saturated.rate < needed:
            database, own = cpu.get("database", 0.0), cpu.get(s.service, 0.0)
            busy = cpu.get("machine (every process)", 0.0) * s.saturated.rate / 1000
            cores = run.machine.cores or 1
            if busy > 0.8 * cores:
                lines.append(
                    f"- **{s.service}**: during its saturated run the whole machine was busy on {busy:.2f} of its "
                    f"{cores} cores (other work included) while the service used {own * s.saturated.rate / 1000:.2f}"
                    f" and the database {database * s.saturated.rate / 1000:.2f}: the machine, not the service or "
                    "the database, set the rate here; the arithmetic that follows is for a machine of its own.")
            lines.append(
                f"- **{s.service}**, {_rate(s.saturated.rate)}, needs {_rate(needed)} ({goal:.0%} of the relay). Per "
                f"event it cost {own:.2f} ms of its own CPU and {database:.2f} ms of the database server's: at "
                f"{needed:,.0f}/s that is {needed * own / 1000:.2f} cores for the service and "
                f"{needed * database / 1000:.2f} for the database, which is one Python process (one core at most). "
                + (f"So the database's CPU per event must fall below {1000 / needed:.2f} ms (from {database:.2f}), "
                   "or the database be one that spends less per statement (a real MongoDB, `MONGO_URL`)."
                   if needed * database / 1000 > 1 else
                   "Both fit in a core each at that rate: with a core each (and the broker and the relay's share "
                   "besides), these figures would reach it; what this run lacked was the machine."))
        if s.latency.p(99) > P99_GOAL_MS:
            lines.append(_p99_taking(s, run.relay.latency))
    return lines


def _p99_taking(s: ServiceFigures, relay: OpenLoop) -> str:
    """Why a service's p99 missed: its capacity where the offered rate is near it, pauses where it is not."""
    capacity, offered = s.saturated.rate, s.latency.rate
    load = offered / capacity if capacity else float("inf")
    head = (f"- **{s.service}** p99 {_ms(s.latency.p(99))} at {offered:.0f}/s: that offered rate is {load:.0%} of "
            "what it did saturated in this run")
    if load >= QUEUEING_LOAD:
        return (head + f"; a p99 within {P99_GOAL_MS:.0f} ms needs the offered rate well below its capacity "
                "(queueing grows without bound as it nears 100 %), so the capacity itself must grow, as above.")
    # One queue with random arrivals and random service times (M/M/1): the time in it is exponential with mean
    # 1/(capacity - offered), so its 99th percentile is ln(100) times that.
    queueing = 1000 * math.log(100) / (capacity - offered)
    median, p99 = s.latency.p(50), s.latency.p(99)
    said = (head + f", so capacity does not explain it: a queue that busy waits past {queueing:.0f} ms one time "
            f"in a hundred (M/M/1), and the bare relay's own p99 at {relay.rate:.0f}/s was {_ms(relay.p(99))}. ")
    if p99 <= SPREAD * median:
        return said + (
            f"Its median was {_ms(median)} already, its p99 {_ms(p99)} and its slowest {_ms(s.latency.p(100))}: "
            "every event waits about as long, so the time is in the path each one takes (the group commit it "
            "waits for and joins, TRANSACTION_BATCH events a transaction and TRANSACTIONS_IN_FLIGHT at once, "
            "then the relay's publish after the commit), not in pauses that strike a few.")
    return said + (
        f"Its median was {_ms(median)} and its slowest answer took {_ms(s.latency.p(100))}: the excess is pauses "
        "that strike a few events, in the service, its database or the machine; bench/PROFILE.md follows the "
        "ones found so far (the embedded server's scans under its lock, full garbage collections).")


def _saturated_rows(name: str, sat: Saturated) -> list[str]:
    complete = "" if sat.complete else f" (**only {sat.answered:,} answered**)"
    return [f"| {name} | {sat.events:,}{complete} | {sat.seconds:.2f} s | **{_rate(sat.rate)}** | "
            f"{sat.publish_seconds:.2f} s |"]


def _latency_row(name: str, lat: OpenLoop) -> str:
    return (f"| {name} | {lat.rate:.0f}/s for {lat.seconds:.1f} s | {lat.answered:,}/{lat.sent:,} | "
            f"{_ms(lat.p(50))} | {_ms(lat.p(95))} | **{_ms(lat.p(99))}** | {_ms(lat.p(100))} | "
            f"{_ms(lat.worst_send_lag_ms)} |")


def _cpu_table(rows: list[tuple[str, Saturated]]) -> list[str]:
    names: list[str] = []
    for _, sat in rows:
        names += [n for n in sat.cpu_ms_per_event() if n not in names]
    lines = ["| run | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, sat in rows:
        per = sat.cpu_ms_per_event()
        lines.append(f"| {label} | " + " | ".join(f"{per[n]:.3f}" if n in per else "–" for n in names) + " |")
    return lines


def throughput_section(run: Run) -> list[str]:
    lines = ["## Throughput (saturated)", "",
             "N events published as fast as the broker confirms them (up to 500 unconfirmed), timed from the "
             "first publish until the last outcome arrived (after a warm-up that is not timed).", "",
             "| path | events | time to last outcome | throughput | publishing took |", "|---|---:|---:|---:|---:|"]
    if run.relay:
        lines += _saturated_rows("bare relay, two hops (baseline)", run.relay.saturated)
    for service in run.services:
        lines += _saturated_rows(f"{service.service} (intake → outcome)", service.saturated)
    if run.relay:
        lines += ["", "Ratio suite / baseline:", ""]
        lines += [f"- {s.service}: {s.saturated.rate / run.relay.saturated.rate:.0%} of the bare relay"
                  for s in run.services]
    measured = ([("bare relay", run.relay.saturated)] if run.relay else []) + \
        [(s.service, s.saturated) for s in run.services]
    lines += ["", "### Where the CPU goes (ms of CPU per event, during the saturated run)", "",
              "Each process's user + system time over the timed span (/proc/<pid>/stat), divided by the events "
              "answered; `machine` is every process on the machine (other work included), so it shows how "
              "quiet the machine was.", ""]
    lines += _cpu_table(measured)
    grouped = [s for s in run.services if s.grouped is not None]
    if grouped:
        lines += ["", "Group commits during the saturated run (shared/batching.py, from each process's /metrics): "
                  "transactions that committed several events, and the events in them.", "",
                  "| service | such transactions | events in them | share of the run's events | mean events each |",
                  "|---|---:|---:|---:|---:|"]
        for s in grouped:
            g = s.grouped
            assert g is not None
            share = g.events / s.saturated.events if s.saturated.events else 0.0
            lines.append(f"| {s.service} | {g.transactions:,} | {g.events:,} | {share:.0%} | {g.mean:.1f} |")
    return lines


def latency_section(run: Run) -> list[str]:
    lines = ["## Latency at a fixed offered rate (open loop)", "",
             "Sends scheduled on a clock at the offered rate, whatever the answers do; each latency is the "
             "outcome's arrival minus the send's *scheduled* time (so a lagging sender counts against the "
             "system, no coordinated omission), matched by correlation id.", "",
             "| path | offered | answered | p50 | p95 | p99 | max | worst send lag |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    if run.relay:
        lines.append(_latency_row("bare relay, two hops (baseline)", run.relay.latency))
    lines += [_latency_row(f"{s.service} (intake → outcome)", s.latency) for s in run.services]
    if run.relay:
        lines += ["", "Ratio suite / baseline (p99): " + "; ".join(
            f"{s.service} {s.latency.p(99) / run.relay.latency.p(99):.1f}×" for s in run.services)]
    return lines


def memory_section(run: Run) -> list[str]:
    lines = ["## Memory of the service process", "",
             "Read from /proc/<pid>/status after each step: VmRSS (resident now) and VmHWM (peak resident). "
             "Events counted from the process's start (warm-up, throughput, latency and the 10,000-event "
             "saturated chunks after them); each row's rate is that step's saturated throughput.", ""]
    for service in run.services:
        lines += [f"### {service.service}", "", "| events handled | VmRSS | VmHWM | rate of that step |",
                  "|---:|---:|---:|---:|"]
        lines += [f"| {p.events:,} | {p.rss_mib:.1f} MiB | {p.hwm_mib:.1f} MiB | {_rate(p.chunk_rate)} |"
                  for p in service.memory]
        lines.append("")
    if run.relay:
        lines.append(f"The bare relay process, for comparison: VmRSS {run.relay.rss_mib['VmRSS']:.1f} MiB, "
                     f"VmHWM {run.relay.rss_mib['VmHWM']:.1f} MiB after its runs.")
    return lines


def fan_out_section(run: Run) -> list[str]:
    f = run.fan_out
    if f is None:
        return []
    lines = ["## Across services: an award fanning out to the catalog and evaluation", "",
             f"The catalog published {f.projects:,} projects first; then each `matching.contract.awarded` for one of "
             "them counts as answered when both `catalog.project.status_changed` and `evaluation.monitoring.opened` "
             "have arrived (bench/district.py).", "",
             "| path | events | time to last outcome | throughput | publishing took |", "|---|---:|---:|---:|---:|"]
    lines += _saturated_rows("award → catalog + evaluation", f.saturated)
    lines += ["", "| path | offered | answered | p50 | p95 | p99 | max | worst send lag |",
              "|---|---:|---:|---:|---:|---:|---:|---:|", _latency_row("award → catalog + evaluation", f.latency),
              "", "ms of CPU per award, during the saturated run:", "", *_cpu_table([("fan-out", f.saturated)])]
    if run.relay:
        lines += ["", f"Throughput {f.saturated.rate / run.relay.saturated.rate:.0%} of the bare relay (which "
                      "answers each event once, not twice)."]
    return lines


def year_section(run: Run) -> list[str]:
    if not run.years:
        return []
    lines = ["## The district's year (`make demo`'s cycle)", "",
             "The five services as processes in drill mode, each on its own embedded database server as `make dev` "
             "runs them, driven by tools/demo's cycle (bench/district.py): each stage's time from its first intake "
             "event to the last answer it waits for, and the intake events it sent (drills included).", ""]
    for year in run.years:
        record = year.record
        size = (f"{len(record.projects):,} projects, {len(record.organizations):,} organizations, "
                f"{record.people_added:,} people, {len(record.grades):,} graded, {len(record.awards):,} awards"
                if record is not None else "")
        title = "source district, again after the ten-times one" if year.scale == SOURCE_AGAIN else (
            f"{year.scale} district")
        lines += [f"### {title} ({size})", "", "| stage | time | intake events | intake events/s |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {s.name} | {s.seconds:.1f} s | {s.intakes:,} | {s.rate:,.0f} |" for s in year.stages]
        lines += [f"| **the year** | **{year.seconds:.1f} s** | {year.intakes:,} | "
                  f"{year.intakes / year.seconds if year.seconds else 0:,.0f} |", ""]
    return lines


def database_section(run: Run) -> list[str]:
    lines = ["## Database baseline (the embedded server alone)", "",
             "What one intake writes, in one transaction: inbox insert + read by key + project insert + outbox "
             "insert, with the catalog's documents and indexes, through PyMongo's async client "
             "(bench/db_baseline.py). The last columns are the time of one transaction (commit included).", "",
             "| mode | intakes | time | intakes/s | transaction p50 | p99 | max |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {f.mode} | {f.intakes:,} | {f.seconds:.2f} s | **{f.rate:,.0f}** | "
              f"{_ms(percentile(f.transaction_ms, 50))} | {_ms(percentile(f.transaction_ms, 99))} | "
              f"{_ms(percentile(f.transaction_ms, 100))} |" for f in run.database]
    catalog = next((s for s in run.services if s.service == "catalog"), None)
    if catalog and run.database:
        lines += ["", "Catalog throughput against each mode: " + "; ".join(
            f"{f.mode.split(' (')[0]} {catalog.saturated.rate / f.rate:.0%}" for f in run.database if f.rate)]
    return lines


def included() -> list[str]:
    """The profile and the sweep, each from its own run (dated inside), one heading level down."""
    lines: list[str] = []
    for name, title in INCLUDED:
        path = BENCH / name
        if path.exists():
            body = path.read_text().splitlines()
            lines += [f"## {title} (bench/{name}, its own run)", "",
                      *[("#" + line if line.startswith("#") else line) for line in body[1:]], ""]
    return lines


def machine_section(run: Run) -> list[str]:
    m = run.machine
    return [
        "## Machine", "",
        f"- {m.platform}; Python {m.python}",
        f"- CPU: {m.cpu}; {m.cores} cores (nproc); memory {m.memory_gib:.1f} GiB",
        "- " + ", ".join(f"{k} {v}" for k, v in m.versions.items()),
        "- load average (1, 5, 15 min): " + "; ".join(f"{k} {v}" for k, v in run.load_average.items()),
        "- settings of the services: " + ", ".join(f"{k}={v}" for k, v in run.settings.items()),
    ]


def render_years(run: Run) -> str:
    """`bench/YEARS.md`: the district years alone (`python -m bench.run --years-only [--ten-times]`)."""
    minutes = (run.finished - run.started).total_seconds() / 60
    lines = [
        "# The district's year, alone", "",
        f"Written by `bench/run.py --years-only` on {run.finished:%Y-%m-%d %H:%M} UTC ({minutes:.1f} minutes), "
        "without the relay, service and fan-out parts of `make bench` (bench/RESULTS.md): each year on a fresh "
        "database, one after the other in the same run, so the ten-times year is compared with the source's "
        "year of the same machine and hour. Do not edit by hand.", "",
        *machine_section(run), "", "## Goals", "", *(year_goals(run) or ["- no year was measured"]), "",
        *year_section(run), "## Commands", "", "```", *run.commands, "```",
    ]
    if run.problems:
        lines += ["", "## Problems during the run", "", *[f"- {p}" for p in run.problems]]
    return "\n".join(lines) + "\n"


def render(run: Run) -> str:
    minutes = (run.finished - run.started).total_seconds() / 60
    lines = [
        "# Benchmark results", "",
        f"Written by `bench/run.py` on {run.finished:%Y-%m-%d %H:%M} UTC ({'quick' if run.quick else 'full'} run, "
        f"{minutes:.1f} minutes). Do not edit by hand: run `make bench` (or `.venv/bin/python -m bench.run "
        "--quick`) again.", "",
        *machine_section(run),
        "", "## Goals", "", *goals(run), "",
        *(["### What a goal not met would take", "", *taking, ""] if (taking := what_it_would_take(run)) else []),
        "## What is measured", "",
        "- **Baseline, bare relay, two hops**: producer → (hop 1) quorum queue → a bare aio-pika relay process "
        "(consume with prefetch 64, publish the answer persistent with publisher confirms, up to 64 confirms "
        "in flight, ack after the confirm) → (hop 2) the sink's queue. No database. The same shape as intake → "
        "service → outcome, and bodies of the same size.",
        "- **Suite**: producer → the service's quorum queue → the service process (inbox claim, handler, "
        "outbox, one transaction; the outbox relay publishes with confirms) → the sink's queue.",
        "- Producer and sink are one process (bench/load.py) on 127.0.0.1; the broker is the local RabbitMQ, in "
        "a vhost created for each part and deleted after it; the database a fresh embedded SecantusDB per part.", "",
        *throughput_section(run), "", *latency_section(run), "", *memory_section(run), "",
        *fan_out_section(run), "", *year_section(run), "", *database_section(run), "", *included(),
        "## Matching solvers (bench/matching_solvers.py)", "", run.solvers.strip() or "(not run)", "",
        "## Commands", "", "```", *run.commands, "```",
    ]
    if run.problems:
        lines += ["", "## Problems during the run", "", *[f"- {p}" for p in run.problems]]
    return "\n".join(lines) + "\n"
