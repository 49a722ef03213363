"""Least privilege on the broker, as `deploy/rabbitmq/provision.sh` sets it up: each service's user publishes only
its own routing-key prefix and touches only its own queues; the external publisher publishes `intake.*` and
nothing else; and each service, running as its own user, still declares its topology and answers its intake.

The test provisions a vhost of its own on this machine's RabbitMQ, with users whose names carry a prefix of its
own (users are global to a broker), and removes both afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from aiormq.exceptions import ChannelAccessRefused

from tests.support.bus import BusProbe, envelope
from tests.support.endpoints import rabbitmqctl, with_vhost
from tests.support.processes import ROOT, ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

PROVISION = ROOT / "deploy" / "rabbitmq" / "provision.sh"
USERS = ("catalog", "registration", "matching", "training-grading", "evaluation", "external-publisher")
PASSWORD_VARIABLES = {user: user.upper().replace("-", "_") + "_AMQP_PASSWORD" for user in USERS}
EVENTS = "district.events"


@dataclass(frozen=True)
class Broker:
    """The provisioned vhost: the URL each user connects with, and the administrator's for watching."""

    base_url: str
    vhost: str
    prefix: str
    passwords: dict[str, str]

    def url(self, user: str) -> str:
        parts = urlsplit(self.base_url)
        netloc = f"{quote(self.prefix + user, safe='')}:{quote(self.passwords[user], safe='')}@{parts.hostname}"
        return with_vhost(f"{parts.scheme}://{netloc}:{parts.port or 5672}/", self.vhost)

    @property
    def admin_url(self) -> str:
        return with_vhost(self.base_url, self.vhost)


@pytest.fixture(scope="module")
def broker(rabbit_base_url: str) -> Iterator[Broker]:
    host = urlsplit(rabbit_base_url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"} or shutil.which("rabbitmqctl") is None:
        pytest.skip("provisioning needs rabbitmqctl on the broker's machine")
    tag = uuid.uuid4().hex[:8]
    broker = Broker(rabbit_base_url, f"district-lp-{tag}", f"lp{tag}-",
                    {user: secrets.token_urlsafe(18) for user in PASSWORD_VARIABLES})
    env = {**os.environ, "AMQP_USER_PREFIX": broker.prefix,
           **{PASSWORD_VARIABLES[user]: password for user, password in broker.passwords.items()}}
    admin = urlsplit(rabbit_base_url).username or "guest"
    try:
        run = subprocess.run(["bash", str(PROVISION), broker.vhost], env=env, capture_output=True, text=True,
                             timeout=240)
        assert run.returncode == 0, f"provision.sh failed:\n{run.stdout}\n{run.stderr}"
        rabbitmqctl("set_permissions", "-p", broker.vhost, admin, ".*", ".*", ".*")
        yield broker
    finally:
        for user in PASSWORD_VARIABLES:
            rabbitmqctl("delete_user", broker.prefix + user, check=False)
        rabbitmqctl("delete_vhost", broker.vhost, check=False)


@asynccontextmanager
async def channel_of(url: str) -> AsyncIterator[AbstractChannel]:
    connection = await aio_pika.connect(url)
    try:
        yield await connection.channel(publisher_confirms=True)
    finally:
        await connection.close()


async def events_exchange(channel: AbstractChannel) -> aio_pika.abc.AbstractExchange:
    """district.events as a publisher finds it: declared passively, which needs no configure permission."""
    return await channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True, passive=True)


