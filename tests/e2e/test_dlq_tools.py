"""`make dlq` / `make replay-dlq`, as the operator user: dead letters are listed with their reason and replayed, each
outcome once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aio_pika
import pytest

from services.catalog.domain import project_id_for
from shared.contracts.common import Purchaser
from tests.e2e.test_catalog_process import proposal
from tests.support.bus import BusProbe, envelope
from tests.support.processes import ServiceProcess
from tools.dlq import list_dead_letters, replay, retention_lines
from tools.suite import SUITE

pytestmark = pytest.mark.e2e


async def test_an_award_dead_lettered_before_its_project_existed_is_applied_once_when_replayed(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, operator_url: str,
) -> None:
    start_service("catalog")
    project_id = project_id_for(Purchaser(kind="street", name="玉林街道"), "late-1")
    award = envelope("matching.contract.awarded",
                     {"contract_id": "c-late", "project_id": project_id, "org_id": "o-1"}, source="matching")
    await bus.publish(award)
    for _ in range(100):
        letters = await list_dead_letters(operator_url, ["catalog"])
        if letters:
            break
        await asyncio.sleep(0.1)
    assert len(letters) == 1
    assert letters[0].message_id == award["event_id"]
    assert letters[0].routing_key == "matching.contract.awarded"
    assert letters[0].queue == "catalog.contract-awarded"
    assert f"no project {project_id} in the catalog" in letters[0].reason
    # Listing leaves the message in place.
    assert len(await list_dead_letters(operator_url, ["catalog"])) == 1

    # The repair: the project the award was about is published.
    published = await bus.answer((await bus.send("intake.project.proposed", proposal("late-1")))["event_id"])
    assert published["data"]["project_id"] == project_id

    assert await replay(operator_url, "catalog") == 1
    moved = await bus.answer(award["event_id"])
    assert moved["data"]["status"] == "awarded"
    assert await replay(operator_url, "catalog") == 0
    # Replaying the same event again (as after a crash between publish and ack) changes nothing.
    await bus.publish(award)
    await bus.quiet(1.5)
    assert len(bus.answers_to(award["event_id"])) == 1
    assert await list_dead_letters(operator_url, ["catalog"]) == []


def test_make_dlq_shows_what_each_service_keeps_for_repeats_and_for_how_long(
    start_service: Callable[..., ServiceProcess], monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = start_service("catalog")
    monkeypatch.setenv("CATALOG_PORT", str(catalog.port))
    monkeypatch.setenv("EVALUATION_PORT", "1")  # not running: said so, not an error
    lines = retention_lines([s for s in SUITE if s.name in {"catalog", "evaluation"}])
    assert lines[1].split() == ["catalog", "inbox", "0", "(90", "days),", "outbox", "0", "(7", "days),",
                                "receipts", "0", "(90", "days)"]
    assert "evaluation" in lines[2] and "not answering" in lines[2]


async def test_a_dead_letter_listed_more_often_than_any_brokers_default_delivery_limit_is_still_there(
    bus: BusProbe, operator_url: str,
) -> None:
    # Every listing hands the messages back, which a quorum queue counts as a delivery; RabbitMQ 4.x's default
    # limit of 20 would drop the letter on a later listing. The provisioned limit keeps it, on 3.x and 4.x alike.
    assert bus.channel is not None
    dlx = await bus.channel.get_exchange("district.dlx")
    await dlx.publish(aio_pika.Message(b"{not json", message_id="kept", headers={"x-error": "not json"}),
                      routing_key="catalog")
    for _ in range(25):
        letters = await list_dead_letters(operator_url, ["catalog"])
        assert [x.message_id for x in letters] == ["kept"]
    assert [m.message_id for m in await bus.drain_queue("catalog.dlq")] == ["kept"]
