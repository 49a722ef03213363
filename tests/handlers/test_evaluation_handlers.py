"""Evaluation's handlers against an in-memory store: what is loaded, kept and announced for each event."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.handlers import Evaluation, subscriptions
from services.evaluation.store import StaleContract
from shared.consumer import Unprocessable
from shared.envelope import new_event
from shared.unit_of_work import Transaction
from tests.handlers.support import deliver

TODAY = date(2026, 11, 28)


class InMemoryContracts:
    """Evaluation's store, in a dict; a save from a stale read is refused as the database refuses it."""

    def __init__(self) -> None:
        self.contracts: dict[str, MonitoredContract] = {}

    async def get(self, contract_id: str, reader: Any = None) -> MonitoredContract | None:
        return self.contracts.get(contract_id)

    def insert(self, contract: MonitoredContract, tx: Transaction) -> None:
        assert contract.contract_id not in self.contracts
        self.contracts[contract.contract_id] = contract

    async def save(self, contract: MonitoredContract, read_version: int, tx: Transaction) -> None:
        if self.contracts[contract.contract_id].version != read_version:
            raise StaleContract(contract.contract_id)
        self.contracts[contract.contract_id] = contract


@pytest.fixture
def evaluation() -> Evaluation:
    return Evaluation(InMemoryContracts(), EvaluationRules())  # type: ignore[arg-type]


def award(contract_id: str = "C-1", **changes: Any) -> dict[str, Any]:
    return {"contract_id": contract_id, "fair_id": "F-1", "project_id": "P-1", "org_id": "O-1",
            "amount_fen": 1_000_001, "fit_score": 82.5, "title": "社区助老服务", "category": "助老",
            "purchaser": {"kind": "street", "name": "玉林街道"}, "org_street": "玉林街道", "org_community": "黉门街",
            "period": {"start": "2026-01-01", "end": "2026-10-31"}} | changes


def report(milestone: str, contract_id: str = "C-1", **changes: Any) -> dict[str, Any]:
    return {"contract_id": contract_id, "milestone": milestone, "final": milestone == "final",
            "submitted_on": "2026-10-31" if milestone == "final" else "2026-01-25",
            "indicators": {"attendance_rate": 90, "home_visits_done": 80},
            "satisfaction": {"respondents": 50, "satisfied": 45}} | changes


async def kept(evaluation: Evaluation, contract_id: str = "C-1") -> MonitoredContract:
    contract = await evaluation.store.get(contract_id)
    assert contract is not None
    return contract


async def test_an_award_opens_monitoring_and_keeps_the_plan(evaluation: Evaluation) -> None:
    emitted = await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    plan = emitted.one("evaluation.monitoring.opened")
    assert [t["amount_fen"] for t in plan["payment_plan"]] == [300_000, 400_000, 300_001]
    assert [m.name for m in (await kept(evaluation)).milestones] == ["start", "mid_term", "final"]


async def test_a_second_award_of_the_same_contract_announces_nothing_and_keeps_the_first_plan(
    evaluation: Evaluation,
) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    again = await deliver(subscriptions, evaluation, "matching.contract.awarded", award(amount_fen=5), today=TODAY)
    assert again == []
    assert (await kept(evaluation)).amount_fen == 1_000_001


async def test_an_award_that_breaks_the_contract_is_unprocessable_and_opens_nothing(evaluation: Evaluation) -> None:
    broken = {k: v for k, v in award().items() if k != "period"}
    with pytest.raises(Unprocessable, match="period: is required"):
        await deliver(subscriptions, evaluation, "matching.contract.awarded", broken, today=TODAY)
    assert evaluation.store.contracts == {}  # type: ignore[attr-defined]


async def test_a_report_is_kept_with_a_report_id_derived_from_its_event(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    event = new_event("intake.report.submitted", report("start"), source="handler-test")
    first = await deliver(subscriptions, evaluation, "intake.report.submitted", {}, event=event, today=TODAY)
    accepted = first.one("evaluation.report.accepted")
    assert (await kept(evaluation)).report_for("start") is not None
    assert (await kept(evaluation)).version == accepted["version"] == 2
    again = await deliver(subscriptions, evaluation, "intake.report.submitted", {}, event=event, today=TODAY)
    assert again == [], "the same event again names the same report: nothing changes"


async def test_a_bad_report_is_refused_naming_the_contract_and_keeps_nothing(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    emitted = await deliver(subscriptions, evaluation, "intake.report.submitted",
                            report("start", indicators={"a": 120}), today=TODAY)
    assert list(emitted.errors()) == ["indicators.a"]
    assert emitted.one("evaluation.report.rejected")["contract_id"] == "C-1"
    assert (await kept(evaluation)).version == 1


async def test_a_report_for_a_contract_not_under_monitoring_is_refused(evaluation: Evaluation) -> None:
    emitted = await deliver(subscriptions, evaluation, "intake.report.submitted", report("start", "C-9"),
                            today=TODAY)
    assert emitted.errors() == {"contract_id": "no contract C-9 is under monitoring"}


async def test_the_final_report_keeps_the_evaluation_and_announces_it(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    for milestone in ("start", "mid_term"):
        await deliver(subscriptions, evaluation, "intake.report.submitted", report(milestone), today=TODAY)
    final = await deliver(subscriptions, evaluation, "intake.report.submitted", report("final"), today=TODAY)
    assert final.types() == ["evaluation.report.accepted", "evaluation.contract.evaluated"]
    evaluated = final.one("evaluation.contract.evaluated")
    contract = await kept(evaluation)
    assert contract.evaluation is not None and contract.evaluation.version == evaluated["version"] == contract.version
    assert evaluated["evaluated_on"] == TODAY.isoformat()
