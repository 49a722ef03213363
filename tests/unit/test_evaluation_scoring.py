"""The score out of 100, the rating bands, and the payment recommendation that follows from them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from services.evaluation.domain.rules import RatingBands, ScoreWeights
from services.evaluation.domain.scoring import (
    TrancheOutcome,
    achievement,
    rate,
    recommend_payment,
    score_contract,
    to_hundredths,
)
from shared.contracts.evaluation import MilestoneStatus, Rating

WEIGHTS = ScoreWeights()
BANDS = RatingBands()


@dataclass(frozen=True)
class Figures:
    achievement: Decimal
    respondents: int
    satisfied: int
    late: bool


def figures(achieved: str, respondents: int, satisfied: int, late: bool = False) -> Figures:
    return Figures(Decimal(achieved), respondents, satisfied, late)


def test_the_score_weighs_indicators_satisfaction_and_timeliness_50_40_10() -> None:
    reports = [figures("90", 50, 45), figures("80", 50, 40), figures("70", 50, 35, late=True)]

    score = score_contract(reports, 3, WEIGHTS)

    # indicators 80, satisfaction 120/150 = 80 %, timeliness 2/3: 40 + 32 + 6.666...
    assert score.total == Decimal("78.67")
    assert score.indicators == Decimal(80)
    assert score.satisfaction == Decimal(80)
    assert to_hundredths(score.timeliness) == Decimal("66.67")


def test_satisfaction_is_pooled_over_all_reports_not_averaged_per_report() -> None:
    reports = [figures("100", 10, 10), figures("100", 90, 0), figures("100", 0, 0)]

    score = score_contract(reports, 3, WEIGHTS)

    assert score.satisfaction == Decimal(10)


def test_a_contract_whose_reports_asked_no_resident_gets_no_satisfaction_points() -> None:
    reports = [figures("100", 0, 0), figures("100", 0, 0), figures("100", 0, 0)]

    score = score_contract(reports, 3, WEIGHTS)

    assert score.satisfaction == Decimal(0)
    assert score.total == Decimal(60)


def test_the_score_rounds_half_up_to_two_decimals() -> None:
    # 80.01 * 50 % = 40.005: half-up gives 40.01 where banker's rounding would give 40.00
    reports = [figures("80.01", 0, 0, late=True)] * 3

    assert score_contract(reports, 3, WEIGHTS).total == Decimal("40.01")


def test_the_breakdown_shows_each_measure_its_weight_and_its_points() -> None:
    score = score_contract([figures("90", 50, 45), figures("80", 50, 40), figures("70", 50, 35, late=True)], 3, WEIGHTS)

    breakdown = score.breakdown(WEIGHTS).model_dump(mode="json")

    assert breakdown == {
        "indicators": {"measure": 80.0, "weight": 50, "points": 40.0},
        "satisfaction": {"measure": 80.0, "weight": 40, "points": 32.0},
        "timeliness": {"measure": 66.67, "weight": 10, "points": 6.67},
    }


def test_achievement_is_the_mean_of_the_indicators_to_two_decimals() -> None:
    assert achievement({"a": Decimal(100), "b": Decimal(100), "c": Decimal(0)}) == Decimal("66.67")


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        ("0", "fail"),
        ("59.99", "fail"),
        ("60", "pass"),
        ("79.99", "pass"),
        ("80", "good"),
        ("89.99", "good"),
        ("90", "excellent"),
        ("100", "excellent"),
    ],
)
def test_ratings_follow_the_district_bands(score: str, rating: str) -> None:
    assert rate(Decimal(score), BANDS) == rating


def test_rating_bands_are_configurable() -> None:
    assert rate(Decimal(85), RatingBands(excellent_from=85, good_from=75, pass_from=65)) == "excellent"


def plan(*statuses: MilestoneStatus) -> list[TrancheOutcome]:
    names, pcts, amounts = ("start", "mid_term", "final"), (30, 40, 30), (300_000, 400_000, 300_001)
    return [
        TrancheOutcome(milestone=n, pct=p, amount_fen=a, status=s, final=n == "final")
        for n, p, a, s in zip(names, pcts, amounts, statuses, strict=True)
    ]


@pytest.mark.parametrize("rating", ["excellent", "good", "pass"])
def test_a_contract_that_passes_releases_every_tranche(rating: Rating) -> None:
    advice = recommend_payment(plan("notMet", "partiallyMet", "met"), rating, Decimal(70))

    assert [line.milestone for line in advice.release] == ["start", "mid_term", "final"]
    assert advice.withhold == []
    assert (advice.release_fen, advice.withhold_fen) == (1_000_001, 0)
    assert "every tranche is released" in advice.rule


def test_a_failed_contract_releases_only_met_milestones_and_withholds_the_final_tranche() -> None:
    advice = recommend_payment(plan("met", "notMet", "met"), "fail", Decimal("55.5"))

    assert [(line.milestone, line.amount_fen) for line in advice.release] == [("start", 300_000)]
    assert [(line.milestone, line.reason) for line in advice.withhold] == [
        ("mid_term", "milestone mid_term notMet"),
        ("final", "final tranche of a failed contract"),
    ]
    assert (advice.release_fen, advice.withhold_fen) == (300_000, 700_001)
    assert advice.release_fen + advice.withhold_fen == 1_000_001


def test_a_failed_contract_withholds_partially_met_milestones_too() -> None:
    advice = recommend_payment(plan("partiallyMet", "met", "notMet"), "fail", Decimal(40))

    assert [line.milestone for line in advice.release] == ["mid_term"]
    assert [line.milestone for line in advice.withhold] == ["start", "final"]
    assert (advice.release_fen, advice.withhold_fen) == (400_000, 600_001)
