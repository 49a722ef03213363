"""A broker connection whose first connect is abandoned leaves nothing running behind it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest
from aio_pika import RobustConnection
from aio_pika.abc import AbstractRobustConnection

from shared.failover import connect


@pytest.fixture
async def silent_broker() -> AsyncIterator[str]:
    """A port that accepts a connection and never says a word: a connect there waits until it is given up."""
    writers: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda _reader, writer: writers.append(writer), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"amqp://guest:guest@127.0.0.1:{port}/"
    for writer in writers:
        writer.close()
    server.close()


async def left_running(opening: Callable[[str], Awaitable[AbstractRobustConnection]],
                       url: str) -> list[asyncio.Task[object]]:
    """The tasks still running after a connect to `url` is given up (a timeout cancels it)."""
    before = asyncio.all_tasks()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(opening(url), 0.3)
    await asyncio.sleep(0.05)
    return [t for t in asyncio.all_tasks() - before if not t.done() and t is not asyncio.current_task()]


async def test_a_connect_given_up_leaves_no_reconnecting_task(silent_broker: str) -> None:
    assert await left_running(connect, silent_broker) == []


async def test_the_library_connect_given_up_would_reconnect_for_ever(silent_broker: str) -> None:
    """Why `connect` exists: aio-pika's own keeps its reconnecting task, which swallows the cancellation that stops
    the process (a bench run's SIGTERM waited for it for ever)."""
    made: list[RobustConnection] = []

    class Kept(RobustConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    async def library_connect(url: str) -> AbstractRobustConnection:
        return await aio_pika.connect_robust(url, connection_class=Kept)

    left = await left_running(library_connect, silent_broker)
    try:
        assert left, "aio-pika now closes an abandoned connect itself: shared.failover.connect can go"
    finally:
        for connection in made:
            await connection.close()  # what `connect` does: the task then ends
    assert all(task.done() for task in left)
