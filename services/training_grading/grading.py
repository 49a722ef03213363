"""Grading rules (等级评估, Ministry of Civil Affairs Order 39): score an assessment on the four indicator groups,
pass the order's gates, assign a 1A-5A grade valid for five years, supersede the previous grade, expire grades
past their validity. Pure: the assessment id and today's date are passed in.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from services.training_grading.organizations import OrganizationView
from shared.contracts.common import GRADES, GradeCode
from shared.contracts.grading import (
    ASSESSMENT_REJECTED,
    DEFAULT_MAXIMA,
    GRADE_ASSIGNED,
    GRADE_EXPIRED,
    MAXIMA_CONTEXT,
    AssessmentSubmitted,
    GradeAssigned,
    GradeExpired,
    Points,
)
from shared.envelope import FieldError
from shared.outcome import Emit, rejected
from shared.validation import parse

SCALE = 1000
GRADES_LOWEST_FIRST = cast(tuple[GradeCode, ...], GRADES)
DEFAULT_THRESHOLDS: dict[GradeCode, int] = {"5A": 900, "4A": 800, "3A": 700, "2A": 600, "1A": 500}


class IndicatorMaxima(BaseModel):
    """The most points each indicator group can give; together they make the 1,000-point scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basic_conditions: StrictInt = Field(default=DEFAULT_MAXIMA["basic_conditions"], ge=1)
    internal_governance: StrictInt = Field(default=DEFAULT_MAXIMA["internal_governance"], ge=1)
    performance: StrictInt = Field(default=DEFAULT_MAXIMA["performance"], ge=1)
    social_evaluation: StrictInt = Field(default=DEFAULT_MAXIMA["social_evaluation"], ge=1)


class GradingRules(BaseModel):
    """The district's grading settings: maxima, the lowest total for each grade, validity, the age gate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maxima: IndicatorMaxima = Field(default_factory=IndicatorMaxima)
    thresholds: dict[GradeCode, StrictInt] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    validity_years: StrictInt = Field(default=5, ge=1, le=20)
    min_registered_years: StrictInt = Field(default=2, ge=0, le=20)

    @model_validator(mode="after")
    def _consistent(self) -> GradingRules:
        total = sum(self.maxima.model_dump().values())
        if total != SCALE:
            raise ValueError(f"maxima must sum to {SCALE}, got {total}")
        missing = [g for g in GRADES if g not in self.thresholds]
        if missing:
            raise ValueError(f"thresholds must name every grade; missing {', '.join(missing)}")
        lowest_first = [self.thresholds[g] for g in GRADES_LOWEST_FIRST]
        if lowest_first[0] < 1 or lowest_first[-1] > SCALE:
            raise ValueError(f"thresholds must lie between 1 and {SCALE}, got {self.thresholds}")
        if any(low >= high for low, high in itertools.pairwise(lowest_first)):
            raise ValueError(f"thresholds must be strictly descending from 5A to 1A, got {self.thresholds}")
        return self


class Grade(BaseModel):
    """One assessment's result as this organization's current grade (`grade` None: below 1A)."""

    model_config = ConfigDict(frozen=True)

    assessment_id: uuid.UUID
    round: str
    grade: GradeCode | None
    total_score: Points
    assessed_on: date
    valid_until: date | None
    expired: bool = False


class GradingRecord(BaseModel):
    """An organization's grading file: the rounds it was assessed in, its current grade, the grade's version."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    version: int = 0
    current: Grade | None = None
    rounds: dict[str, uuid.UUID] = Field(default_factory=dict)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls back to the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def grade_for(total: Decimal, rules: GradingRules) -> GradeCode | None:
    """The highest grade whose threshold the total reaches, or None below 1A."""
    for grade in reversed(GRADES_LOWEST_FIRST):
        if total >= rules.thresholds[grade]:
            return grade
    return None


def standing_grade(record: GradingRecord | None, on: date) -> GradeCode | None:
    """The grade the organization holds on `on`: its current one, unless expired by then (then none)."""
    current = record.current if record else None
    if current is None or current.valid_until is None or current.expired or current.valid_until < on:
        return None
    return current.grade


def read_assessment(data: Mapping[str, Any], rules: GradingRules) -> AssessmentSubmitted | Emit:
    """The submission, or the rejection naming every bad field (each score checked against its maximum)."""
    parsed = parse(AssessmentSubmitted, data, context={MAXIMA_CONTEXT: rules.maxima.model_dump()})
    if isinstance(parsed, list):
        org_id = data.get("org_id")
        return rejected(ASSESSMENT_REJECTED, parsed, org_id=org_id if isinstance(org_id, str) else None)
    return parsed


