"""Who may take a project: the eligibility rules, each refusal naming its rule.

`refusals(...)` returns one FieldError per broken rule (empty = eligible). The rules:
- `active`: a suspended organization is never eligible;
- `min_grade`: the grade held (an expired grade counts as none) is at least the project's minimum, if it sets one;
- `domain`: one of the organization's service domains is the project's category;
- `no_recent_fail`: no `fail` evaluation within the configured window (730 days by default);
- `budget`: a price, when the organization names one, is within the project's budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from services.matching.projections import EvaluationResult, GradeView, OrganizationView, ProjectView
from shared import i18n
from shared.contracts.common import grade_rank
from shared.envelope import FieldError
from shared.i18n import _


class EligibilityRules(BaseModel):
    """The configurable part of eligibility."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fail_window_days: int = Field(default=730, ge=0, le=3650, description="how long a fail evaluation bars")


def yuan(fen: int) -> str:
    """Fen as yuan for people: 120000 -> '1,200.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _active(org: OrganizationView) -> str | None:
    return None if org.status == "active" else _("organization is suspended (rule: active)")


def _min_grade(project: ProjectView, grade: GradeView | None, today: date) -> str | None:
    minimum = project.min_grade
    if minimum is None:
        return None
    if grade is not None and grade.grade is not None and grade.lapsed_on(today):
        return (_("grade {grade} expired on {valid_until}, so it counts as none; the project's minimum is "
                   "{minimum} (rule: min_grade)").format(
                    grade=grade.grade, valid_until=grade.valid_until, minimum=minimum))
    held = grade.held_on(today) if grade is not None else None
    if held is None:
        return _("the organization holds no grade; the project's minimum is {minimum} (rule: min_grade)").format(
            minimum=minimum)
    if grade_rank(held) < grade_rank(minimum):
        return _("grade {held} is below the project's minimum {minimum} (rule: min_grade)").format(
            held=held, minimum=minimum)
    return None


def _domain(org: OrganizationView, project: ProjectView) -> str | None:
    if project.category in org.domains:
        return None
    return _("no service domain covers category {category} (rule: domain)").format(category=project.category)


def _no_recent_fail(evaluations: Sequence[EvaluationResult], today: date, rules: EligibilityRules) -> str | None:
    since = today - timedelta(days=rules.fail_window_days)
    fails = [e.evaluated_on for e in evaluations if e.rating == "fail" and e.evaluated_on >= since]
    if not fails:
        return None
    return (_("a fail evaluation on {day} is within the {fail_window_days}-day window (rule: no_recent_fail)").format(
        day=max(fails), fail_window_days=rules.fail_window_days))


def _budget(project: ProjectView, price_fen: int | None) -> str | None:
    if price_fen is None or price_fen <= project.budget_fen:
        return None
    return _("price {price} exceeds the budget {budget} (rule: budget)").format(
        price=i18n.yuan(price_fen), budget=i18n.yuan(project.budget_fen))


def organization_reasons(
    org: OrganizationView, evaluations: Sequence[EvaluationResult], today: date, rules: EligibilityRules,
) -> list[str]:
    """The rules the organization breaks whatever the project (`active`, `no_recent_fail`)."""
    return [m for m in (_active(org), _no_recent_fail(evaluations, today, rules)) if m is not None]


def project_reasons(org: OrganizationView, project: ProjectView, grade: GradeView | None, today: date) -> list[str]:
    """The rules the organization breaks for this project (`min_grade`, `domain`)."""
    return [m for m in (_min_grade(project, grade, today), _domain(org, project)) if m is not None]


def refusals(
    org: OrganizationView,
    project: ProjectView,
    grade: GradeView | None,
    evaluations: Sequence[EvaluationResult],
    price_fen: int | None,
    today: date,
    rules: EligibilityRules,
) -> list[FieldError]:
    """Every eligibility rule the organization breaks for the project on `today`; empty means eligible."""
    reasons = organization_reasons(org, evaluations, today, rules) + project_reasons(org, project, grade, today)
    errors = [FieldError(field="org_id", message=m) for m in reasons]
    price = _budget(project, price_fen)
    if price is not None:
        errors.append(FieldError(field="price_fen", message=price))
    return errors
