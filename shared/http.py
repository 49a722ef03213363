"""The HTTP side of a service: `/health` (the process runs), `/ready` (broker and database answer, the outbox relay
is not stuck), `/metrics`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.asgi import AsgiResponse, get
from faststream.asgi.types import ASGIApp, Scope
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Check = Callable[[], Awaitable[str | None]]


def _json(status: int, body: dict[str, Any]) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, headers={"content-type": "application/json"})


async def _probe(check: Check) -> str | None:
    return await check()


class Probes:
    """A service's readiness checks: each dependency's probe runs at most once at a time, and is never cancelled.

    A probe that outlasts `timeout` is reported as not answering and left to finish; a look meanwhile waits on
    the same run instead of starting another, so a hanging database gets one ping per service, not one per
    /ready. Cancelling it instead would cancel a database call halfway: on Python 3.11, a cancel that lands
    while pymongo's async client unwinds its own `asyncio.wait_for` (server selection, a pool's wait) leaves
    that wait's lock marked held by a task that is gone, and every later call of the client waits for it for
    ever. A service wedged so after the database came back, its /ready 503 for good (tests/faults).
    """

    def __init__(self, checks: dict[str, Check], timeout: float = 2.5) -> None:
        self.checks = checks
        self.timeout = timeout
        self._running: dict[str, asyncio.Task[str | None]] = {}

    async def close(self) -> None:
        """Cancel the probes still running (the service is stopping, its clients about to close)."""
        runs = list(self._running.values())
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)

    async def failing(self) -> dict[str, str]:
        """Every dependency that does not answer, with why (all probed at once)."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._look(name) for name in names))
        return {n: r for n, r in zip(names, results, strict=True) if r is not None}

    async def _look(self, name: str) -> str | None:
        run = self._running.get(name)
        if run is None or run.get_loop() is not asyncio.get_running_loop():
            run = asyncio.create_task(_probe(self.checks[name]), name=f"probe {name}")
            self._running[name] = run
            run.add_done_callback(lambda done: self._finished(name, done))
        await asyncio.wait({run}, timeout=self.timeout)
        if not run.done():
            return f"no answer within {self.timeout:.1f}s"
        if run.cancelled():
            return "probe cancelled (the service is stopping)"
        exc = run.exception()
        if exc is not None:
            return f"{type(exc).__name__}: {str(exc)[:200]}"
        return run.result()

    def _finished(self, name: str, run: asyncio.Task[str | None]) -> None:
        if self._running.get(name) is run:
            del self._running[name]
        if not run.cancelled():
            run.exception()  # retrieved here too, should no look be waiting for it any more


def health_routes(service: str, probes: Probes, registry: CollectorRegistry) -> list[tuple[str, ASGIApp]]:
    """`probes.checks` maps a dependency's name to a probe that returns None when it answers, else why not."""

    @get(include_in_schema=False)
    async def health(scope: Scope) -> AsgiResponse:
        return _json(200, {"service": service, "status": "alive"})

    @get(include_in_schema=False)
    async def ready(scope: Scope) -> AsgiResponse:
        failed = await probes.failing()
        body = {"service": service, "status": "not ready" if failed else "ready",
                "checks": {n: (failed.get(n) or "ok") for n in probes.checks}}
        return _json(503 if failed else 200, body)

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:
        return AsgiResponse(generate_latest(registry), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    return [("/health", health), ("/ready", ready), ("/metrics", metrics)]
