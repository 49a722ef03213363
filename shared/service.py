"""Bootstrap of one service: broker, database, clock, inbox/outbox, subscribers, jobs, health and metrics.

A service's `app.py` builds a `Service`, includes its `Subscriptions` (handlers, outcome events and jobs, declared
in its `handlers.py`) with its dependencies, and exposes `service.app()` (an `AsgiFastStream` app) as its process.

The walk of one event: the quorum queue -> `on_delivery` here -> `shared.consumer.settle` (decode, retry,
dead-letter) -> `apply` here (receipt time) -> `shared.unit_of_work` (inbox claim, handler, outbox, in one
transaction; `shared.batching` under load) -> the service's handler (`shared.intake` reads the input) -> its
`domain` -> its `store` -> `shared.outbox.OutboxRelay` publishes what the transaction emitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from functools import partial
from typing import Annotated, Any, TypeVar

from aio_pika.abc import AbstractIncomingMessage
from fastapi import FastAPI
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp, Receive, Scope, Send
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from faststream.rabbit.publisher import RabbitPublisher
from faststream.specification import AsyncAPI
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import BaseModel, WithJsonSchema, create_model

from shared import i18n
from shared.api import add_handled_query, read_api
from shared.batching import LookUps, TransactionBatcher
from shared.clock import Clock, DayBackwards
from shared.consumer import DeliveryPolicy, Unprocessable, deliveries_so_far, settle
from shared.contracts.clock import (
    CLOCK_SET_REQUESTED,
    ClockRejected,
    ClockSet,
    ClockSetRequested,
    clock_rejected,
    clock_set,
)
from shared.envelope import Envelope, FieldError
from shared.failover import failover_connection
from shared.http import Probes, health_routes
from shared.inbox import AlreadyHandled, Inbox
from shared.intake import read_intake
from shared.jobs import JobRun
from shared.metrics import QueueProbe, ServiceMetrics
from shared.mongo import Collection, Database, is_transient, make_client, ping
from shared.outbox import Outbox, OutboxRelay
from shared.outcome import Emit, rejected
from shared.personal_data import NOT_REPLAYABLE_HEADER, REPLAYABLE_HEADER, redact, without_personal_data
from shared.sessions import SessionRegistry
from shared.settings import ServiceSettings
from shared.subscriptions import Job, LooksUp, Subscriptions
from shared.topology import (
    DEAD_LETTER_EXCHANGE,
    DLX_NAME,
    EVENTS_EXCHANGE,
    EVENTS_EXCHANGE_NAME,
    dead_letter_queue_name,
    service_queue,
)
from shared.unit_of_work import Handler, Transaction, handle_once

log = logging.getLogger(__name__)

D = TypeVar("D")
DRILL_DAY = "drill_day"
DRILL_REFRESH_SECONDS = 0.5
RETAINED_REFRESH_SECONDS = 60.0  # the retained documents are counted at most this often, while no delivery arrives,
RETAINED_STALE_SECONDS = 900.0  # and at least this often, whatever arrives (`_refresh_metrics_periodically`)
EXPIRY_SECONDS = 60.0  # how often what is older than its retention is deleted (`shared.mongo.Expiry`)
LARGE_BODY = 64 * 1024  # bytes of a message to be dead-lettered above which it is cleaned in a worker thread


def envelope_of(model: type[BaseModel], type_: str) -> type[BaseModel]:
    """The envelope whose `data` is `model`, for the AsyncAPI document."""
    name = "".join(p.capitalize() for p in type_.replace("_", ".").split(".")) + "Event"
    return create_model(name, __base__=Envelope, data=(model, ...), __doc__=f"`{type_}` on district.events")


def self_contained_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every `$ref` inlined, so it can stand inside another document."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


async def _raw_delivery(message: Any, original: Any = None) -> Any:
    # The kernel decodes envelopes itself, so a body that is not JSON reaches it and is dead-lettered with why.
    # The handler gets the raw delivery as its one argument: asking FastStream for the message through its
    # context instead costs a hop through a worker thread on every delivery.
    return message.raw_message


class Service:
    """One bounded context's process: its broker, its database, and what connects them."""

    def __init__(self, name: str, settings: ServiceSettings, *, prefix: str | None = None,
                 clock: Clock | None = None) -> None:
        self.name = name
        self.prefix = prefix or name  # of the events it publishes: `<prefix>.clock.set`
        self.settings = settings
        i18n.use(settings.language)
        self.clock = clock or Clock(settings.calendar.calendar, mode=settings.calendar.clock,
                                    pinned=settings.calendar.today_override)
        self._drill_checked = 0.0
        self._retained_counted = -RETAINED_STALE_SECONDS  # counted at the first refresh
        self._delivered_at = -RETAINED_STALE_SECONDS  # when the last delivery arrived (time.monotonic())
        self._drill_reading = asyncio.Lock()  # one read of the drill's day at a time, however many deliveries wait
        self._stopping = False
        self.api: FastAPI | None = None  # the read-only queries (`shared.api`), set by the service's app.py
        self.registry = CollectorRegistry()
        urls = settings.bus.rabbitmq_urls
        self.broker = RabbitBroker(
            urls[0],
            app_id=name,
            reconnect_interval=1.0,
            graceful_timeout=15.0,
            default_channel=Channel(prefetch_count=settings.bus.prefetch),
            # FastStream's "Received"/"Processed" line for every message: DEBUG, not INFO (a line per event costs
            # a few percent of the process at load; the deliveries counter in /metrics counts them instead).
            log_level=logging.DEBUG,
            middlewares=[RabbitPrometheusMiddleware(registry=self.registry, app_name=name)],
            description=f"The {name} service of the district's purchasing of public services.",
        )
        if len(urls) > 1:  # the nodes of a cluster: a lost node's service reconnects to another (`shared.failover`)
            self.broker._connection_kwargs["connection_class"] = failover_connection(urls)
        self.sessions = SessionRegistry(name, stale_after=settings.store.process_stale_seconds)
        self.client = make_client(settings.store, name, listeners=[self.sessions])
        self.db: Database = self.client[settings.store.database_name(name)]
        self.inbox = Inbox(self.db, retention_seconds=settings.store.inbox_retention_seconds)
        self.outbox = Outbox(self.db, retention_seconds=settings.store.outbox_retention_seconds)
        self.relay = OutboxRelay(self.outbox, self.publish_envelope, lease_seconds=settings.bus.relay_lease_seconds,
                                 owner=self.sessions.instance, alone=lambda: self.sessions.alone)
        self.sessions.leasing = lambda: self.relay.leasing  # said in each heartbeat, for a process starting beside
        self.sessions.on_reaped.append(self.outbox.release)  # a dead process's leased rows: published at once
        self.batcher = TransactionBatcher(self.client, self.inbox, self.outbox, source=name,
                                          max_batch=settings.bus.transaction_batch,
                                          transactions=settings.bus.transactions_in_flight)
        self.policy = DeliveryPolicy(settings.bus.delivery_limit, settings.bus.transient_retry_seconds)
        self.on_startup: list[Callable[[], Awaitable[None]]] = [self.outbox.ensure_indexes, self.inbox.ensure_indexes,
                                                               self._abort_what_dead_processes_left]
        self.periodic: list[tuple[float, Callable[[], Awaitable[object]]]] = []
        self.jobs: list[tuple[str, Callable[[JobRun], Awaitable[None]]]] = []
        self.consumers: list[str] = []
        self._publishers: dict[str, RabbitPublisher] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self.started = asyncio.Event()
        self.deliveries = Counter("district_deliveries", "Deliveries by queue and outcome",
                                  ["queue", "outcome"], registry=self.registry)
        published = Gauge("district_outbox_published", "Events the relay has published since start",
                          registry=self.registry)
        published.set_function(lambda: self.relay.published)
        group_commits = Gauge("district_group_commits", "Transactions since start that committed several events",
                              registry=self.registry)
        group_commits.set_function(lambda: self.batcher.batches)
        grouped = Gauge("district_group_committed_events", "Events committed in those transactions",
                        registry=self.registry)
        grouped.set_function(lambda: self.batcher.batched)
        self.metrics = ServiceMetrics(self.registry)
        self.metrics.observe_retention(self.outbox, self.inbox)
        self.probe = QueueProbe(lambda: self.broker._connection)
        self.probes = Probes(self.readiness_checks())
        self._consume_clock()
        self.every(EXPIRY_SECONDS, self.expire)
        if self.clock.drills:  # another replica may move the day: every answer, HTTP ones too, follows it
            self.every(DRILL_REFRESH_SECONDS, self._follow_drill)
        self.publishes(clock_set(self.prefix), ClockSet, "The drill moved this service's day; its jobs for it ran.")
        self.publishes(clock_rejected(self.prefix), ClockRejected, "A drill asked to move the day back.")

    # -- wiring -------------------------------------------------------------------------------------------------

    def include(self, subscriptions: Subscriptions[D], deps: D) -> None:
        """Wire a service's declared subscribers, outcome events and jobs, giving each its dependencies."""
        for sub in subscriptions.subscriptions:
            self.consume(sub.purpose, sub.binding, _bound(sub.handle, deps), document=sub.document,
                         description=sub.description, personal=sub.personal,
                         looks_up=_bound_look_ups(sub.looks_up, deps) if sub.looks_up is not None else None)
        for publication in subscriptions.publications:
            self.publishes(publication.event_type, publication.model, publication.description)
        for job in subscriptions.jobs:
            self.add_job(job.name, _bound_job(job, deps), job.every(deps))

    def consume(self, purpose: str, binding: str, handler: Handler, *, document: type[BaseModel],
                description: str, personal: tuple[str, ...] = (), looks_up: LookUps | None = None) -> None:
        """Subscribe `handler` to events matching `binding`, through the quorum queue `<name>.<purpose>`;
        `personal`: the fields of its `data` a dead letter must not keep; `looks_up`: the documents by `_id` it
        reads, read together for a batch (`shared.batching`)."""
        consumer = f"{self.name}.{purpose}"

        async def handle(envelope: Envelope, message: AbstractIncomingMessage, arrived: Any) -> None:
            now = await self.received_at(consumer, envelope, message, arrived)
            try:
                emitted = await self.batcher.handle(consumer, envelope, handler, now=now,
                                                    today=self.clock.day_of(now), looks_up=looks_up)
            except AlreadyHandled:
                raise
            except BaseException:
                await self._remember_receipt(consumer, envelope, now)
                raise
            if emitted:
                self.outbox.notify()

        self._subscribe(purpose, binding, handle, document=document, description=description, personal=personal)

    def _subscribe(self, purpose: str, binding: str,
                   handle: Callable[[Envelope, AbstractIncomingMessage, Any], Awaitable[None]], *,
                   document: type[BaseModel], description: str, personal: tuple[str, ...] = ()) -> None:
        consumer = f"{self.name}.{purpose}"
        self.consumers.append(consumer)

        async def dead_letter(message: AbstractIncomingMessage, reason: str) -> None:
            await self.dead_letter(message, reason, queue=queue.name, personal=personal)

        async def on_delivery(body: AbstractIncomingMessage) -> None:
            arrived, started = self.clock.now(), time.monotonic()
            self._delivered_at = started

            async def apply(envelope: Envelope) -> None:
                await handle(envelope, body, arrived)

            def settled(outcome: str) -> None:
                self.deliveries.labels(consumer, outcome).inc()
                self.metrics.handling.labels(consumer, outcome).observe(time.monotonic() - started)

            await settle(body, apply, dead_letter, self.policy, settled)

        queue = service_queue(self.name, purpose, binding, self.settings.bus.delivery_limit)
        documented = Annotated[Any, WithJsonSchema(self_contained_schema(envelope_of(document, binding)))]
        on_delivery.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=documented),
        ])
        on_delivery.__name__ = purpose.replace("-", "_")
        self.broker.subscriber(queue, EVENTS_EXCHANGE, ack_policy=AckPolicy.REJECT_ON_ERROR, decoder=_raw_delivery,
                               title=consumer, description=description)(on_delivery)

    # -- time: receipts, the drill's day, jobs ------------------------------------------------------------------

    async def received_at(self, consumer: str, envelope: Envelope, message: AbstractIncomingMessage,
                          arrived: Any) -> Any:
        """The district's receipt time of the event: decisions use it on every delivery, never a later clock."""
        if self.clock.drills:
            await self._follow_drill()
            arrived = max(arrived, self.clock.now()) if self.clock.drill_day else arrived
        first = (not message.redelivered and deliveries_so_far(message) == 0
                 and message.exchange == EVENTS_EXCHANGE_NAME)
        return await self.inbox.received_at(consumer, str(envelope.event_id), arrived=arrived, first_delivery=first)

    async def _remember_receipt(self, consumer: str, envelope: Envelope, at: Any) -> None:
        with contextlib.suppress(Exception):  # the database may be what failed: the redelivery then uses its own
            await self.inbox.remember_receipt(consumer, str(envelope.event_id), at)

    async def _follow_drill(self, force: bool = False) -> None:
        # Another replica may have moved the day: read it again at most every half second. The deliveries that
        # find the day due for a read while one is under way wait for that read instead of each sending its own
        # (with 64 deliveries in flight, every half second the database was asked 64 times for one document).
        asked = time.monotonic()
        if not force and asked - self._drill_checked <= DRILL_REFRESH_SECONDS:
            return
        async with self._drill_reading:
            if self._drill_checked >= asked or (not force and time.monotonic() - self._drill_checked
                                                <= DRILL_REFRESH_SECONDS):
                return  # read while this one waited, after it asked
            started = time.monotonic()
            doc = await self.db["clock"].find_one({"_id": DRILL_DAY})
            self.clock.follow(date.fromisoformat(doc["today"]) if doc else None)
            self._drill_checked = started

    def add_job(self, name: str, job: Callable[[JobRun], Awaitable[None]], every: float) -> None:
        """Run `job` every `every` seconds while the service runs, and at once when a drill moves the day."""
        self.jobs.append((name, job))

        async def run() -> None:
            await self._follow_drill() if self.clock.drills else None
            await job(self.job_run())

        self.every(every, run)

    def job_run(self) -> JobRun:
        now = self.clock.now()
        return JobRun(now=now, today=self.clock.day_of(now), client=self.client, outbox=self.outbox,
                      source=self.name)

    async def run_jobs(self) -> None:
        """Every job once, now (a drill's new day)."""
        for _name, job in self.jobs:
            await job(self.job_run())

    def _consume_clock(self) -> None:
        consumer = f"{self.name}.clock-set"

        async def handle(envelope: Envelope, message: AbstractIncomingMessage, arrived: Any) -> None:
            if not self.clock.drills:
                raise Unprocessable(i18n._("intake.clock.set is allowed only in drill mode (DISTRICT_CLOCK=drill, "
                                           "development only); this service runs on the system clock"))
            if await self.inbox.seen(consumer, str(envelope.event_id)):
                raise AlreadyHandled(str(envelope.event_id))
            outcome = await self._move_day(envelope)
            now = self.clock.now()

            async def answer(event: Envelope, tx: Transaction) -> None:
                tx.emit(outcome)

            await handle_once(self.client, self.inbox, self.outbox, consumer, envelope, answer, now=now,
                              today=self.clock.day_of(now), source=self.name)
            self.outbox.notify()

        self._subscribe("clock-set", CLOCK_SET_REQUESTED, handle, document=ClockSetRequested,
                        description="A drill moves the district's day forward (drill mode only); the service runs "
                                    "its time-driven jobs for the new day, then confirms.")

    async def _move_day(self, envelope: Envelope) -> Emit:
        request = read_intake(ClockSetRequested, envelope.data, rejected=clock_rejected(self.prefix),
                              echo=("today",))
        if isinstance(request, Emit):
            return request
        await self._follow_drill(force=True)
        try:
            self.clock.check_move(request.today)
        except DayBackwards as exc:
            return rejected(clock_rejected(self.prefix), [FieldError(field="today", message=str(exc))],
                            today=request.today.isoformat())
        await self.db["clock"].update_one({"_id": DRILL_DAY}, {"$max": {"today": request.today.isoformat()}},
                                          upsert=True)
        self.clock.follow(request.today)
        await self.run_jobs()
        return Emit(clock_set(self.prefix), {"today": request.today.isoformat(), "service": self.name})

    def publishes(self, type_: str, model: type[BaseModel], description: str) -> None:
        """Declare an outcome event this service publishes (it appears in the AsyncAPI document)."""
        self._publishers[type_] = self.broker.publisher(
            routing_key=type_, exchange=EVENTS_EXCHANGE, persist=True, title=type_, description=description,
            schema=envelope_of(model, type_), content_type="application/json", mandatory=False,
        )

    def every(self, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` every `seconds` while the service runs (time-driven checks inside the service)."""
        self.periodic.append((seconds, job))

    # -- messaging ----------------------------------------------------------------------------------------------

    async def publish_envelope(self, envelope: Envelope) -> None:
        """Persistent, confirmed, routing key = type, AMQP message_id = event_id (CONTRACT.md)."""
        options: dict[str, Any] = {
            "message_id": str(envelope.event_id),
            "correlation_id": str(envelope.correlation_id or envelope.event_id),
            "content_type": "application/json",
            "persist": True,
            "mandatory": False,
            "timestamp": envelope.occurred_at,
        }
        publisher = self._publishers.get(envelope.type)
        if publisher is not None:
            await publisher.publish(envelope.to_json(), **options)
        else:
            await self.broker.publish(envelope.to_json(), exchange=EVENTS_EXCHANGE, routing_key=envelope.type,
                                      **options)

    async def dead_letter(self, message: AbstractIncomingMessage, reason: str, queue: str = "",
                          personal: tuple[str, ...] = ()) -> None:
        """Move a message to this service's dead-letter queue with the reason, confirmed before it is acked.

        A dead letter may wait for weeks, so it keeps no personal data in clear: the `personal` fields of its data
        and anything shaped like an ID number are taken out first (`shared.personal_data`), and such a letter is
        marked as one that cannot be replayed, saying why; the sender must send it again.
        """
        # A large body is read in a worker thread, so that /ready and the other deliveries keep being answered.
        body, removed = (await asyncio.to_thread(without_personal_data, message.body, personal)
                         if len(message.body) > LARGE_BODY else without_personal_data(message.body, personal))
        headers = {k: redact(v) if isinstance(v, str) else v for k, v in (message.headers or {}).items()}
        if removed:
            headers.update({
                REPLAYABLE_HEADER: False,
                NOT_REPLAYABLE_HEADER: i18n._(
                    "personal data taken out before it was dead-lettered ({fields}): it cannot be replayed; ask the "
                    "sender to send it again").format(fields=", ".join(removed)),
            })
        headers.update({
            "x-error": redact(reason)[:2000],
            "x-dead-lettered-by": self.name,
            "x-original-routing-key": message.routing_key or "",
            "x-original-exchange": message.exchange or "",
            "x-original-queue": queue,
            "x-failed-deliveries": deliveries_so_far(message) + 1,
            "x-dead-lettered-at": self.clock.now().isoformat(),
        })
        await self.broker.publish(
            body, exchange=DEAD_LETTER_EXCHANGE, routing_key=self.name, headers=headers,
            message_id=message.message_id, content_type=message.content_type, persist=True, mandatory=False,
        )

    # -- readiness ----------------------------------------------------------------------------------------------

    async def _broker_down(self) -> str | None:
        if not self._started:
            return "starting"
        return None if await self.broker.ping(timeout=1.0) else "broker connection is down"

    async def _database_down(self) -> str | None:
        return await ping(self.db)

    async def _relay_stalled(self) -> str | None:
        return await self.relay.stalled(self.settings.bus.relay_stall_seconds)

    def readiness_checks(self) -> dict[str, Callable[[], Awaitable[str | None]]]:
        return {"broker": self._broker_down, "database": self._database_down, "outbox": self._relay_stalled}

    async def refresh_metrics(self, *, retained: bool = True) -> None:
        """Read again what the gauges of /metrics show that needs a query (`shared.metrics`); the documents
        retained only with `retained`."""
        await self.metrics.refresh(self.relay, self.inbox, self.probe, self.consumers,
                                   dead_letter_queue_name(self.name), ready=not await self.probes.failing(),
                                   retained=retained)

    async def expire(self) -> int:
        """Delete the sent outbox events, inbox claims and receipt times older than their retention; how many.
        Rows an earlier version marked sent in the outbox are moved to the sent events first (`Outbox.adopt`)."""
        await self.outbox.adopt()
        expired = 0
        for expiry in [*self.outbox.expiries, *self.inbox.expiries]:
            deleted = await expiry.expire()
            self.metrics.expired.labels(expiry.kept).inc(deleted)
            expired += deleted
        return expired

    async def _refresh_metrics_periodically(self) -> None:
        # The retained documents change over days and counting them costs the embedded server a read of each:
        # counted every RETAINED_REFRESH_SECONDS, the rest every METRICS_REFRESH_SECONDS. Counted every five
        # seconds in each service, they took a fifth of the database's time in the ten-times district's year.
        # The count also holds the server's storage lock throughout (65 ms for 10,000 documents, 330 ms for
        # 50,000, each write waiting behind it), so it waits for a refresh with no delivery since the last one,
        # and happens under unbroken load only every RETAINED_STALE_SECONDS.
        now = time.monotonic()
        since = now - self._retained_counted
        quiet = now - self._delivered_at >= self.settings.bus.metrics_refresh_seconds
        due = since >= RETAINED_REFRESH_SECONDS and (quiet or since >= RETAINED_STALE_SECONDS)
        await self.refresh_metrics(retained=due)
        if due:
            self._retained_counted = time.monotonic()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    async def _prepare(self) -> None:
        for step in self.on_startup:
            await _until_it_answers(step, f"{self.name}: start-up")
        # The exchanges and the dead-letter queue must exist before the first queue can dead-letter into them.
        await _until_it_answers(self._connect_broker, f"{self.name}: the broker")
        await _until_it_answers(self._check_topology, f"{self.name}: the broker's topology")

    async def _connect_broker(self) -> None:
        # A broker that is still starting, or too busy to answer in time, is waited for: the process does not die.
        await self.broker.connect()

    async def _abort_what_dead_processes_left(self) -> None:
        """This process's sessions recorded before its first transaction; a killed predecessor's aborted."""
        await self.sessions.warm(self.client)
        await self.sessions.watch(self.db)

    async def _watch_sessions(self) -> None:
        try:
            await self.sessions.watch(self.db)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.debug("no heartbeat while the database is away: %s", exc)  # /ready says so already

    async def _check_topology(self) -> None:
        """The shared exchanges and this service's dead-letter queue are provisioned (`shared.topology`)."""
        missing = [name for name in (EVENTS_EXCHANGE_NAME, DLX_NAME) if not await self.probe.exchange_exists(name)]
        if await self.probe.waiting(dead_letter_queue_name(self.name)) is None:
            missing.append(dead_letter_queue_name(self.name))
        if missing:
            raise LookupError(f"{', '.join(missing)} not found: provision the broker first "
                              "(deploy/rabbitmq/provision.sh; `make dev` and compose do)")

    async def _after_startup(self) -> None:
        # Beside live processes of the service, relay only once each of them leases what it publishes.
        self.relay.start(after=None if self.sessions.alone else partial(self.sessions.peers_leasing, self.db))
        self._stopping = False
        beat = (self.settings.store.process_stale_seconds / 3, self._watch_sessions)
        gauges = (self.settings.bus.metrics_refresh_seconds, self._refresh_metrics_periodically)
        for seconds, job in [*self.periodic, gauges, beat]:
            self._tasks.append(asyncio.create_task(_repeat(seconds, job, lambda: self._stopping),
                                                   name=f"{self.name}-periodic"))
        self._started = True
        self.started.set()

    async def _on_shutdown(self) -> None:
        self._stopping = True  # a cancellation absorbed by the database driver must not keep a job looping
        self._started = False
        self.started.clear()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.relay.stop()
        await self.probe.close()
        await self.probes.close()

    async def _after_shutdown(self) -> None:
        with contextlib.suppress(Exception):  # the database may be what is down; the record then goes stale
            await self.sessions.leave(self.db)
        await self.client.close()

    def app(self) -> AsgiFastStream:
        routes = health_routes(self.name, self.probes, self.registry)
        api = self.api or read_api(self.name, f"The {self.name} service's read-only queries.")
        add_handled_query(api, lambda ids: self.inbox.handled_among(self.consumers, ids))
        return ServiceApp(
            self.broker,
            api=api,
            asgi_routes=routes,
            on_startup=[self._prepare],
            after_startup=[self._after_startup],
            on_shutdown=[self._on_shutdown],
            after_shutdown=[self._after_shutdown],
            specification=AsyncAPI(title=f"district {self.name}", version="1.0.0",
                                   description=f"Events the {self.name} service consumes and publishes."),
        )


class ServiceApp(AsgiFastStream):
    """FastStream's ASGI app, handing every HTTP path it does not serve itself to the service's read API."""

    def __init__(self, *args: Any, api: ASGIApp | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api = api

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.api is not None and scope["type"] == "http":
            await self.api(scope, receive, send)
            return
        await super().not_found(scope, receive, send)


def _bound(handle: Callable[[Envelope, Transaction, D], Awaitable[None]], deps: D) -> Handler:
    async def handler(event: Envelope, tx: Transaction) -> None:
        await handle(event, tx, deps)

    return handler


def _bound_look_ups(looks_up: LooksUp[D], deps: D) -> LookUps:
    def look_ups(event: Envelope) -> Iterable[tuple[Collection, Any]]:
        return looks_up(event.data, deps)

    return look_ups


def _bound_job(job: Job[D], deps: D) -> Callable[[JobRun], Awaitable[None]]:
    async def run(job_run: JobRun) -> None:
        await job.run(job_run, deps)

    return run


async def _until_it_answers(step: Callable[[], Awaitable[None]], what: str) -> None:
    delay = 0.2
    while True:
        try:
            await step()
            return
        except Exception as exc:  # the database may still be starting: wait for it rather than die
            log.warning("%s: %s: %s; retrying in %.1fs", what, type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _repeat(seconds: float, job: Callable[[], Awaitable[object]], stopping: Callable[[], bool]) -> None:
    while not stopping():
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job failed; it runs again in %.0fs", seconds)
        await asyncio.sleep(seconds)


def run(app: AsgiFastStream, host: str, port: int, log_level: str = "INFO") -> None:
    """Serve the ASGI app (HTTP + broker) until SIGTERM/SIGINT; shuts down gracefully."""
    import uvicorn

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # At DEBUG these libraries log whole message bodies and database documents: personal data must stay out.
    for library in ("pymongo", "aiormq", "aio_pika"):
        logging.getLogger(library).setLevel(max(logging.INFO, logging.getLevelName(log_level)))
    # What is built by now (the modules, the contracts' models, the app) lives as long as the process: out of the
    # cyclic collector's reach, a full collection scans only what deliveries made since (in a service under load,
    # full collections took 60-70 ms, each holding up every delivery; frozen, 2-3 ms).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), access_log=False,
                timeout_graceful_shutdown=20)
