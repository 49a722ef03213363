"""Where the time goes: one service under saturated load, sampled with py-spy, with each process's CPU per event.

    .venv/bin/pip install py-spy                       # once; not a dependency of the suite
    .venv/bin/python -m bench.profile [--service catalog] [--events 4000] [--seconds 10] [--top 40]

Starts a fresh embedded database, a vhost of its own and `python -m services.<service>`, prepares it as its bench
suite does (matching: projects, organizations and an opened fair), warms it, then publishes `--events` of the
suite's intake events as fast as confirmed while `py-spy record --gil` (on-CPU samples only) watches the service
and the database server for `--seconds`. Prints the CPU milliseconds per event of each process and, for the
service and the database, the functions holding the most samples (inclusive). Raw samples are left in
`--keep` (default: a temporary folder) as py-spy's collapsed stacks, for a flame graph.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import stopping, suite_matching
from bench.load import Bus, CpuMeter, MakeEvent, local_broker_pid, saturate
from bench.run import SUITES, fresh_database
from bench.service_load import group_commits
from shared.settings import DEFAULT_RABBITMQ_URL
from tests.support.endpoints import script_vhost
from tests.support.processes import ServiceProcess


def py_spy() -> str:
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    on_path = shutil.which("py-spy")
    if on_path is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    return on_path


def start_sampling(pids: dict[str, int | None], seconds: int, keep: Path) -> list[subprocess.Popen[bytes]]:
    """`py-spy record --gil` on each process for `seconds`, collapsed stacks to `keep/<name>.txt`."""
    return [subprocess.Popen([py_spy(), "record", "--gil", "--nonblocking", "-r", "200", "-f", "raw",
                              "-d", str(seconds), "-p", str(pid), "-o", str(keep / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items() if pid is not None]


def top_functions(collapsed: Path, top: int) -> list[tuple[float, str]]:
    """The functions in most samples (each counted once per stack), as (share, 'function (file)')."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        samples = int(number)
        total += samples
        frames = {frame.split(":")[0] + ")" if "(" in frame else frame for frame in stack.split(";")}
        for frame in frames:
            counts[frame] += samples
    return [(n / total, name) for name, n in counts.most_common(top)] if total else []


WARMUP = 300


async def profile(name: str, events: int, seconds: int, top: int, keep: Path, prepared: int = 0) -> None:
    base = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    suite = SUITES[name]
    with script_vhost(base) as url, fresh_database([]) as (mongo_url, db_pid):
        service = ServiceProcess(name, {"RABBITMQ_URL": url, "MONGO_URL": mongo_url,
                                        "MONGO_DATABASE_PREFIX": "profile_",
                                        "IDENTITY_HASH_KEY": "bench-identity-hash-key-not-for-production"}).start()
        try:
            service.wait_ready()
            assert service.process is not None
            pairs = max(prepared, WARMUP + events)
            make: MakeEvent = (await suite_matching.preparing(pairs)(url, service) if name == "matching"
                               else suite.EVENT)
            watched = {name: service.process.pid, "database": db_pid}
            async with Bus(url, suite.OUTCOMES, suite.EXPECTED) as bus:
                await saturate(bus, WARMUP, make, start=0)
                spies = start_sampling(watched, seconds, keep)
                meter = CpuMeter({**watched, "broker": local_broker_pid(), "load driver": os.getpid()})
                result = await saturate(bus, events, make, start=WARMUP, meter=meter, timeout=max(120.0, events / 20))
                for spy in spies:
                    spy.wait(seconds + 30)
                grouped = await asyncio.to_thread(group_commits, service.url)
        finally:
            service.stop()
    print(f"{result.answered:,} events in {result.seconds:.1f} s = {result.rate:,.0f} events/s")
    print(f"group commits since start: {grouped[0]:,.0f} of {grouped[1]:,.0f} events"
          f" ({grouped[1] / max(grouped[0], 1):.1f} a commit)")
    print("CPU ms per event: " + ", ".join(f"{k} {v:.2f}" for k, v in result.cpu_ms_per_event().items()))
    for name in watched:
        samples = keep / f"{name}.txt"
        if samples.exists():
            print(f"\n{name}: functions in most on-CPU samples (inclusive), from {samples}")
            for share, function in top_functions(samples, top):
                print(f"{share:6.1%}  {function}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=sorted(SUITES), default="catalog")
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=10, help="how long py-spy samples")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--prepared", type=int, default=0,
                        help="matching: give the fair projects for this many interests (the full bench: 105,000)")
    parser.add_argument("--keep", type=Path, default=None, help="folder for the raw samples")
    args = parser.parse_args()
    keep = args.keep or Path(tempfile.mkdtemp(prefix="district-profile-"))
    keep.mkdir(parents=True, exist_ok=True)
    stopping.run(profile(args.service, args.events, args.seconds, args.top, keep, args.prepared))


if __name__ == "__main__":
    main()
