"""Least privilege on the broker, as `deploy/rabbitmq/provision.sh` sets it up (compose's broker, `make dev` and
every test's vhost alike): each service's user publishes only its own routing-key prefix, dead-letters only under
its own name, touches only its own queues and can neither declare nor delete the shared exchanges; the operator
publishes `intake.*`, listens to outcomes, reads and replays dead letters; the external publisher publishes
`intake.*` and nothing else; and each service, running as its own user, still answers its intake. Provisioning
twice gives the same users and permissions.

Each test gets a vhost of its own on this machine's RabbitMQ (`vhost` in tests/conftest.py), provisioned with users
whose names carry the test session's prefix (users are global to a broker); both are removed afterwards.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from aiormq.exceptions import ChannelAccessRefused

from shared.topology import DEAD_LETTER_DELIVERY_LIMIT
from tests.support.bus import BusProbe, envelope
from tests.support.endpoints import PROVISION, SESSION_PREFIX, Vhost, provision, provision_env, rabbitmqctl
from tests.support.processes import ROOT, ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

EVENTS = "district.events"
DLX = "district.dlx"
SERVICES = ("catalog", "registration", "matching", "training-grading", "evaluation")


@pytest.fixture
def broker(vhost: Vhost) -> Vhost:
    if not vhost.least_privilege:
        pytest.skip("provisioning needs rabbitmqctl on the broker's machine")
    return vhost


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


async def permitted(url: str, action: Callable[[AbstractChannel], Awaitable[Any]]) -> None:
    """`action` succeeds and leaves the channel open."""
    async with channel_of(url) as channel:
        await action(channel)
        assert not channel.is_closed


async def refused(url: str, action: Callable[[AbstractChannel], Awaitable[Any]]) -> str:
    """The broker's refusal of `action`, which must close the channel with ACCESS_REFUSED."""
    async with channel_of(url) as channel:
        with pytest.raises(ChannelAccessRefused) as refusal:
            await action(channel)
        assert channel.is_closed
    return str(refusal.value)


OWN_AND_OTHER = [("catalog", "catalog.project.published", "registration.organization.registered"),
                 ("registration", "registration.organization.registered", "catalog.project.status_changed"),
                 ("matching", "matching.contract.awarded", "evaluation.contract.evaluated"),
                 ("training-grading", "training.course.completed", "matching.contract.awarded"),
                 ("training-grading", "grading.grade.assigned", "catalog.project.published"),
                 ("evaluation", "evaluation.contract.evaluated", "grading.grade.assigned")]


@pytest.mark.parametrize(("user", "own", "other"), OWN_AND_OTHER)
async def test_a_service_user_publishes_its_own_prefix_and_is_refused_another_and_intake(
    broker: Vhost, user: str, own: str, other: str,
) -> None:
    url = broker.url(user)
    await permitted(url, partial(publish, routing_key=own))
    for key in (other, "intake.project.proposed"):
        reason = await refused(url, partial(publish, routing_key=key))
        assert "ACCESS_REFUSED" in reason and f"topic '{key}'" in reason


# Each service beside another whose queues, prefix and dead letters it must not reach.
NEIGHBOURS = [("catalog", "registration"), ("registration", "matching"), ("matching", "catalog"),
              ("training-grading", "evaluation"), ("evaluation", "training-grading")]


@pytest.mark.parametrize(("user", "other"), NEIGHBOURS)
async def test_a_service_user_declares_and_consumes_its_own_queues_and_is_refused_another_services(
    broker: Vhost, user: str, other: str,
) -> None:
    url = broker.url(user)
    await permitted(url, partial(consume_from, queue_name=f"{user}.xyz"))
    for queue in (f"{other}.xyz", f"{other}.dlq"):
        reason = await refused(url, partial(consume_from, queue_name=queue))
        assert "ACCESS_REFUSED" in reason and f"queue '{queue}'" in reason


async def test_the_external_publisher_publishes_intake_only_and_may_not_read_or_declare_any_queue(
    broker: Vhost,
) -> None:
    url = broker.url("external-publisher")
    async with channel_of(broker.admin_url) as admin:
        await admin.declare_queue("catalog.audit", durable=True, arguments={"x-queue-type": "quorum"})
    await permitted(url, partial(publish, routing_key="intake.project.proposed"))
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
    broker: Vhost, mongo_url: str, db_prefix: str, module: str, user: str, intake: str,
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


# -- the shared exchanges and the dead letters ------------------------------------------------------------------


async def declare(channel: AbstractChannel, name: str) -> None:
    await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)


async def delete(channel: AbstractChannel, name: str) -> None:
    await (await channel.get_exchange(name)).delete()


async def publish_to(channel: AbstractChannel, exchange: str, routing_key: str) -> None:
    target = await channel.get_exchange(exchange) if exchange else channel.default_exchange
    await target.publish(aio_pika.Message(b'{"probe": true}'), routing_key=routing_key)


@pytest.mark.parametrize("user", SERVICES)
async def test_a_service_user_can_neither_declare_nor_delete_the_shared_exchanges(broker: Vhost, user: str) -> None:
    for exchange in (EVENTS, DLX):
        for action in (declare, delete):
            reason = await refused(broker.url(user), partial(action, name=exchange))
            assert f"exchange '{exchange}'" in reason
    async with channel_of(broker.admin_url) as admin:  # both still there, as provisioned
        for exchange in (EVENTS, DLX):
            await admin.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True, passive=True)


