"""Where the tests find a real broker and a real database.

In order: the URL in the environment; a container through testcontainers where a Docker engine answers;
the local fallback (the broker on 127.0.0.1:5672, the embedded SecantusDB server started for the session).
On a local broker each test gets a vhost of its own, provisioned by deploy/rabbitmq/provision.sh as compose's
broker is (the shared exchanges, the dead-letter queues, one user per service, the operator), so the services
run under the same least privilege as in production and never touch queues a running suite uses.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika

from shared import embedded_db
from shared.settings import DEFAULT_RABBITMQ_URL

PROVISION = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "provision.sh"


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def with_vhost(url: str, vhost: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, parts.fragment))


def rabbitmqctl(*args: str, check: bool = True, attempts: int = 5) -> subprocess.CompletedProcess[str]:
    """Run rabbitmqctl, retrying a few times: a broker that another test just restarted answers late."""
    for attempt in range(attempts):
        done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=120)
        if done.returncode == 0 or not check:
            return done
        time.sleep(1 + attempt)
    raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[:500]}")


# Users are global to a broker: this test session's carry a prefix of their own and are removed at its end.
SESSION_PREFIX = f"dt{uuid.uuid4().hex[:8]}-"
SERVICE_USERS = ("catalog", "registration", "matching", "training-grading", "evaluation")
# The kernel's own tests run a service of their own, provisioned like the five.
KERNEL_TEST_SERVICES = {"kerneltest": "kerneltest"}
USERS = (*SERVICE_USERS, *KERNEL_TEST_SERVICES, "operator", "external-publisher")
_PASSWORDS = {user: secrets.token_urlsafe(18) for user in USERS}
_provisioned: dict[str, Vhost] = {}
_users_created: list[bool] = []


def password_variable(user: str) -> str:
    return user.upper().replace("-", "_") + "_AMQP_PASSWORD"


@dataclasses.dataclass(frozen=True)
class Vhost:
    """A vhost provisioned by deploy/rabbitmq/provision.sh: the URL each user connects with, and the
    administrator's (the broker's own user, which the tests use to watch and to stand in for other systems)."""

    base_url: str
    name: str
    prefix: str = SESSION_PREFIX
    least_privilege: bool = True

    def url(self, user: str) -> str:
        """`user`'s URL on this vhost; the administrator's where the broker could not be provisioned."""
        if not self.least_privilege:
            return self.admin_url
        parts = urlsplit(self.base_url)
        netloc = f"{quote(self.prefix + user, safe='')}:{quote(_PASSWORDS[user], safe='')}@{parts.hostname}"
        return with_vhost(f"{parts.scheme}://{netloc}:{parts.port or 5672}/", self.name)

    @property
    def admin_url(self) -> str:
        return with_vhost(self.base_url, self.name) if self.least_privilege else self.base_url

    @property
    def operator_url(self) -> str:
        return self.url("operator")


def provision_env(prefix: str = SESSION_PREFIX, passwords: dict[str, str] | None = None) -> dict[str, str]:
    """The environment deploy/rabbitmq/provision.sh reads: the test session's users and passwords."""
    chosen = passwords or _PASSWORDS
    return {**os.environ, "AMQP_USER_PREFIX": prefix,
            "AMQP_EXTRA_SERVICES": " ".join(f"{name}={prefixes}" for name, prefixes in KERNEL_TEST_SERVICES.items()),
            **{password_variable(user): password for user, password in chosen.items()}}


def provision(vhost: str, env: dict[str, str] | None = None, attempts: int = 5) -> None:
    """deploy/rabbitmq/provision.sh into `vhost`, retried as `rabbitmqctl` is: a broker another test restarted
    answers late."""
    for attempt in range(attempts):
        done = subprocess.run(["bash", str(PROVISION), vhost], env=env or provision_env(), capture_output=True,
                              text=True, timeout=120)
        if done.returncode == 0:
            return
        time.sleep(1 + attempt)
    raise RuntimeError(f"provision.sh {vhost} failed: {done.stderr.strip()[:500]}")


def user_url(url: str, user: str) -> str:
    """`user`'s URL on the provisioned vhost whose administrator URL is `url` (unchanged if `url` is not one)."""
    vhost = _provisioned.get(url)
    return vhost.url(user) if vhost is not None else url


def remove_session_users() -> None:
    if _provisioned or _users_created:
        for user in USERS:
            rabbitmqctl("delete_user", SESSION_PREFIX + user, check=False, attempts=1)



