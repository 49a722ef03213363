"""An award's standstill: its end in working days of the district's calendar, the suspension a complaint causes
and its resumption, and the award becoming final (or cancelled, its project withdrawn) once it has run out."""

from __future__ import annotations

from datetime import date

import pytest

from services.matching.domain.standstill import (
    Award,
    contract,
    dismiss,
    open_to_complaint,
    proposed,
    standstill_end,
    standstill_over,
    suspend,
)
from shared.calendar import DistrictCalendar
from shared.contracts.matching import AwardProposed
from tests.unit.matching_examples import project

# National Day 2015: 1-7 October off, Saturday 10 October a make-up working day.
CALENDAR = DistrictCalendar.of("Asia/Shanghai", holidays=[date(2015, 10, d) for d in range(1, 8)],
                               working_weekends=[date(2015, 10, 10)])
MONDAY = date(2015, 3, 2)


def award(decided_on: date = MONDAY, days: int = 7) -> Award:
    terms = AwardProposed(
        award_id="a-1", contract_id="c-1", fair_id="f-1", project_id="p-1", org_id="o-1", amount_fen=90_000,
        budget_fen=100_000, fit_score=78.5, price_points=2.0, value_score=80.5, breakdown={}, title="日间照料",
        category="助老", purchaser={"kind": "street", "name": "望江路街道"}, org_street="望江路街道",
        org_community=None, period={"start": "2015-04-01", "end": "2016-03-31"}, proposed_on=decided_on,
        standstill_ends=standstill_end(CALENDAR, decided_on, days))
    return proposed(terms)


@pytest.mark.parametrize(("decided_on", "ends"), [
    (date(2015, 3, 2), date(2015, 3, 11)),
    (date(2015, 3, 6), date(2015, 3, 17)),
    (date(2015, 4, 28), date(2015, 5, 7)),
    (date(2015, 9, 29), date(2015, 10, 14)),  # 30 Sep, 8, 9, Sat 10 (make-up), 12, 13, 14 Oct
], ids=["monday-to-wednesday", "friday-skips-two-weekends", "across-a-month-end", "across-national-day"])
def test_the_standstill_ends_seven_working_days_after_the_decision(decided_on: date, ends: date) -> None:
    assert award(decided_on).standstill_ends == ends


def test_a_complaint_may_be_filed_up_to_the_last_day_of_the_standstill_and_not_after() -> None:
    standing = award()
    assert open_to_complaint(standing, date(2015, 3, 11))
    assert not open_to_complaint(standing, date(2015, 3, 12))


def test_the_award_stands_still_through_its_last_day_and_is_final_the_day_after() -> None:
    standing = award()
    assert standstill_over(standing, project("p-1"), date(2015, 3, 11)) is None
    final = standstill_over(standing, project("p-1"), date(2015, 3, 12))
    assert final is not None and (final.status, final.final_on, final.version) == ("final", date(2015, 3, 12), 2)
    made = contract(final)
    assert (made.contract_id, made.award_id, made.awarded_on, made.amount_fen) == (
        "c-1", "a-1", date(2015, 3, 12), 90_000)


def test_a_project_withdrawn_during_the_standstill_cancels_the_award_instead_of_a_contract() -> None:
    over = standstill_over(award(), project("p-1", status="withdrawn"), date(2015, 3, 12))
    assert over is not None and over.status == "cancelled"
    assert over.reason == "the purchaser withdrew the project during the standstill"


def test_a_complaint_suspends_the_standstill_keeping_the_working_days_left_after_the_filing_day() -> None:
    challenged = suspend(award(), "k-1", date(2015, 3, 4), CALENDAR)  # Wednesday: Thu 5 .. Wed 11 remain
    assert (challenged.status, challenged.days_left, challenged.open_complaints) == ("challenged", 5, ("k-1",))
    assert standstill_over(challenged, project("p-1"), date(2015, 4, 1)) is None  # suspended: never final alone


def test_a_dismissed_complaint_resumes_the_standstill_where_it_stopped() -> None:
    challenged = suspend(award(), "k-1", date(2015, 3, 4), CALENDAR)
    resumed = dismiss(challenged, "k-1", date(2015, 3, 20), CALENDAR)  # a Friday: 5 working days on is Fri 27
    assert (resumed.status, resumed.standstill_ends, resumed.days_left) == ("proposed", date(2015, 3, 27), None)


def test_a_complaint_on_the_last_day_dismissed_makes_the_award_final_at_once() -> None:
    challenged = suspend(award(), "k-1", date(2015, 3, 11), CALENDAR)
    assert challenged.days_left == 0
    final = dismiss(challenged, "k-1", date(2015, 3, 18), CALENDAR)
    assert (final.status, final.final_on) == ("final", date(2015, 3, 18))


def test_a_second_complaint_keeps_the_award_suspended_until_both_are_decided() -> None:
    first = suspend(award(), "k-1", date(2015, 3, 3), CALENDAR)
    both = suspend(first, "k-2", date(2015, 3, 5), CALENDAR)
    assert (both.days_left, both.open_complaints) == (first.days_left, ("k-1", "k-2"))
    one_left = dismiss(both, "k-1", date(2015, 3, 9), CALENDAR)
    assert (one_left.status, one_left.open_complaints) == ("challenged", ("k-2",))
    assert open_to_complaint(one_left, date(2015, 3, 30))  # suspended with days left: the window is still open
    resumed = dismiss(one_left, "k-2", date(2015, 3, 10), CALENDAR)
    assert (resumed.status, resumed.standstill_ends) == ("proposed", CALENDAR.add_working_days(date(2015, 3, 10), 6))
