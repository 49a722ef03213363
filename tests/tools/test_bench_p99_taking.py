"""What bench/RESULTS.md says a missed p99 would take: capacity where the offered rate is near a service's
saturated rate, pauses where it is far below it."""

from __future__ import annotations

from bench.load import OpenLoop, Saturated
from bench.results import _p99_taking
from bench.service_load import ServiceFigures


def latency(p99_ms: float, *, rate: float = 200.0) -> OpenLoop:
    ms = [10.0] * 985 + [p99_ms] * 10 + [2 * p99_ms] * 5  # the median 10 ms, the 99th percentile p99_ms
    return OpenLoop(rate=rate, seconds=5.0, sent=1000, answered=1000, latencies_ms=ms, worst_send_lag_ms=0.0)


def service(saturated_rate: float, p99_ms: float) -> ServiceFigures:
    sat = Saturated(events=1000, answered=1000, seconds=1000 / saturated_rate, publish_seconds=1.0)
    return ServiceFigures(service="training_grading", env={}, saturated=sat, latency=latency(p99_ms))


def test_near_its_capacity_the_missed_p99_is_the_queue_and_the_capacity_must_grow() -> None:
    said = _p99_taking(service(205.0, 10_000.0), latency(20.0))
    assert "98% of what it did saturated" in said and "the capacity itself must grow" in said
    assert "pauses" not in said


def test_far_below_its_capacity_the_missed_p99_is_pauses_with_the_queue_s_own_estimate() -> None:
    said = _p99_taking(service(654.0, 751.0), latency(20.0))
    assert "31% of what it did saturated" in said and "capacity does not explain it" in said
    assert "past 10 ms one time in a hundred" in said  # ln(100) / (654/s - 200/s)
    assert "the bare relay's own p99 at 200/s was 20.0 ms" in said and "slowest answer took 1,502.0 ms" in said
    assert "the excess is pauses that strike a few" in said


def test_far_below_its_capacity_a_p99_near_the_median_is_the_path_every_event_takes() -> None:
    figures = service(454.0, 113.7)
    figures.latency.latencies_ms[:985] = [55.9] * 985
    said = _p99_taking(figures, latency(7.1))
    assert "44% of what it did saturated" in said and "capacity does not explain it" in said
    assert "median was 55.9 ms already" in said and "the group commit it waits for" in said
    assert "the excess is pauses" not in said
