"""The score out of 100, the survey's minimum sample, the rating bands and the cap without enough respondents."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from services.evaluation.domain.rules import EvaluationRules, RatingBands, ScoreWeights
from services.evaluation.domain.scoring import achievement, capped, rate, rating_of, score_contract, to_hundredths
from shared.contracts.evaluation import Rating
from tests.unit.evaluation_examples import delivered, delivered_all, monitored, ok

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


@pytest.mark.parametrize(("respondents", "scored"), [(29, False), (30, True)])
def test_satisfaction_is_scored_from_30_respondents_over_the_contract(respondents: int, scored: bool) -> None:
    reports = [figures("80", respondents - 20, 0), figures("80", 10, 0), figures("80", 10, 0)]

    score = score_contract(reports, 3, WEIGHTS, min_respondents=30)

    assert (score.respondents, score.satisfaction_scored) == (respondents, scored)


def test_one_satisfied_resident_does_not_earn_satisfaction_points() -> None:
    reports = [figures("70", 1, 1), figures("70", 0, 0), figures("70", 0, 0)]

    score = score_contract(reports, 3, WEIGHTS, min_respondents=30)

    # satisfaction 100 % of 1 resident is recorded but not scored: indicators 70 x 50/60 + timeliness 100 x 10/60
    assert score.satisfaction == Decimal(100) and not score.satisfaction_scored
    assert score.total == Decimal("75.00")


def test_without_enough_respondents_the_other_measures_share_satisfactions_weight() -> None:
    score = score_contract([figures("90", 5, 5)] * 3, 3, WEIGHTS, min_respondents=30)

    breakdown = score.breakdown(WEIGHTS).model_dump(mode="json")

    assert breakdown == {
        "indicators": {"measure": 90.0, "weight": 83.33, "points": 75.0, "scored": True},
        "satisfaction": {"measure": 100.0, "weight": 0.0, "points": 0.0, "scored": False},
        "timeliness": {"measure": 100.0, "weight": 16.67, "points": 16.67, "scored": True},
    }
    assert score.total == Decimal("91.67")


def test_without_enough_respondents_the_rating_is_capped_at_good() -> None:
    score = score_contract([figures("90", 5, 5)] * 3, 3, WEIGHTS, min_respondents=30)

    assert rate(score.total, BANDS) == "excellent"
    assert rating_of(score, EvaluationRules()) == "good"


def test_the_cap_without_enough_respondents_is_configurable() -> None:
    score = score_contract([figures("90", 5, 5)] * 3, 3, WEIGHTS, min_respondents=30)

    assert rating_of(score, EvaluationRules(insufficient_sample_cap="pass")) == "pass"
    assert rating_of(score, EvaluationRules(insufficient_sample_cap="excellent")) == "excellent"


@pytest.mark.parametrize(("rating", "cap", "result"), [("excellent", "good", "good"), ("fail", "good", "fail"),
                                                       ("pass", "pass", "pass")])
def test_a_cap_keeps_the_lower_rating(rating: Rating, cap: Rating, result: Rating) -> None:
    assert capped(rating, cap) == result


def test_the_evaluation_says_when_the_sample_was_too_small() -> None:
    contract = delivered_all(satisfaction={"respondents": 9, "satisfied": 9})

    assert contract.evaluation is not None
    assert (contract.evaluation.respondents, contract.evaluation.insufficient_sample) == (27, True)
    assert contract.evaluation.breakdown.satisfaction.scored is False


def test_a_weighting_that_leaves_nothing_to_score_without_satisfaction_is_refused() -> None:
    with pytest.raises(ValueError, match="indicators and timeliness must weigh something"):
        ScoreWeights(indicators=0, satisfaction=100, timeliness=0)


def test_the_score_rounds_half_up_to_two_decimals() -> None:
    # 80.01 * 50 % = 40.005: half-up gives 40.01 where banker's rounding would give 40.00
    reports = [figures("80.01", 10, 0, late=True)] * 3

    assert score_contract(reports, 3, WEIGHTS).total == Decimal("40.01")


def test_the_breakdown_shows_each_measure_its_weight_and_its_points() -> None:
    score = score_contract([figures("90", 50, 45), figures("80", 50, 40), figures("70", 50, 35, late=True)], 3, WEIGHTS)

    breakdown = score.breakdown(WEIGHTS).model_dump(mode="json")

    assert breakdown == {
        "indicators": {"measure": 80.0, "weight": 50.0, "points": 40.0, "scored": True},
        "satisfaction": {"measure": 80.0, "weight": 40.0, "points": 32.0, "scored": True},
        "timeliness": {"measure": 66.67, "weight": 10.0, "points": 6.67, "scored": True},
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


SCORE_EQUALS_ACHIEVEMENT = EvaluationRules(weights=ScoreWeights(indicators=100, satisfaction=0, timeliness=0))


def evaluated_with_achievements(*values: float) -> tuple[float, str]:
    contract = monitored(SCORE_EQUALS_ACHIEVEMENT)
    for milestone, value in zip(("start", "mid_term", "final"), values, strict=True):
        contract = ok(delivered(contract, milestone, rules=SCORE_EQUALS_ACHIEVEMENT, indicators={"a": value}))
    assert contract.evaluation is not None
    return float(contract.evaluation.score), contract.evaluation.rating


@pytest.mark.parametrize(
    ("value", "rating"),
    [(59.99, "fail"), (60, "pass"), (79.99, "pass"), (80, "good"), (89.99, "good"), (90, "excellent")],
)
def test_every_rating_boundary_holds_end_to_end(value: float, rating: str) -> None:
    assert evaluated_with_achievements(value, value, value) == (value, rating)


def test_the_score_is_rounded_half_up_before_it_is_rated() -> None:
    # mean of 59.99, 60, 60 is 59.9966..., which rounds to 60.00: a pass
    assert evaluated_with_achievements(59.99, 60, 60) == (60.0, "pass")
