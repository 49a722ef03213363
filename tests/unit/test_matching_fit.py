"""The fit score: 0..100, each factor's value × weight shown, the total their sum."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.matching.domain.fit import CapacityRule, FitRules, MatchingWeights, fit
from shared.contracts.common import CATEGORIES
from shared.contracts.matching import FIT_FACTORS
from tests.unit.matching_examples import TODAY, evaluation, profile, project

RULES = FitRules()


def test_the_breakdown_shows_each_factors_value_weight_and_points_and_sums_to_the_score() -> None:
    scored = fit(profile(finance_completions=1, evaluations=(evaluation(date(2025, 1, 1), score=90),)),
                 project(), TODAY, RULES)
    shown = {name: (f.value, f.weight, f.points) for name, f in scored.breakdown.items()}
    assert shown == {
        "domain": (1.0, 25, 25.0),
        "locality": (1.0, 20, 20.0),
        "grade": (0.8, 20, 16.0),
        "past_evaluations": (0.9, 15, 13.5),
        "finance_trained": (0.5, 10, 5.0),
        "capacity_left": (1.0, 10, 10.0),
    }
    assert scored.score == 89.5


def test_locality_ranks_same_community_over_same_street_over_the_rest_of_the_district() -> None:
    def locality(street: str, community: str) -> float:
        who = profile(org={"street": street, "community": community})
        return fit(who, project(), TODAY, RULES).breakdown["locality"].value

    assert locality("望江路街道", "望江路社区") == 1.0
    assert locality("望江路街道", "九眼桥社区") == 0.6
    assert locality("玉林街道", "玉林北路社区") == 0.3


def test_a_district_wide_project_is_local_to_everyone() -> None:
    department = project(purchaser={"kind": "department", "name": "区民政局"}, community=None)
    who = profile(org={"street": "玉林街道", "community": "玉林北路社区"})
    assert fit(who, department, TODAY, RULES).breakdown["locality"].value == 1.0


def test_a_specialist_scores_the_full_domain_value_and_a_generalist_less() -> None:
    specialist = profile(org={"domains": ["助老", "助残"]})
    generalist = profile(org={"domains": list(CATEGORIES[:6])})
    assert fit(specialist, project(), TODAY, RULES).breakdown["domain"].value == 1.0
    assert fit(generalist, project(), TODAY, RULES).breakdown["domain"].value == 0.5


def test_an_expired_grade_adds_no_grade_points() -> None:
    who = profile(grade_code="5A")
    assert fit(who, project(), date(2030, 1, 1), RULES).breakdown["grade"].points == 0


def test_past_evaluations_average_the_latest_three() -> None:
    history = tuple(evaluation(date(2020 + i, 1, 1), score=s, contract_id=f"c-{i}")
                    for i, s in enumerate([10, 70, 80, 90]))
    assert fit(profile(evaluations=history), project(), TODAY, RULES).breakdown["past_evaluations"].value == 0.8


def test_capacity_left_counts_active_contracts_against_one_contract_per_five_staff() -> None:
    def left(staff: int, active: int) -> float:
        who = profile(org={"full_time_staff": staff}, active_contracts=active)
        return fit(who, project(), TODAY, RULES).breakdown["capacity_left"].value

    assert (left(10, 0), left(10, 1), left(10, 2), left(3, 0), left(3, 1)) == (1.0, 0.5, 0.0, 1.0, 0.0)
    assert CapacityRule(staff_per_contract=2).contracts_for(9) == 4
    assert CapacityRule().contracts_for(0) == 1


def test_weights_are_configurable_and_must_sum_to_100() -> None:
    only_grade = FitRules(weights=MatchingWeights(domain=0, locality=0, grade=100, past_evaluations=0,
                                                  finance_trained=0, capacity_left=0))
    assert fit(profile(grade_code="3A"), project(), TODAY, only_grade).score == 60.0
    with pytest.raises(ValidationError, match="must sum to 100, got 90"):
        MatchingWeights(domain=15)


@settings(max_examples=150, deadline=None)
@given(
    staff=st.integers(0, 40), active=st.integers(0, 10), finance=st.integers(0, 5),
    scores=st.lists(st.floats(0, 100), max_size=5), code=st.sampled_from([None, "1A", "2A", "3A", "4A", "5A"]),
    domains=st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=9, unique=True),
)
def test_a_score_stays_within_0_and_100_and_equals_the_sum_of_its_points(
    staff: int, active: int, finance: int, scores: list[float], code: str | None, domains: list[str],
) -> None:
    history = tuple(evaluation(date(2024, 1, 1 + i), score=s, contract_id=f"c-{i}") for i, s in enumerate(scores))
    who = profile(org={"full_time_staff": staff, "domains": domains}, grade_code=code, active_contracts=active,
                  finance_completions=finance, evaluations=history)
    scored = fit(who, project(), TODAY, RULES)
    assert 0 <= scored.score <= 100
    assert set(scored.breakdown) == set(FIT_FACTORS)
    assert scored.score == round(sum(f.points for f in scored.breakdown.values()), 2)
    assert scored == fit(who, project(), TODAY, RULES)
