"""Money follows delivery: shares in exact fen by largest remainder, what each tranche releases and withholds,
the final tranche by rating, and each tranche decided once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.payments import (
    decide_tranche,
    final_split,
    interim_split,
    payment_id_for,
    recommendation,
    split_by_shares,
)
from services.evaluation.domain.rules import EvaluationRules, PaymentRules
from shared.contracts.evaluation import PAYMENT_RELEASED, PAYMENT_WITHHELD, MilestoneStatus, Rating
from tests.unit.evaluation_examples import delivered, monitored, ok

RULES = PaymentRules()
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("amount", "shares", "parts"),
    [
        (100, (30, 40, 30), [30, 40, 30]),
        (1_000_001, (30, 40, 30), [300_000, 400_001, 300_000]),  # the 0.4 fen remainder is the largest
        (1, (30, 40, 30), [0, 1, 0]),
        (2, (1, 1, 1), [1, 1, 0]),  # a tie goes to the earlier share
        (999, (30, 40, 30), [300, 399, 300]),
        (10_000_001, (33, 33, 34), [3_300_000, 3_300_000, 3_400_001]),
        (7, (1, 0), [7, 0]),
        (7, (0, 1), [0, 7]),
    ],
)
def test_shares_are_split_by_largest_remainder(amount: int, shares: tuple[int, ...], parts: list[int]) -> None:
    assert split_by_shares(amount, shares) == parts


@given(amount=st.integers(0, 10**13), shares=st.lists(st.integers(0, 100), min_size=1, max_size=8).filter(any))
def test_split_parts_always_add_up_exactly_and_each_is_within_one_fen_of_its_exact_share(
    amount: int, shares: list[int]
) -> None:
    parts = split_by_shares(amount, shares)

    assert sum(parts) == amount
    for part, share in zip(parts, shares, strict=True):
        exact = Decimal(amount) * share / sum(shares)
        assert exact - 1 < part < exact + 1


def test_shares_without_a_positive_total_are_refused() -> None:
    with pytest.raises(ValueError, match="positive total"):
        split_by_shares(100, (0, 0))


@pytest.mark.parametrize(
    ("status", "released", "withheld"),
    [("met", 300_001, 0), ("partiallyMet", 150_001, 150_000), ("notMet", 0, 300_001)],
)
def test_an_interim_tranche_releases_what_its_milestone_status_earns(
    status: MilestoneStatus, released: int, withheld: int
) -> None:
    split = interim_split(300_001, "start", status, RULES)

    assert (split.released_fen, split.withheld_fen) == (released, withheld)


@pytest.mark.parametrize(("pct", "released"), [(0, 0), (1, 3_000), (99, 297_000), (100, 300_000)])
def test_the_share_a_partially_met_milestone_releases_is_configurable(pct: int, released: int) -> None:
    split = interim_split(300_000, "start", "partiallyMet", PaymentRules(partially_met_release_pct=pct))

    assert (split.released_fen, split.withheld_fen) == (released, 300_000 - released)


def evaluated_statuses(*values: float) -> MonitoredContract:
    """Every milestone accepted with the achievement given (90 met, 60 partiallyMet, 30 notMet)."""
    contract = monitored()
    for milestone, value in zip(("start", "mid_term", "final"), values, strict=True):
        contract = ok(delivered(contract, milestone, indicators={"a": value}))
    return contract


@pytest.mark.parametrize(
    ("rating", "statuses", "released"),
    [
        ("excellent", (90, 90, 90), 300_000),
        ("good", (90, 90, 60), 150_000),  # the final milestone partiallyMet: half of its tranche
        ("good", (30, 30, 90), 300_000),  # interim milestones not met were withheld already
        ("pass", (90, 90, 90), 300_000),
        ("pass", (90, 30, 90), 200_000),  # 2 of 3 milestones met: 2/3 of the final tranche
        ("pass", (30, 30, 60), 0),
        ("fail", (90, 90, 90), 0),
    ],
)
def test_the_final_tranche_follows_the_rating(rating: Rating, statuses: tuple[float, ...], released: int) -> None:
    contract = evaluated_statuses(*statuses)

    split = final_split(contract, rating, RULES)

    assert (split.released_fen, split.withheld_fen) == (released, 300_000 - released)
    assert split.reason.startswith(f"rating {rating}")


def test_what_each_rating_releases_of_the_final_tranche_is_configurable() -> None:
    rules = PaymentRules(final_tranche={"excellent": "release", "good": "release", "pass": "release",
                                        "fail": "met_share"})

    split = final_split(evaluated_statuses(90, 30, 30), "fail", rules)

    assert (split.released_fen, split.withheld_fen) == (100_000, 200_000)


def test_payment_rules_must_say_what_every_rating_releases() -> None:
    with pytest.raises(ValueError, match="missing: fail"):
        PaymentRules(final_tranche={"excellent": "release", "good": "release", "pass": "release"})


def test_a_tranche_is_decided_once_with_ids_from_the_contract_milestone_and_kind() -> None:
    contract = monitored()
    split = interim_split(300_000, "start", "partiallyMet", RULES)

    decided, events = decide_tranche(contract, "start", split, TODAY)
    again, repeated = decide_tranche(decided, "start", interim_split(300_000, "start", "met", RULES), TODAY)

    assert [(e.type, e.data["payment_id"]) for e in events] == [
        (PAYMENT_RELEASED, payment_id_for("C-1", "start", "released")),
        (PAYMENT_WITHHELD, payment_id_for("C-1", "start", "withheld"))]
    assert again is decided and repeated == ()
    assert (decided.fen("released"), decided.fen("withheld"), decided.due_fen) == (150_000, 150_000, 700_000)


def test_a_split_that_does_not_make_up_the_tranche_is_a_fault() -> None:
    split = interim_split(299_999, "start", "met", RULES)

    with pytest.raises(ValueError, match="does not make up the tranche of 300000 fen"):
        decide_tranche(monitored(), "start", split, TODAY)


def test_the_final_payment_is_exactly_what_remains_of_the_contract() -> None:
    contract = monitored(amount_fen=1_000_001)
    for milestone, value in (("start", 60), ("mid_term", 90), ("final", 90)):
        contract = ok(delivered(contract, milestone, indicators={"a": value}))
    remaining = contract.due_fen
    assert contract.evaluation is not None

    settled, events = decide_tranche(contract, "final", final_split(contract, contract.evaluation.rating, RULES),
                                     date(2027, 1, 20))

    assert sum(e.data["amount_fen"] for e in events) == remaining == 300_000
    assert settled.due_fen == 0
    assert settled.fen("released") + settled.fen("withheld") == 1_000_001


def test_the_recommendation_adds_up_to_the_contract_amount() -> None:
    contract = evaluated_statuses(60, 30, 90)  # a pass (score 76) with one milestone of three met
    assert contract.evaluation is not None and contract.evaluation.rating == "pass"

    advice = recommendation(contract, contract.evaluation.rating, EvaluationRules().payments)

    assert advice.release_fen + advice.withhold_fen == 1_000_000
    assert [(line.milestone, line.amount_fen) for line in advice.release] == [("start", 150_000), ("final", 100_000)]
    assert [(line.milestone, line.amount_fen) for line in advice.withhold] == [
        ("start", 150_000), ("mid_term", 400_000), ("final", 200_000)]
