"""A bench script's vhost leaves no user behind: its users exist for the run and are removed after it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.endpoints import _is_local, rabbitmqctl

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys
    from tests.support.endpoints import SESSION_PREFIX, rabbitmqctl, script_vhost

    def mine() -> int:
        return sum(line.startswith(SESSION_PREFIX) for line in rabbitmqctl("list_users").stdout.splitlines())

    with script_vhost(sys.argv[1]):
        print(SESSION_PREFIX, mine(), flush=True)
""")


def test_a_script_vhost_removes_the_users_it_provisioned(rabbit_base_url: str) -> None:
    if not (_is_local(rabbit_base_url) and shutil.which("rabbitmqctl")):
        pytest.skip("users are provisioned only on a local broker that rabbitmqctl reaches")
    done = subprocess.run([sys.executable, "-c", SCRIPT, rabbit_base_url], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=True)
    prefix, during = done.stdout.split()
    assert int(during) == 8  # the five services, the kernel's test service, the operator, the external publisher
    left = [line for line in rabbitmqctl("list_users").stdout.splitlines() if line.startswith(prefix)]
    assert left == []
