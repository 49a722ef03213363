"""The readiness probes behind /ready and the `district_ready` gauge: one run per dependency at a time, never
cancelled, a slow one reported as not answering."""

from __future__ import annotations

import asyncio

from shared.http import Probes


class SlowCheck:
    """A dependency that answers after `seconds`, or raises `fails`; counts its runs and any cancellation."""

    def __init__(self, seconds: float, fails: Exception | None = None) -> None:
        self.seconds = seconds
        self.fails = fails
        self.runs = 0
        self.finished = 0
        self.cancelled = 0

    async def __call__(self) -> str | None:
        self.runs += 1
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.finished += 1
        if self.fails is not None:
            raise self.fails
        return None


async def test_a_probe_slower_than_the_timeout_is_reported_and_left_to_finish_not_cancelled() -> None:
    slow = SlowCheck(0.3)
    probes = Probes({"database": slow, "broker": SlowCheck(0)}, timeout=0.05)

    assert await probes.failing() == {"database": "no answer within 0.1s"}
    await asyncio.sleep(0.4)

    assert (slow.runs, slow.finished, slow.cancelled) == (1, 1, 0)
    assert await probes.failing() == {"database": "no answer within 0.1s"}  # a new run, as slow as the first
    assert slow.runs == 2


async def test_a_look_while_a_probe_runs_waits_on_that_run_instead_of_starting_another() -> None:
    slow = SlowCheck(0.2)
    probes = Probes({"database": slow}, timeout=0.05)

    looks = await asyncio.gather(*(probes.failing() for _ in range(5)))
    assert looks == [{"database": "no answer within 0.1s"}] * 5
    assert await probes.failing() == {"database": "no answer within 0.1s"}
    assert slow.runs == 1

    await asyncio.sleep(0.2)
    assert (slow.finished, slow.cancelled) == (1, 0)
    slow.seconds = 0  # the dependency answers again: the next look runs the probe anew
    assert await probes.failing() == {}
    assert slow.runs == 2


async def test_a_look_that_waits_long_enough_gets_the_answer_of_the_run_it_joined() -> None:
    slow = SlowCheck(0.2)
    quick_look = Probes({"database": slow}, timeout=0.05)
    assert await quick_look.failing() == {"database": "no answer within 0.1s"}
    quick_look.timeout = 1.0
    assert await quick_look.failing() == {}
    assert (slow.runs, slow.finished) == (1, 1)


async def test_a_probe_that_raises_is_named_with_its_error() -> None:
    probes = Probes({"database": SlowCheck(0, fails=ConnectionError("refused")), "broker": SlowCheck(0)})
    assert await probes.failing() == {"database": "ConnectionError: refused"}


async def test_a_look_cancelled_from_outside_leaves_the_probe_running() -> None:
    slow = SlowCheck(0.2)
    probes = Probes({"database": slow}, timeout=5.0)
    look = asyncio.create_task(probes.failing())
    await asyncio.sleep(0.05)
    look.cancel()  # the /ready request went away
    await asyncio.gather(look, return_exceptions=True)

    await asyncio.sleep(0.2)
    assert (slow.runs, slow.finished, slow.cancelled) == (1, 1, 0)


async def test_close_cancels_the_probes_still_running() -> None:
    slow = SlowCheck(10)
    probes = Probes({"database": slow}, timeout=0.01)
    await probes.failing()
    await probes.close()
    assert slow.cancelled == 1
