"""The demo waits for answers as long as they keep coming, and gives up only once they stop."""

from __future__ import annotations

import asyncio
import json
import time
from typing import cast

import pytest
from aio_pika.abc import AbstractIncomingMessage

from tools.demo.bus import HANDLED_QUERY, LOOK_AT_LEAST_SECONDS, DemoBus, Progress, Tally


def bus() -> DemoBus:
    return DemoBus("amqp://unused", Progress(enabled=False))


async def test_a_wait_longer_than_the_timeout_goes_on_while_answers_keep_coming() -> None:
    started = time.monotonic()

    def count() -> int:  # one more answer every 0.1 s: 10 take about 1 s, the timeout is 0.4 s
        return min(10, int((time.monotonic() - started) / 0.1))

    await bus().until("answers", count, 10, timeout=0.4)
    assert time.monotonic() - started >= 0.9


async def test_a_wait_gives_up_once_no_answer_came_for_the_timeout_and_says_how_far_it_got() -> None:
    started = time.monotonic()

    def count() -> int:  # three answers, then nothing
        return min(3, int((time.monotonic() - started) / 0.1))

    with pytest.raises(TimeoutError, match="3 of 10"):
        await bus().until("answers", count, 10, timeout=0.5)
    assert 0.7 <= time.monotonic() - started < 3.0


class Service:
    """What `GET /handled` answers, as a service that has handled `done` would (the HTTP call left out)."""

    def __init__(self, done: set[str]) -> None:
        self.done = done
        self.asked: list[int] = []

    def fetch(self, url: str, path: str, params: dict[str, list[str]]) -> dict[str, list[str]]:
        assert path == "/handled" and len(params["event_id"]) <= HANDLED_QUERY
        self.asked.append(len(params["event_id"]))
        return {"handled": [e for e in params["event_id"] if e in self.done],
                "not_yet": [e for e in params["event_id"] if e not in self.done]}


async def test_waiting_for_a_service_asks_from_the_first_event_sent_and_stops_at_the_first_page_not_yet_handled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = [f"e-{n:04d}" for n in range(1000)]
    service = Service(set(events[:300]))  # the first 300 handled, the rest still queued
    monkeypatch.setattr("tools.demo.bus.fetch", service.fetch)

    assert await DemoBus._not_yet("http://matching", events, whole=False) == events[300:]
    assert service.asked == [200, 200]  # the second page was not wholly handled: the other three were not asked
    assert await DemoBus._not_yet("http://matching", events, whole=True) == events[300:]
    assert service.asked[2:] == [200] * 5

    async def consume() -> None:  # the service catches up a hundred at a time
        for n in range(300, 1001, 100):
            service.done |= set(events[:n])
            await asyncio.sleep(0.05)

    catching_up = asyncio.create_task(consume())
    await bus().consumed("reading", "http://matching", events, timeout=5.0)
    await catching_up
    assert service.done >= set(events)


async def test_a_wait_whose_answers_come_after_a_long_job_goes_on_while_the_suite_announces_other_things() -> None:
    started = time.monotonic()

    def confirmed() -> int:  # the last of five confirms after 1 s, once its job is done
        return 5 if time.monotonic() - started >= 1.0 else 4

    def heard() -> int:  # meanwhile the job announces something every 0.1 s
        return int((time.monotonic() - started) / 0.1)

    await bus().until("moving the day", confirmed, 5, timeout=0.4, activity=heard)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await bus().until("moving the day", confirmed, 5, timeout=0.4)  # without it: nothing moved for 0.4 s


async def test_a_wait_looks_again_as_soon_as_an_event_arrives_not_at_its_next_periodic_look() -> None:
    waiting = bus()
    answered: list[float] = []

    async def answer() -> None:
        for _ in range(10):
            await asyncio.sleep(0.013)  # answers 13 ms apart: between the periodic looks, 100 ms apart
            answered.append(time.monotonic())
            await waiting._record(cast(AbstractIncomingMessage, FakeMessage(f"e-{len(answered)}")))

    answering = asyncio.create_task(answer())
    await waiting.until("answers", lambda: waiting.heard, 10)
    done = time.monotonic()
    await answering
    assert waiting.heard == 10
    assert done - answered[-1] < LOOK_AT_LEAST_SECONDS / 2  # looked at again on arrival (~5 ms), not up to 100 ms later


async def test_answers_counts_each_answer_once_whether_it_came_before_the_wait_during_it_or_again() -> None:
    waiting = bus()
    asked = [f"e-{n}" for n in range(6)]
    for event_id in ("e-0", "e-1", "other"):  # two answered before the wait begins, one answer to something else
        await waiting._record(cast(AbstractIncomingMessage, FakeMessage(event_id)))

    async def answer() -> None:
        for event_id in ("e-2", "e-0", "e-3", "e-3", "other-2", "e-4", "e-5"):  # e-0 answered a second time
            await asyncio.sleep(0.01)
            await waiting._record(cast(AbstractIncomingMessage, FakeMessage(event_id, answer_id=f"{event_id}-again")))

    answering = asyncio.create_task(answer())
    answers = await waiting.answers("answers", asked, timeout=2.0)
    await answering
    assert [a["correlation_id"] for a in answers] == asked
    with pytest.raises(TimeoutError, match="6 of 7"):  # an event never answered is not counted by the others
        await waiting.answers("answers", [*asked, "e-never"], timeout=0.3)


def test_a_tally_looks_at_each_item_once_and_counts_what_matches() -> None:
    items: list[int] = []
    looked: list[int] = []

    def even(n: int) -> bool:
        looked.append(n)
        return n % 2 == 0

    count = Tally(items, even)
    assert count() == 0
    items += [1, 2, 3, 4]
    assert count() == 2
    items += [6, 7]
    assert count() == 3
    assert count() == 3
    assert looked == [1, 2, 3, 4, 6, 7]


class FakeMessage:
    """What `_record` reads of a delivery: its body."""

    def __init__(self, correlation_id: str, answer_id: str | None = None) -> None:
        self.body = json.dumps({"event_id": answer_id or correlation_id, "correlation_id": correlation_id,
                                "type": "test.answer"}).encode()
