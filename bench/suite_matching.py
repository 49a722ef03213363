"""The suite under load: intake -> outcome through matching, a real `python -m services.matching`.

Before the measurement the process is given what an interest needs, as the other contexts would send it: the
catalog's published projects and registration's organizations (all of one category, so every invited
organization is eligible for every project), then a fair is opened (`intake.fair.opened`, which invites the 55
best-fitting organizations). Each measured event is then a valid `intake.interest.expressed` for its own
(organization, project) pair of the fair, so each one is recorded with its fit: the inbox claim, the reads of the
organization's profile, the fair, the project, an earlier interest and an award holding the project, the interest
insert and the outbox insert in one transaction, then the relay's confirmed publish of `matching.interest.recorded`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench.load import MakeEvent, Outgoing, intake_event
from bench.service_load import ServiceFigures, measure_service
from shared.contracts.common import DEFAULT_STREETS
from shared.contracts.matching import FAIR_OPENED, INTEREST_EXPRESSED, INTEREST_RECORDED
from tests.support.bus import BusProbe
from tests.support.metrics import deliveries
from tests.support.processes import ServiceProcess

OUTCOMES = ("matching.interest.#",)
EXPECTED = (INTEREST_RECORDED,)
BATCH = "2015-1"
CATEGORY = "助老"
ORGANIZATIONS = 55  # the fair's invitations (the rules' default invite_limit)


def project(n: int) -> dict[str, Any]:
    """`catalog.project.published` as the catalog publishes it."""
    street = DEFAULT_STREETS[n % len(DEFAULT_STREETS)]
    return {
        "project_id": f"bench-project-{n}", "project_ref": f"bench-{n}", "batch": BATCH, "title": f"社区助老服务{n}",
        "category": CATEGORY, "service_class": "public_welfare", "purchaser": {"kind": "street", "name": street},
        "community": None, "budget_fen": 8_000_000, "content": "服务内容", "requirements": None, "standards": None,
        "min_grade": None, "period": {"start": "2015-01-01", "end": "2015-12-31"}, "status": "published", "version": 1,
    }


def organization(n: int) -> dict[str, Any]:
    """The full organization state registration publishes with `registration.organization.registered`."""
    street = DEFAULT_STREETS[n % len(DEFAULT_STREETS)]
    return {
        "org_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-org-{n}")), "uscc": "51510107MJ0000000X",
        "name": f"社会组织{n}", "legal_form": "social_service_institution", "street": street,
        "community": f"{street[:2]}社区", "domains": [CATEGORY], "full_time_staff": 6, "founded_on": "2009-05-04",
        "registered_on": "2010-03-01", "status": "active", "version": 1,
    }


async def _applied(process: ServiceProcess, count: int, timeout: float = 300.0) -> None:
    """Until the process has handled `count` deliveries (the projections answer nothing on the bus)."""
    deadline = time.monotonic() + timeout
    while sum((await asyncio.to_thread(deliveries, process.url)).values()) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"matching applied fewer than {count} projections in {timeout:.0f}s")
        await asyncio.sleep(0.2)


def preparing(pairs: int) -> Any:
    """The preparation for `pairs` interests (55 organizations, as many projects as the pairs need)."""

    async def prepare(rabbit_url: str, process: ServiceProcess) -> MakeEvent:
        projects = [project(n) for n in range(-(-pairs // ORGANIZATIONS))]
        async with BusProbe(rabbit_url, ("matching.fair.#",)) as bus:
            for data in projects:
                await bus.send("catalog.project.published", data, source="catalog")
            for n in range(ORGANIZATIONS):
                await bus.send("registration.organization.registered", organization(n), source="registration")
            await _applied(process, len(projects) + ORGANIZATIONS)
            asked = await bus.send("intake.fair.opened", {"fair_ref": f"bench-{uuid.uuid4().hex[:8]}", "batch": BATCH,
                                                          "date": "2014-11-19", "slots": 12, "slot_minutes": 20},
                                   source="bench")
            opened = await bus.answer(asked["event_id"], timeout=60)
        if opened["type"] != FAIR_OPENED:
            raise RuntimeError(f"the bench's fair was not opened: {opened['data']}")
        fair_id: str = opened["data"]["fair_id"]
        invited: list[str] = opened["data"]["invited"]
        project_ids = [p["project_id"] for p in projects]

        def interest(n: int) -> Outgoing:
            org, nth = invited[n % len(invited)], n // len(invited)
            return intake_event(INTEREST_EXPRESSED, {"fair_id": fair_id, "org_id": org,
                                                     "project_id": project_ids[nth % len(project_ids)]})

        return interest

    return prepare


async def measure(rabbit_url: str, mongo_url: str, **plan: Any) -> ServiceFigures:
    """Throughput, latency at a fixed rate, and the process's memory over `plan`'s event counts."""
    pairs = plan["memory_total"] + int(plan["rate"] * plan["seconds"]) + plan["warmup"]
    return await measure_service("matching", rabbit_url, mongo_url, None, OUTCOMES, expected=EXPECTED,
                                 prepare=preparing(pairs), **plan)
