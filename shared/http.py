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


async def _run_check(check: Check, timeout: float) -> str | None:
    """A probe that hangs or raises is a failed dependency, never a failed /ready: it always answers JSON."""
    try:
        return await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return f"no answer within {timeout:.1f}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"


async def failing(checks: dict[str, Check], timeout: float = 2.5) -> dict[str, str]:
    """Every dependency that does not answer, with why (all probed at once)."""
    names = list(checks)
    results = await asyncio.gather(*(_run_check(checks[n], timeout) for n in names))
    return {n: r for n, r in zip(names, results, strict=True) if r is not None}


def health_routes(service: str, checks: dict[str, Check], registry: CollectorRegistry,
                  timeout: float = 2.5) -> list[tuple[str, ASGIApp]]:
    """`checks` maps a dependency's name to a probe that returns None when it answers, else why not."""

    @get(include_in_schema=False)
    async def health(scope: Scope) -> AsgiResponse:
        return _json(200, {"service": service, "status": "alive"})

    @get(include_in_schema=False)
    async def ready(scope: Scope) -> AsgiResponse:
        failed = await failing(checks, timeout)
        body = {"service": service, "status": "not ready" if failed else "ready",
                "checks": {n: (failed.get(n) or "ok") for n in checks}}
        return _json(503 if failed else 200, body)

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:
        return AsgiResponse(generate_latest(registry), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    return [("/health", health), ("/ready", ready), ("/metrics", metrics)]
