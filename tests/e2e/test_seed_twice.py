"""`make seed` twice, as the operator user: the second run publishes the same events, and nothing new happens
anywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.bus import BusProbe
from tests.support.processes import ServiceProcess
from tools.seed import SAMPLE, seed_events
from tools.seed.publish import publish

pytestmark = pytest.mark.e2e


async def test_seeding_twice_changes_nothing_the_second_time(
    start_service: Callable[..., ServiceProcess], rabbit_url: str, operator_url: str,
) -> None:
    start_service("catalog")
    start_service("registration")
    events = seed_events(SAMPLE)
    expected = {e.event_id for e in events}
    async with BusProbe(rabbit_url, patterns=("catalog.#", "registration.#")) as bus:
        first = await publish(events, operator_url, quiet=3.0, say=lambda _: None)
        assert first.complete
        await bus.wait_for(lambda evs: {e["correlation_id"] for e in evs} >= expected, timeout=120)
        await bus.quiet(1.5)
        answered_once = len({e["event_id"] for e in bus.events})
        assert {e["type"] for e in bus.events} == {
            "catalog.project.published", "registration.organization.registered", "registration.person.added"}

        second = await publish(events, operator_url, quiet=1.0, say=lambda _: None)
        assert second.complete and sum(len(v) for v in second.routed.values()) == len(events)
        await bus.quiet(3.0)
    assert len({e["event_id"] for e in bus.events}) == answered_once == len(events)
