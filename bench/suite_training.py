"""The suite under load: intake -> outcome through training-and-grading, a real `python -m services.training_grading`.

Each event is a valid `intake.course.offered` with its own `course_ref`, so each one opens a course: the inbox
claim, the look-up by ref, the course insert and the outbox insert in one transaction, then the relay's confirmed
publish of `training.course.opened`.
"""

from __future__ import annotations

from typing import Any

from bench.load import Outgoing, intake_event
from bench.service_load import ServiceFigures, measure_service
from shared.contracts.training import AUDIENCES, COURSE_OFFERED, COURSE_OPENED

OUTCOMES = ("training.course.#",)
EXPECTED = (COURSE_OPENED,)  # a rejection is not throughput


def offer(n: int) -> dict[str, Any]:
    """A valid course offer, distinct for every `n`; audiences rotate."""
    return {"course_ref": f"BENCH-{n}", "title": f"社会组织财务管理培训第{n}期", "topic": "财务管理",
            "audience": AUDIENCES[n % len(AUDIENCES)], "capacity": 50, "sessions": 4}


def offered(n: int) -> Outgoing:
    return intake_event(COURSE_OFFERED, offer(n))


EVENT = offered  # what bench/sweep.py sends


async def measure(rabbit_url: str, mongo_url: str, **plan: Any) -> ServiceFigures:
    """Throughput, latency at a fixed rate, and the process's memory over `plan`'s event counts."""
    return await measure_service("training_grading", rabbit_url, mongo_url, offered, OUTCOMES, expected=EXPECTED,
                                 **plan)
