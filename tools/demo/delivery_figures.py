"""The delivery stage's figures for the year's report: money released, withheld and still due per category and
per purchaser, and how the reports came in (late by receipt, backdated, returned, overdue and met), all from what
the services announced."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tools.demo.cycle import CycleRecord


@dataclass(frozen=True)
class Money:
    """The money of one group of contracts: released, withheld and still due add up to their amount."""

    group: str
    contracts: int
    amount_fen: int
    released_fen: int
    withheld_fen: int

    @property
    def due_fen(self) -> int:
        return self.amount_fen - self.released_fen - self.withheld_fen


@dataclass(frozen=True)
class Delivery:
    """How the reports came in and what evaluation's clock announced, as the services answered."""

    received: int
    late: int  # by the district's receipt date
    backdated: int  # dated on or before the due date by the sender, received after it
    returned: int
    overdue: int
    met: int
    small_samples: int  # evaluations whose survey was too small to score
    appeals: list[dict[str, Any]]
    overdue_rows: list[tuple[str, str, str, str, str, str]]  # organization, project, milestone, due, seen, met



def money(record: CycleRecord, dimension: str) -> list[Money]:
    """Each category's (or purchaser's) contracts and the money evaluation released and withheld for them, most
    money first."""
    def group(data: dict[str, Any]) -> str:
        return str(data["category"] if dimension == "category" else data["purchaser"]["name"])

    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for award in record.awards:
        row = rows[group(award["data"])]
        row[0] += 1
        row[1] += award["data"]["amount_fen"]
    for payment in record.payments:
        rows[group(payment["data"])][2 if payment["type"] == "evaluation.payment.released" else 3] += \
            payment["data"]["amount_fen"]
    return sorted((Money(g, *v) for g, v in rows.items()), key=lambda m: (-m.amount_fen, m.group))


def delivery(record: CycleRecord) -> Delivery:
    received = [r["data"] for r in record.reports if r["type"] == "evaluation.report.accepted"]
    overdue = [a["data"] for a in record.alerts if a["type"] == "evaluation.milestone.overdue"]
    met = {(a["data"]["contract_id"], a["data"]["milestone"]): a["data"] for a in record.alerts
           if a["type"] == "evaluation.milestone.met"}
    awards = {a["data"]["contract_id"]: a["data"] for a in record.awards}

    def organization(contract_id: str) -> str:
        org_id = awards.get(contract_id, {}).get("org_id", "")
        return str(record.organizations.get(org_id, {}).get("name", org_id[:8]))

    rows = [(organization(o["contract_id"]), str(awards.get(o["contract_id"], {}).get("title", ""))[:24],
             o["milestone"], o["due_on"], o["overdue_on"], met.get((o["contract_id"], o["milestone"]), {}).get(
                 "met_on", "not yet")) for o in sorted(overdue, key=lambda o: (o["due_on"], o["contract_id"]))]
    closed = [a["data"] for a in record.appeals if a["type"] == "evaluation.appeal.closed"]
    return Delivery(
        received=len(received), late=sum(1 for r in received if r["late"]),
        backdated=sum(1 for r in received if r["late"] and r.get("dated") and r["dated"] <= r["due_on"]),
        returned=sum(1 for r in record.reviews if not r["data"]["accepted"]),
        overdue=len(overdue), met=len(met),
        small_samples=sum(1 for e in record.evaluations if e["data"].get("insufficient_sample")),
        appeals=[{**a, "organization": organization(a["contract_id"])} for a in closed], overdue_rows=rows)
