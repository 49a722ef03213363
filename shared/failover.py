"""A broker connection that moves to another node of a RabbitMQ cluster when its own node goes.

`RABBITMQ_URL` may name several nodes of one cluster, comma-separated, the preferred one first
(`amqp://catalog:...@127.0.0.1:5682/district-dev,amqp://catalog:...@127.0.0.1:5683/district-dev,...`). The
service connects to the first that answers, in that order, and when the connection drops it tries them again
from the one after the node it lost: quorum queues keep their messages on the surviving nodes, and the robust
connection declares the service's channels, queues and consumers again on the node it reaches.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika import RobustConnection
from aio_pika.abc import AbstractRobustConnection, TimeoutType
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from yarl import URL

log = logging.getLogger(__name__)


def broker_urls(value: str) -> list[str]:
    """The nodes a comma-separated `RABBITMQ_URL` names, in order (one URL: a list of one)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def safe(url: URL) -> str:
    """A node's URL without its password, for the log."""
    return str(url.with_password("******")) if url.password else str(url)


class ClosedWhenInterrupted(RobustConnection):
    """aio-pika's robust connection, closed when its first connect is interrupted (cancelled, timed out, refused).

    aio-pika starts the connection's reconnecting task before the first connect answers and leaves it running when
    that connect is abandoned: the task swallows a cancellation ("Connection attempt ... cancelled. Reconnecting")
    and tries again every few seconds for ever, so a process stopped while it connects (a bench run's SIGTERM, a
    Ctrl-C while the demo starts) never exits, and one whose vhost is gone retries it until killed."""

    async def connect(self, timeout: TimeoutType = None) -> None:
        try:
            await super().connect(timeout)
        except BaseException:
            await self.close()
            raise


async def connect(url: str, **options: Any) -> AbstractRobustConnection:
    """`aio_pika.connect_robust`, but with nothing left running when the connect is interrupted."""
    connection: AbstractRobustConnection = await aio_pika.connect_robust(
        url, connection_class=options.pop("connection_class", ClosedWhenInterrupted), **options)
    return connection


def failover_connection(urls: Sequence[str]) -> type[RobustConnection]:
    """A robust connection class that tries `urls` in turn, starting after the node it last lost."""
    nodes = tuple(URL(u) for u in urls)

    class FailoverConnection(ClosedWhenInterrupted):
        def __init__(self, url: URL, *args: Any, **kwargs: Any) -> None:
            super().__init__(url, *args, **kwargs)
            self.nodes = nodes or (URL(url),)
            self.node = -1  # none tried yet: the first attempt starts at the preferred node
            self.url = self.nodes[0]

        # aio-pika's reconnection loop calls this private method for each attempt; trying every node within one
        # attempt means losing a node costs one reconnect interval, not one per dead node.
        async def _RobustConnection__connect_transport(self) -> None:  # noqa: N802 - the name aio-pika calls
            connect = RobustConnection._RobustConnection__connect_transport  # type: ignore[attr-defined]
            first = (self.node + 1) % len(self.nodes)  # after the node just lost, or the last one tried in vain
            failure: BaseException | None = None
            for step in range(len(self.nodes)):
                index = (first + step) % len(self.nodes)
                self.node, self.url = index, self.nodes[index]
                try:
                    await connect(self)
                except CONNECTION_EXCEPTIONS as exc:
                    log.warning("broker node %s does not answer (%s: %s)", safe(self.url), type(exc).__name__, exc)
                    failure = exc
                    continue
                if self.connection_attempt:
                    log.warning("connected to broker node %s", safe(self.url))
                return
            assert failure is not None
            raise failure

    return FailoverConnection
