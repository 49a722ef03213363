"""Assessing an organization: Order 39's gates, the grade's validity, superseding, and repeated rounds."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from services.training_grading.domain.grading import RULES_CONTEXT, Assessment, GradingRecord, GradingRules, assess
from services.training_grading.projections import OrganizationView
from shared.calendar import add_years
from shared.contracts.grading import ASSESSMENT_REJECTED, AssessmentSubmitted
from shared.intake import read_intake
from shared.outcome import Emit

RULES = GradingRules()
TODAY = date(2015, 11, 19)
FIRST = uuid.UUID("00000000-0000-4000-8000-000000000001")
SECOND = uuid.UUID("00000000-0000-4000-8000-000000000002")


def read_assessment(data: dict[str, Any], rules: GradingRules) -> AssessmentSubmitted | Emit:
    """The submission read as the handler reads it, with the district's grading rules."""
    return read_intake(Assessment, data, rejected=ASSESSMENT_REJECTED, echo=("org_id",),
                       context={RULES_CONTEXT: rules})


def org(status: str = "active", registered_on: date = date(2010, 6, 1)) -> OrganizationView:
    return OrganizationView(org_id="org-1", street="玉林街道", status=status, registered_on=registered_on, version=1)


def submitted(round_: str = "2015", total: int = 850, assessed_on: str | None = "2015-06-01") -> AssessmentSubmitted:
    scores: dict[str, int] = {}
    for indicator, most in (("performance", 400), ("internal_governance", 350), ("social_evaluation", 150),
                            ("basic_conditions", 100)):
        scores[indicator] = min(most, total - sum(scores.values()))
    data: dict[str, Any] = {"org_id": "org-1", "round": round_, "scores": scores}
    if assessed_on is not None:
        data["assessed_on"] = assessed_on
    parsed = read_assessment(data, RULES)
    assert isinstance(parsed, AssessmentSubmitted)
    return parsed


def run(
    submission: AssessmentSubmitted,
    *,
    organization: OrganizationView | None = None,
    record: GradingRecord | None = None,
    assessment_id: uuid.UUID = FIRST,
    today: date = TODAY,
) -> tuple[GradingRecord | None, list[Emit]]:
    return assess(
        submission, assessment_id=assessment_id, today=today, organization=organization or org(),
        record=record, rules=RULES,
    )


def messages(events: list[Emit]) -> list[str]:
    assert events[0].type == "grading.assessment.rejected"
    return [e["message"] for e in events[0].data["errors"]]


def test_a_first_assessment_assigns_the_grade_valid_for_five_years_as_version_1() -> None:
    record, events = run(submitted())
    assert record is not None
    assert events == [
        Emit("grading.grade.assigned", {
            "org_id": "org-1", "assessment_id": str(FIRST), "round": "2015", "grade": "4A", "total_score": 850,
            "scores": {"basic_conditions": 0, "internal_governance": 350, "performance": 400,
                       "social_evaluation": 100},
            "assessed_on": "2015-06-01", "valid_until": "2020-06-01", "version": 1, "supersedes": None,
        })
    ]


def test_a_total_below_1a_assigns_no_grade_and_no_validity() -> None:
    _, events = run(submitted(total=499))
    assert (events[0].data["grade"], events[0].data["valid_until"]) == (None, None)


def test_the_assessment_date_defaults_to_today() -> None:
    _, events = run(submitted(assessed_on=None))
    assert events[0].data["assessed_on"] == "2015-11-19"
    assert events[0].data["valid_until"] == "2020-11-19"


@pytest.mark.parametrize(
    ("assessed_on", "valid_until"),
    [
        (date(2016, 2, 29), date(2021, 2, 28)),
        (date(2016, 2, 28), date(2021, 2, 28)),
        (date(2015, 3, 1), date(2020, 3, 1)),
        (date(2019, 2, 28), date(2024, 2, 28)),
    ],
)
def test_validity_is_five_calendar_years_and_a_leap_day_falls_back_to_the_28th(
    assessed_on: date, valid_until: date
) -> None:
    assert add_years(assessed_on, 5) == valid_until


def test_a_leap_day_assessment_is_valid_until_the_28th_five_years_on() -> None:
    _, events = run(submitted(assessed_on="2016-02-29"), today=date(2016, 3, 1))
    assert events[0].data["valid_until"] == "2021-02-28"


def test_an_unknown_organization_is_refused_naming_the_rule() -> None:
    _, events = assess(submitted(), assessment_id=FIRST, today=TODAY, organization=None, record=None, rules=RULES)
    assert events[0].data["org_id"] == "org-1"
    assert messages(events) == ["unknown organization org-1 (rule: registered_and_active)"]


def test_a_suspended_organization_is_refused_naming_the_rule() -> None:
    record, events = run(submitted(), organization=org(status="suspended"))
    assert record is None
    assert messages(events) == ["organization org-1 is suspended (rule: registered_and_active)"]