def assess(
    submission: AssessmentSubmitted,
    *,
    assessment_id: uuid.UUID,
    today: date,
    organization: OrganizationView | None,
    record: GradingRecord | None,
    rules: GradingRules,
) -> tuple[GradingRecord | None, list[Emit]]:
    """Grade the submission and make it the organization's current grade (version + 1), or refuse it."""
    assessed_on = submission.assessed_on or today
    errors = [
        *_gate_errors(submission.org_id, organization, assessed_on, rules),
        *_history_errors(submission, record, assessed_on, today),
    ]
    if errors:
        return None, [rejected(ASSESSMENT_REJECTED, errors, org_id=submission.org_id)]
    total = submission.scores.total
    grade = grade_for(total, rules)
    new = Grade(
        assessment_id=assessment_id, round=submission.round, grade=grade, total_score=total,
        assessed_on=assessed_on, valid_until=add_years(assessed_on, rules.validity_years) if grade else None,
    )
    previous = record or GradingRecord(org_id=submission.org_id)
    updated = GradingRecord(
        org_id=submission.org_id, version=previous.version + 1, current=new,
        rounds={**previous.rounds, submission.round: assessment_id},
    )
    assigned = GradeAssigned(
        org_id=updated.org_id, scores=submission.scores, version=updated.version,
        supersedes=previous.current.assessment_id if previous.current else None, **new.model_dump(exclude={"expired"}),
    )
    return updated, [Emit(GRADE_ASSIGNED, assigned.model_dump(mode="json"))]


def expire_due(records: Iterable[GradingRecord], today: date) -> list[tuple[GradingRecord, Emit]]:
    """Each record whose grade's validity ended before `today`, marked expired (version + 1), with its event.

    A grade valid until D still holds on D and expires from D + 1; an expired grade is never expired again.
    """
    due: list[tuple[GradingRecord, Emit]] = []
    for record in records:
        current = record.current
        if current is None or current.grade is None or current.valid_until is None or current.expired:
            continue
        if current.valid_until >= today:
            continue
        expired = record.model_copy(
            update={"version": record.version + 1, "current": current.model_copy(update={"expired": True})}
        )
        event = GradeExpired(
            org_id=record.org_id, assessment_id=current.assessment_id, grade=current.grade,
            valid_until=current.valid_until, version=expired.version,
        )
        due.append((expired, Emit(GRADE_EXPIRED, event.model_dump(mode="json"))))
    return due


def due_expiries(grades: Iterable[GradingRecord], today: date) -> list[Emit]:
    """The `grading.grade.expired` events due on `today` (save `expire_due`'s records alongside them)."""
    return [event for _, event in expire_due(grades, today)]


def _gate_errors(
    org_id: str, organization: OrganizationView | None, assessed_on: date, rules: GradingRules
) -> list[FieldError]:
    if organization is None:
        return [FieldError(field="org_id", message=f"unknown organization {org_id} (rule: registered_and_active)")]
    errors: list[FieldError] = []
    if not organization.is_active:
        message = f"organization {org_id} is {organization.status} (rule: registered_and_active)"
        errors.append(FieldError(field="org_id", message=message))
    eligible_from = add_years(organization.registered_on, rules.min_registered_years)
    if assessed_on < eligible_from:
        message = (
            f"organization {org_id} was registered on {organization.registered_on}, less than "
            f"{rules.min_registered_years} years before the assessment on {assessed_on}; it may be assessed "
            f"from {eligible_from} (rule: two_years_registered)"
        )
        errors.append(FieldError(field="org_id", message=message))
    return errors


def _history_errors(
    submission: AssessmentSubmitted, record: GradingRecord | None, assessed_on: date, today: date
) -> list[FieldError]:
    errors: list[FieldError] = []
    if assessed_on > today:
        errors.append(FieldError(field="assessed_on", message=f"must not be after today ({today}), got {assessed_on}"))
    if record is None:
        return errors
    if submission.round in record.rounds:
        message = (f"round {submission.round} of organization {submission.org_id} was already assessed "
                   f"(assessment_id {record.rounds[submission.round]})")
        errors.append(FieldError(field="round", message=message))
    current = record.current
    if current is not None and assessed_on < current.assessed_on:
        message = (f"must not be before the current grade's assessment on {current.assessed_on} "
                   f"(assessment_id {current.assessment_id}), got {assessed_on}")
        errors.append(FieldError(field="assessed_on", message=message))
    return errors
