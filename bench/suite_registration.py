"""The suite under load: intake -> outcome through registration, a real `python -m services.registration` process.

Each event is a valid `intake.organization.applied` with its own unified social credit code (a valid check digit,
`services.registration.domain.uscc.make_uscc`) and name, so each one is registered: the inbox claim, the look-up by
code, the organization insert and the outbox insert in one transaction, then the relay's confirmed publish of
`registration.organization.registered`.
"""

from __future__ import annotations

from typing import Any

from bench.load import Outgoing, intake_event
from bench.service_load import ServiceFigures, measure_service
from services.registration.domain.uscc import WUHOU_REGION_CODE, make_uscc

INTAKE = "intake.organization.applied"
OUTCOMES = ("registration.organization.#",)
EXPECTED = ("registration.organization.registered",)  # a rejection is not throughput
SEED_OFFSET = 1_000_000  # warm-up events are numbered below zero; codes need a non-negative seed


def application(n: int) -> dict[str, Any]:
    """A valid application, distinct for every `n` (code and name)."""
    return {
        "uscc": make_uscc("social_group", WUHOU_REGION_CODE, SEED_OFFSET + n), "name": f"玉林社区邻里互助会{n}",
        "legal_form": "social_group", "street": "浆洗街街道", "community": "黉门街社区",
        "domains": ["助老", "社区文化"], "full_time_staff": 6, "founded_on": "2011-04-02",
        "contact": {"phone": "13812345678", "email": "huzhu@example.cn"},
    }


def applied(n: int) -> Outgoing:
    return intake_event(INTAKE, application(n))


EVENT = applied  # what bench/sweep.py sends


async def measure(rabbit_url: str, mongo_url: str, **plan: Any) -> ServiceFigures:
    """Throughput, latency at a fixed rate, and the process's memory over `plan`'s event counts."""
    env = {"IDENTITY_HASH_KEY": "bench-identity-hash-key-not-for-production", **plan.pop("env", {})}
    return await measure_service("registration", rabbit_url, mongo_url, applied, OUTCOMES, expected=EXPECTED,
                                 env=env, **plan)