def test_an_organization_registered_less_than_two_years_before_is_refused_naming_the_rule() -> None:
    _, events = run(submitted(assessed_on="2015-06-01"), organization=org(registered_on=date(2013, 6, 2)))
    assert messages(events) == [
        "organization org-1 was registered on 2013-06-02, less than 2 years before the assessment on 2015-06-01; "
        "it may be assessed from 2015-06-02 (rule: two_years_registered)"
    ]


def test_exactly_two_years_after_registration_is_old_enough() -> None:
    record, _ = run(submitted(assessed_on="2015-06-01"), organization=org(registered_on=date(2013, 6, 1)))
    assert record is not None


def test_a_suspended_and_too_young_organization_hears_both_rules() -> None:
    _, events = run(submitted(), organization=org(status="suspended", registered_on=date(2014, 1, 1)))
    found = messages(events)
    assert len(found) == 2
    assert "rule: registered_and_active" in found[0]
    assert "rule: two_years_registered" in found[1]


def test_the_age_gate_follows_the_configured_years() -> None:
    rules = GradingRules(min_registered_years=3)
    _, events = assess(
        submitted(), assessment_id=FIRST, today=TODAY, organization=org(registered_on=date(2013, 1, 1)),
        record=None, rules=rules,
    )
    assert "less than 3 years" in messages(events)[0]


def test_a_new_round_supersedes_the_old_grade_with_the_next_version() -> None:
    first, _ = run(submitted())
    second, events = run(submitted(round_="2016", total=920, assessed_on="2015-11-01"), record=first,
                         assessment_id=SECOND)
    assert second is not None
    assert second.version == 2
    assert second.current is not None
    assert second.current.grade == "5A"
    assert events[0].data["supersedes"] == str(FIRST)
    assert events[0].data["version"] == 2


def test_a_lower_new_grade_still_supersedes_the_old_one() -> None:
    first, _ = run(submitted(total=920))
    second, events = run(submitted(round_="2016", total=450), record=first, assessment_id=SECOND)
    assert second is not None
    assert events[0].data["grade"] is None
    assert events[0].data["supersedes"] == str(FIRST)


def test_the_same_round_submitted_again_is_refused_naming_the_existing_assessment() -> None:
    first, _ = run(submitted())
    again, events = run(submitted(total=990), record=first, assessment_id=SECOND)
    assert again is None
    assert events[0].data["errors"] == [
        {"field": "round", "message": f"round 2015 of organization org-1 was already assessed (assessment_id {FIRST})"}
    ]


def test_an_assessment_dated_after_today_is_refused() -> None:
    _, events = run(submitted(assessed_on="2015-11-20"))
    assert events[0].data["errors"] == [
        {"field": "assessed_on", "message": "must not be after today (2015-11-19), got 2015-11-20"}
    ]


def test_an_assessment_older_than_the_current_grade_is_refused() -> None:
    first, _ = run(submitted(assessed_on="2015-06-01"))
    _, events = run(submitted(round_="2014", assessed_on="2014-06-01"), record=first, assessment_id=SECOND)
    assert [e["field"] for e in events[0].data["errors"]] == ["assessed_on"]
    assert str(FIRST) in events[0].data["errors"][0]["message"]


# Issue 19, item 2: an assessment dated years back was graded and announced as a grade that had already lapsed, and
# any date was accepted (0001-01-01 too). The three tests below failed before the change.


def test_an_assessment_whose_grade_would_already_have_lapsed_on_receipt_is_refused_naming_the_rule() -> None:
    record, events = run(submitted(assessed_on="2010-06-01", round_="2010"),
                         organization=org(registered_on=date(2005, 1, 1)), today=date(2015, 6, 2))
    assert record is None
    assert messages(events) == ["an assessment on 2010-06-01 gives a grade valid until 2015-06-01, which lapsed "
                                "before today (2015-06-02); submit a current assessment (rule: not_expired_on_receipt)"]


def test_an_assessment_whose_grade_holds_through_today_is_still_graded() -> None:
    record, events = run(submitted(assessed_on="2010-06-01", round_="2010"),
                         organization=org(registered_on=date(2005, 1, 1)), today=date(2015, 6, 1))
    assert record is not None and events[0].data["valid_until"] == "2015-06-01"


def test_an_assessment_dated_before_the_districts_earliest_date_is_refused_naming_the_rule() -> None:
    _, events = assess(submitted(assessed_on="0001-01-01"), assessment_id=FIRST, today=TODAY, organization=org(),
                       record=None, rules=RULES, earliest=date(1950, 1, 1))
    assert "must not be before 1950-01-01, the earliest date the district accepts, got 0001-01-01 " \
           "(rule: earliest_date)" in messages(events)
