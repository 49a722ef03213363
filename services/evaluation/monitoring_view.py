"""The operator's view of evaluation (pure): contracts under monitoring, overdue milestones, ratings by category
and by street, and a plain-text table renderer that lines up Chinese names too."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.scoring import to_hundredths
from shared.contracts.evaluation import RATINGS

Dimension = Literal["category", "street"]


@dataclass(frozen=True)
class Table:
    """A titled table of text cells, ready to render."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class OverdueMilestone:
    """A milestone due before today that has no report yet."""

    contract_id: str
    org_id: str
    street: str
    milestone: str
    due_on: date
    days_overdue: int


@dataclass(frozen=True)
class RatingSummary:
    """How the evaluated contracts of one category or street were rated."""

    group: str
    evaluated: int
    by_rating: dict[str, int]
    mean_score: Decimal


def under_monitoring(contracts: Iterable[MonitoredContract]) -> list[MonitoredContract]:
    """Contracts still being delivered (not evaluated yet), by contract id."""
    return sorted((c for c in contracts if c.evaluation is None), key=lambda c: c.contract_id)


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


def monitoring_table(contracts: Iterable[MonitoredContract]) -> Table:
    rows = []
    for c in under_monitoring(contracts):
        reported = sum(1 for m in c.milestones if c.report_for(m.name) is not None)
        pending = next((m for m in c.milestones if c.report_for(m.name) is None), None)
        due = f"{pending.name} {pending.due_on.isoformat()}" if pending else "-"
        rows.append((c.contract_id, c.org_id, c.category.value, c.street, f"{reported}/{len(c.milestones)}", due))
    headers = ("contract", "organization", "category", "street", "reported", "next due")
    return Table("Contracts under monitoring", headers, tuple(rows))


def overdue_table(contracts: Iterable[MonitoredContract], today: date) -> Table:
    rows = tuple(
        (o.contract_id, o.org_id, o.street, o.milestone, o.due_on.isoformat(), str(o.days_overdue))
        for o in overdue_milestones(contracts, today)
    )
    headers = ("contract", "organization", "street", "milestone", "due on", "days overdue")
    return Table(f"Overdue milestones on {today.isoformat()}", headers, rows)


def ratings_table(contracts: Iterable[MonitoredContract], dimension: Dimension) -> Table:
    rows = tuple(
        (s.group, str(s.evaluated), *(str(s.by_rating[r]) for r in RATINGS), str(s.mean_score))
        for s in ratings_by(contracts, dimension)
    )
    return Table(f"Ratings by {dimension}", (dimension, "evaluated", *RATINGS, "mean score"), rows)


def operator_report(contracts: Sequence[MonitoredContract], today: date) -> str:
    """Every table of the operator's view, one after another."""
    tables = (
        monitoring_table(contracts),
        overdue_table(contracts, today),
        ratings_table(contracts, "category"),
        ratings_table(contracts, "street"),
    )
    return "\n\n".join(render(t) for t in tables)


def render(table: Table) -> str:
    """The table as aligned plain text; an empty table says `(none)`."""
    widths = [_width(h) for h in table.headers]
    for row in table.rows:
        widths = [max(w, _width(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [table.title, _line(table.headers, widths), "  ".join("-" * w for w in widths)]
    lines += [_line(row, widths) for row in table.rows] or ["(none)"]
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(cells, widths, strict=True)).rstrip()


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
