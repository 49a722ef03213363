"""What a service shows of itself: /metrics' backlog, dead letters, lag, latency and retention, and /ready naming an
outbox relay that has stopped publishing while events wait."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shared.envelope import Envelope, new_event
from shared.outbox import sent_document
from shared.service import EXPIRY_SECONDS, RETAINED_REFRESH_SECONDS, RETAINED_STALE_SECONDS
from tests.integration.test_kernel import kernel_service, running
from tests.support.bus import BusProbe

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_show_the_backlog_the_dead_letters_the_lag_the_latency_and_what_is_kept(
    rabbit_url: str, mongo_url: str, db_prefix: str, bus: BusProbe,
) -> None:
    service = kernel_service(rabbit_url, mongo_url, db_prefix, limit=3)
    async with running(service):
        poison = await bus.send("intake.kernel.work", {"n": 0, "poison": True})
        good = [await bus.send("intake.kernel.work", {"n": i}) for i in range(1, 21)]
        await bus.wait_for(lambda evs: all(bus.answers_to(g["event_id"]) for g in good), timeout=30)
        for _ in range(100):
            await service.refresh_metrics()
            found = samples(generate_latest(service.registry).decode())
            if found.get(("district_dead_letters", ())) == 1 and found.get(("district_outbox_unsent", ())) == 0:
                break
            await asyncio.sleep(0.2)
    queue = (("outcome", "handled"), ("queue", "kerneltest.work"))
    assert found[("district_dead_letters", ())] == 1, poison
    assert found[("district_outbox_unsent", ())] == 0
    assert found[("district_outbox_oldest_unsent_seconds", ())] == 0
    assert found[("district_queue_messages", (("queue", "kerneltest.work"),))] == 0
    assert found[("district_handler_seconds_count", queue)] == 20
    assert found[("district_handler_seconds_count", (("outcome", "dead_lettered"), ("queue", "kerneltest.work")))] == 1
    assert found[("district_retained_documents", (("collection", "inbox"),))] >= 20
    assert found[("district_retained_documents", (("collection", "outbox"),))] >= 20
    assert found[("district_retention_seconds", (("collection", "outbox"),))] == 7 * 86_400
    assert found[("district_retention_seconds", (("collection", "inbox"),))] == 90 * 86_400
    assert found[("district_ready", ())] == 1


async def test_ready_names_a_relay_that_publishes_nothing_while_events_wait_and_recovers_when_it_does(
    rabbit_url: str, mongo_url: str, db_prefix: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_STALL_SECONDS", "1")
    service = kernel_service(rabbit_url, mongo_url, db_prefix)
    async with running(service):
        assert await service.probes.failing() == {}
        publish = service.relay.publish
        stuck = asyncio.Event()

        async def never_confirmed(envelope: Envelope) -> None:  # a broker that blocks publishers (disk alarm)
            stuck.set()
            await asyncio.Event().wait()

        service.relay.publish = never_confirmed
        await service.outbox.add([new_event("kerneltest.work.done", {"n": 1}, source="kerneltest")], session=None)
        service.outbox.notify()
        await asyncio.wait_for(stuck.wait(), 10)
        await asyncio.sleep(1.5)
        failed = await service.probes.failing()
        await service.refresh_metrics()
        not_ready = samples(generate_latest(service.registry).decode())[("district_ready", ())]

        await service.relay.stop()
        service.relay.publish = publish
        service.relay.start()
        for _ in range(100):
            if await service.outbox.backlog() == 0:
                break
            await asyncio.sleep(0.1)
        assert await service.probes.failing() == {}
    assert set(failed) == {"outbox"} and "published nothing" in failed["outbox"]
    assert not_ready == 0


async def test_the_retained_documents_are_counted_once_a_minute_when_quiet_and_the_backlog_every_refresh(
    rabbit_url: str, mongo_url: str, db_prefix: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = kernel_service(rabbit_url, mongo_url, db_prefix)
    counted: list[str] = []
    inbox_retained, outbox_oldest = service.inbox.retained, service.outbox.oldest_unsent

    async def retained() -> dict[str, int]:
        counted.append("retained")
        return await inbox_retained()

    async def oldest_unsent() -> datetime | None:
        counted.append("backlog")
        return await outbox_oldest()

    monkeypatch.setattr(service.inbox, "retained", retained)
    monkeypatch.setattr(service.outbox, "oldest_unsent", oldest_unsent)
    for _ in range(3):
        await service._refresh_metrics_periodically()
    assert counted.count("retained") == 1 and counted.count("backlog") == 3
    service._retained_counted -= RETAINED_REFRESH_SECONDS  # a minute later
    await service._refresh_metrics_periodically()
    assert counted.count("retained") == 2 and counted.count("backlog") == 4
    # Deliveries arriving: the count (which holds the embedded server's storage lock) waits for a quiet refresh,
    service._retained_counted -= RETAINED_REFRESH_SECONDS
    service._delivered_at = time.monotonic()
    await service._refresh_metrics_periodically()
    assert counted.count("retained") == 2 and counted.count("backlog") == 5
    service._delivered_at -= service.settings.bus.metrics_refresh_seconds  # a refresh later, none arrived
    await service._refresh_metrics_periodically()
    assert counted.count("retained") == 3
    # or, under unbroken load, comes once the count is RETAINED_STALE_SECONDS old.
    service._retained_counted -= RETAINED_STALE_SECONDS - 1
    service._delivered_at = time.monotonic()
    await service._refresh_metrics_periodically()
    assert counted.count("retained") == 3
    service._retained_counted -= 1
    await service._refresh_metrics_periodically()
    assert counted.count("retained") == 4
    await service.refresh_metrics()  # asked for outright: everything
    assert counted.count("retained") == 5


async def test_a_running_service_deletes_what_is_older_than_its_retention_and_counts_it(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    service = kernel_service(rabbit_url, mongo_url, db_prefix)
    now = datetime.now(UTC)
    await service.outbox.ensure_indexes()
    await service.inbox.ensure_indexes()
    await service.outbox.sent.insert_many(
        [sent_document({"_id": ObjectId(), "event_id": f"old-{n}", "type": "kerneltest.work.done", "envelope": {},
                        "created_at": now - timedelta(days=8)}, now - timedelta(days=8 if n < 3 else 1))
         for n in range(5)])
    await service.inbox.collection.insert_many(
        [{"_id": f"kerneltest.work:{n}", "recorded_at": now - timedelta(days=91 if n < 4 else 89)} for n in range(6)])
    assert (EXPIRY_SECONDS, service.expire) in service.periodic
    async with running(service):  # its periodic jobs run once at the start, then every EXPIRY_SECONDS
        expired = ("district_expired_documents_total", (("collection", "receipts"),))  # the last counted
        for _ in range(200):
            found = samples(generate_latest(service.registry).decode())
            if expired in found:
                break
            await asyncio.sleep(0.1)
        left = {"outbox": await service.outbox.sent.count_documents({}),
                "inbox": await service.inbox.collection.count_documents({})}
    assert left == {"outbox": 2, "inbox": 2}
    assert found[("district_expired_documents_total", (("collection", "outbox"),))] == 3
    assert found[("district_expired_documents_total", (("collection", "inbox"),))] == 4
    assert found[expired] == 0
