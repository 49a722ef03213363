"""The operator's view: overdue milestones first, money per contract, category and purchaser, contracts under
monitoring, ratings by category and street, as text."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from services.evaluation.cli import money_table, monitoring_table, operator_report
from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.monitoring import money_by, overdue_milestones, overview, ratings_by
from services.evaluation.domain.rules import EvaluationRules
from shared.tables import Table, render
from tests.unit.evaluation_examples import delivered, ok, open_monitoring, report, submit_report

RULES = EvaluationRules()
# Default plan over 2026: start due 2026-01-31, mid_term 2026-07-02, final 2026-12-31.


def contract(contract_id: str, street: str = "玉林街道", category: str = "助老",
             purchaser: str = "玉林街道") -> MonitoredContract:
    award: dict[str, Any] = {
        "contract_id": contract_id,
        "project_id": f"P-{contract_id}",
        "org_id": f"O-{contract_id}",
        "amount_fen": 1_000_000,
        "category": category,
        "purchaser": {"kind": "street", "name": purchaser},
        "org_street": street,
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
    }
    opened = open_monitoring(None, award, RULES).contract
    assert opened is not None
    return opened


def reported(monitored: MonitoredContract, *milestones: str, value: int = 90) -> MonitoredContract:
    """Each milestone's report received on time and accepted by the purchaser."""
    for milestone in milestones:
        monitored = ok(delivered(monitored, milestone, indicators={"a": value},
                                 satisfaction={"respondents": 10, "satisfied": 10 * value // 100}))
    return monitored


def evaluated(contract_id: str, value: int, street: str = "玉林街道", category: str = "助老") -> MonitoredContract:
    return reported(contract(contract_id, street, category), "start", "mid_term", "final", value=value)


def test_contracts_under_monitoring_leave_out_evaluated_ones_and_show_progress() -> None:
    contracts = [evaluated("C-3", 90), reported(contract("C-2"), "start"), contract("C-1")]

    table = monitoring_table(overview(contracts, date(2026, 2, 1)))

    assert table.rows == (
        ("C-1", "O-C-1", "助老", "玉林街道", "0/3", "0", "start 2026-01-31"),
        ("C-2", "O-C-2", "助老", "玉林街道", "1/3", "0", "mid_term 2026-07-02"),
    )


def test_a_report_awaiting_review_does_not_count_as_reported_but_is_shown() -> None:
    waiting = ok(submit_report(contract("C-1"), report("start", "C-1"), report_id="R-1", today=date(2026, 1, 20)))

    [row] = monitoring_table(overview([waiting], date(2026, 2, 1))).rows

    assert row[4:] == ("0/3", "1", "start 2026-01-31")
    [overdue] = overdue_milestones([waiting], date(2026, 2, 1))
    assert overdue.awaiting_review is True


def test_overdue_milestones_are_those_due_before_today_without_a_report_longest_first() -> None:
    contracts = [reported(contract("C-1"), "start"), contract("C-2")]

    overdue = overdue_milestones(contracts, date(2026, 7, 3))

    assert [(o.contract_id, o.milestone, o.days_overdue) for o in overdue] == [
        ("C-2", "start", 153),
        ("C-1", "mid_term", 1),
        ("C-2", "mid_term", 1),
    ]


def test_a_milestone_due_today_is_not_yet_overdue() -> None:
    assert overdue_milestones([contract("C-1")], date(2026, 1, 31)) == []


def test_ratings_are_counted_by_category_and_by_street() -> None:
    contracts = [
        evaluated("C-1", 90, street="玉林街道", category="助老"),
        evaluated("C-2", 40, street="玉林街道", category="助残"),
        evaluated("C-3", 80, street="簇桥街道", category="助老"),
        contract("C-4", street="华兴街道"),
    ]

    by_street = {s.group: (s.evaluated, s.by_rating, str(s.mean_score)) for s in ratings_by(contracts, "street")}
    by_category = {
        s.group: (s.evaluated, s.by_rating["excellent"], s.by_rating["good"]) for s in ratings_by(contracts, "category")
    }

    assert by_street == {
        "玉林街道": (2, {"excellent": 1, "good": 0, "pass": 0, "fail": 1}, "68.50"),
        "簇桥街道": (1, {"excellent": 0, "good": 1, "pass": 0, "fail": 0}, "82.00"),
    }
    assert by_category == {"助老": (2, 1, 1), "助残": (1, 0, 0)}


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def test_the_table_renderer_lines_up_columns_even_with_chinese_names() -> None:
    table = Table("Ratings by street", ("street", "evaluated"), (("玉林街道", "2"), ("X", "10")))

    lines = render(table).splitlines()

    assert lines[0] == "Ratings by street"
    assert lines[1] == "street    evaluated"
    assert lines[2] == "--------  ---------"
    assert lines[3] == "玉林街道  2"
    assert lines[4] == "X         10"
    assert {display_width(line.split("  ")[0]) for line in lines[3:]} <= {8, 1}


def test_an_empty_table_says_none() -> None:
    assert render(Table("Overdue milestones", ("contract",), ())).splitlines()[-1] == "(none)"


def test_the_operator_report_shows_every_table() -> None:
    text = operator_report(overview([contract("C-1"), evaluated("C-2", 95)], date(2026, 2, 1)))

    titles = [block.splitlines()[0] for block in text.split("\n\n")]
    assert titles == ["Overdue milestones on Feb 1, 2026", "Money per contract (yuan; overdue first)",
                      "Money by category (yuan)", "Money by purchaser (yuan)", "Contracts under monitoring",
                      "Ratings by category", "Ratings by street"]
    assert "C-1       O-C-1         玉林街道  start      2026-01-31             1  no report" in text.splitlines()
    assert "玉林街道  1          1          0     0     0     93.50" in text.splitlines()


def test_money_per_contract_adds_up_and_lists_contracts_with_overdue_milestones_first() -> None:
    contracts = [reported(contract("C-1"), "start", "mid_term", "final", value=60), contract("C-2"),
                 reported(contract("C-3"), "start")]

    rows = money_table(overview(contracts, date(2026, 8, 1))).rows

    # C-2: start 182 days overdue; C-3: mid_term 30 days; C-1 (partiallyMet throughout): half of each interim tranche
    assert [r[0] for r in rows] == ["C-2", "C-3", "C-1"]
    assert rows[0][4:] == ("10,000.00", "0.00", "0.00", "10,000.00", "2")
    assert rows[1][4:] == ("10,000.00", "3,000.00", "0.00", "7,000.00", "1")
    assert rows[2][4:] == ("10,000.00", "3,500.00", "3,500.00", "3,000.00", "-")


def test_money_is_summed_by_category_and_by_purchaser() -> None:
    contracts = [reported(contract("C-1", purchaser="玉林街道"), "start"),
                 reported(contract("C-2", category="助残", purchaser="簇桥街道"), "start", value=30),
                 contract("C-3", purchaser="簇桥街道")]

    by_purchaser = {s.group: (s.contracts, s.released_fen, s.withheld_fen, s.due_fen)
                    for s in money_by(contracts, "purchaser")}
    by_category = {s.group: (s.contracts, s.released_fen, s.withheld_fen) for s in money_by(contracts, "category")}

    assert by_purchaser == {"玉林街道": (1, 300_000, 0, 700_000), "簇桥街道": (2, 0, 300_000, 1_700_000)}
    assert by_category == {"助老": (2, 300_000, 0), "助残": (1, 0, 300_000)}