@pytest.mark.parametrize(("user", "other"), NEIGHBOURS)
async def test_a_service_user_dead_letters_under_its_own_name_only_and_reads_no_dead_letters(
    broker: Vhost, user: str, other: str,
) -> None:
    url = broker.url(user)
    await permitted(url, partial(publish_to, exchange=DLX, routing_key=user))
    assert f"topic '{other}'" in await refused(url, partial(publish_to, exchange=DLX, routing_key=other))
    assert "exchange 'amq.default'" in await refused(url, partial(publish_to, exchange="",
                                                                  routing_key=f"{other}.dlq"))

    async def read(channel: AbstractChannel, queue: str) -> None:
        await (await channel.declare_queue(queue, passive=True)).get(fail=False)

    for queue in (f"{user}.dlq", f"{other}.dlq"):
        assert f"queue '{queue}'" in await refused(url, partial(read, queue=queue))

    async def bind_to_dead_letters(channel: AbstractChannel) -> None:
        queue = await channel.declare_queue(f"{user}.snoop", durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(DLX, routing_key=other)

    assert f"exchange '{DLX}'" in await refused(url, bind_to_dead_letters)
    async with BusProbe(broker.admin_url) as admin:
        assert [m.body for m in await admin.drain_queue(f"{user}.dlq")] == [b'{"probe": true}']
        assert await admin.drain_queue(f"{other}.dlq") == []


async def test_the_operator_publishes_intake_listens_to_outcomes_and_reads_and_replays_dead_letters(
    broker: Vhost,
) -> None:
    url = broker.operator_url
    async with channel_of(broker.admin_url) as admin:
        await publish_to(admin, DLX, "catalog")  # a dead letter waiting in catalog.dlq
        await admin.declare_queue("catalog.contract-awarded", durable=True, arguments={"x-queue-type": "quorum"})
    async with BusProbe(url, patterns=("catalog.#",)) as operator:  # listens through an exclusive queue
        await operator.send("intake.project.proposed", {})
        assert operator.channel is not None
        dlq = await operator.channel.declare_queue("catalog.dlq", passive=True)
        letter = await dlq.get(fail=False)
        assert letter is not None and letter.body == b'{"probe": true}'
        await publish_to(operator.channel, "", "catalog.contract-awarded")  # the replay's way back
        await letter.ack()
        assert not operator.channel.is_closed
    for key in ("catalog.project.published", "registration.organization.registered"):
        assert f"topic '{key}'" in await refused(url, partial(publish_to, exchange=EVENTS, routing_key=key))
    assert f"exchange '{DLX}'" in await refused(url, partial(publish_to, exchange=DLX, routing_key="catalog"))
    for exchange in (EVENTS, DLX):
        assert f"exchange '{exchange}'" in await refused(url, partial(declare, name=exchange))
    assert "queue 'catalog.audit'" in await refused(
        url, lambda channel: channel.declare_queue("catalog.audit", durable=True))


def provisioned_state(vhost: str, prefix: str) -> dict[str, Any]:
    """What provisioning decides, as the broker lists it: users, permissions, topology."""
    def listing(*args: str) -> list[Any]:
        found = json.loads(rabbitmqctl(*args, "--formatter", "json").stdout or "[]")
        return sorted(found, key=lambda row: json.dumps(row, sort_keys=True))

    return {
        "users": [u for u in listing("list_users") if str(u["user"]).startswith(prefix)],
        "permissions": listing("list_permissions", "-p", vhost),
        "topic permissions": listing("list_topic_permissions", "-p", vhost),
        "exchanges": [e for e in listing("list_exchanges", "-p", vhost, "name", "type", "durable")
                      if str(e["name"]).startswith("district.")],
        "queues": listing("list_queues", "-p", vhost, "name", "type", "durable", "arguments"),
        "bindings": listing("list_bindings", "-p", vhost, "source_name", "destination_name", "routing_key"),
    }


def check(vhost: str) -> int:
    """provision.sh --check: what compose's healthcheck asks the broker after every (re)start."""
    return subprocess.run(["bash", str(PROVISION), "--check", vhost], env=provision_env(), capture_output=True,
                          timeout=120).returncode


async def test_provisioning_twice_gives_the_same_users_permissions_and_topology(broker: Vhost) -> None:
    name = f"district-test-{uuid.uuid4().hex[:10]}"
    try:
        assert await asyncio.to_thread(check, name) != 0  # compose's healthcheck: not healthy before provisioning
        await asyncio.to_thread(provision, name)
        first = await asyncio.to_thread(provisioned_state, name, SESSION_PREFIX)
        await asyncio.to_thread(provision, name)
        second = await asyncio.to_thread(provisioned_state, name, SESSION_PREFIX)
        assert await asyncio.to_thread(check, name) == 0
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", name, check=False)
    assert first == second
    assert {p["user"] for p in first["permissions"]} == {SESSION_PREFIX + u for u in (
        *SERVICES, "kerneltest", "operator", "external-publisher")}
    assert {(e["name"], e["type"]) for e in first["exchanges"]} == {(EVENTS, "topic"), (DLX, "topic")}
    dead_letter_queues = {q["name"]: q for q in first["queues"]}
    assert set(dead_letter_queues) == {f"{s}.dlq" for s in (*SERVICES, "kerneltest")}
    assert all(q["type"] == "quorum" for q in dead_letter_queues.values())


def test_the_dead_letter_queues_are_provisioned_with_the_kernels_delivery_limit() -> None:
    definitions = json.loads(subprocess.run(["bash", str(PROVISION), "--definitions"], env=provision_env(),
                                            capture_output=True, text=True, check=True).stdout)
    limits = {q["name"]: q["arguments"].get("x-delivery-limit") for q in definitions["queues"]}
    assert set(limits.values()) == {DEAD_LETTER_DELIVERY_LIMIT}
    assert len(limits) == len(SERVICES) + 1 and ROOT.exists()
