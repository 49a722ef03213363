"""The catalog as its own process, driven only through `district.events` with plain aio-pika."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.bus import BusProbe, envelope
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e


def proposal(ref: str | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project_ref": ref or f"ref-{uuid.uuid4().hex[:8]}", "batch": "2015-1", "title": "社区青少年读书会项目",
        "category": "青少年服务", "service_class": "public_welfare",
        "purchaser": {"kind": "street", "name": "玉林街道"}, "budget_fen": 8_000_000,
        "content": "通过开展书籍推荐、读后感交流评价等活动", "min_grade": "3A",
        "period": {"start": "2015-01-01", "end": "2015-12-31"},
    }
    data.update(changes)
    return data


async def test_a_valid_proposal_is_published_persistently_with_its_correlation_id(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    sent = await bus.send("intake.project.proposed", proposal("2015-1-001"))
    answer = await bus.answer(sent["event_id"])
    assert answer["type"] == "catalog.project.published"
    assert answer["data"]["project_ref"] == "2015-1-001" and answer["data"]["status"] == "published"
    assert answer["source"] == "catalog" and answer["version"] == 1
    assert answer["_properties"] == {"message_id": answer["event_id"], "delivery_mode": 2,
                                     "content_type": "application/json"}


async def test_an_invalid_proposal_is_rejected_naming_each_field(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    sent = await bus.send("intake.project.proposed", proposal(budget_fen=0, category="园林", title=""))
    answer = await bus.answer(sent["event_id"])
    assert answer["type"] == "catalog.project.rejected"
    assert {e["field"] for e in answer["data"]["errors"]} == {"budget_fen", "category", "title"}


async def test_the_same_event_delivered_twice_is_answered_once(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    event = envelope("intake.project.proposed", proposal())
    await bus.publish(event)
    await bus.publish(event)
    await bus.answer(event["event_id"])
    await bus.quiet(1.5)
    assert len(bus.answers_to(event["event_id"])) == 1


async def test_a_body_that_is_not_json_goes_to_the_dead_letter_queue_with_the_reason(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    catalog = start_service("catalog")
    await bus.publish(b"{not json", routing_key="intake.project.proposed")
    await bus.publish(b'{"type": "intake.project.proposed"}', routing_key="intake.project.proposed")
    dead: list[Any] = []
    for _ in range(100):
        dead += await bus.drain_queue("catalog.dlq")
        if len(dead) >= 2:
            break
        await asyncio.sleep(0.1)
    reasons = sorted(str(m.headers["x-error"]) for m in dead)
    assert reasons[0].startswith("body is not valid JSON")
    assert reasons[1].startswith("not a valid envelope") and "event_id: is required" in reasons[1]
    assert {m.headers["x-original-routing-key"] for m in dead} == {"intake.project.proposed"}
    assert catalog.ready_status() == 200
    sent = await bus.send("intake.project.proposed", proposal())
    assert (await bus.answer(sent["event_id"]))["type"] == "catalog.project.published"


async def test_a_second_proposal_for_the_same_purchaser_and_ref_names_the_existing_project(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    first = await bus.answer((await bus.send("intake.project.proposed", proposal("dup-1")))["event_id"])
    second = await bus.answer((await bus.send("intake.project.proposed", proposal("dup-1")))["event_id"])
    assert second["type"] == "catalog.project.rejected"
    assert second["data"]["project_id"] == first["data"]["project_id"]


async def test_an_award_then_an_evaluation_move_the_project_and_are_announced_once(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    published = await bus.answer((await bus.send("intake.project.proposed", proposal()))["event_id"])
    project_id = published["data"]["project_id"]
    award = envelope("matching.contract.awarded", {"contract_id": "c-1", "project_id": project_id, "org_id": "o-1",
                                                   "fair_id": "f-1", "amount_fen": 1, "fit_score": 50.0},
                     source="matching")
    await bus.publish(award)
    await bus.publish(award)
    moved = await bus.answer(award["event_id"])
    assert moved["data"] | {} == {"project_id": project_id, "status": "awarded", "previous": "published",
                                  "version": 2, "contract_id": "c-1"}
    evaluated = await bus.send("evaluation.contract.evaluated",
                               {"contract_id": "c-1", "project_id": project_id, "org_id": "o-1", "rating": "good",
                                "score": 85.0}, source="evaluation")
    assert (await bus.answer(evaluated["event_id"]))["data"]["status"] == "evaluated"
    await bus.quiet(1.0)
    changes = [e for e in bus.events if e["type"] == "catalog.project.status_changed"]
    assert [c["data"]["status"] for c in changes] == ["awarded", "evaluated"]