async def publish(channel: AbstractChannel, routing_key: str) -> None:
    body = aio_pika.Message(b'{"probe": true}', delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    await (await events_exchange(channel)).publish(body, routing_key=routing_key)


async def consume_from(channel: AbstractChannel, queue_name: str) -> None:
    queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(await events_exchange(channel), routing_key="intake.#")
    await queue.consume(_ack)


async def _ack(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    await message.ack()


async def refused(url: str, action: Callable[[AbstractChannel], Awaitable[Any]]) -> str:
    """The broker's refusal of `action`, which must close the channel with ACCESS_REFUSED."""
    async with channel_of(url) as channel:
        with pytest.raises(ChannelAccessRefused) as refusal:
            await action(channel)
        assert channel.is_closed
    return str(refusal.value)


@pytest.fixture
async def topology(broker: Broker) -> None:
    """The exchange exists before anyone publishes, as it does once the services have started."""
    async with channel_of(broker.admin_url) as channel:
        await channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True)


OWN_AND_OTHER = [("catalog", "catalog.project.published", "registration.organization.registered"),
                 ("registration", "registration.organization.registered", "catalog.project.status_changed"),
                 ("matching", "matching.contract.awarded", "evaluation.contract.evaluated"),
                 ("training-grading", "training.course.completed", "matching.contract.awarded"),
                 ("training-grading", "grading.grade.assigned", "catalog.project.published"),
                 ("evaluation", "evaluation.contract.evaluated", "grading.grade.assigned")]


@pytest.mark.parametrize(("user", "own", "other"), OWN_AND_OTHER)
async def test_a_service_user_publishes_its_own_prefix_and_is_refused_another_and_intake(
    broker: Broker, topology: None, user: str, own: str, other: str,
) -> None:
    url = broker.url(user)
    async with channel_of(url) as channel:
        await publish(channel, own)
        assert not channel.is_closed
    for key in (other, "intake.project.proposed"):
        reason = await refused(url, partial(publish, routing_key=key))
        assert "ACCESS_REFUSED" in reason and f"topic '{key}'" in reason


@pytest.mark.parametrize(("user", "other"), [("catalog", "registration"), ("registration", "matching"),
                                             ("matching", "catalog"), ("training-grading", "evaluation"),
                                             ("evaluation", "training-grading")])
async def test_a_service_user_declares_and_consumes_its_own_queues_and_is_refused_another_services(
    broker: Broker, topology: None, user: str, other: str,
) -> None:
    url = broker.url(user)
    async with channel_of(url) as channel:
        await consume_from(channel, f"{user}.xyz")
        assert not channel.is_closed
    for queue in (f"{other}.xyz", f"{other}.dlq"):
        reason = await refused(url, partial(consume_from, queue_name=queue))
        assert "ACCESS_REFUSED" in reason and f"queue '{queue}'" in reason


async def test_the_external_publisher_publishes_intake_only_and_may_not_read_or_declare_any_queue(
    broker: Broker, topology: None,
) -> None:
    url = broker.url("external-publisher")
    async with channel_of(broker.admin_url) as admin:
        await admin.declare_queue("catalog.audit", durable=True, arguments={"x-queue-type": "quorum"})
    async with channel_of(url) as channel:
        await publish(channel, "intake.project.proposed")
        assert not channel.is_closed
    for key in ("catalog.project.published", "registration.organization.suspended", "matching.contract.awarded"):
        reason = await refused(url, partial(publish, routing_key=key))
        assert f"topic '{key}'" in reason

    async def read(channel: AbstractChannel) -> None:
        await (await channel.declare_queue("catalog.audit", passive=True)).get(fail=False)

    assert "queue 'catalog.audit'" in await refused(url, read)
    assert "queue 'intake.mine'" in await refused(url, lambda channel: consume_from(channel, "intake.mine"))
    assert "ACCESS_REFUSED" in await refused(url, lambda channel: channel.declare_queue("", exclusive=True))
    assert "exchange 'district.events'" in await refused(
        url, lambda channel: channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True))


def _message(body: bytes, message_id: str) -> aio_pika.Message:
    return aio_pika.Message(body, message_id=message_id, content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


async def _dead_letters(watcher: BusProbe, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """The service dead-letters through district.dlx as its own user: wait for the letter to arrive."""
    for _ in range(100):
        if letters := await watcher.drain_queue(queue):
            return letters
        await asyncio.sleep(0.1)
    return []


# Each service as its own process, connected as its own user: a proposal is published, the others refuse an
# empty request; either way the service has declared its queues and published its own prefix. A body that is not
# JSON reaches its dead-letter queue, which it writes through district.dlx.
AS_ITS_OWN_USER = [
    ("catalog", "catalog", "intake.project.proposed", {
        "project_ref": "LP-1", "batch": "2015-1", "title": "社区助老服务", "category": "助老",
        "service_class": "public_welfare", "purchaser": {"kind": "street", "name": "玉林街道"},
        "budget_fen": 1_000_000, "content": "为辖区老人提供助餐服务",
        "period": {"start": "2015-01-01", "end": "2015-12-31"}}, "catalog.project.published"),
    ("registration", "registration", "intake.organization.suspended", {}, "registration.organization.rejected"),
    ("training_grading", "training-grading", "intake.assessment.submitted", {}, "grading.assessment.rejected"),
    ("evaluation", "evaluation", "intake.report.submitted", {}, "evaluation.report.rejected"),
    ("matching", "matching", "intake.fair.schedule_requested", {}, "matching.fair.rejected"),
]


@pytest.mark.parametrize(("module", "user", "intake", "data", "answer"), AS_ITS_OWN_USER,
                         ids=[case[0] for case in AS_ITS_OWN_USER])
async def test_a_service_running_as_its_own_user_answers_an_intake_from_the_external_publisher(
    broker: Broker, topology: None, mongo_url: str, db_prefix: str, module: str, user: str, intake: str,
    data: dict[str, Any], answer: str,
) -> None:
    if not (ROOT / "services" / module / "__main__.py").exists():
        pytest.skip(f"{module} has no process yet")
    service = ServiceProcess(module, {"RABBITMQ_URL": broker.url(user), "MONGO_URL": mongo_url,
                                      "MONGO_DATABASE_PREFIX": db_prefix, "DELIVERY_LIMIT": "5"}).start()
    try:
        service.wait_ready()
        async with BusProbe(broker.admin_url, patterns=(f"{answer.split('.')[0]}.#",)) as watcher:
            sent = envelope(intake, data, source="wuhou-district-system")
            async with channel_of(broker.url("external-publisher")) as channel:
                exchange = await events_exchange(channel)
                await exchange.publish(_message(json.dumps(sent).encode(), sent["event_id"]), routing_key=intake)
                await exchange.publish(_message(b"{not json", "garbage"), routing_key=intake)
            answered = await watcher.answer(sent["event_id"], timeout=30)
            letters = await _dead_letters(watcher, f"{user}.dlq")
        assert answered["type"] == answer and answered["source"] == user
        assert [m.message_id for m in letters] == ["garbage"]
        assert service.ready_status() == 200
        assert "ACCESS_REFUSED" not in service.log(tail=10_000)
    finally:
        service.stop()
