"""The demo waits for answers as long as they keep coming, and gives up only once they stop."""

from __future__ import annotations

import time

import pytest

from tools.demo.bus import DemoBus, Progress


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
