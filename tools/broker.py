"""Where `make dev` and the operators' tools find the broker, and as which user.

The same topology everywhere: compose's broker, `make dev` and the tests are provisioned by
deploy/rabbitmq/provision.sh, each service connecting as its own user and the tools (`make seed`, `demo`, `dlq`,
`replay-dlq`) as `operator`. `make dev` provisions the vhost `district-dev` on the local broker, with the
passwords from the environment or `.env`, or development defaults when neither sets them.

The tools connect to, in order: `OPERATOR_RABBITMQ_URL` (with `make up`:
`amqp://operator:<OPERATOR_AMQP_PASSWORD>@127.0.0.1:5672/`); `RABBITMQ_URL`, when one broker URL serves everything
(a broker `make dev` cannot provision); else the operator of `make dev`'s vhost.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
PROVISION = ROOT / "deploy" / "rabbitmq" / "provision.sh"
DEVELOPMENT_VHOST = "district-dev"
DEVELOPMENT_BROKER = "127.0.0.1:5672"
USERS = ("catalog", "registration", "matching", "training-grading", "evaluation", "operator", "external-publisher")


def environment() -> dict[str, str]:
    """The process environment over `.env` (the file compose reads too); the environment wins."""
    found = dotenv_values(ROOT / ".env") if (ROOT / ".env").exists() else {}
    return {**{k: v for k, v in found.items() if v is not None}, **os.environ}


def password_variable(user: str) -> str:
    return user.upper().replace("-", "_") + "_AMQP_PASSWORD"


def development_password(user: str, env: dict[str, str]) -> str:
    """A user's password: its variable if set, else a development default (never used by compose)."""
    return env.get(password_variable(user)) or f"{user}-local-dev"


def development_url(user: str, env: dict[str, str] | None = None) -> str:
    """`user`'s URL on `make dev`'s vhost of the local broker (AMQP_USER_PREFIX prefixes the user names)."""
    env = env if env is not None else environment()
    name = env.get("AMQP_USER_PREFIX", "") + user
    vhost = env.get("DEVELOPMENT_VHOST", DEVELOPMENT_VHOST)
    return (f"amqp://{quote(name, safe='')}:{quote(development_password(user, env), safe='')}@"
            f"{DEVELOPMENT_BROKER}/{quote(vhost, safe='')}")


def operator_url() -> str:
    """Where the operators' tools publish and read dead letters (see the module's docstring)."""
    env = environment()
    return env.get("OPERATOR_RABBITMQ_URL") or env.get("RABBITMQ_URL") or development_url("operator", env)


def provision_development() -> str | None:
    """Provision `make dev`'s vhost on the local broker; None when done, else why it could not be."""
    if shutil.which("rabbitmqctl") is None:
        return ("rabbitmqctl is not on this machine, so `make dev` cannot provision the broker's users: run it where "
                "the broker runs, or set RABBITMQ_URL (and OPERATOR_RABBITMQ_URL) to a provisioned broker")
    env = environment()
    passwords = {password_variable(user): development_password(user, env) for user in USERS}
    vhost = env.get("DEVELOPMENT_VHOST", DEVELOPMENT_VHOST)
    done = subprocess.run(["bash", str(PROVISION), vhost], env={**env, **passwords}, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        return f"provisioning {vhost} failed: {done.stderr.strip()[:500] or done.stdout.strip()[:500]}"
    return None


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5672}"
