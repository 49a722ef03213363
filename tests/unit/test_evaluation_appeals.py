"""Corrections: an evaluation appealed within its window and decided; a changed result is a new version, and the
final tranche follows the result that stands."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.evaluation.domain.contract import MonitoredContract
from shared.contracts.evaluation import (
    APPEAL_CLOSED,
    APPEAL_REGISTERED,
    CONTRACT_EVALUATED,
    PAYMENT_RELEASED,
    PAYMENT_WITHHELD,
)
from tests.unit.evaluation_examples import (
    decide_appeal,
    delivered_all,
    errors_of,
    events_of,
    lodge_appeal,
    monitored,
    ok,
)

GROUNDS = {"contract_id": "C-1", "grounds": "第三季度入户走访记录被漏计"}


def failed() -> MonitoredContract:
    """Every milestone accepted at achievement 40 (notMet): score 66, a pass with no milestone met."""
    contract = delivered_all(indicators={"a": 40})
    assert contract.evaluation is not None and contract.evaluation.rating == "pass"
    return contract


def appealed(contract: MonitoredContract | None = None) -> MonitoredContract:
    contract = contract or failed()
    assert contract.evaluation is not None
    return ok(lodge_appeal(contract, GROUNDS, appeal_id="A-1", today=contract.evaluation.evaluated_on))


def decided(contract: MonitoredContract, **ruling: Any) -> Any:
    return decide_appeal(contract, {"contract_id": "C-1", **ruling}, today=date(2027, 1, 5))


def test_an_appeal_within_the_window_is_registered() -> None:
    contract = failed()
    assert contract.evaluation is not None

    decision = lodge_appeal(contract, GROUNDS, appeal_id="A-1", today=contract.evaluation.appeal_until)

    [registered] = events_of(decision, APPEAL_REGISTERED)
    assert registered == {"appeal_id": "A-1", "contract_id": "C-1", "grounds": GROUNDS["grounds"],
                          "lodged_on": contract.evaluation.appeal_until.isoformat(),
                          "evaluation_version": contract.evaluation.version}


def test_an_appeal_the_day_after_the_window_closes_is_refused_naming_the_window() -> None:
    contract = failed()
    assert contract.evaluation is not None
    late = contract.evaluation.appeal_until + timedelta(days=1)

    decision = lodge_appeal(contract, GROUNDS, appeal_id="A-1", today=late)

    assert errors_of(decision) == [{"field": "contract_id", "message": (
        f"the appeal window closed on {contract.evaluation.appeal_until} (working days after the evaluation of "
        f"{contract.evaluation.evaluated_on}); this appeal was received on {late}")}]


def test_a_contract_not_yet_evaluated_cannot_be_appealed() -> None:
    decision = lodge_appeal(monitored(), GROUNDS, appeal_id="A-1", today=date(2026, 6, 1))

    assert errors_of(decision)[0]["message"] == "contract C-1 is not evaluated yet: an appeal is against an evaluation"


def test_an_evaluation_is_appealed_once() -> None:
    contract = appealed()

    decision = lodge_appeal(contract, GROUNDS, appeal_id="A-2", today=date(2026, 12, 21))

    assert "was already appealed on 2026-12-20 (appeal A-1)" in errors_of(decision)[0]["message"]
    assert lodge_appeal(contract, GROUNDS, appeal_id="A-1", today=date(2026, 12, 21)).events == ()


def test_an_upheld_appeal_publishes_a_new_version_and_the_final_tranche_follows_it() -> None:
    contract = appealed()
    assert contract.evaluation is not None

    decision = decided(contract, upheld=True, new_scores={"indicators": 85}, reasoning="走访记录核实")

    assert [e.type for e in decision.events] == [CONTRACT_EVALUATED, APPEAL_CLOSED, PAYMENT_WITHHELD]
    [revised] = events_of(decision, CONTRACT_EVALUATED)
    # indicators 85 x 50 % + satisfaction 90 x 40 % + timeliness 100 x 10 % = 88.5
    assert (revised["score"], revised["rating"]) == (88.5, "good")
    assert revised["version"] > contract.evaluation.version
    assert revised["appeal"] == {"appeal_id": "A-1", "upheld": True, "lodged_on": "2026-12-20",
                                 "decided_on": "2027-01-05", "reasoning": "走访记录核实"}
    # good: the final tranche follows the final milestone's own status, which the appeal did not change (notMet)
    assert events_of(decision, PAYMENT_WITHHELD)[0]["amount_fen"] == 300_000


def test_the_final_tranche_is_decided_once_the_appeal_is_decided() -> None:
    contract = delivered_all(indicators={"a": 90}, satisfaction={"respondents": 50, "satisfied": 5})
    assert contract.evaluation is not None  # 45 + 4 + 10 = 59: fail
    assert contract.evaluation.rating == "fail"
    contract = appealed(contract)

    decision = decided(contract, upheld=True, new_scores={"satisfaction": 80})

    [revised] = events_of(decision, CONTRACT_EVALUATED)
    assert revised["rating"] == "good"
    [released] = events_of(decision, PAYMENT_RELEASED)
    assert (released["milestone"], released["amount_fen"]) == ("final", 300_000)
    assert decision.contract is not None and decision.contract.due_fen == 0


def test_a_dismissed_appeal_changes_no_score_and_the_final_tranche_follows_the_first_result() -> None:
    contract = appealed()

    decision = decided(contract, upheld=False, reasoning="记录不完整")

    assert [e.type for e in decision.events] == [APPEAL_CLOSED, PAYMENT_WITHHELD]
    closed = events_of(decision, APPEAL_CLOSED)[0]
    assert (closed["upheld"], closed["changed"], closed["rating"]) == (False, False, "pass")
    assert events_of(decision, PAYMENT_WITHHELD)[0]["amount_fen"] == 300_000  # pass, none of 3 milestones met


def test_an_upheld_appeal_that_changes_nothing_publishes_no_new_version() -> None:
    contract = appealed()
    assert contract.evaluation is not None

    decision = decided(contract, upheld=True, new_scores={"timeliness": 100})

    assert CONTRACT_EVALUATED not in [e.type for e in decision.events]
    assert events_of(decision, APPEAL_CLOSED)[0]["changed"] is False


def test_an_appeal_is_decided_once() -> None:
    contract = ok(decided(appealed(), upheld=False))

    decision = decided(contract, upheld=True, new_scores={"indicators": 100})

    assert errors_of(decision) == [{"field": "contract_id", "message": (
        "the appeal against contract C-1's evaluation was already dismissed on 2027-01-05")}]


def test_a_decision_without_an_open_appeal_is_refused() -> None:
    assert errors_of(decided(failed(), upheld=False)) == [
        {"field": "contract_id", "message": "no appeal against contract C-1's evaluation is open"}]


@pytest.mark.parametrize(
    ("ruling", "message"),
    [
        ({"upheld": True}, "an upheld appeal must give the new scores"),
        ({"upheld": False, "new_scores": {"indicators": 90}}, "a dismissed appeal changes no score"),
        ({"upheld": True, "new_scores": {}}, "name at least one of indicators, satisfaction, timeliness"),
    ],
)
def test_scores_that_do_not_fit_the_decision_are_refused(ruling: dict[str, Any], message: str) -> None:
    [error] = errors_of(decided(appealed(), **ruling))

    assert error["field"] == "new_scores"
    assert message in error["message"]
