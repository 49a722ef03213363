"""`make dev` / `make dev-stop`: the suite as local processes, without Docker.

`start` launches, in the background, the embedded database (only when MONGO_URL is unset) and every service,
records their process ids under `.data/pids`, and returns once all answer `/ready`. `stop` stops exactly the
processes it recorded.
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
from shared.settings import DEFAULT_RABBITMQ_URL, EMBEDDED_MONGO_PORT
from tools.health import readiness
from tools.suite import ServiceSpec, present

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data"
PIDS = DATA / "pids"
LOGS = DATA / "logs"


def broker_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=2):
            return True
    except OSError:
        return False


def _alive(pid: int, marker: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def _recorded(name: str) -> int | None:
    path = PIDS / f"{name}.pid"
    if not path.exists():
        return None
    pid, marker = path.read_text().split("\n", 1)
    return int(pid) if _alive(int(pid), marker.strip()) else None


def _record(name: str, pid: int, marker: str) -> None:
    PIDS.mkdir(parents=True, exist_ok=True)
    (PIDS / f"{name}.pid").write_text(f"{pid}\n{marker}\n")


def start_database() -> None:
    if os.environ.get("MONGO_URL"):
        return
    if _recorded("database") is not None:
        return
    try:
        server = embedded_db.start(DATA / "mongo", port=EMBEDDED_MONGO_PORT, log=LOGS / "database.log")
    except RuntimeError as exc:
        sys.exit(f"dev: cannot start the embedded database: {exc}")
    _record("database", server.process.pid, "secantusd-py")
    print(f"database   embedded SecantusDB on 127.0.0.1:{EMBEDDED_MONGO_PORT}, data in {DATA / 'mongo'}")


def start_service(spec: ServiceSpec) -> None:
    if _recorded(spec.name) is not None:
        return
    LOGS.mkdir(parents=True, exist_ok=True)
    marker = f"services.{spec.module}"
    with open(LOGS / f"{spec.name}.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", marker], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, env=_environment())
    _record(spec.name, process.pid, marker)
    print(f"{spec.name:<10} pid {process.pid}, {spec.url}, log {LOGS / (spec.name + '.log')}")


def _environment() -> dict[str, str]:
    """The services' environment: this one, in development unless DISTRICT_ENV says otherwise (registration hashes
    ID numbers with its development key only there)."""
    return {"DISTRICT_ENV": "development", **os.environ, "PYTHONUNBUFFERED": "1"}


def wait_ready(specs: list[ServiceSpec], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pending = list(specs)
    while pending and time.monotonic() < deadline:
        pending = [s for s in pending if readiness(s, timeout=2.0)[0] != 200]
        time.sleep(0.2)
    for spec in pending:
        print(f"dev: {spec.name} is not ready after {timeout:.0f}s: {readiness(spec)[1]}; see {LOGS}/{spec.name}.log")
    return not pending


def start(timeout: float) -> int:
    url = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    if not broker_answers(url):
        print(f"dev: no RabbitMQ answers at {urlsplit(url).hostname}:{urlsplit(url).port or 5672}.\n"
              "     Install and start RabbitMQ 3.10+ (Debian: apt-get install rabbitmq-server; then\n"
              "     rabbitmq-server -detached), or set RABBITMQ_URL, or use `make up` with Docker.", file=sys.stderr)
        return 2
    start_database()
    specs = present()
    for spec in specs:
        start_service(spec)
    if not wait_ready(specs, timeout):
        return 1
    print(f"dev: {len(specs)} services ready ({', '.join(s.name for s in specs)}); `make dev-stop` stops them")
    return 0


def stop() -> int:
    names = [s.name for s in present()] + ["database"]
    for name in names:
        pid = _recorded(name)
        if pid is None:
            (PIDS / f"{name}.pid").unlink(missing_ok=True)
            continue
        os.kill(pid, signal.SIGTERM if name != "database" else signal.SIGINT)
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
    args = parser.parse_args()
    return start(args.timeout) if args.action == "start" else stop()


if __name__ == "__main__":
    sys.exit(main())
