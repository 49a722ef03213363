"""The overview an operator reads (`GET /overview`, `make evaluation-report`): milestones overdue on a day, the
money of each contract (released, withheld, still due; contracts with overdue milestones first), money by the
project's category and by purchaser, contracts still under monitoring and how far they are, and ratings by
category and by the organization's street. Pure: the contracts and the day are given."""

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
MoneyDimension = Literal["category", "purchaser"]


class NextDue(BaseModel):
    """The first milestone of the plan not reported yet, and when it is due."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    due_on: date


class Progress(BaseModel):
    """A contract still under monitoring: how many of its milestones have an accepted report, how many reports
    await the purchaser's review, and what is due next."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    org_id: str
    category: Category
    street: str
    reported: int
    awaiting_review: int
    milestones: int
    next_due: NextDue | None


class OverdueMilestone(BaseModel):
    """A milestone due before the day without a report its purchaser accepted."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    org_id: str
    street: str
    milestone: str
    due_on: date
    days_overdue: int
    awaiting_review: bool


class ContractMoney(BaseModel):
    """One contract's money: released, withheld and still due (together its amount), and its overdue milestones."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    org_id: str
    category: Category
    purchaser: str
    amount_fen: int
    released_fen: int
    withheld_fen: int
    due_fen: int
    overdue: int
    days_overdue: int


class MoneySummary(BaseModel):
    """The money of the contracts of one category or one purchaser."""

    model_config = ConfigDict(frozen=True)

    group: str
    contracts: int
    amount_fen: int
    released_fen: int
    withheld_fen: int
    due_fen: int


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
    overdue: list[OverdueMilestone]
    money: list[ContractMoney]
    money_by_category: list[MoneySummary]
    money_by_purchaser: list[MoneySummary]
    under_monitoring: list[Progress]
    ratings_by_category: list[RatingSummary]
    ratings_by_street: list[RatingSummary]


def under_monitoring(contracts: Iterable[MonitoredContract]) -> list[Progress]:
    """Contracts still being delivered (not evaluated yet), by contract id."""
    return [_progress(c) for c in sorted((c for c in contracts if c.evaluation is None), key=lambda c: c.contract_id)]


def _progress(contract: MonitoredContract) -> Progress:
    reported = sum(1 for m in contract.milestones if contract.accepted_report(m.name) is not None)
    waiting = sum(1 for m in contract.milestones if contract.pending_report(m.name) is not None)
    pending = next((m for m in contract.milestones if contract.accepted_report(m.name) is None), None)
    return Progress(contract_id=contract.contract_id, org_id=contract.org_id, category=contract.category,
                    street=contract.street, reported=reported, awaiting_review=waiting,
                    milestones=len(contract.milestones),
                    next_due=NextDue(milestone=pending.name, due_on=pending.due_on) if pending else None)


def overdue_milestones(contracts: Iterable[MonitoredContract], today: date) -> list[OverdueMilestone]:
    """Milestones due before today without an accepted report, longest overdue first."""
    overdue = [
        OverdueMilestone(
            contract_id=c.contract_id,
            org_id=c.org_id,
            street=c.street,
            milestone=m.name,
            due_on=m.due_on,
            days_overdue=(today - m.due_on).days,
            awaiting_review=c.pending_report(m.name) is not None,
        )
        for c in contracts
        for m in c.milestones
        if m.due_on < today and c.accepted_report(m.name) is None
    ]
    return sorted(overdue, key=lambda o: (-o.days_overdue, o.contract_id, o.milestone))


def money(contracts: Iterable[MonitoredContract], today: date) -> list[ContractMoney]:
    """Each contract's money, those with overdue milestones first (longest overdue first), then by id."""
    late: dict[str, list[OverdueMilestone]] = {}
    listed = list(contracts)
    for o in overdue_milestones(listed, today):
        late.setdefault(o.contract_id, []).append(o)
    rows = [
        ContractMoney(
            contract_id=c.contract_id, org_id=c.org_id, category=c.category, purchaser=_purchaser(c),
            amount_fen=c.amount_fen, released_fen=c.fen("released"), withheld_fen=c.fen("withheld"),
            due_fen=c.due_fen, overdue=len(late.get(c.contract_id, ())),
            days_overdue=max((o.days_overdue for o in late.get(c.contract_id, ())), default=0),
        )
        for c in listed
    ]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.contract_id))


def _purchaser(contract: MonitoredContract) -> str:
    return contract.purchaser.name if contract.purchaser is not None else "-"


def money_by(contracts: Iterable[MonitoredContract], dimension: MoneyDimension) -> list[MoneySummary]:
    """The money of the contracts grouped by the project's category or by purchaser."""
    groups: dict[str, list[MonitoredContract]] = {}
    for c in contracts:
        groups.setdefault(c.category.value if dimension == "category" else _purchaser(c), []).append(c)
    return [MoneySummary(group=group, contracts=len(members), amount_fen=sum(c.amount_fen for c in members),
                         released_fen=sum(c.fen("released") for c in members),
                         withheld_fen=sum(c.fen("withheld") for c in members),
                         due_fen=sum(c.due_fen for c in members))
            for group, members in sorted(groups.items())]


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
    return Overview(today=today, contracts=len(contracts), overdue=overdue_milestones(contracts, today),
                    money=money(contracts, today), money_by_category=money_by(contracts, "category"),
                    money_by_purchaser=money_by(contracts, "purchaser"),
                    under_monitoring=under_monitoring(contracts),
                    ratings_by_category=ratings_by(contracts, "category"),
                    ratings_by_street=ratings_by(contracts, "street"))
