"""Two replicas of matching asked for the same fairs' schedules at the same moment: whichever replica plans first,
each fair has one schedule, announced once as `matching.fair.scheduled`; the other request, handled by the other
replica against the same database, finds it and answers with a reschedule that changes nothing. A replica that
lost the race for a schedule does not announce its own (the store keeps the first and refuses a later one)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_matching_process import FAIR_DAY_SOURCES, PRODUCERS, A, B, C, ask, handled, interest, purpose
from tests.support.bus import BusProbe
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

FAIRS = 6


async def applied_by_either(bus: BusProbe, replicas: list[ServiceProcess],
                            events: list[tuple[str, dict[str, Any]]], timeout: float = 20.0) -> None:
    """Publish other contexts' events and wait until the replicas between them have applied every one."""
    def together() -> Counter[str]:
        return sum((handled(r) for r in replicas), Counter())

    before = await asyncio.to_thread(together)
    expected = Counter(f"matching.{purpose(type_)}" for type_, _ in events)
    for type_, data in events:
        await bus.send(type_, data, source=PRODUCERS[type_.split(".")[0]])
    deadline = time.monotonic() + timeout
    while True:
        now = await asyncio.to_thread(together)
        if all(now[q] - before[q] >= n for q, n in expected.items()):
            return
        assert time.monotonic() < deadline, f"the replicas did not apply {dict(expected)} within {timeout}s"
        await asyncio.sleep(0.1)


def stored_schedule(process: ServiceProcess, fair_id: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{process.url}/fairs/{fair_id}/schedule", timeout=10) as answer:
        found: dict[str, Any] = json.load(answer)
        return found


async def test_two_replicas_asked_for_a_fairs_schedule_at_once_announce_one_schedule_and_keep_it(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    replicas = [start_service("matching"), start_service("matching")]
    await applied_by_either(bus, replicas, FAIR_DAY_SOURCES)
    fairs = []
    for n in range(FAIRS):
        [opened] = await ask(bus, "intake.fair.opened", {"fair_ref": f"wuhou-replicas-{n}", "batch": "2015-1",
                                                         "date": "2014-11-19", "slots": 4, "slot_minutes": 20})
        fair_id = opened["data"]["fair_id"]
        for org_id, project_id in ((A, "P-1"), (A, "P-3"), (B, "P-2"), (C, "P-3")):
            assert (await interest(bus, fair_id, org_id, project_id))["type"] == "matching.interest.recorded"
        fairs.append(fair_id)

    # Both requests of each fair go out back to back: the queue hands consecutive deliveries to the two consumers.
    sent = [await bus.send("intake.fair.schedule_requested", {"fair_id": f}, source="wuhou-fair-desk")
            for f in fairs for _ in range(2)]
    ids = {s["event_id"] for s in sent}
    await bus.wait_for(lambda evs: ids <= {e.get("correlation_id") for e in evs}, timeout=60)
    await bus.quiet(1.0)

    per_replica = [handled(r)["matching.schedule-requested"] for r in replicas]
    assert min(per_replica) > 0, f"one replica planned nothing: {per_replica}"
    for fair_id in fairs:
        answers = [e for s in sent if s["data"]["fair_id"] == fair_id for e in bus.answers_to(s["event_id"])]
        assert sorted(e["type"] for e in answers) == ["matching.fair.rescheduled", "matching.fair.scheduled"], answers
        [scheduled] = [e["data"] for e in answers if e["type"] == "matching.fair.scheduled"]
        [rescheduled] = [e["data"] for e in answers if e["type"] == "matching.fair.rescheduled"]
        assert (rescheduled["added"], rescheduled["moved"], rescheduled["cancelled"]) == ([], [], [])
        assert len(scheduled["meetings"]) == 4
        for replica in replicas:  # what either replica answers is the one schedule announced
            kept = stored_schedule(replica, fair_id)
            assert sorted((m["org_id"], m["table"], m["slot"]) for m in kept["meetings"]) == sorted(
                (m["org_id"], m["table"], m["slot"]) for m in scheduled["meetings"])
    announced = [e for e in bus.events if e["type"] == "matching.fair.scheduled" and e["data"]["fair_id"] in fairs]
    assert len(announced) == FAIRS
