"""Opening monitoring on an award: milestones, due dates, the payment plan in fen, and the rules' refusals."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.evaluation.domain.plan import split_into_tranches
from services.evaluation.domain.rules import EvaluationRules, RatingBands, ScoreWeights, StatusThresholds
from shared.consumer import Unprocessable
from shared.contracts.evaluation import MONITORING_OPENED
from tests.unit.evaluation_examples import open_monitoring

RULES = EvaluationRules()


def award(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": "C-1",
        "fair_id": "F-1",
        "project_id": "P-1",
        "org_id": "O-1",
        "amount_fen": 10_000_001,
        "fit_score": 87.5,
        "title": "玉林社区助老服务",
        "category": "助老",
        "purchaser": {"kind": "street", "name": "玉林街道"},
        "org_street": "玉林街道",
        "org_community": "黉门街",
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
    }
    return {**data, **changes}


def test_an_award_opens_monitoring_with_three_scheduled_milestones_and_a_30_40_30_plan() -> None:
    decision = open_monitoring(None, award(), RULES)

    [event] = decision.events
    assert event.type == MONITORING_OPENED
    assert event.data["milestones"] == [
        {"name": "start", "due_on": "2026-01-31", "status": "scheduled", "tranche_pct": 30, "amount_fen": 3_000_000},
        {"name": "mid_term", "due_on": "2026-07-02", "status": "scheduled", "tranche_pct": 40, "amount_fen": 4_000_001},
        {"name": "final", "due_on": "2026-12-31", "status": "scheduled", "tranche_pct": 30, "amount_fen": 3_000_000},
    ]
    assert event.data["payment_plan"] == [
        {"milestone": "start", "pct": 30, "amount_fen": 3_000_000},
        {"milestone": "mid_term", "pct": 40, "amount_fen": 4_000_001},
        {"milestone": "final", "pct": 30, "amount_fen": 3_000_000},
    ]
    assert (event.data["contract_id"], event.data["project_id"], event.data["org_id"]) == ("C-1", "P-1", "O-1")
    assert event.data["version"] == 1
    assert decision.contract is not None
    assert (decision.contract.category, decision.contract.street) == ("助老", "玉林街道")


def test_a_repeated_award_for_the_same_contract_changes_nothing() -> None:
    opened = open_monitoring(None, award(), RULES).contract

    again = open_monitoring(opened, award(amount_fen=5, org_id="O-2"), RULES)

    assert again.contract is opened
    assert again.events == ()


def test_an_award_that_does_not_fit_is_refused_naming_each_field() -> None:
    # It breaks the contract between matching and evaluation: dead-lettered with the reasons, nothing opened.
    with pytest.raises(Unprocessable) as refused:
        open_monitoring(None, award(amount_fen=0, period={"start": "2026-06-01", "end": "2026-01-01"}), RULES)

    reasons = str(refused.value)
    assert {part.split(":")[0].strip() for part in reasons.removeprefix("breaks the contract: ").split(";")} == {
        "amount_fen", "period.end"}
    assert "must not be before period.start (2026-06-01)" in reasons


def test_a_short_period_caps_the_first_due_date_at_the_end_and_keeps_dates_in_order() -> None:
    decision = open_monitoring(None, award(period={"start": "2026-03-01", "end": "2026-03-11"}), RULES)

    assert decision.contract is not None
    dues = [m.due_on for m in decision.contract.milestones]
    assert dues == [date(2026, 3, 11), date(2026, 3, 11), date(2026, 3, 11)]


def test_milestone_names_and_tranches_are_configurable_and_spread_over_the_period() -> None:
    rules = EvaluationRules(milestones=("q1", "q2", "q3", "q4"), tranche_pcts=(25, 25, 25, 25), first_due_after_days=10)

    decision = open_monitoring(
        None, award(amount_fen=1_000, period={"start": "2026-01-01", "end": "2026-01-31"}), rules
    )

    assert decision.contract is not None
    plan = [(m.name, m.due_on.isoformat(), m.amount_fen) for m in decision.contract.milestones]
    assert plan == [
        ("q1", "2026-01-11", 250),
        ("q2", "2026-01-11", 250),
        ("q3", "2026-01-21", 250),
        ("q4", "2026-01-31", 250),
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"tranche_pcts": (30, 40, 20)}, "tranche percentages must add up to 100, they add up to 90"),
        ({"tranche_pcts": (50, 50)}, "2 tranches for 3 milestones: one tranche per milestone"),
        ({"milestones": ("start", "start", "final")}, "milestone names must be distinct"),
        ({"tranche_pcts": (0, 70, 30)}, "greater than or equal to 1"),
    ],
)
def test_a_payment_plan_that_does_not_fit_the_milestones_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        EvaluationRules(**changes)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: ScoreWeights(indicators=50, satisfaction=40, timeliness=20), "add up to 100, they add up to 110"),
        (lambda: StatusThresholds(met_from=50, partially_met_from=60), "partially_met_from must be below met_from"),
        (lambda: RatingBands(excellent_from=80, good_from=80, pass_from=60), "bands must descend"),
    ],
)
def test_scoring_rules_that_contradict_themselves_are_refused(build: Any, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        build()


@pytest.mark.parametrize(
    ("amount", "pcts", "expected"),
    [
        (100, (30, 40, 30), [30, 40, 30]),
        (1, (30, 40, 30), [0, 1, 0]),
        (999, (30, 40, 30), [300, 399, 300]),
        (10_000_001, (33, 33, 34), [3_300_000, 3_300_000, 3_400_001]),
    ],
)
def test_tranches_are_split_in_fen_by_largest_remainder(
    amount: int, pcts: tuple[int, ...], expected: list[int]
) -> None:
    assert split_into_tranches(amount, pcts) == expected


@st.composite
def plans(draw: st.DrawFn) -> tuple[int, ...]:
    cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=6)))
    bounds = [0, *cuts, 100]
    return tuple(b - a for a, b in itertools.pairwise(bounds))


@given(amount=st.integers(1, 10**12), pcts=plans())
def test_tranches_always_add_up_to_the_contract_amount_exactly(amount: int, pcts: tuple[int, ...]) -> None:
    amounts = split_into_tranches(amount, pcts)

    assert sum(amounts) == amount
    assert all(amount * p // 100 <= a <= amount * p // 100 + 1 for a, p in zip(amounts, pcts, strict=True))
