"""A service given several broker nodes (RABBITMQ_URL comma-separated) against the real broker: a node that does
not answer is passed over for the next, and the service works through the one it reached. Losing a node under
load is the cluster drill's part (tests/faults/test_cluster_drill.py)."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import BaseModel

from shared.envelope import Envelope
from shared.outcome import Emit
from shared.service import Service
from shared.settings import BusSettings, ServiceSettings, StoreSettings
from shared.unit_of_work import Transaction
from tests.support.bus import BusProbe
from tests.support.endpoints import user_url

pytestmark = pytest.mark.integration


class Work(BaseModel):
    n: int


async def do_work(event: Envelope, tx: Transaction) -> None:
    tx.emit(Emit("kerneltest.work.done", {"n": event.data["n"]}))


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}"))


async def test_a_node_that_does_not_answer_is_passed_over_for_the_next_one(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    own = user_url(rabbit_url, "kerneltest")
    nodes = f"{on_port(own, unused_port())},{own}"
    settings = ServiceSettings(bus=BusSettings(RABBITMQ_URL=nodes),
                               store=StoreSettings(MONGO_URL=mongo_url, MONGO_DATABASE_PREFIX=db_prefix))
    service = Service("kerneltest", settings)
    service.consume("work", "intake.kernel.work", do_work, document=Work, description="work items")
    async with BusProbe(rabbit_url, patterns=("kerneltest.#",)) as bus, service.app().start_lifespan_context():
        await asyncio.wait_for(service.started.wait(), 30)
        connection = service.broker._connection
        assert connection is not None and connection.url.port == urlsplit(own).port
        sent = [await bus.send("intake.kernel.work", {"n": i}) for i in range(20)]
        await bus.wait_for(lambda evs: len(evs) >= 20, timeout=30)
    assert {e["correlation_id"] for e in bus.events} == {e["event_id"] for e in sent}