@contextlib.contextmanager
def provisioned_vhost(base_url: str) -> Iterator[Vhost]:
    """A fresh vhost, provisioned as compose's broker is, for the duration of the block (deleted after, queues and
    all). Where rabbitmqctl cannot reach the broker, the administrator declares the same topology over AMQP and
    every user's URL is the administrator's."""
    name = f"district-test-{uuid.uuid4().hex[:10]}"
    if not (_is_local(base_url) and shutil.which("rabbitmqctl")):
        definitions = json.loads(subprocess.run(["bash", str(PROVISION), "--definitions"], env=provision_env(),
                                                capture_output=True, text=True, timeout=60, check=True).stdout)
        with concurrent.futures.ThreadPoolExecutor(1) as apart:  # the caller may be inside an event loop
            apart.submit(asyncio.run, declare_topology(base_url, definitions)).result()
        yield Vhost(base_url, "", least_privilege=False)
        return
    vhost = Vhost(base_url, name)
    try:
        provision(name)
        _users_created.append(True)
        rabbitmqctl("set_permissions", "-p", name, urlsplit(base_url).username or "guest", ".*", ".*", ".*")
        _provisioned[vhost.admin_url] = vhost
        yield vhost
    finally:
        _provisioned.pop(vhost.admin_url, None)
        rabbitmqctl("delete_vhost", name, check=False)


@contextlib.contextmanager
def isolated_vhost(base_url: str) -> Iterator[str]:
    """A provisioned vhost of the block's own (`provisioned_vhost`), as its administrator's URL."""
    with provisioned_vhost(base_url) as vhost:
        yield vhost.admin_url


@contextlib.contextmanager
def script_vhost(base_url: str) -> Iterator[str]:
    """`isolated_vhost` for a script (a bench run): the users it provisioned are removed after the block as well.
    A test session removes its users once, at its end (`tests/conftest.py`); a script has no such end, and each
    run left its eight users on the broker."""
    try:
        with isolated_vhost(base_url) as url:
            yield url
    finally:
        remove_session_users()


async def declare_topology(url: str, definitions: dict[str, Any]) -> None:
    """The exchanges, dead-letter queues and bindings of provision.sh's definitions, declared over AMQP."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for exchange in definitions["exchanges"]:
            await channel.declare_exchange(exchange["name"], exchange["type"], durable=True)
        for queue in definitions["queues"]:
            await channel.declare_queue(queue["name"], durable=True, arguments=queue["arguments"])
        for binding in definitions["bindings"]:
            queue = await channel.declare_queue(binding["destination"], passive=True)
            await queue.bind(binding["source"], binding["routing_key"])


@contextlib.contextmanager
def rabbit_endpoint() -> Iterator[str]:
    """The broker's base URL; each test then takes a vhost of its own on it (`isolated_vhost`)."""
    if os.environ.get("RABBITMQ_URL"):
        yield os.environ["RABBITMQ_URL"]
        return
    if docker_answers():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:4.1-management") as rabbit:
            params = rabbit.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    yield DEFAULT_RABBITMQ_URL


@contextlib.contextmanager
def mongo_endpoint() -> Iterator[tuple[str, embedded_db.EmbeddedServer | None]]:
    if os.environ.get("MONGO_URL"):
        yield os.environ["MONGO_URL"], None
        return
    if docker_answers():
        yield _mongo_container_url(), None
        return
    storage = Path(tempfile.mkdtemp(prefix="district-test-db-"))
    server = embedded_db.start(storage / "data", log=storage / "secantusd.log")
    try:
        yield server.url, server
    finally:
        server.stop()
        shutil.rmtree(storage, ignore_errors=True)


_containers: list[object] = []


def _mongo_container_url() -> str:
    """MongoDB 7 as a one-node replica set (transactions need one), as compose runs it."""
    import time

    from testcontainers.core.container import DockerContainer

    mongo = DockerContainer("mongo:7").with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017)
    mongo.start()
    _containers.append(mongo)
    initiate = ("try { rs.status() } catch (e) "
                "{ rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'localhost:27017'}]}) }")
    for _ in range(60):
        code, _ = mongo.exec(["mongosh", "--quiet", "--eval", initiate])
        if code == 0:
            break
        time.sleep(1)
    host, port = mongo.get_container_host_ip(), mongo.get_exposed_port(27017)
    return f"mongodb://{host}:{port}/?directConnection=true"
