"""Grading rules (等级评估, Ministry of Civil Affairs Order 39): score an assessment on the four indicator groups,
pass the order's gates, assign a 1A-5A grade valid for five years, supersede the previous grade, expire grades
past their validity. Pure: the assessment id and today's date are passed in.

The district's rule on a submission's scores (each within its configured maximum) is a validator of
`Assessment`, read with the grading rules as its context, so one reading names every bad score.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from typing import cast

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator, model_validator

from services.training_grading.projections import OrganizationView
from shared.calendar import DEFAULT_EARLIEST_DATE, add_years, before_earliest, valid_on
from shared.contracts.common import GRADES, GradeCode
from shared.contracts.grading import (
    ASSESSMENT_REJECTED,
    GRADE_ASSIGNED,
    GRADE_EXPIRED,
    INDICATORS,
    AssessmentSubmitted,
    GradeAssigned,
    GradeExpired,
    Points,
    ScoreSheet,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit, rejected

SCALE = 1000
GRADES_LOWEST_FIRST = cast(tuple[GradeCode, ...], GRADES)
DEFAULT_THRESHOLDS: dict[GradeCode, int] = {"5A": 900, "4A": 800, "3A": 700, "2A": 600, "1A": 500}
RULES_CONTEXT = "grading_rules"  # the validation-context key an assessment is read with

NOT_EXPIRED_ON_RECEIPT = "not_expired_on_receipt"
# Fixed forever: an assessment's id derives from the event that submitted it, so a re-run gives the same id.
ASSESSMENT_NAMESPACE = uuid.UUID("3b0e9a52-7c1d-5f4e-8a2b-6d9c0f1e2a47")
# Fixed forever: the expiry event of a grading record's version has one id, however often the check runs.
EXPIRY_NAMESPACE = uuid.UUID("9c4f1b27-0e6a-5d38-b1f2-7a5e3c8d6049")


class IndicatorMaxima(BaseModel):
    """The most points each indicator group can give; together they make the 1,000-point scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basic_conditions: StrictInt = Field(default=100, ge=1)
    internal_governance: StrictInt = Field(default=350, ge=1)
    performance: StrictInt = Field(default=400, ge=1)
    social_evaluation: StrictInt = Field(default=150, ge=1)


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


def _rules(info: ValidationInfo) -> GradingRules:
    rules = info.context.get(RULES_CONTEXT) if isinstance(info.context, dict) else None
    if not isinstance(rules, GradingRules):
        raise TypeError(f"an assessment is read with the grading rules as context: {{{RULES_CONTEXT!r}: rules}}")
    return rules


