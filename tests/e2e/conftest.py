"""End-to-end fixtures: services as their own processes, on the test's own vhost and databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def start_service(service_env: dict[str, str]) -> Iterator[Callable[..., ServiceProcess]]:
    started: list[ServiceProcess] = []

    def start(module: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(module, {**service_env, **env}).start()
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.stop()
