"""`make dev` / `make dev-stop`: the suite as local processes, without Docker, in drill mode.

`start` provisions the vhost `district-dev` on the local broker as compose's broker is provisioned (each service
its own user, the tools the operator user: tools/broker.py), launches, in the background, each service's embedded
database (only when MONGO_URL is unset: `start_databases`) and every service as its own broker user, records their
process ids under `.data/pids`, and returns once all answer `/ready`. With RABBITMQ_URL set, every service uses
that URL instead and nothing is provisioned. `stop` stops exactly the processes it recorded.

`--replicas N` (`make dev REPLICAS=2`) runs N processes of each service, sharing its database and its queues (the
broker hands each delivery to one; the outbox relays claim rows with a lease): replica k > 1 of a service answers
HTTP on the service's port + 100 * (k - 1) and is recorded as `<service>-<k>`. `--cluster` (`CLUSTER=1`) runs them
on `make cluster`'s three nodes instead of the local broker, replica k preferring node k (mod 3) and moving to a
surviving node when its own goes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from shared import embedded_db
from shared.settings import EMBEDDED_MONGO_PORT, EMBEDDED_MONGO_PORTS, EMBEDDED_MONGO_URL
from tools import cluster
from tools.broker import DEVELOPMENT_BROKER, development_url, environment, provision_development
from tools.health import readiness
from tools.suite import ServiceSpec, present

ROOT = Path(__file__).resolve().parents[1]
# A local suite is a development one: drills (`intake.clock.set`) may move its day, as the demo does.
DATA = ROOT / ".data"
PIDS = DATA / "pids"
LOGS = DATA / "logs"
DATABASES = DATA / "databases"
# Where an earlier `make dev` kept all five services' databases on one embedded server.
SINGLE = DATA / "mongo"
# The local suite runs in drill mode (`intake.clock.set` moves the district's day: `make demo` passes award
# standstills so); compose keeps the system clock. Set either in the environment to override.
DRILL = {"DISTRICT_CLOCK": "drill", "DISTRICT_ENV": "development"}


def broker_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=2):
            return True
    except OSError:
        return False


def _alive(pid: int, marker: str) -> bool:
    """`pid` runs, and its command line holds `marker` (a process that has exited, or a reused pid, does not)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and marker in cmdline


def _recorded(name: str) -> int | None:
    path = PIDS / f"{name}.pid"
    if not path.exists():
        return None
    pid, marker = path.read_text().split("\n", 1)
    return int(pid) if _alive(int(pid), marker.strip()) else None


def _record(name: str, pid: int, marker: str) -> None:
    PIDS.mkdir(parents=True, exist_ok=True)
    (PIDS / f"{name}.pid").write_text(f"{pid}\n{marker}\n")


def start_databases(specs: list[ServiceSpec]) -> dict[str, str]:
    """The embedded database of each service (only when MONGO_URL is unset), on its port from
    `shared.settings.EMBEDDED_MONGO_PORTS`, its data under `.data/databases/<service>`; what the services' environment
    needs beyond that: nothing, or, where an earlier `make dev` kept all five on one server (`.data/mongo`), that
    server's URL, so what it holds is used as before."""
    if os.environ.get("MONGO_URL"):
        return {}
    if SINGLE.exists():
        _start_database("database", SINGLE, EMBEDDED_MONGO_PORT, "all five services")
        return {"MONGO_URL": EMBEDDED_MONGO_URL}
    for spec in specs:
        _start_database(f"database-{spec.name}", DATABASES / spec.module,
                        EMBEDDED_MONGO_PORTS[spec.module], spec.name)
    return {}


def _start_database(name: str, storage: Path, port: int, serving: str) -> None:
    if _recorded(name) is not None:
        return
    try:
        server = embedded_db.start(storage, port=port, log=LOGS / f"{name}.log")
    except RuntimeError as exc:
        sys.exit(f"dev: cannot start the embedded database of {serving}: {exc}")
    _record(name, server.process.pid, "secantusd-py")
    print(f"{name:<10} embedded SecantusDB for {serving} on 127.0.0.1:{port}, data in {storage}")


def replica(spec: ServiceSpec, k: int) -> ServiceSpec:
    """Replica `k` (1-based) of a service: the first is the service itself, the others on ports 100 apart."""
    if k == 1:
        return spec
    return ServiceSpec(f"{spec.name}-{k}", spec.module, f"{spec.port_var}_REPLICA_{k}", spec.port + 100 * (k - 1))


