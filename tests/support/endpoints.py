"""Where the tests find a real broker and a real database.

In order: the URL in the environment; a container through testcontainers where a Docker engine answers;
the local fallback (the broker on 127.0.0.1:5672, the embedded SecantusDB server started for the session).
On a local broker the tests get a vhost of their own, created and removed with `rabbitmqctl`, so they never
touch queues a running suite uses.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from shared import embedded_db
from shared.settings import DEFAULT_RABBITMQ_URL


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


@contextlib.contextmanager
def isolated_vhost(base_url: str) -> Iterator[str]:
    """A fresh vhost on a local broker for the duration of the block (deleted after, queues and all)."""
    if not (_is_local(base_url) and shutil.which("rabbitmqctl")):
        yield base_url
        return
    user = urlsplit(base_url).username or "guest"
    vhost = f"district-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield with_vhost(base_url, vhost)
    finally:
        rabbitmqctl("delete_vhost", vhost, check=False)


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
