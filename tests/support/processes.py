"""Services run as their own processes, as `make dev` runs them, for end-to-end and crash tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from shared.embedded_db import free_port

ROOT = Path(__file__).resolve().parents[2]

# Each service's broker user (deploy/rabbitmq/provision.sh), by module.
SERVICE_USERS = {
    "catalog": "catalog", "registration": "registration", "matching": "matching",
    "training_grading": "training-grading", "evaluation": "evaluation",
}
SERVICE_PORT_VARS = {
    "catalog": "CATALOG_PORT", "registration": "REGISTRATION_PORT", "matching": "MATCHING_PORT",
    "training_grading": "TRAINING_GRADING_PORT", "evaluation": "EVALUATION_PORT",
}


def http_status(url: str, timeout: float = 3.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, urllib.error.URLError):
        return 0


@dataclass
class ServiceProcess:
    """One service process; its log goes to a file the test prints if something goes wrong."""

    module: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="svc-", suffix=".log")[1]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        # Development unless the test says otherwise: registration refuses its development key anywhere else.
        env = {"DISTRICT_ENV": "development", **os.environ, **self.env, SERVICE_PORT_VARS[self.module]: str(self.port),
               "PYTHONUNBUFFERED": "1"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", f"services.{self.module}"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while http_status(f"{self.url}/ready") != 200:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.module} not ready within {timeout:.0f}s:\n{self.log()}")
            time.sleep(0.1)

    def ready_status(self) -> int:
        return http_status(f"{self.url}/ready")

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log(self, tail: int = 60) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-tail:])
