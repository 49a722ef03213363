"""Eligibility: each rule refuses on its own, names itself, and says what to fix."""

from __future__ import annotations

from datetime import date, timedelta

from services.matching.domain.eligibility import EligibilityRules, refusals, yuan
from services.matching.projections import EvaluationResult, GradeView, OrganizationView, ProjectView
from shared.envelope import FieldError
from tests.unit.matching_examples import TODAY, evaluation, grade, organization, project

RULES = EligibilityRules()


def check(org: OrganizationView | None = None, what: ProjectView | None = None, held: GradeView | None = grade(),
          evaluations: tuple[EvaluationResult, ...] = (), price_fen: int | None = None,
          rules: EligibilityRules = RULES) -> list[FieldError]:
    return refusals(org or organization(), what or project(), held, evaluations, price_fen, TODAY, rules)


def test_an_active_organization_with_a_good_grade_in_the_domain_is_eligible() -> None:
    assert check() == []


def test_a_suspended_organization_is_refused_with_the_rule_named() -> None:
    assert check(org=organization(status="suspended")) == [
        FieldError(field="org_id", message="organization is suspended (rule: active)")]


def test_grade_below_minimum_is_refused_with_the_rule_named() -> None:
    assert check(held=grade(code="2A")) == [
        FieldError(field="org_id", message="grade 2A is below the project's minimum 3A (rule: min_grade)")]


def test_the_minimum_grade_itself_is_enough() -> None:
    assert check(held=grade(code="3A")) == []


def test_an_expired_grade_counts_as_none_and_says_when_it_expired() -> None:
    [error] = check(held=grade(code="5A", valid_until=date(2026, 1, 1)))
    assert error.field == "org_id"
    assert "grade 5A expired on 2026-01-01" in error.message and error.message.endswith("(rule: min_grade)")


def test_a_grade_valid_until_today_still_counts_and_lapses_tomorrow() -> None:
    assert check(held=grade(code="3A", valid_until=TODAY)) == []
    [error] = check(held=grade(code="3A", valid_until=TODAY - timedelta(days=1)))
    assert f"grade 3A expired on {TODAY - timedelta(days=1)}" in error.message


def test_a_grade_announced_expired_is_refused_even_before_its_date() -> None:
    [error] = check(held=grade(valid_until=date(2027, 1, 1), expired=True))
    assert "expired on 2027-01-01" in error.message


def test_no_grade_is_refused_when_the_project_sets_a_minimum() -> None:
    for held in (None, grade(code=None, valid_until=None)):
        assert check(held=held) == [FieldError(
            field="org_id", message="the organization holds no grade; the project's minimum is 3A (rule: min_grade)")]


def test_a_project_without_a_minimum_grade_takes_ungraded_and_expired_organizations() -> None:
    open_project = project(min_grade=None)
    assert check(what=open_project, held=None) == []
    assert check(what=open_project, held=grade(valid_until=date(2020, 1, 1))) == []


def test_no_domain_covering_the_category_is_refused_with_the_rule_named() -> None:
    assert check(org=organization(domains=["济困", "助残"])) == [
        FieldError(field="org_id", message="no service domain covers category 助老 (rule: domain)")]


def test_a_fail_evaluation_within_the_window_is_refused_naming_the_latest_one() -> None:
    fails = (evaluation(date(2025, 1, 10), "fail", 50, "c-1"), evaluation(date(2026, 3, 1), "fail", 40, "c-2"))
    assert check(evaluations=fails) == [FieldError(
        field="org_id", message="a fail evaluation on 2026-03-01 is within the 730-day window (rule: no_recent_fail)")]


def test_a_fail_evaluation_older_than_the_window_no_longer_bars() -> None:
    edge = TODAY - timedelta(days=730)
    assert check(evaluations=(evaluation(edge, "fail", 50),)) != []
    assert check(evaluations=(evaluation(edge - timedelta(days=1), "fail", 50),)) == []
    assert check(evaluations=(evaluation(edge, "fail", 50),), rules=EligibilityRules(fail_window_days=365)) == []


def test_a_pass_evaluation_does_not_bar() -> None:
    assert check(evaluations=(evaluation(TODAY, "pass", 61),)) == []


def test_a_price_over_the_budget_is_refused_in_yuan_with_the_rule_named() -> None:
    assert check(price_fen=120_000) == [FieldError(
        field="price_fen", message="price 1,200.00 yuan exceeds the budget 1,000.00 yuan (rule: budget)")]
    assert check(price_fen=100_000) == []


def test_every_broken_rule_is_reported_at_once() -> None:
    errors = check(org=organization(status="suspended", domains=["济困"]), held=grade(code="1A"),
                   evaluations=(evaluation(TODAY, "fail", 10),), price_fen=100_001)
    rules = [e.message.rsplit("(rule: ", 1)[1].rstrip(")") for e in errors]
    assert rules == ["active", "no_recent_fail", "min_grade", "domain", "budget"]


def test_yuan_shows_thousands_and_cents() -> None:
    assert (yuan(123_456_789), yuan(5), yuan(0)) == ("1,234,567.89", "0.05", "0.00")
