"""What the clock finds: a milestone overdue the day after its due date without an accepted report (announced
once), met again once its report is accepted (announced once), and the final tranche once the evaluation stands."""

from __future__ import annotations

from datetime import date, timedelta

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.deadlines import announcement_id, on_day
from shared.contracts.evaluation import MILESTONE_MET, MILESTONE_OVERDUE, PAYMENT_RELEASED
from tests.unit.evaluation_examples import (
    DUE,
    RULES,
    delivered,
    delivered_all,
    events_of,
    lodge_appeal,
    monitored,
    ok,
    report,
    submit_report,
)


def checked(contract: MonitoredContract, today: date) -> MonitoredContract:
    decision = on_day(contract, today, RULES)
    assert decision.contract is not None
    return decision.contract


def test_nothing_is_overdue_on_the_due_date() -> None:
    decision = on_day(monitored(), DUE["start"], RULES)

    assert decision.events == () and decision.contract == monitored()


def test_a_milestone_without_an_accepted_report_is_overdue_the_day_after_its_due_date() -> None:
    decision = on_day(monitored(), DUE["start"] + timedelta(days=1), RULES)

    [overdue] = events_of(decision, MILESTONE_OVERDUE)
    assert overdue == {
        "contract_id": "C-1", "project_id": "P-1", "org_id": "O-1", "purchaser": {"kind": "street", "name": "玉林街道"},
        "milestone": "start", "due_on": "2026-01-31", "overdue_on": "2026-02-01", "awaiting_review": None,
    }
    assert decision.contract is not None and decision.contract.version == 2


def test_an_overdue_milestone_is_announced_once_whatever_the_clock_finds_later() -> None:
    contract = checked(monitored(), date(2026, 2, 1))

    later = on_day(contract, date(2026, 3, 1), RULES)

    assert later.events == () and later.contract is contract


def test_every_milestone_past_its_due_date_is_announced_on_the_day_the_clock_first_sees_it() -> None:
    decision = on_day(monitored(), date(2026, 8, 1), RULES)

    assert [(e["milestone"], e["overdue_on"]) for e in events_of(decision, MILESTONE_OVERDUE)] == [
        ("start", "2026-08-01"), ("mid_term", "2026-08-01")]


def test_a_report_awaiting_review_does_not_stop_the_alert_but_is_named_in_it() -> None:
    contract = ok(submit_report(monitored(), report("start"), report_id="R-1", today=date(2026, 1, 30)))

    [overdue] = events_of(on_day(contract, date(2026, 2, 1), RULES), MILESTONE_OVERDUE)

    assert overdue["awaiting_review"] == "R-1"


def test_an_accepted_report_on_time_leaves_nothing_overdue() -> None:
    contract = ok(delivered(monitored(), "start", received=DUE["start"]))

    assert events_of(on_day(contract, date(2026, 2, 1), RULES), MILESTONE_OVERDUE) == []


def test_an_overdue_milestone_is_announced_met_once_its_report_is_accepted_and_only_once() -> None:
    contract = checked(monitored(), date(2026, 2, 1))
    contract = ok(delivered(contract, "start", received=date(2026, 2, 10), reviewed=date(2026, 2, 12)))

    decision = on_day(contract, date(2026, 2, 13), RULES)

    [met] = events_of(decision, MILESTONE_MET)
    assert met == {"contract_id": "C-1", "project_id": "P-1", "org_id": "O-1", "milestone": "start",
                   "due_on": "2026-01-31", "met_on": "2026-02-12", "days_late": 12, "status": "met",
                   "report_id": "R-C-1-start-1"}
    assert decision.contract is not None
    assert on_day(decision.contract, date(2026, 2, 14), RULES).events == ()


def test_a_milestone_never_overdue_is_not_announced_met() -> None:
    contract = ok(delivered(monitored(), "start"))

    assert on_day(contract, date(2026, 2, 1), RULES).events == ()


def test_the_final_tranche_waits_through_the_last_day_of_the_appeal_window() -> None:
    contract = delivered_all()
    assert contract.evaluation is not None
    until = contract.evaluation.appeal_until

    assert events_of(on_day(contract, until, RULES), PAYMENT_RELEASED) == []
    decision = on_day(contract, until + timedelta(days=1), RULES)

    [released] = events_of(decision, PAYMENT_RELEASED)
    assert (released["milestone"], released["amount_fen"], released["released_on"]) == (
        "final", 300_000, (until + timedelta(days=1)).isoformat())
    assert decision.contract is not None and decision.contract.closed and decision.contract.due_fen == 0


def test_the_appeal_window_is_counted_in_working_days() -> None:
    contract = delivered_all()  # evaluated on Sunday 2026-12-20

    assert contract.evaluation is not None
    assert contract.evaluation.appeal_until == date(2026, 12, 29)  # the 7th working day after


def test_an_open_appeal_holds_the_final_tranche_back() -> None:
    contract = delivered_all()
    assert contract.evaluation is not None
    appealed = ok(lodge_appeal(contract, {"contract_id": "C-1", "grounds": "满意度调查样本被漏计"},
                               appeal_id="A-1", today=contract.evaluation.evaluated_on))

    assert on_day(appealed, date(2027, 3, 1), RULES).events == ()


def test_each_announcement_has_one_id_whoever_makes_it() -> None:
    first = on_day(monitored(), date(2026, 8, 1), RULES)
    second = on_day(monitored(), date(2026, 8, 2), RULES)

    assert [announcement_id(e) for e in first.events] == [announcement_id(e) for e in second.events]
    assert len({announcement_id(e) for e in first.events}) == 2
