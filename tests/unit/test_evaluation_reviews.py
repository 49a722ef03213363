"""The purchaser's review: a report counts toward its milestone only once accepted; accepted, its tranche is
released or withheld at once (the final one waits for the evaluation); returned, it is submitted again."""

from __future__ import annotations

from datetime import date

from services.evaluation.domain.contract import MonitoredContract
from shared.contracts.evaluation import (
    CONTRACT_EVALUATED,
    PAYMENT_RELEASED,
    PAYMENT_WITHHELD,
    REPORT_REVIEWED,
)
from tests.unit.evaluation_examples import (
    EVIDENCE,
    ON_TIME,
    delivered,
    errors_of,
    events_of,
    monitored,
    ok,
    report,
    review,
    review_report,
    submit_report,
)

REVIEWED = date(2026, 1, 25)


def received(contract: MonitoredContract | None = None, milestone: str = "start", report_id: str = "R-1",
             **changes: object) -> MonitoredContract:
    return ok(submit_report(contract or monitored(), report(milestone, **changes), report_id=report_id,
                            today=ON_TIME[milestone]))


def test_an_accepted_report_counts_toward_its_milestone_and_is_announced() -> None:
    decision = review_report(received(), review("R-1", notes="核查无误"), review_id="V-1", today=REVIEWED)

    [reviewed] = events_of(decision, REPORT_REVIEWED)
    assert reviewed == {
        "report_id": "R-1", "contract_id": "C-1", "milestone": "start", "revision": 1, "accepted": True,
        "reviewer": {"kind": "street", "name": "玉林街道"}, "notes": "核查无误", "evidence": [],
        "reviewed_on": "2026-01-25", "status": "met", "version": 3,
    }
    assert decision.contract is not None and decision.contract.status_of("start") == "met"


def test_accepting_a_met_milestone_releases_its_whole_tranche_on_the_day_of_the_review() -> None:
    decision = review_report(received(), review("R-1"), review_id="V-1", today=REVIEWED)

    [released] = events_of(decision, PAYMENT_RELEASED)
    assert (released["milestone"], released["amount_fen"], released["tranche_fen"], released["released_on"]) == (
        "start", 300_000, 300_000, "2026-01-25")
    assert (released["purchaser"], released["category"], released["org_id"]) == (
        {"kind": "street", "name": "玉林街道"}, "助老", "O-1")
    assert events_of(decision, PAYMENT_WITHHELD) == []


def test_accepting_a_not_met_milestone_withholds_its_tranche_with_the_reason() -> None:
    decision = review_report(received(indicators={"a": 30}), review("R-1"), review_id="V-1", today=REVIEWED)

    [withheld] = events_of(decision, PAYMENT_WITHHELD)
    assert (withheld["amount_fen"], withheld["withheld_on"]) == (300_000, "2026-01-25")
    assert withheld["reason"] == "milestone start notMet: the tranche is withheld"
    assert events_of(decision, PAYMENT_RELEASED) == []


def test_a_returned_report_pays_nothing_and_leaves_its_milestone_waiting() -> None:
    decision = review_report(received(), review("R-1", accepted=False), review_id="V-1", today=REVIEWED)

    assert [e.type for e in decision.events] == [REPORT_REVIEWED]
    assert events_of(decision, REPORT_REVIEWED)[0]["status"] == "scheduled"
    assert decision.contract is not None and decision.contract.tranches == ()


def test_a_returned_and_resubmitted_report_counts_once_accepted() -> None:
    contract = ok(review_report(received(), review("R-1", accepted=False), review_id="V-1", today=REVIEWED))
    contract = received(contract, report_id="R-2", indicators={"a": 60})

    decision = review_report(contract, review("R-2"), review_id="V-2", today=date(2026, 1, 30))

    assert decision.contract is not None
    assert decision.contract.accepted_report("start") is not None
    assert decision.contract.accepted_report("start").report_id == "R-2"  # type: ignore[union-attr]
    assert [(e["amount_fen"]) for e in events_of(decision, PAYMENT_RELEASED)] == [150_000]


def test_only_the_contracts_purchaser_reviews_its_reports() -> None:
    decision = review_report(received(), review("R-1", reviewer={"kind": "department", "name": "区民政局"}),
                             review_id="V-1", today=REVIEWED)

    assert errors_of(decision) == [{"field": "reviewer", "message": (
        "only the contract's purchaser (street 玉林街道) reviews its reports, not department 区民政局")}]