class ScoresWithinMaxima(ScoreSheet):
    """The four indicator groups' points as submitted: each between 0 and the district's maximum for it."""

    @field_validator(*INDICATORS)
    @classmethod
    def _within_maximum(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        top: int = getattr(_rules(info).maxima, str(info.field_name))
        if not 0 <= value <= top:
            raise ValueError(_("must be between 0 and {top}, got {value}").format(top=top, value=value))
        return value


class Assessment(AssessmentSubmitted):
    """A submission that passes the district's rules on scores too; read with `{RULES_CONTEXT: rules}`."""

    scores: ScoresWithinMaxima


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


def assessment_id_for(submitted_by: uuid.UUID) -> uuid.UUID:
    """The assessment's id, from the id of the event that submitted it: handling it again gives the same id."""
    return uuid.uuid5(ASSESSMENT_NAMESPACE, str(submitted_by))


def expiry_event_id(expired: GradingRecord) -> uuid.UUID:
    """The id of the `grading.grade.expired` event of this (expired) version of the record: announced once."""
    return uuid.uuid5(EXPIRY_NAMESPACE, f"{expired.org_id}:{expired.version}")


def grade_for(total: Decimal, rules: GradingRules) -> GradeCode | None:
    """The highest grade whose threshold the total reaches, or None below 1A."""
    for grade in reversed(GRADES_LOWEST_FIRST):
        if total >= rules.thresholds[grade]:
            return grade
    return None


def standing_grade(record: GradingRecord | None, on: date) -> GradeCode | None:
    """The grade the organization holds on `on`: its current one, unless expired by then (then none)."""
    current = record.current if record else None
    if current is None or current.expired or not valid_on(current.valid_until, on):
        return None
    return current.grade


def assess(
    submission: AssessmentSubmitted,
    *,
    assessment_id: uuid.UUID,
    today: date,
    organization: OrganizationView | None,
    record: GradingRecord | None,
    rules: GradingRules,
    earliest: date = DEFAULT_EARLIEST_DATE,
) -> tuple[GradingRecord | None, list[Emit]]:
    """Grade the submission and make it the organization's current grade (version + 1), or refuse it.

    An assessment dated so far back that its grade would already have lapsed on `today`, or before the district's
    `earliest` date, is refused: announcing a grade that has already lapsed would mislead every consumer until the
    next expiry check."""
    assessed_on = submission.assessed_on or today
    errors = [
        *_gate_errors(submission.org_id, organization, assessed_on, rules),
        *_history_errors(submission, record, assessed_on, today),
        *_backdating_errors(assessed_on, today, rules, earliest),
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
        org_id=updated.org_id, scores=ScoreSheet.model_validate(submission.scores.model_dump()),
        version=updated.version,
        supersedes=previous.current.assessment_id if previous.current else None, **new.model_dump(exclude={"expired"}),
    )
    return updated, [Emit(GRADE_ASSIGNED, assigned.model_dump(mode="json"))]


def expire(record: GradingRecord, today: date) -> tuple[GradingRecord, Emit] | None:
    """The record with its grade marked expired (version + 1) and the event announcing it, or None when the
    grade still holds on `today`, was already expired, or there is none (a grade valid until D lapses on D + 1).
    """
    current = record.current
    if current is None or current.grade is None or current.valid_until is None or current.expired:
        return None
    if valid_on(current.valid_until, today):
        return None
    expired = record.model_copy(
        update={"version": record.version + 1, "current": current.model_copy(update={"expired": True})}
    )
    event = GradeExpired(
        org_id=record.org_id, assessment_id=current.assessment_id, grade=current.grade,
        valid_until=current.valid_until, version=expired.version,
    )
    return expired, Emit(GRADE_EXPIRED, event.model_dump(mode="json"))


def _gate_errors(
    org_id: str, organization: OrganizationView | None, assessed_on: date, rules: GradingRules
) -> list[FieldError]:
    if organization is None:
        return [FieldError(field="org_id", message=_("unknown organization {org_id} (rule: "
                                                     "registered_and_active)").format(org_id=org_id))]
    errors: list[FieldError] = []
    if not organization.is_active:
        message = _("organization {org_id} is {status} (rule: registered_and_active)").format(
            org_id=org_id, status=label(organization.status))
        errors.append(FieldError(field="org_id", message=message))
    eligible_from = add_years(organization.registered_on, rules.min_registered_years)
    if assessed_on < eligible_from:
        message = (
            _("organization {org_id} was registered on {registered_on}, less than {min_registered_years} years "
               "before the assessment on {assessed_on}; it may be assessed from {eligible_from} (rule: "
               "two_years_registered)").format(
                org_id=org_id, registered_on=organization.registered_on,
                min_registered_years=rules.min_registered_years, assessed_on=assessed_on, eligible_from=eligible_from)
        )
        errors.append(FieldError(field="org_id", message=message))
    return errors


def _backdating_errors(assessed_on: date, today: date, rules: GradingRules, earliest: date) -> list[FieldError]:
    too_early = before_earliest(assessed_on, earliest)
    if too_early:
        return [FieldError(field="assessed_on", message=message) for message in too_early]
    valid_until = add_years(assessed_on, rules.validity_years)
    if valid_on(valid_until, today):
        return []
    message = (_("an assessment on {assessed_on} gives a grade valid until {valid_until}, which lapsed before "
                  "today ({today}); submit a current assessment (rule: {rule})").format(
                   assessed_on=assessed_on, valid_until=valid_until, today=today, rule=NOT_EXPIRED_ON_RECEIPT))
    return [FieldError(field="assessed_on", message=message)]


def _history_errors(
    submission: AssessmentSubmitted, record: GradingRecord | None, assessed_on: date, today: date
) -> list[FieldError]:
    errors: list[FieldError] = []
    if assessed_on > today:
        errors.append(FieldError(field="assessed_on", message=_("must not be after today ({today}), got "
                                                                 "{assessed_on}").format(
                                                                  today=today, assessed_on=assessed_on)))
    if record is None:
        return errors
    if submission.round in record.rounds:
        message = (_("round {round} of organization {org_id} was already assessed (assessment_id {value})").format(
            round=submission.round, org_id=submission.org_id, value=record.rounds[submission.round]))
        errors.append(FieldError(field="round", message=message))
    current = record.current
    if current is not None and assessed_on < current.assessed_on:
        message = (_("must not be before the current grade's assessment on {assessed_on} (assessment_id "
                      "{assessment_id}), got {assessed_on2}").format(
                       assessed_on=current.assessed_on, assessment_id=current.assessment_id, assessed_on2=assessed_on))
        errors.append(FieldError(field="assessed_on", message=message))
    return errors
