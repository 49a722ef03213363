"""The suite under load: intake -> outcome through the catalog, a real `python -m services.catalog` process.

Each event is a valid `intake.project.proposed` with its own `project_ref`, so each one takes the whole path:
the inbox claim, the duplicate check by (purchaser, ref), the project insert and the outbox insert in one
transaction, then the outbox relay's confirmed publish of `catalog.project.published` and its mark as sent.
"""

from __future__ import annotations

from typing import Any

from bench.load import Outgoing, intake_event
from bench.service_load import ServiceFigures, measure_service
from shared.contracts.common import CATEGORIES, DEFAULT_STREETS

INTAKE = "intake.project.proposed"
OUTCOMES = ("catalog.project.#",)
EXPECTED = ("catalog.project.published",)  # a rejection is not throughput


def proposal(n: int, run: str = "bench") -> dict[str, Any]:
    """A valid proposal, distinct for every `n`; streets and categories rotate."""
    return {
        "project_ref": f"{run}-{n}", "batch": "2015-1", "title": f"社区青少年读书会项目{n}",
        "category": CATEGORIES[n % 8], "service_class": "public_welfare",
        "purchaser": {"kind": "street", "name": DEFAULT_STREETS[n % len(DEFAULT_STREETS)]},
        "budget_fen": 8_000_000 + n % 1000 * 100, "content": "通过开展书籍推荐、读后感交流评价等活动",
        "min_grade": "3A", "period": {"start": "2015-01-01", "end": "2015-12-31"},
    }


def proposed(n: int) -> Outgoing:
    return intake_event(INTAKE, proposal(n))


EVENT = proposed  # what bench/sweep.py sends


async def measure(rabbit_url: str, mongo_url: str, **plan: Any) -> ServiceFigures:
    """Throughput, latency at a fixed rate, and the process's memory over `plan`'s event counts."""
    return await measure_service("catalog", rabbit_url, mongo_url, proposed, OUTCOMES, expected=EXPECTED, **plan)
