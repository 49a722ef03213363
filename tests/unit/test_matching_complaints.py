"""Complaints against an award (质疑): who may file one and when, each refusal naming its rule; and the decision on
one: dismissed, the award proceeds; upheld, it is cancelled and its project awarded again, or left unawarded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.matching.domain.awards import award_id_for, decide_awards
from services.matching.domain.complaints import (
    Complaint,
    ComplaintOutcome,
    Reoffer,
    complaint_id_for,
    decide_complaint,
    file_complaint,
)
from services.matching.domain.standstill import Award, cancel, proposed, standstill_over, suspend
from shared.calendar import DistrictCalendar
from shared.contracts.matching import ComplaintDecision, ComplaintFiled
from shared.intake import read_intake
from shared.outcome import Emit
from tests.unit.matching_examples import RULES, interest, profile, project

CALENDAR = DistrictCalendar()
DECIDED = date(2026, 6, 1)  # a Monday: the standstill ends on Wednesday 2026-06-10
FAIR = "fair-1"
P1 = project("p-1")
WINNER, RUNNER_UP, THIRD = (profile("o-1", grade_code="5A"), profile("o-2", grade_code="4A"),
                            profile("o-3", grade_code="3A"))
INTERESTS = [interest(FAIR, who, P1) for who in (WINNER, RUNNER_UP, THIRD)]


def the_award() -> Award:
    [terms] = decide_awards(FAIR, "2015-1", [P1], {p.org_id: p for p in (WINNER, RUNNER_UP, THIRD)}, INTERESTS,
                            DECIDED, RULES.eligibility, RULES.fit, RULES.award,
                            standstill_ends=CALENDAR.add_working_days(DECIDED, 7)).awards
    assert terms.org_id == "o-1"
    return proposed(terms)


AWARD = the_award()


def file(org_id: str = "o-2", on: date = date(2026, 6, 3), award: Award | None = AWARD, interested: bool = True,
         earlier: Complaint | None = None) -> tuple[Complaint | None, Award | None, list[Emit]]:
    request = ComplaintFiled(award_id=AWARD.award_id, org_id=org_id, grounds="评分中场地条件一项计算有误")
    return file_complaint(request, award=award, interested=interested, earlier=earlier, today=on, calendar=CALENDAR)


def errors(emits: list[Emit]) -> dict[str, str]:
    [emit] = emits
    assert emit.type == "matching.complaint.rejected"
    return {e["field"]: e["message"] for e in emit.data["errors"]}


def test_an_interested_organization_within_the_standstill_is_heard_and_the_award_suspended() -> None:
    complaint, award, [registered] = file()
    assert complaint is not None and award is not None
    assert complaint.complaint_id == complaint_id_for(AWARD.award_id, "o-2")
    assert (award.status, award.days_left, award.open_complaints) == ("challenged", 5, (complaint.complaint_id,))
    assert registered.type == "matching.complaint.registered"
    assert registered.data | {} == {
        "complaint_id": complaint.complaint_id, "award_id": AWARD.award_id, "fair_id": FAIR, "project_id": "p-1",
        "org_id": "o-2", "grounds": "评分中场地条件一项计算有误", "filed_on": "2026-06-03", "days_left": 5}


REFUSALS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("known_award", {"award": None}, {"award_id": f"no award {AWARD.award_id} (rule: known_award)"}),
    ("standstill", {"on": date(2026, 6, 11)}, {"award_id": (
        "the standstill ended on 2026-06-10; a complaint must be filed by then (rule: standstill)")}),
    ("final", {"award": standstill_over(AWARD, P1, date(2026, 6, 11)), "on": date(2026, 6, 11)}, {"award_id": (
        f"the award is final: its standstill ended on 2026-06-10 and it became contract {AWARD.terms.contract_id} "
        "on 2026-06-11 (rule: standstill)")}),
    ("award_cancelled", {"award": cancel(AWARD, "complaint upheld", date(2026, 6, 2))}, {"award_id": (
        "the award was cancelled on 2026-06-02: complaint upheld (rule: award_cancelled)")}),
    ("interested", {"org_id": "o-9", "interested": False}, {"org_id": (
        "the organization expressed no interest in project p-1 at this fair; only one that did may challenge its "
        "award (rule: interested)")}),
    ("own_award", {"org_id": "o-1"}, {"org_id": (
        "the award went to this organization; it cannot challenge its own award (rule: own_award)")}),
]


@pytest.mark.parametrize(("given", "expected"), [(g, e) for _, g, e in REFUSALS], ids=[r for r, _, _ in REFUSALS])
def test_a_complaint_that_breaks_a_rule_is_refused_naming_it_and_changes_nothing(
    given: dict[str, Any], expected: dict[str, str],
) -> None:
    complaint, award, emits = file(**given)
    assert (complaint, award) == (None, None)
    assert errors(emits) == expected


def test_an_organization_challenges_an_award_once() -> None:
    first, _, _ = file()
    assert first is not None
    complaint, award, emits = file(earlier=first)
    assert (complaint, award) == (None, None)
    assert errors(emits) == {"org_id": (
        f"the organization already challenged this award on 2026-06-03 (complaint {first.complaint_id}, open) "
        "(rule: once)")}


def test_every_broken_rule_is_named_at_once() -> None:
    _, _, emits = file(org_id="o-9", interested=False, on=date(2026, 6, 12))
    assert set(errors(emits)) == {"award_id", "org_id"}


@pytest.mark.parametrize(("model", "data", "field"), [
    (ComplaintFiled, {"award_id": "a", "org_id": "o", "grounds": "   "}, "grounds"),
    (ComplaintDecision, {"complaint_id": "k", "upheld": True, "reasoning": ""}, "reasoning"),
    (ComplaintDecision, {"complaint_id": "k", "upheld": "yes", "reasoning": "经复核"}, "upheld"),
], ids=["no-grounds", "no-reasoning", "upheld-not-a-boolean"])
def test_a_complaint_without_grounds_or_a_decision_without_reasoning_is_refused_naming_the_field(
    model: type[ComplaintFiled] | type[ComplaintDecision], data: dict[str, Any], field: str,
) -> None:
    read = read_intake(model, data, rejected="matching.complaint.rejected")
    assert isinstance(read, Emit) and [e["field"] for e in read.data["errors"]] == [field]
    if field != "upheld":
        assert read.data["errors"][0]["message"].endswith(f"(rule: {field})")


# --- decisions ----------------------------------------------------------------------------------------------


def challenged() -> tuple[Complaint, Award]:
    complaint, award, _ = file()
    assert complaint is not None and award is not None
    return complaint, award


def decide(complaint: Complaint | None, award: Award | None, upheld: bool, on: date,
           others: list[Complaint] | None = None, reoffer: Reoffer | None = None) -> ComplaintOutcome:
    request = ComplaintDecision(complaint_id=complaint.complaint_id if complaint else "k-x", upheld=upheld,
                                reasoning="经复核")
    profiles = {p.org_id: p for p in (WINNER, RUNNER_UP, THIRD)}
    return decide_complaint(request, complaint=complaint, award=award, others=others or [],
                            reoffer=reoffer or Reoffer(P1, profiles, INTERESTS), today=on, calendar=CALENDAR,
                            rules=RULES)


def test_a_dismissed_complaint_lets_the_award_proceed_with_its_standstill_resumed() -> None:
    complaint, award = challenged()
    outcome = decide(complaint, award, upheld=False, on=date(2026, 6, 15))
    assert outcome.complaint is not None and outcome.complaint.status == "dismissed"
    assert outcome.award is not None and outcome.award.status == "proposed"
    assert outcome.award.standstill_ends == date(2026, 6, 22)  # 5 working days after Monday 15 June
    assert outcome.contract is None and outcome.new_award is None
    [decided] = outcome.emits
    assert decided.data | {} == {"complaint_id": complaint.complaint_id, "award_id": award.award_id,
                                 "upheld": False, "reasoning": "经复核", "decided_on": "2026-06-15",
                                 "award_status": "proposed", "standstill_ends": "2026-06-22"}


def test_a_complaint_dismissed_after_the_standstill_would_have_ended_with_no_days_left_makes_the_contract() -> None:
    complaint, _, _ = file(on=date(2026, 6, 10))
    award = suspend(AWARD, complaint.complaint_id if complaint else "", date(2026, 6, 10), CALENDAR)
    outcome = decide(complaint, award, upheld=False, on=date(2026, 6, 17))
    assert outcome.award is not None and outcome.award.status == "final"
    assert outcome.contract is not None and outcome.contract.awarded_on == date(2026, 6, 17)
    assert outcome.emits[0].data["award_status"] == "final"


def test_an_upheld_complaint_cancels_the_award_and_awards_the_project_to_the_next_best_organization() -> None:
    complaint, award = challenged()
    outcome = decide(complaint, award, upheld=True, on=date(2026, 6, 5))
    assert outcome.award is not None and outcome.award.status == "cancelled"
    assert outcome.new_award is not None and outcome.new_award.terms.org_id == "o-2"
    new = outcome.new_award.terms
    assert (new.replaces, new.proposed_on, new.standstill_ends) == (award.award_id, date(2026, 6, 5),
                                                                    date(2026, 6, 16))
    assert [e.type for e in outcome.emits] == [
        "matching.complaint.decided", "matching.award.cancelled", "matching.award.proposed"]
    cancelled = outcome.emits[1].data
    assert cancelled["reason"] == f"complaint {complaint.complaint_id} upheld on 2026-06-05: 经复核"
    assert (cancelled["award_id"], cancelled["org_id"], cancelled["complaint_id"]) == (
        award.award_id, "o-1", complaint.complaint_id)
    assert outcome.emits[2].data["award_id"] == award_id_for(FAIR, "p-1", "o-2")


def test_the_other_open_complaints_are_closed_with_a_cancelled_award() -> None:
    complaint, award = challenged()
    other = Complaint(complaint_id="k-3", award_id=award.award_id, fair_id=FAIR, project_id="p-1", org_id="o-3",
                      grounds="资质", filed_on=date(2026, 6, 4))
    both = award.model_copy(update={"open_complaints": (complaint.complaint_id, "k-3")})
    outcome = decide(complaint, both, upheld=True, on=date(2026, 6, 5), others=[complaint, other])
    [closed] = outcome.closed
    assert (closed.complaint_id, closed.status, closed.decided_on) == ("k-3", "closed", date(2026, 6, 5))
    assert outcome.emits[1].data["closed_complaints"] == ["k-3"]


def test_an_upheld_complaint_with_nobody_left_leaves_the_project_unawarded_and_on_offer() -> None:
    complaint, award = challenged()
    alone = [i for i in INTERESTS if i.org_id == "o-1"]
    outcome = decide(complaint, award, upheld=True, on=date(2026, 6, 5),
                     reoffer=Reoffer(P1, {"o-1": WINNER}, alone))
    assert outcome.new_award is None
    assert [e.type for e in outcome.emits][-1] == "matching.project.unawarded"
    assert outcome.emits[-1].data["award_id"] == award.award_id


def test_organizations_whose_award_of_the_project_was_cancelled_before_are_not_awarded_it_again() -> None:
    complaint, award = challenged()
    profiles = {p.org_id: p for p in (WINNER, RUNNER_UP, THIRD)}
    outcome = decide(complaint, award, upheld=True, on=date(2026, 6, 5),
                     reoffer=Reoffer(P1, profiles, INTERESTS, cancelled_orgs=frozenset({"o-2"})))
    assert outcome.new_award is not None and outcome.new_award.terms.org_id == "o-3"


def test_a_decision_on_an_unknown_complaint_is_refused() -> None:
    outcome = decide(None, None, upheld=True, on=date(2026, 6, 5))
    assert errors(outcome.emits) == {"complaint_id": "no complaint k-x (rule: known_complaint)"}
    assert (outcome.complaint, outcome.award) == (None, None)


def test_a_decision_on_a_complaint_whose_award_is_unknown_is_refused_not_left_unanswered() -> None:
    complaint, _ = challenged()
    outcome = decide(complaint, None, upheld=False, on=date(2026, 6, 5))
    assert errors(outcome.emits) == {"complaint_id": (
        f"the complaint's award {AWARD.award_id} is unknown (rule: known_award)")}


def test_a_decided_or_closed_complaint_is_not_decided_again() -> None:
    complaint, award = challenged()
    dismissed = replace_complaint(complaint, status="dismissed", decided_on=date(2026, 6, 5))
    assert errors(decide(dismissed, award, upheld=True, on=date(2026, 6, 8)).emits) == {"complaint_id": (
        "the complaint was already dismissed on 2026-06-05; a decision stands (rule: decided_once)")}
    closed = replace_complaint(complaint, status="closed", decided_on=date(2026, 6, 5), reasoning="the award was "
                               "cancelled when complaint k-3 was upheld")
    assert errors(decide(closed, award, upheld=False, on=date(2026, 6, 8)).emits) == {"complaint_id": (
        "the complaint was closed on 2026-06-05: the award was cancelled when complaint k-3 was upheld "
        "(rule: decided_once)")}


def replace_complaint(complaint: Complaint, **changes: Any) -> Complaint:
    return complaint.model_copy(update=changes)