def start_service(spec: ServiceSpec, rabbitmq_url: str, port_var: str | None = None,
                  database: dict[str, str] | None = None) -> None:
    """Start `spec`'s process; `port_var`: the service's own port setting, when `spec` is a further replica;
    `database`: what its environment needs to reach its database (`start_databases`)."""
    if _recorded(spec.name) is not None:
        return
    LOGS.mkdir(parents=True, exist_ok=True)
    marker = f"services.{spec.module}"
    env = {**environment(), **(database or {}), "RABBITMQ_URL": rabbitmq_url, "PYTHONUNBUFFERED": "1"}
    if port_var is not None:
        env[port_var] = str(spec.port)
    with open(LOGS / f"{spec.name}.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", marker], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, env={**DRILL, **env})
    _record(spec.name, process.pid, marker)
    print(f"{spec.name:<10} pid {process.pid}, {spec.url}, log {LOGS / (spec.name + '.log')}")


def wait_ready(specs: list[ServiceSpec], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pending = list(specs)
    while pending and time.monotonic() < deadline:
        pending = [s for s in pending if readiness(s, timeout=2.0)[0] != 200]
        time.sleep(0.2)
    for spec in pending:
        print(f"dev: {spec.name} is not ready after {timeout:.0f}s: {readiness(spec)[1]}; see {LOGS}/{spec.name}.log")
    return not pending


def service_urls(specs: list[ServiceSpec]) -> dict[str, str] | str:
    """Each service's broker URL, provisioning `make dev`'s vhost first; or why the broker cannot be used."""
    explicit = environment().get("RABBITMQ_URL")
    url = explicit or development_url("operator")
    if not broker_answers(url):
        parts = urlsplit(url)
        return (f"no RabbitMQ answers at {parts.hostname}:{parts.port or 5672}.\n"
                "     Install and start RabbitMQ 3.10+ (Debian: apt-get install rabbitmq-server; then\n"
                "     rabbitmq-server -detached), or set RABBITMQ_URL, or use `make up` with Docker.")
    if explicit:
        return {spec.name: explicit for spec in specs}
    if (why := provision_development()) is not None:
        return why
    print(f"broker     {DEVELOPMENT_BROKER}, vhost provisioned with a user per service and `operator` for the tools")
    return {spec.name: development_url(spec.name) for spec in specs}


def cluster_urls(specs: list[ServiceSpec], replicas: int) -> dict[str, str] | str:
    """Each replica's RABBITMQ_URL on `make cluster`'s nodes (replica k preferring node k mod 3), or why not."""
    if not any(cluster.answers(node) for node in cluster.NODES):
        return "no node of `make cluster` answers (ports 5682-5684): run `make cluster` first"
    return {replica(spec, k).name: cluster.urls(spec.name, prefer=(k - 1) % len(cluster.NODES))
            for spec in specs for k in range(1, replicas + 1)}


def start(timeout: float, replicas: int = 1, on_cluster: bool = False) -> int:
    specs = present()
    if on_cluster:
        urls = cluster_urls(specs, replicas)
    else:
        urls = service_urls(specs)
        if not isinstance(urls, str):
            urls = {replica(spec, k).name: urls[spec.name] for spec in specs for k in range(1, replicas + 1)}
    if isinstance(urls, str):
        print(f"dev: {urls}", file=sys.stderr)
        return 2
    database = start_databases(specs)
    processes = []
    for spec in specs:
        for k in range(1, replicas + 1):
            process = replica(spec, k)
            start_service(process, urls[process.name], port_var=None if k == 1 else spec.port_var, database=database)
            processes.append(process)
    if not wait_ready(processes, timeout):
        return 1
    print(f"dev: {len(processes)} processes ready ({', '.join(s.name for s in processes)})"
          f"{' on the three-node cluster' if on_cluster else ''}; `make dev-stop` stops them")
    return 0


def recorded_names() -> list[str]:
    """Every process `start` recorded: the services and their replicas first, the databases last."""
    names = sorted(path.stem for path in PIDS.glob("*.pid")) if PIDS.exists() else []
    return sorted(names, key=_is_database)


def _is_database(name: str) -> bool:
    return name == "database" or name.startswith("database-")


def stop() -> int:
    names = recorded_names()
    for name in names:
        pid = _recorded(name)
        if pid is None:
            (PIDS / f"{name}.pid").unlink(missing_ok=True)
            continue
        os.kill(pid, signal.SIGINT if _is_database(name) else signal.SIGTERM)
        for _ in range(200):
            if not _alive(pid, ""):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        (PIDS / f"{name}.pid").unlink(missing_ok=True)
        print(f"dev: stopped {name} (pid {pid})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--replicas", type=int, default=1, choices=range(1, 10), metavar="N",
                        help="processes of each service (default 1)")
    parser.add_argument("--cluster", action="store_true", help="run on `make cluster`'s three nodes")
    args = parser.parse_args()
    return start(args.timeout, args.replicas, args.cluster) if args.action == "start" else stop()


if __name__ == "__main__":
    sys.exit(main())
