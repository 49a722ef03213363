"""Stopping a bench run from outside.

`run(main)` is `asyncio.run(main)`, except that SIGTERM (a `timeout`, a CI's stop, `kill`) cancels `main` the way
Ctrl-C does, so the `with` blocks around what it started (the services, the embedded database, the vhost) stop
them before the process exits with 143. Python's own answer to SIGTERM is to exit at once, running none of them:
the services and the database were left running, using the machine for whatever was measured next.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    async def cancellable() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(cancellable())
    except asyncio.CancelledError:
        raise SystemExit(128 + signal.SIGTERM) from None
