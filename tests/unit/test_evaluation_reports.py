"""Milestone reports: accepted with an OCDS status and late marking, or refused with every reason named; the
contract evaluated after its final report."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.rules import EvaluationRules, ScoreWeights
from shared.contracts.evaluation import CONTRACT_EVALUATED, REPORT_ACCEPTED, REPORT_REJECTED
from tests.unit.evaluation_examples import open_monitoring, submit_report

RULES = EvaluationRules()
TODAY = date(2027, 1, 10)
# Due dates of the default plan over 2026: start 2026-01-31, mid_term 2026-07-02, final 2026-12-31.
ON_TIME = {"start": "2026-01-20", "mid_term": "2026-06-30", "final": "2026-12-31"}


def monitored(rules: EvaluationRules = RULES) -> MonitoredContract:
    award = {
        "contract_id": "C-1",
        "fair_id": "F-1",
        "project_id": "P-1",
        "org_id": "O-1",
        "amount_fen": 1_000_000,
        "fit_score": 80,
        "title": "助老服务",
        "category": "助老",
        "purchaser": {"kind": "street", "name": "玉林街道"},
        "org_street": "玉林街道",
        "org_community": "黉门街",
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
    }
    contract = open_monitoring(None, award, rules).contract
    assert contract is not None
    return contract


def report(milestone: str = "start", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": "C-1",
        "milestone": milestone,
        "final": milestone == "final",
        "submitted_on": ON_TIME.get(milestone, "2026-02-01"),
        "indicators": {"attendance_rate": 90, "home_visits_done": 80.5},
        "satisfaction": {"respondents": 50, "satisfied": 45},
        "narrative": "按计划完成",
    }
    return {**data, **changes}


def submit(
    contract: MonitoredContract | None, data: dict[str, Any], report_id: str = "R-1", rules: EvaluationRules = RULES
) -> Decision:
    return submit_report(contract, data, report_id=report_id, today=TODAY, rules=rules)


def errors_of(decision: Decision) -> list[dict[str, str]]:
    [event] = decision.events
    assert event.type == REPORT_REJECTED
    errors: list[dict[str, str]] = event.data["errors"]
    return errors


def with_reports(*milestones: str, rules: EvaluationRules = RULES) -> MonitoredContract:
    contract = monitored(rules)
    for milestone in milestones:
        decision = submit(contract, report(milestone), report_id=f"R-{milestone}", rules=rules)
        assert decision.events[0].type == REPORT_ACCEPTED, decision.events
        assert decision.contract is not None
        contract = decision.contract
    return contract


def test_a_report_is_accepted_with_its_milestone_status_and_due_date() -> None:
    decision = submit(monitored(), report("start"))

    [event] = decision.events
    assert event.type == REPORT_ACCEPTED
    assert event.data == {
        "report_id": "R-1",
        "contract_id": "C-1",
        "milestone": "start",
        "status": "met",
        "late": False,
        "achievement": 85.25,
        "submitted_on": "2026-01-20",
        "due_on": "2026-01-31",
        "final": False,
        "version": 2,
    }
    assert decision.contract is not None
    assert decision.contract.status_of("start") == "met"


@pytest.mark.parametrize(
    ("value", "status"),
    [(100, "met"), (80, "met"), (79.99, "partiallyMet"), (50, "partiallyMet"), (49.99, "notMet"), (0, "notMet")],
)
def test_milestone_status_follows_indicator_achievement(value: float, status: str) -> None:
    decision = submit(monitored(), report("start", indicators={"attendance_rate": value}))

    assert decision.events[0].data["status"] == status


def test_status_thresholds_are_configurable() -> None:
    rules = EvaluationRules(thresholds={"met_from": 95, "partially_met_from": 70})

    decision = submit(monitored(rules), report("start", indicators={"a": 90}), rules=rules)

    assert decision.events[0].data["status"] == "partiallyMet"


@pytest.mark.parametrize(("submitted_on", "late"), [("2026-01-31", False), ("2026-02-01", True)])
def test_a_report_after_its_due_date_is_marked_late(submitted_on: str, late: bool) -> None:
    decision = submit(monitored(), report("start", submitted_on=submitted_on))

    assert decision.events[0].data["late"] is late


def test_a_report_without_a_submission_date_counts_as_submitted_today() -> None:
    data = report("mid_term")
    del data["submitted_on"]

    decision = submit(monitored(), data)

    assert decision.events[0].data["submitted_on"] == TODAY.isoformat()
    assert decision.events[0].data["late"] is True


def test_a_report_for_an_unknown_contract_is_refused() -> None:
    decision = submit(None, report("start", contract_id="C-404"))

    assert errors_of(decision) == [{"field": "contract_id", "message": "no contract C-404 is under monitoring"}]
    assert decision.events[0].data["contract_id"] == "C-404"
    assert decision.events[0].data["milestone"] == "start"


def test_a_milestone_the_plan_does_not_have_is_refused_with_the_plan_named() -> None:
    decision = submit(monitored(), report("kickoff"))

    assert errors_of(decision) == [
        {
            "field": "milestone",
            "message": "contract C-1 has no milestone kickoff; its milestones: start, mid_term, final",
        }
    ]


def test_a_milestone_already_reported_by_another_report_is_refused_with_the_earlier_report_named() -> None:
    contract = with_reports("mid_term")

    decision = submit(contract, report("mid_term", submitted_on="2026-07-01"), report_id="R-other")

    assert errors_of(decision) == [
        {"field": "milestone", "message": "milestone mid_term already reported on 2026-06-30 (report R-mid_term)"}
    ]
    assert decision.contract is contract


def test_the_same_report_twice_changes_nothing() -> None:
    contract = with_reports("start")

    decision = submit(contract, report("start"), report_id="R-start")

    assert decision.contract is contract
    assert decision.events == ()


@pytest.mark.parametrize(
    ("indicators", "field", "message"),
    [
        ({"attendance_rate": True}, "indicators.attendance_rate", "must be a number between 0 and 100, got true"),
        ({"attendance_rate": "90"}, "indicators.attendance_rate", 'must be a number between 0 and 100, got "90"'),
        ({"attendance_rate": None}, "indicators.attendance_rate", "must be a number between 0 and 100, got null"),
        ({"attendance_rate": 100.5}, "indicators.attendance_rate", "must be between 0 and 100, got 100.5"),
        ({"attendance_rate": -1}, "indicators.attendance_rate", "must be between 0 and 100, got -1"),
        ({"attendance_rate": float("nan")}, "indicators.attendance_rate", "must be a number between 0 and 100"),
        ({}, "indicators", "Dictionary should have at least 1 item"),
    ],
)
def test_indicators_that_are_not_numbers_from_0_to_100_are_refused_by_name(
    indicators: dict[str, Any], field: str, message: str
) -> None:
    decision = submit(monitored(), report("start", indicators=indicators))

    [error] = errors_of(decision)
    assert error["field"] == field
    assert message in error["message"]


@pytest.mark.parametrize(
    ("satisfaction", "field", "message"),
    [
        (
            {"respondents": 10, "satisfied": 11},
            "satisfaction.satisfied",
            "must not exceed satisfaction.respondents (10)",
        ),
        ({"respondents": -1, "satisfied": 0}, "satisfaction.respondents", "greater than or equal to 0"),
        ({"respondents": 10, "satisfied": -2}, "satisfaction.satisfied", "greater than or equal to 0"),
        ({"respondents": 10.5, "satisfied": 2}, "satisfaction.respondents", "valid integer"),
        ({"respondents": 10}, "satisfaction.satisfied", "is required"),
    ],
)
def test_satisfaction_counts_that_cannot_be_true_are_refused(
    satisfaction: dict[str, Any], field: str, message: str
) -> None:
    decision = submit(monitored(), report("start", satisfaction=satisfaction))

    [error] = errors_of(decision)
    assert error["field"] == field
    assert message in error["message"]


def test_a_final_report_for_a_milestone_that_is_not_the_final_one_is_refused() -> None:
    decision = submit(monitored(), report("start", final=True))

    assert errors_of(decision) == [
        {"field": "final", "message": "a final report must be for the final milestone final, not start"}
    ]


def test_the_final_milestone_reported_without_the_final_flag_is_refused() -> None:
    decision = submit(with_reports("start", "mid_term"), report("final", final=False))

    assert errors_of(decision) == [
        {"field": "final", "message": "the report for the final milestone final must have final: true"}
    ]


def test_a_final_report_before_the_earlier_milestones_is_refused_naming_the_missing_ones() -> None:
    decision = submit(with_reports("mid_term"), report("final"))

    assert errors_of(decision) == [
        {
            "field": "milestone",
            "message": "every earlier milestone must be reported before the final one; missing: start",
        }
    ]


def test_intermediate_milestones_may_be_reported_in_any_order() -> None:
    contract = with_reports("mid_term", "start")

    assert [r.milestone for r in contract.reports] == ["mid_term", "start"]


@pytest.mark.parametrize(
    ("submitted_on", "message"),
    [
        ("2027-01-11", "must not be after today (2027-01-10)"),
        ("2025-12-31", "must not be before the contract starts (2026-01-01)"),
    ],
)
def test_a_submission_date_outside_the_calendar_is_refused(submitted_on: str, message: str) -> None:
    decision = submit(monitored(), report("start", submitted_on=submitted_on))

    assert errors_of(decision) == [{"field": "submitted_on", "message": message}]


def test_a_report_with_many_faults_names_every_one_and_changes_nothing() -> None:
    contract = monitored()
    data = {
        "contract_id": "C-1",
        "milestone": "start",
        "final": "yes",
        "indicators": {"a": 120, "b": False},
        "satisfaction": {"respondents": 3, "satisfied": 4},
        "extra": 1,
    }

    decision = submit(contract, data)

    assert {e["field"] for e in errors_of(decision)} == {
        "final",
        "indicators.a",
        "indicators.b",
        "satisfaction.satisfied",
        "extra",
    }
    assert decision.contract is contract


def test_a_body_that_is_not_an_object_is_refused_without_ids() -> None:
    decision = submit(monitored(), {"contract_id": 7, "milestone": ["start"]})

    [event] = decision.events
    assert "contract_id" not in event.data
    assert "milestone" not in event.data
    assert {"contract_id", "milestone", "final", "indicators", "satisfaction"} <= {
        e["field"] for e in event.data["errors"]
    }


def test_the_final_report_evaluates_the_contract() -> None:
    contract = with_reports("start", "mid_term")

    decision = submit(contract, report("final"), report_id="R-final")

    accepted, evaluated = decision.events
    assert accepted.type == REPORT_ACCEPTED
    assert accepted.data["final"] is True
    assert evaluated.type == CONTRACT_EVALUATED
    # achievement 85.25 each, satisfaction 45/50 = 90 %, every milestone on time: 42.625 + 36 + 10
    assert evaluated.data["score"] == 88.63
    assert evaluated.data["rating"] == "good"
    assert evaluated.data["breakdown"]["satisfaction"] == {"measure": 90.0, "weight": 40, "points": 36.0}
    assert evaluated.data["payment_recommendation"]["release_fen"] == 1_000_000
    assert evaluated.data["payment_recommendation"]["withhold_fen"] == 0
    assert (evaluated.data["evaluated_on"], evaluated.data["version"]) == ("2027-01-10", 5)
    assert decision.contract is not None
    assert decision.contract.evaluation is not None


def test_no_report_is_accepted_after_the_contract_is_evaluated() -> None:
    contract = with_reports("start", "mid_term", "final")

    decision = submit(contract, report("final", submitted_on="2027-01-01"), report_id="R-late")

    assert errors_of(decision)[0]["message"] == "milestone final already reported on 2026-12-31 (report R-final)"


SCORE_EQUALS_ACHIEVEMENT = EvaluationRules(weights=ScoreWeights(indicators=100, satisfaction=0, timeliness=0))


def evaluated_with_achievements(*values: float) -> dict[str, Any]:
    contract = monitored(SCORE_EQUALS_ACHIEVEMENT)
    decision: Decision | None = None
    for milestone, value in zip(("start", "mid_term", "final"), values, strict=True):
        data = report(milestone, indicators={"a": value})
        decision = submit(contract, data, report_id=f"R-{milestone}", rules=SCORE_EQUALS_ACHIEVEMENT)
        assert decision.contract is not None
        contract = decision.contract
    assert decision is not None
    return decision.events[-1].data


@pytest.mark.parametrize(
    ("value", "rating"),
    [(59.99, "fail"), (60, "pass"), (79.99, "pass"), (80, "good"), (89.99, "good"), (90, "excellent")],
)
def test_every_rating_boundary_holds_end_to_end(value: float, rating: str) -> None:
    evaluated = evaluated_with_achievements(value, value, value)

    assert (evaluated["score"], evaluated["rating"]) == (value, rating)


def test_the_score_is_rounded_half_up_before_it_is_rated() -> None:
    # mean of 59.99, 60, 60 is 59.9966..., which rounds to 60.00: a pass
    evaluated = evaluated_with_achievements(59.99, 60, 60)

    assert (evaluated["score"], evaluated["rating"]) == (60.0, "pass")


def test_a_contract_survives_a_round_trip_through_json_unchanged() -> None:
    contract = with_reports("start", "mid_term", "final")

    assert MonitoredContract.model_validate(contract.model_dump(mode="json")) == contract
