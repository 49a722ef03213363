"""End-to-end fixtures: services as their own processes, each as its own broker user, on the test's own vhost and
databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.endpoints import user_url
from tests.support.processes import SERVICE_USERS, ServiceProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def start_service(service_env: dict[str, str]) -> Iterator[Callable[..., ServiceProcess]]:
    started: list[ServiceProcess] = []

    def start(module: str, **env: str) -> ServiceProcess:
        merged = {**service_env, **env}
        # On a provisioned vhost, each service connects as its own user, as in compose.
        merged["RABBITMQ_URL"] = user_url(merged["RABBITMQ_URL"], SERVICE_USERS[module])
        process = ServiceProcess(module, merged).start()
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.stop()
