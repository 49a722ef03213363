"""The suite under load: matching's final award -> monitoring, through a real `python -m services.evaluation`.

Evaluation's intake from another context: each event is a `matching.contract.awarded` (source `matching`) for its
own contract, so each one opens monitoring: the inbox claim, the look-up by contract, the contract insert (its
milestones and payment plan) and the outbox insert in one transaction, then the relay's confirmed publish of
`evaluation.monitoring.opened`.
"""

from __future__ import annotations

from typing import Any

from bench.load import Outgoing, intake_event
from bench.service_load import ServiceFigures, measure_service
from shared.contracts.common import CATEGORIES, DEFAULT_STREETS
from shared.contracts.evaluation import MONITORING_OPENED
from shared.contracts.matching import CONTRACT_AWARDED

OUTCOMES = ("evaluation.monitoring.#",)
EXPECTED = (MONITORING_OPENED,)


def award(n: int) -> dict[str, Any]:
    """A final award as matching publishes it, distinct for every `n` (contract, project, organization)."""
    street = DEFAULT_STREETS[n % len(DEFAULT_STREETS)]
    return {
        "award_id": f"bench-award-{n}", "contract_id": f"bench-contract-{n}", "fair_id": "bench-fair",
        "project_id": f"bench-project-{n}", "org_id": f"bench-org-{n % 1177}", "amount_fen": 8_000_000 + n % 1000,
        "budget_fen": 8_000_000 + n % 1000, "fit_score": 82.5, "price_points": 0.0, "value_score": 82.5,
        "breakdown": {}, "title": f"社区助老服务{n}", "category": CATEGORIES[n % 8],
        "purchaser": {"kind": "street", "name": street}, "org_street": street, "org_community": None,
        "period": {"start": "2026-01-01", "end": "2026-12-31"}, "awarded_on": "2025-12-20",
    }


def awarded(n: int) -> Outgoing:
    return intake_event(CONTRACT_AWARDED, award(n), source="matching")


EVENT = awarded  # what bench/sweep.py sends


async def measure(rabbit_url: str, mongo_url: str, **plan: Any) -> ServiceFigures:
    """Throughput, latency at a fixed rate, and the process's memory over `plan`'s event counts."""
    return await measure_service("evaluation", rabbit_url, mongo_url, awarded, OUTCOMES, expected=EXPECTED, **plan)
