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
from shared.i18n import N_, _, amount, day, number
from shared.labels import label
from shared.operator import command, fetch, service_url
from shared.tables import Table, render_all


def yuan(fen: int) -> str:
    """Yuan with two decimals, the unit named by the table's heading."""
    return amount(fen)


def monitoring_table(overview: Overview) -> Table:
    rows = tuple(
        (p.contract_id, p.org_id, p.category.value, p.street, f"{p.reported}/{p.milestones}",
         number(p.awaiting_review),
         f"{label(p.next_due.milestone)} {p.next_due.due_on.isoformat()}" if p.next_due else "-")
        for p in overview.under_monitoring
    )
    headers = (_("contract"), _("organization"), _("category"), _("street"), _("accepted"), _("awaiting review"),
               _("next due"))
    return Table(_("Contracts under monitoring"), headers, rows, align=("left",) * 4 + ("right", "right"))


def overdue_table(overview: Overview) -> Table:
    rows = tuple(
        (o.contract_id, o.org_id, o.street, label(o.milestone), o.due_on.isoformat(), number(o.days_overdue),
         _("report awaiting review") if o.awaiting_review else _("no report"))
        for o in overview.overdue
    )
    headers = (_("contract"), _("organization"), _("street"), _("milestone"), _("due on"), _("days overdue"),
               _("state"))
    return Table(_("Overdue milestones on {day}").format(day=day(overview.today)), headers, rows,
                 align=("left",) * 5 + ("right",))


def money_table(overview: Overview) -> Table:
    rows = tuple(
        (m.contract_id, m.org_id, m.category.value, m.purchaser, yuan(m.amount_fen), yuan(m.released_fen),
         yuan(m.withheld_fen), yuan(m.due_fen), number(m.overdue) if m.overdue else "-")
        for m in overview.money
    )
    headers = (_("contract"), _("organization"), _("category"), _("purchaser"), _("amount"), _("released"),
               _("withheld"), _("still due"), _("overdue"))
    return Table(_("Money per contract (yuan; overdue first)"), headers, rows, align=("left",) * 4 + ("right",) * 5)


DIMENSIONS = {"category": N_("category"), "purchaser": N_("purchaser"), "street": N_("street")}


def money_summary_table(summaries: list[MoneySummary], dimension: str) -> Table:
    rows = tuple((s.group, number(s.contracts), yuan(s.amount_fen), yuan(s.released_fen), yuan(s.withheld_fen),
                  yuan(s.due_fen)) for s in summaries)
    total = (_("total"), number(sum(s.contracts for s in summaries)),
             *(yuan(sum(getattr(s, f) for s in summaries)) for f in ("amount_fen", "released_fen", "withheld_fen",
                                                                     "due_fen")))
    by = _(DIMENSIONS[dimension])
    return Table(_("Money by {dimension} (yuan)").format(dimension=by),
                 (by, _("contracts"), _("amount"), _("released"), _("withheld"), _("still due")),
                 (*rows, total) if rows else rows, align=("left",) + ("right",) * 5)


def ratings_table(summaries: list[RatingSummary], dimension: str) -> Table:
    rows = tuple(
        (s.group, number(s.evaluated), *(number(s.by_rating.get(r, 0)) for r in RATINGS),
         number(s.mean_score, 2))
        for s in summaries
    )
    by = _(DIMENSIONS[dimension])
    return Table(_("Ratings by {dimension}").format(dimension=by),
                 (by, _("evaluated"), *(label(r) for r in RATINGS), _("mean score")), rows)


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
    heading = _("Evaluation on {day}: {count} contracts at {url}").format(
        day=day(answer.today), count=number(answer.contracts), url=url)
    return f"{heading}\n\n{operator_report(answer)}"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not an ISO date (YYYY-MM-DD): {text!r}").format(text=text)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evaluation-report",
                                     description=_("The operator's view of evaluation, read from its read API."))
    parser.add_argument("--today", type=_day, help=_("the day overdue milestones are counted to (default: the "
                                                     "service's today in the district)"))
    args = parser.parse_args(argv)
    url = service_url(NAME, EvaluationSettings().port)
    return command("evaluation-report", lambda: evaluation_report(url, args.today))


if __name__ == "__main__":
    sys.exit(main())
