"""Scores and grades: every threshold boundary, each score refusal, and the rules' own consistency checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.training_grading.domain.grading import (
    RULES_CONTEXT,
    Assessment,
    GradingRules,
    IndicatorMaxima,
    grade_for,
)
from shared.contracts.grading import ASSESSMENT_REJECTED, AssessmentSubmitted, ScoreSheet
from shared.intake import read_intake
from shared.outcome import Emit

RULES = GradingRules()


def read_assessment(data: dict[str, Any], rules: GradingRules) -> AssessmentSubmitted | Emit:
    """The submission read as the handler reads it, with the district's grading rules."""
    return read_intake(Assessment, data, rejected=ASSESSMENT_REJECTED, echo=("org_id",),
                       context={RULES_CONTEXT: rules})


def submission(**scores: Any) -> dict[str, Any]:
    full = {"basic_conditions": 90, "internal_governance": 300, "performance": 350, "social_evaluation": 120}
    return {"org_id": "org-1", "round": "2015", "scores": {**full, **scores}}


def errors_of(outcome: AssessmentSubmitted | Emit) -> dict[str, str]:
    assert isinstance(outcome, Emit)
    assert outcome.type == "grading.assessment.rejected"
    return {e["field"]: e["message"] for e in outcome.data["errors"]}


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("0", None), ("499", None), ("499.99", None), ("500", "1A"), ("599", "1A"), ("600", "2A"),
        ("699", "2A"), ("700", "3A"), ("799", "3A"), ("800", "4A"), ("899", "4A"), ("899.99", "4A"),
        ("900", "5A"), ("1000", "5A"),
    ],
)
def test_each_threshold_boundary_gives_the_grade_of_the_district_rules(total: str, grade: str | None) -> None:
    assert grade_for(Decimal(total), RULES) == grade


def test_the_total_is_the_exact_sum_of_the_four_groups() -> None:
    parsed = read_assessment(submission(basic_conditions="99.5", performance=0.1, social_evaluation=150), RULES)
    assert isinstance(parsed, AssessmentSubmitted)
    assert parsed.scores.total == Decimal("549.6")


def test_a_score_above_its_maximum_is_refused_naming_the_indicator_and_the_range() -> None:
    assert errors_of(read_assessment(submission(performance=401), RULES)) == {
        "scores.performance": "must be between 0 and 400, got 401"
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must be between 0 and 100, got -1"),
        (100.01, "must be between 0 and 100, got 100.01"),
        (True, "must be a number, got true"),
        (float("nan"), "Input should be a finite number"),
        (float("inf"), "Input should be a finite number"),
        ("NaN", "Input should be a finite number"),
        ("lots", "Input should be a valid decimal"),
        (Decimal("12.345"), "must have at most 2 decimal places, got 12.345"),
    ],
)
def test_a_score_that_is_not_a_plain_number_in_range_is_refused(value: Any, message: str) -> None:
    assert errors_of(read_assessment(submission(basic_conditions=value), RULES)) == {
        "scores.basic_conditions": message
    }


def test_each_bad_score_and_missing_field_is_named_at_once() -> None:
    data = submission(basic_conditions=101, social_evaluation=-5)
    del data["round"]
    assert set(errors_of(read_assessment(data, RULES))) == {
        "round", "scores.basic_conditions", "scores.social_evaluation"
    }


def test_the_maxima_checked_are_the_configured_ones() -> None:
    rules = GradingRules(maxima=IndicatorMaxima(basic_conditions=50, internal_governance=350, performance=450))
    assert isinstance(read_assessment(submission(basic_conditions=40, performance=440), rules), AssessmentSubmitted)
    assert errors_of(read_assessment(submission(basic_conditions=60), rules)) == {
        "scores.basic_conditions": "must be between 0 and 50, got 60"
    }


def test_a_numeric_round_is_read_as_its_text() -> None:
    parsed = read_assessment({**submission(), "round": 2015}, RULES)
    assert isinstance(parsed, AssessmentSubmitted)
    assert parsed.round == "2015"


def test_maxima_that_do_not_sum_to_1000_are_refused() -> None:
    with pytest.raises(ValidationError, match="maxima must sum to 1000, got 1001"):
        GradingRules(maxima=IndicatorMaxima(basic_conditions=101))


@pytest.mark.parametrize(
    "thresholds",
    [
        {"5A": 900, "4A": 800, "3A": 800, "2A": 600, "1A": 500},
        {"5A": 900, "4A": 950, "3A": 700, "2A": 600, "1A": 500},
    ],
)
def test_thresholds_that_are_not_strictly_descending_are_refused(thresholds: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="strictly descending"):
        GradingRules.model_validate({"thresholds": thresholds})


def test_thresholds_missing_a_grade_or_beyond_the_scale_are_refused() -> None:
    with pytest.raises(ValidationError, match="missing 1A"):
        GradingRules.model_validate({"thresholds": {"5A": 900, "4A": 800, "3A": 700, "2A": 600}})
    with pytest.raises(ValidationError, match="between 1 and 1000"):
        GradingRules.model_validate({"thresholds": {"5A": 1001, "4A": 800, "3A": 700, "2A": 600, "1A": 500}})


def test_configured_thresholds_move_the_grade_boundaries() -> None:
    rules = GradingRules.model_validate({"thresholds": {"5A": 950, "4A": 850, "3A": 750, "2A": 650, "1A": 550}})
    assert grade_for(Decimal(949), rules) == "4A"
    assert grade_for(Decimal(549), rules) is None


def _points(most: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=0, max_value=most * 100).map(lambda cents: Decimal(cents) / 100)


@given(_points(100), _points(350), _points(400), _points(150))
def test_scores_keep_their_exact_value_through_json(a: Decimal, b: Decimal, c: Decimal, d: Decimal) -> None:
    sheet = ScoreSheet(basic_conditions=a, internal_governance=b, performance=c, social_evaluation=d)
    again = ScoreSheet.model_validate_json(sheet.model_dump_json())
    assert again == sheet
    assert again.total == a + b + c + d
