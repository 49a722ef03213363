"""One definition of a grade's last day across services: the grade training-and-grading assigns, read by matching
as it reads `grading.grade.assigned`, holds on its `valid_until` day in both services and lapses in both the day
after (the kernel's `shared.calendar.valid_on`)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from services.matching.domain.eligibility import project_reasons
from services.matching.projections import GradeView
from services.training_grading.domain.grading import GradingRecord, GradingRules, assess, standing_grade
from services.training_grading.projections import OrganizationView as TrainingOrganization
from shared.contracts.grading import AssessmentSubmitted
from shared.envelope import new_event
from shared.intake import read_event
from tests.unit.matching_examples import organization, project

ASSESSED_ON = date(2015, 3, 2)
ORG_ID = "6a1f4a8e-6d0c-4f8e-9b1e-2f5d7c3a9e01"


def assigned_grade() -> tuple[GradingRecord, GradeView]:
    """A 4A assessed on 2015-03-02 by training-and-grading, and matching's reading of its announcement."""
    submission = AssessmentSubmitted.model_validate({
        "org_id": ORG_ID, "round": "2015", "assessed_on": ASSESSED_ON.isoformat(),
        "scores": {"basic_conditions": 85, "internal_governance": 300, "performance": 330, "social_evaluation": 110}})
    registered = TrainingOrganization(org_id=ORG_ID, street="望江路街道", status="active", founded_on=date(2010, 1, 1),
                                      version=1)
    record, [announced] = assess(submission, assessment_id=uuid.uuid4(), today=ASSESSED_ON, organization=registered,
                                 record=None, rules=GradingRules())
    assert record is not None and record.current is not None and record.current.grade == "4A"
    read = read_event(GradeView, new_event(announced.type, announced.data, source="training-grading"))
    return record, read


@pytest.mark.parametrize(("day", "holds"), [(0, True), (1, False)], ids=["on valid_until", "the day after"])
def test_both_services_agree_whether_the_grade_holds(day: int, holds: bool) -> None:
    record, seen_by_matching = assigned_grade()
    assert record.current is not None and record.current.valid_until is not None
    on = record.current.valid_until + timedelta(days=day)
    held_in_training = standing_grade(record, on)
    reasons = project_reasons(organization(ORG_ID), project(min_grade="4A"), seen_by_matching, on)
    assert (held_in_training == "4A") is holds
    assert (seen_by_matching.held_on(on) == "4A") is holds
    assert (reasons == []) is holds
