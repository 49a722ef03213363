"""`make demo` on a machine with neither a Docker engine nor a broker stops at once and says what to install."""

from __future__ import annotations

import time

import pytest

from shared.embedded_db import free_port
from tools.demo import suite


def test_the_demo_stops_at_once_naming_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    nothing_there = free_port()
    monkeypatch.setenv("OPERATOR_RABBITMQ_URL", f"amqp://operator:secret@127.0.0.1:{nothing_there}/")
    for spec in suite.SUITE:
        monkeypatch.setenv(spec.port_var, str(free_port()))  # no service answers there either
    monkeypatch.setattr(suite, "docker_answers", lambda: False)  # this machine's case: no Docker engine
    started = time.monotonic()
    with pytest.raises(SystemExit) as stopped:
        suite.ensure_suite()
    assert time.monotonic() - started < 15
    message = str(stopped.value)
    assert f"127.0.0.1:{nothing_there}" in message
    assert "Docker" in message and "RabbitMQ" in message and "apt-get install rabbitmq-server" in message
