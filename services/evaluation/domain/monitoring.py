"""The overview an operator reads (`GET /overview`, `make evaluation-report`): contracts still under monitoring
and how far they are, milestones overdue on a day, and ratings by the project's category and the organization's
street. Pure: the contracts and the day are given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.scoring import to_hundredths
from shared.contracts.common import Category
from shared.contracts.evaluation import RATINGS, Figure

Dimension = Literal["category", "street"]


class NextDue(BaseModel):
    """The first milestone of the plan not reported yet, and when it is due."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    due_on: date


class Progress(BaseModel):
    """A contract still under monitoring: how many of its milestones are reported, and what is due next."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    org_id: str
    category: Category
    street: str
    reported: int
    milestones: int
    next_due: NextDue | None


class OverdueMilestone(BaseModel):
    """A milestone due before the day that has no report yet."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    org_id: str
    street: str
    milestone: str
    due_on: date
    days_overdue: int


class RatingSummary(BaseModel):
    """How the evaluated contracts of one category or street were rated."""

    model_config = ConfigDict(frozen=True)

    group: str
    evaluated: int
    by_rating: dict[str, int]
    mean_score: Figure


class Overview(BaseModel):
    """Every part of the overview on one day."""

    model_config = ConfigDict(frozen=True)

    today: date
    contracts: int
    under_monitoring: list[Progress]
    overdue: list[OverdueMilestone]
    ratings_by_category: list[RatingSummary]
    ratings_by_street: list[RatingSummary]


def under_monitoring(contracts: Iterable[MonitoredContract]) -> list[Progress]:
    """Contracts still being delivered (not evaluated yet), by contract id."""
    return [_progress(c) for c in sorted((c for c in contracts if c.evaluation is None), key=lambda c: c.contract_id)]


def _progress(contract: MonitoredContract) -> Progress:
    reported = sum(1 for m in contract.milestones if contract.report_for(m.name) is not None)
    pending = next((m for m in contract.milestones if contract.report_for(m.name) is None), None)
    return Progress(contract_id=contract.contract_id, org_id=contract.org_id, category=contract.category,
                    street=contract.street, reported=reported, milestones=len(contract.milestones),
                    next_due=NextDue(milestone=pending.name, due_on=pending.due_on) if pending else None)


def overdue_milestones(contracts: Iterable[MonitoredContract], today: date) -> list[OverdueMilestone]:
    """Milestones due before today and not reported, longest overdue first."""
    overdue = [
        OverdueMilestone(
            contract_id=c.contract_id,
            org_id=c.org_id,
            street=c.street,
            milestone=m.name,
            due_on=m.due_on,
            days_overdue=(today - m.due_on).days,
        )
        for c in contracts
        for m in c.milestones
        if m.due_on < today and c.report_for(m.name) is None
    ]
    return sorted(overdue, key=lambda o: (-o.days_overdue, o.contract_id, o.milestone))


def ratings_by(contracts: Iterable[MonitoredContract], dimension: Dimension) -> list[RatingSummary]:
    """Ratings of evaluated contracts grouped by the project's category or the organization's street."""
    groups: dict[str, list[MonitoredContract]] = {}
    for c in contracts:
        if c.evaluation is not None:
            key = c.category.value if dimension == "category" else c.street
            groups.setdefault(key, []).append(c)
    return [_summary(group, members) for group, members in sorted(groups.items())]


def _summary(group: str, members: Sequence[MonitoredContract]) -> RatingSummary:
    evaluations = [c.evaluation for c in members if c.evaluation is not None]
    by_rating = {rating: sum(1 for e in evaluations if e.rating == rating) for rating in RATINGS}
    mean = to_hundredths(sum((e.score for e in evaluations), Decimal(0)) / len(evaluations))
    return RatingSummary(group=group, evaluated=len(evaluations), by_rating=by_rating, mean_score=mean)


def overview(contracts: Sequence[MonitoredContract], today: date) -> Overview:
    """The whole overview of `contracts` on `today`."""
    return Overview(today=today, contracts=len(contracts), under_monitoring=under_monitoring(contracts),
                    overdue=overdue_milestones(contracts, today),
                    ratings_by_category=ratings_by(contracts, "category"),
                    ratings_by_street=ratings_by(contracts, "street"))
