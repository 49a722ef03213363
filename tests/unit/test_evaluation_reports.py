"""Milestone reports: received with an OCDS status and lateness judged by the district's receipt date, awaiting the
purchaser's review; or refused with every reason named."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.rules import EvaluationRules
from shared.contracts.evaluation import REPORT_ACCEPTED
from tests.unit.evaluation_examples import (
    DUE,
    ON_TIME,
    RULES,
    errors_of,
    monitored,
    ok,
    report,
    review,
    review_report,
    submit_report,
)

RECEIVED = date(2026, 1, 20)


def submit(contract: MonitoredContract | None, data: dict[str, Any], report_id: str = "R-1",
           today: date = RECEIVED, rules: EvaluationRules = RULES) -> Decision:
    return submit_report(contract, data, report_id=report_id, today=today, rules=rules)


def returned(contract: MonitoredContract, report_id: str, today: date = RECEIVED) -> MonitoredContract:
    return ok(review_report(contract, review(report_id, accepted=False), review_id=f"V-{report_id}", today=today))


def test_a_report_is_received_judged_and_left_for_the_purchasers_review() -> None:
    decision = submit(monitored(), report("start", submitted_on="2026-01-19"))

    [event] = decision.events
    assert event.type == REPORT_ACCEPTED
    assert event.data == {
        "report_id": "R-1", "contract_id": "C-1", "milestone": "start", "revision": 1, "status": "met",
        "late": False, "achievement": 85.25, "submitted_on": "2026-01-20", "dated": "2026-01-19",
        "due_on": "2026-01-31", "final": False, "review": "pending", "version": 2,
    }
    assert decision.contract is not None
    assert decision.contract.status_of("start") == "scheduled", "a report counts only once its purchaser accepts it"


@pytest.mark.parametrize(
    ("value", "status"),
    [(100, "met"), (80, "met"), (79.99, "partiallyMet"), (50, "partiallyMet"), (49.99, "notMet"), (0, "notMet")],
)
def test_the_judged_status_follows_indicator_achievement(value: float, status: str) -> None:
    decision = submit(monitored(), report("start", indicators={"attendance_rate": value}))

    assert decision.events[0].data["status"] == status


def test_status_thresholds_are_configurable() -> None:
    rules = EvaluationRules(thresholds={"met_from": 95, "partially_met_from": 70})

    decision = submit(monitored(rules), report("start", indicators={"a": 90}), rules=rules)

    assert decision.events[0].data["status"] == "partiallyMet"


@pytest.mark.parametrize(("received", "late"), [(DUE["start"], False), (DUE["start"] + timedelta(days=1), True)])
def test_a_report_received_after_its_due_date_is_late(received: date, late: bool) -> None:
    decision = submit(monitored(), report("start"), today=received)

    assert decision.events[0].data["late"] is late


def test_a_backdated_report_is_judged_late_by_the_day_the_district_received_it() -> None:
    decision = submit(monitored(), report("start", submitted_on="2026-01-30"), today=date(2026, 2, 10))

    event = decision.events[0].data
    assert (event["dated"], event["submitted_on"], event["late"]) == ("2026-01-30", "2026-02-10", True)


def test_a_report_without_a_date_of_its_own_is_judged_by_its_receipt() -> None:
    decision = submit(monitored(), report("mid_term"), today=date(2026, 7, 3))

    assert (decision.events[0].data["dated"], decision.events[0].data["late"]) == (None, True)


@pytest.mark.parametrize(
    ("submitted_on", "message"),
    [
        ("2026-01-21", "must not be after the day the district received the report (2026-01-20)"),
        ("2025-12-31", "must not be before the contract starts (2026-01-01)"),
    ],
)
def test_a_date_of_the_senders_outside_the_calendar_is_refused(submitted_on: str, message: str) -> None:
    decision = submit(monitored(), report("start", submitted_on=submitted_on))

    assert errors_of(decision) == [{"field": "submitted_on", "message": message}]


def test_the_final_report_is_received_from_the_first_day_of_the_margin() -> None:
    first = date(2026, 12, 1)  # 30 days before the contract ends on 2026-12-31

    on_first_day = submit(monitored(), report("final"), today=first)

    assert on_first_day.events[0].type == REPORT_ACCEPTED


def test_a_final_report_before_the_margin_is_refused_naming_the_rule() -> None:
    decision = submit(monitored(), report("final"), today=date(2026, 11, 30))

    assert errors_of(decision) == [{"field": "final", "message": (
        "a final report is received from 2026-12-01, 30 days before the contract ends on 2026-12-31 (final-report "
        "margin); this one was received on 2026-11-30")}]


def test_the_final_report_margin_is_configurable() -> None:
    rules = EvaluationRules(final_report_margin_days=0)

    decision = submit(monitored(rules), report("final"), today=date(2026, 12, 30), rules=rules)

    assert "received from 2026-12-31" in errors_of(decision)[0]["message"]


def test_a_margin_longer_than_the_contract_allows_a_final_report_from_its_start() -> None:
    contract = monitored(period={"start": "2026-12-10", "end": "2026-12-31"})

    assert submit(contract, report("final"), today=date(2026, 12, 10)).events[0].type == REPORT_ACCEPTED


def test_a_report_for_an_unknown_contract_is_refused() -> None:
    decision = submit(None, report("start", contract_id="C-404"))

    assert errors_of(decision) == [{"field": "contract_id", "message": "no contract C-404 is under monitoring"}]
    assert (decision.events[0].data["contract_id"], decision.events[0].data["milestone"]) == ("C-404", "start")


def test_a_milestone_the_plan_does_not_have_is_refused_with_the_plan_named() -> None:
    decision = submit(monitored(), report("kickoff"))

    assert errors_of(decision) == [{"field": "milestone", "message": (
        "contract C-1 has no milestone kickoff; its milestones: start, mid_term, final")}]


def test_a_second_report_while_one_awaits_review_is_refused_naming_the_first() -> None:
    contract = ok(submit(monitored(), report("start")))

    decision = submit(contract, report("start", indicators={"a": 40}), report_id="R-2")

    assert errors_of(decision) == [{"field": "milestone", "message": (
        "milestone start already has report R-1 (received 2026-01-20) awaiting the purchaser's review; submit "
        "again only once it is returned")}]
    assert decision.contract is contract


def test_a_report_for_a_milestone_already_accepted_is_refused() -> None:
    contract = ok(submit(monitored(), report("start")))
    contract = ok(review_report(contract, review("R-1"), review_id="V-1", today=date(2026, 1, 22)))

    decision = submit(contract, report("start"), report_id="R-2", today=date(2026, 1, 25))

    assert errors_of(decision) == [{"field": "milestone", "message": (
        "milestone start is already met by report R-1, accepted by the purchaser on 2026-01-22")}]


def test_a_returned_report_is_submitted_again_as_the_next_revision() -> None:
    contract = returned(ok(submit(monitored(), report("start"))), "R-1")

    decision = submit(contract, report("start", indicators={"a": 95}), report_id="R-2", today=date(2026, 1, 28))

    assert decision.events[0].data["revision"] == 2
    assert decision.contract is not None
    assert [(r.report_id, r.state) for r in decision.contract.reports_for("start")] == [
        ("R-1", "returned"), ("R-2", "pending")]


def test_the_same_report_twice_changes_nothing() -> None:
    contract = ok(submit(monitored(), report("start")))

    decision = submit(contract, report("start"), report_id="R-1")

    assert decision.contract is contract
    assert decision.events == ()


def test_milestones_may_be_reported_in_any_order_the_final_one_included() -> None:
    contract = ok(submit(monitored(), report("final"), report_id="R-f", today=ON_TIME["final"]))
    contract = ok(submit(contract, report("mid_term"), report_id="R-m", today=ON_TIME["final"]))

    assert [r.milestone for r in contract.reports] == ["final", "mid_term"]


def test_a_final_report_for_a_milestone_that_is_not_the_final_one_is_refused() -> None:
    decision = submit(monitored(), report("start", final=True))

    assert errors_of(decision) == [
        {"field": "final", "message": "a final report must be for the final milestone final, not start"}]


def test_the_final_milestone_reported_without_the_final_flag_is_refused() -> None:
    decision = submit(monitored(), report("final", final=False), today=ON_TIME["final"])

    assert errors_of(decision) == [
        {"field": "final", "message": "the report for the final milestone final must have final: true"}]


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
    [error] = errors_of(submit(monitored(), report("start", indicators=indicators)))

    assert error["field"] == field
    assert message in error["message"]


@pytest.mark.parametrize(
    ("satisfaction", "field", "message"),
    [
        ({"respondents": 10, "satisfied": 11}, "satisfaction.satisfied",
         "must not exceed satisfaction.respondents (10)"),
        ({"respondents": -1, "satisfied": 0}, "satisfaction.respondents", "greater than or equal to 0"),
        ({"respondents": 10, "satisfied": -2}, "satisfaction.satisfied", "greater than or equal to 0"),
        ({"respondents": 10.5, "satisfied": 2}, "satisfaction.respondents", "valid integer"),
        ({"respondents": 10}, "satisfaction.satisfied", "is required"),
    ],
)
def test_satisfaction_counts_that_cannot_be_true_are_refused(
    satisfaction: dict[str, Any], field: str, message: str
) -> None:
    [error] = errors_of(submit(monitored(), report("start", satisfaction=satisfaction)))

    assert error["field"] == field
    assert message in error["message"]


@pytest.mark.parametrize(
    ("evidence", "field", "message"),
    [
        ([{"title": "签到表"}], "evidence[0]", "needs a url or a hash"),
        ([{"title": "签到表", "url": "ftp://x"}], "evidence[0].url", "should match pattern"),
        ([{"title": "签到表", "hash": "md5:abc"}], "evidence[0].hash", "should match pattern"),
        ([{"title": "", "url": "https://example.org/a.pdf"}], "evidence[0].title", "at least 1 character"),
    ],
)
def test_evidence_a_person_cannot_find_is_refused_by_name(evidence: list[Any], field: str, message: str) -> None:
    [error] = errors_of(submit(monitored(), report("start", evidence=evidence)))

    assert error["field"] == field
    assert message in error["message"]


def test_a_report_with_many_faults_names_every_one_and_changes_nothing() -> None:
    contract = monitored()
    data = {"contract_id": "C-1", "milestone": "start", "final": "yes", "indicators": {"a": 120, "b": False},
            "satisfaction": {"respondents": 3, "satisfied": 4}, "extra": 1}

    decision = submit(contract, data)

    assert {e["field"] for e in errors_of(decision)} == {
        "final", "indicators.a", "indicators.b", "satisfaction.satisfied", "extra"}
    assert decision.contract is contract


def test_a_body_that_is_not_an_object_is_refused_without_ids() -> None:
    decision = submit(monitored(), {"contract_id": 7, "milestone": ["start"]})

    [event] = decision.events
    assert "contract_id" not in event.data and "milestone" not in event.data
    assert {"contract_id", "milestone", "final", "indicators", "satisfaction"} <= {
        e["field"] for e in event.data["errors"]}


def test_a_contract_survives_a_round_trip_through_json_unchanged() -> None:
    contract = returned(ok(submit(monitored(), report("start"))), "R-1")
    contract = ok(submit(contract, report("start"), report_id="R-2", today=date(2026, 1, 28)))

    assert MonitoredContract.model_validate(contract.model_dump(mode="json")) == contract