def test_a_review_of_an_unknown_report_is_refused_naming_it() -> None:
    decision = review_report(None, review("R-404"), review_id="V-1", today=REVIEWED)

    assert errors_of(decision) == [{"field": "report_id", "message": "no report R-404 is known"}]
    assert decision.events[0].data["report_id"] == "R-404"


def test_a_report_is_reviewed_once() -> None:
    contract = ok(review_report(received(), review("R-1"), review_id="V-1", today=REVIEWED))

    decision = review_report(contract, review("R-1", accepted=False), review_id="V-2", today=REVIEWED)

    assert errors_of(decision) == [{"field": "report_id", "message": (
        "report R-1 was already accepted by the purchaser on 2026-01-25")}]
    assert decision.contract is contract


def test_the_same_review_again_changes_nothing_and_pays_nothing_again() -> None:
    contract = ok(review_report(received(), review("R-1"), review_id="V-1", today=REVIEWED))

    again = review_report(contract, review("R-1"), review_id="V-1", today=REVIEWED)

    assert again.contract is contract and again.events == ()


def test_a_returned_report_must_say_what_to_correct() -> None:
    decision = review_report(received(), review("R-1", accepted=False, notes="  "), review_id="V-1", today=REVIEWED)

    assert errors_of(decision) == [{"field": "notes", "message": "a returned report must say what to correct"}]


def test_a_report_cannot_be_accepted_on_the_organizations_word_alone() -> None:
    decision = review_report(received(evidence=[]), review("R-1"), review_id="V-1", today=REVIEWED)

    [error] = errors_of(decision)
    assert error["field"] == "evidence"
    assert error["message"].startswith("an accepted report must rest on evidence")


def test_the_purchasers_own_evidence_is_enough_to_accept() -> None:
    decision = review_report(received(evidence=[]), review("R-1", evidence=EVIDENCE), review_id="V-1",
                             today=REVIEWED)

    assert events_of(decision, REPORT_REVIEWED)[0]["evidence"] == [{**EVIDENCE[0], "url": None}]


def test_a_review_with_many_faults_names_every_one() -> None:
    decision = review_report(received(evidence=[]), review("R-1", accepted=False, notes="",
                                                            reviewer={"kind": "street", "name": "簇桥街道"}),
                             review_id="V-1", today=REVIEWED)

    assert [e["field"] for e in errors_of(decision)] == ["reviewer", "notes"]


def test_accepting_the_final_report_pays_nothing_until_the_evaluation_stands() -> None:
    contract = ok(delivered(monitored(), "start"))
    contract = ok(delivered(contract, "mid_term"))

    decision = delivered(contract, "final")

    assert [e.type for e in decision.events] == [REPORT_REVIEWED, CONTRACT_EVALUATED]
    evaluated = events_of(decision, CONTRACT_EVALUATED)[0]
    assert evaluated["payment_recommendation"]["release_fen"] == 1_000_000
    assert decision.contract is not None and decision.contract.tranche("final") is None


def test_the_contract_is_evaluated_when_its_last_open_milestone_is_accepted_whichever_it_is() -> None:
    contract = ok(delivered(monitored(), "final"))
    contract = ok(delivered(contract, "start"))

    decision = delivered(contract, "mid_term")

    assert [e.type for e in decision.events] == [REPORT_REVIEWED, PAYMENT_RELEASED, CONTRACT_EVALUATED]
    assert events_of(decision, CONTRACT_EVALUATED)[0]["evaluated_on"] == ON_TIME["mid_term"].isoformat()


def test_the_evaluation_scores_only_accepted_reports() -> None:
    contract = ok(submit_report(monitored(), report("start", indicators={"a": 0}), report_id="R-bad",
                                today=ON_TIME["start"]))
    contract = ok(review_report(contract, review("R-bad", accepted=False), review_id="V-bad",
                                today=ON_TIME["start"]))
    for milestone in ("start", "mid_term", "final"):
        contract = ok(delivered(contract, milestone))

    assert contract.evaluation is not None
    assert contract.evaluation.breakdown.indicators.measure == 85.25
