"""What a service shows of itself in `/metrics` beyond FastStream's message counters: the outbox backlog and the age
of its oldest event, the messages waiting in each of its queues (its consumer lag) and in its dead-letter queue,
how long each delivery took, what the database keeps for repeats, and whether the service is ready.

The gauges that need a query are read again every `METRICS_REFRESH_SECONDS` in the background, so a scrape never
waits on the broker or the database. The broker is asked with passive declarations, on a channel of their own:
they need no permission, and one that finds nothing closes only that channel.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.inbox import INBOX, RECEIPTS, Inbox
from shared.outbox import OUTBOX, Outbox, OutboxRelay

log = logging.getLogger(__name__)

# Deliveries take milliseconds when alone, seconds under a backlog or a database retry: buckets across both.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class QueueProbe:
    """How many messages wait in a queue, and whether an exchange or a queue exists, asked passively."""

    def __init__(self, connection: Callable[[], AbstractRobustConnection | None]) -> None:
        self._connection = connection
        self._channel: AbstractRobustChannel | None = None

    async def _open(self) -> AbstractRobustChannel:
        if self._channel is None or self._channel.is_closed:
            connection = self._connection()
            if connection is None:
                raise ConnectionError("not connected to the broker")
            self._channel = await connection.channel(publisher_confirms=False)
        return self._channel

    async def waiting(self, queue: str) -> int | None:
        """Messages ready in `queue` (not those delivered and unacknowledged), or None if there is no such queue."""
        channel = await self._open()
        try:
            # Not robust: a robust channel answers a repeated passive declaration from its cache, count and all.
            declared = await channel.declare_queue(queue, passive=True, robust=False)
        except aio_pika.exceptions.ChannelClosed:
            self._channel = None
            return None
        result = declared.declaration_result
        return int(result.message_count or 0)

    async def exchange_exists(self, name: str) -> bool:
        channel = await self._open()
        try:
            await channel.declare_exchange(name, passive=True, robust=False)
        except aio_pika.exceptions.ChannelClosed:
            self._channel = None
            return False
        return True

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            with contextlib.suppress(Exception):
                await self._channel.close()
        self._channel = None


class ServiceMetrics:
    """The service's own gauges and histogram, in its registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.unsent = Gauge("district_outbox_unsent", "Events written to the outbox and not yet published",
                            registry=registry)
        self.oldest_unsent = Gauge("district_outbox_oldest_unsent_seconds",
                                   "Age of the oldest event waiting in the outbox (0 when none waits)",
                                   registry=registry)
        self.relay_idle = Gauge("district_outbox_relay_stalled_seconds",
                                "Seconds since the outbox relay last published, or last found nothing to publish",
                                registry=registry)
        self.waiting = Gauge("district_queue_messages", "Messages waiting in each of the service's queues "
                             "(its consumer lag)", ["queue"], registry=registry)
        self.dead_letters = Gauge("district_dead_letters", "Messages in the service's dead-letter queue",
                                  registry=registry)
        self.retained = Gauge("district_retained_documents", "Documents kept only to recognise repeats: sent "
                              "outbox events, inbox claims, receipt times", ["collection"], registry=registry)
        self.retention = Gauge("district_retention_seconds", "How long each of those is kept before the service "
                               "deletes it", ["collection"], registry=registry)
        self.expired = Counter("district_expired_documents", "Documents deleted since start because they were "
                               "older than their retention", ["collection"], registry=registry)
        self.ready = Gauge("district_ready", "1 while /ready answers 200, else 0", registry=registry)
        self.handling = Histogram("district_handler_seconds", "Time from a delivery's arrival to its settlement, "
                                  "by queue and outcome", ["queue", "outcome"], buckets=LATENCY_BUCKETS,
                                  registry=registry)

    def observe_retention(self, outbox: Outbox, inbox: Inbox) -> None:
        self.retention.labels(OUTBOX).set(outbox.retention_seconds)
        self.retention.labels(INBOX).set(inbox.retention_seconds)
        self.retention.labels(RECEIPTS).set(inbox.retention_seconds)

    async def refresh(self, relay: OutboxRelay, inbox: Inbox, probe: QueueProbe, queues: list[str],
                      dead_letter_queue: str, *, ready: bool, retained: bool = True) -> None:
        """Read the gauges again; the documents retained only with `retained` (see `read_database`)."""
        self.relay_idle.set(relay.stalled_for())
        self.ready.set(1 if ready else 0)
        try:
            await self.read_database(relay.outbox, inbox, retained=retained)
            await self.read_queues(probe, queues, dead_letter_queue)
        except Exception as exc:  # a dependency down: /ready says so; the gauges keep their last reading
            log.debug("metrics not refreshed: %s: %s", type(exc).__name__, exc)

    async def read_database(self, outbox: Outbox, inbox: Inbox, *, retained: bool = True) -> None:
        """The backlog from its index; with `retained`, the documents kept as well, which the embedded server
        can only count by reading every one of them (about 0.2 s for 20,000)."""
        self.unsent.set(await outbox.backlog())
        oldest = await outbox.oldest_unsent()
        self.oldest_unsent.set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()) if oldest else 0.0)
        if not retained:
            return
        self.retained.labels(OUTBOX).set(await outbox.sent_retained())
        for collection, count in (await inbox.retained()).items():
            self.retained.labels(collection).set(count)

    async def read_queues(self, probe: QueueProbe, queues: list[str], dead_letter_queue: str) -> None:
        for queue in queues:
            waiting = await probe.waiting(queue)
            if waiting is not None:
                self.waiting.labels(queue).set(waiting)
        dead = await probe.waiting(dead_letter_queue)
        if dead is not None:
            self.dead_letters.set(dead)
