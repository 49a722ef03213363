"""Find or start the suite the demo drives: the running one, else compose (Docker), else local processes; what it
starts runs in drill mode (`intake.clock.set` moves the district's day)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from shared.i18n import _
from tools import dev
from tools.broker import operator_url
from tools.health import readiness
from tools.suite import SUITE

ROOT = Path(__file__).resolve().parents[2]
# The demo moves the district's day past award standstills with drills: the suite it starts runs in drill mode.
DRILL_OVERLAY = ROOT / "deploy" / "compose.drill.yml"


def all_ready() -> bool:
    return all(readiness(spec, timeout=2.0)[0] == 200 for spec in SUITE)


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_suite() -> str:
    """How the suite runs now: 'running', 'compose' or 'dev'. Exits with advice if none can run here."""
    if all_ready():
        return "running"
    url = operator_url()
    if docker_answers():
        print(_("demo: starting the suite with docker compose, in drill mode ..."), file=sys.stderr)
        subprocess.run(["docker", "compose", "-f", "docker-compose.yml", "-f", str(DRILL_OVERLAY), "up", "-d",
                        "--build", "--wait"], cwd=ROOT, check=True)
        return "compose"
    if dev.broker_answers(url):
        print(_("demo: starting the suite as local processes (make dev) ..."), file=sys.stderr)
        if dev.start(timeout=120) != 0:
            sys.exit(_("demo: the suite did not become ready; see .data/logs/"))
        return "dev"
    parts = urlsplit(url)
    sys.exit(_("demo: neither a Docker engine nor a RabbitMQ broker at {host}:{port} answers.\n  Install one of "
               "them: Docker (then `make demo` runs the whole suite in compose), or\n  RabbitMQ 3.10+ (Debian: "
               "apt-get install rabbitmq-server; rabbitmq-server -detached),\n  or point RABBITMQ_URL at a running "
               "broker.").format(host=parts.hostname, port=parts.port or 5672))
