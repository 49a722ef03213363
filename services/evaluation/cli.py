"""`make evaluation-report` (`python -m services.evaluation.cli`): the operator's view of evaluation, printed:
overdue milestones first, then each contract's money (released, withheld, still due; contracts with overdue
milestones first), money by category and by purchaser, contracts under monitoring, and ratings by category and
by street, read from evaluation's own read API (`EVALUATION_URL`, else the service on this machine)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from services.evaluation.domain.monitoring import MoneySummary, Overview, RatingSummary
from services.evaluation.settings import NAME, EvaluationSettings
from shared.contracts.evaluation import RATINGS
from shared.operator import command, fetch, service_url
from shared.tables import Table, render_all


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def monitoring_table(overview: Overview) -> Table:
    rows = tuple(
        (p.contract_id, p.org_id, p.category.value, p.street, f"{p.reported}/{p.milestones}", str(p.awaiting_review),
         f"{p.next_due.milestone} {p.next_due.due_on.isoformat()}" if p.next_due else "-")
        for p in overview.under_monitoring
    )
    headers = ("contract", "organization", "category", "street", "accepted", "awaiting review", "next due")
    return Table("Contracts under monitoring", headers, rows, align=("left",) * 4 + ("right", "right"))


def overdue_table(overview: Overview) -> Table:
    rows = tuple(
        (o.contract_id, o.org_id, o.street, o.milestone, o.due_on.isoformat(), str(o.days_overdue),
         "report awaiting review" if o.awaiting_review else "no report")
        for o in overview.overdue
    )
    headers = ("contract", "organization", "street", "milestone", "due on", "days overdue", "state")
    return Table(f"Overdue milestones on {overview.today.isoformat()}", headers, rows,
                 align=("left",) * 5 + ("right",))


def money_table(overview: Overview) -> Table:
    rows = tuple(
        (m.contract_id, m.org_id, m.category.value, m.purchaser, yuan(m.amount_fen), yuan(m.released_fen),
         yuan(m.withheld_fen), yuan(m.due_fen), str(m.overdue) if m.overdue else "-")
        for m in overview.money
    )
    headers = ("contract", "organization", "category", "purchaser", "amount", "released", "withheld", "still due",
               "overdue")
    return Table("Money per contract (yuan; overdue first)", headers, rows, align=("left",) * 4 + ("right",) * 5)


def money_summary_table(summaries: list[MoneySummary], dimension: str) -> Table:
    rows = tuple((s.group, str(s.contracts), yuan(s.amount_fen), yuan(s.released_fen), yuan(s.withheld_fen),
                  yuan(s.due_fen)) for s in summaries)
    total = ("total", str(sum(s.contracts for s in summaries)),
             *(yuan(sum(getattr(s, f) for s in summaries)) for f in ("amount_fen", "released_fen", "withheld_fen",
                                                                     "due_fen")))
    return Table(f"Money by {dimension} (yuan)", (dimension, "contracts", "amount", "released", "withheld",
                                                  "still due"),
                 (*rows, total) if rows else rows, align=("left",) + ("right",) * 5)


def ratings_table(summaries: list[RatingSummary], dimension: str) -> Table:
    rows = tuple(
        (s.group, str(s.evaluated), *(str(s.by_rating.get(r, 0)) for r in RATINGS), f"{s.mean_score:.2f}")
        for s in summaries
    )
    return Table(f"Ratings by {dimension}", (dimension, "evaluated", *RATINGS, "mean score"), rows)


def operator_report(overview: Overview) -> str:
    """Every table of the operator's view, one after another."""
    return render_all([
        overdue_table(overview),
        money_table(overview),
        money_summary_table(overview.money_by_category, "category"),
        money_summary_table(overview.money_by_purchaser, "purchaser"),
        monitoring_table(overview),
        ratings_table(overview.ratings_by_category, "category"),
        ratings_table(overview.ratings_by_street, "street"),
    ])


def evaluation_report(url: str, today: date | None) -> str:
    """The whole view as text, as the service answers it now."""
    answer = Overview.model_validate(fetch(url, "/overview", {"today": today.isoformat() if today else None}))
    heading = f"Evaluation on {answer.today.isoformat()}: {answer.contracts} contracts at {url}"
    return f"{heading}\n\n{operator_report(answer)}"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evaluation-report",
                                     description="The operator's view of evaluation, read from its read API.")
    parser.add_argument("--today", type=_day, help="the day overdue milestones are counted to (default: the "
                                                   "service's today in the district)")
    args = parser.parse_args(argv)
    url = service_url(NAME, EvaluationSettings().port)
    return command("evaluation-report", lambda: evaluation_report(url, args.today))


if __name__ == "__main__":
    sys.exit(main())
