"""The operators' side of a service's read API: fetch a query's JSON answer, or say clearly why not.

Operators' commands (`make census`, `make training-progress`, ...) read through the services' HTTP queries,
never their databases: the database is the service's own, and in compose it publishes no port.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from shared.i18n import _


class Unreachable(Exception):
    """The service did not answer, or answered an error; the message says which and what to do."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status it answered (404: what was asked for does not exist), or None


def service_url(service: str, port: int) -> str:
    """`<SERVICE>_URL` if set (compose, another host), else the service on this machine at its port."""
    variable = service.upper().replace("-", "_") + "_URL"
    return os.environ.get(variable, f"http://127.0.0.1:{port}").rstrip("/")


def fetch(base_url: str, path: str, params: Mapping[str, Any] | None = None, timeout: float = 30.0) -> Any:
    """GET `path` on a service and return its JSON answer."""
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None}, doseq=True)
    url = f"{base_url}{path}" + (f"?{query}" if query else "")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")[:500]
        raise Unreachable(_("{url} answered {status}: {body}").format(url=url, status=exc.code, body=body),
                          exc.code) from None
    except (OSError, ValueError) as exc:
        raise Unreachable(_("no answer from {url} ({reason}); is the service running (`make dev`, or `make up`), "
                            "or its <SERVICE>_URL set?").format(url=base_url,
                                                                reason=getattr(exc, "reason", exc))) from None


def fetch_all(base_url: str, path: str, params: Mapping[str, Any] | None = None, page: int = 500) -> list[Any]:
    """Every item of a paginated list query, page by page."""
    items: list[Any] = []
    while True:
        answer = fetch(base_url, path, {**(params or {}), "limit": page, "offset": len(items)})
        items.extend(answer["items"])
        if len(items) >= answer["total"] or not answer["items"]:
            return items


def command(name: str, body: Callable[[], str]) -> int:
    """Run an operator command: print what `body` returns, or why it could not, and give the exit status."""
    try:
        sys.stdout.write(body().rstrip("\n") + "\n")
    except Unreachable as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    return 0
