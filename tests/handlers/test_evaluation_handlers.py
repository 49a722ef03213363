"""Evaluation's handlers and its deadlines job against an in-memory store: what is loaded, kept and announced for
each event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any, cast

import pytest

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.deadlines import announcement_id
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.handlers import Evaluation, monitoring_deadlines, subscriptions
from services.evaluation.store import StaleContract
from shared.consumer import Unprocessable
from shared.envelope import new_event
from shared.jobs import JobRun
from shared.outcome import Emit
from shared.unit_of_work import Transaction
from tests.handlers.support import Emitted, JobInMemory, deliver

TODAY = date(2026, 11, 28)


class InMemoryContracts:
    """Evaluation's store, in a dict; a save from a stale read is refused as the database refuses it."""

    def __init__(self) -> None:
        self.contracts: dict[str, MonitoredContract] = {}

    async def get(self, contract_id: str, reader: Any = None) -> MonitoredContract | None:
        return self.contracts.get(contract_id)

    async def by_report(self, report_id: str, reader: Any = None) -> MonitoredContract | None:
        return next((c for c in self.contracts.values() if c.report(report_id) is not None), None)

    async def open_contracts(self) -> AsyncIterator[MonitoredContract]:
        for _, contract in sorted(self.contracts.items()):
            if not contract.closed:
                yield contract

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
            "indicators": {"attendance_rate": 90, "home_visits_done": 80},
            "satisfaction": {"respondents": 50, "satisfied": 45},
            "evidence": [{"title": "签到表", "url": "https://docs.wuhou.example/sign-in.pdf"}]} | changes


def review(report_id: str, accepted: bool = True, **changes: Any) -> dict[str, Any]:
    return {"report_id": report_id, "reviewer": {"kind": "street", "name": "玉林街道"}, "accepted": accepted,
            "notes": "" if accepted else "请补充签到表", "evidence": []} | changes


async def submitted(evaluation: Evaluation, milestone: str, today: date) -> str:
    emitted = await deliver(subscriptions, evaluation, "intake.report.submitted", report(milestone), today=today)
    return str(emitted.one("evaluation.report.accepted")["report_id"])


async def reviewed(evaluation: Evaluation, report_id: str, today: date, accepted: bool = True) -> Emitted:
    return await deliver(subscriptions, evaluation, "intake.report.reviewed", review(report_id, accepted),
                         today=today)


async def run_deadlines(evaluation: Evaluation, today: date) -> Emitted:
    run = JobInMemory(today)
    await monitoring_deadlines(cast(JobRun, run), evaluation)
    return run.emitted


async def kept(evaluation: Evaluation, contract_id: str = "C-1") -> MonitoredContract:
    contract = await evaluation.store.get(contract_id)
    assert contract is not None
    return contract


async def test_an_award_opens_monitoring_and_keeps_the_plan(evaluation: Evaluation) -> None:
    emitted = await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    plan = emitted.one("evaluation.monitoring.opened")
    assert [t["amount_fen"] for t in plan["payment_plan"]] == [300_000, 400_001, 300_000]
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
    assert (await kept(evaluation)).report(accepted["report_id"]) is not None
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


async def test_a_review_finds_its_contract_by_the_report_and_keeps_the_payment(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    report_id = await submitted(evaluation, "start", date(2026, 1, 20))

    emitted = await reviewed(evaluation, report_id, date(2026, 1, 22))

    assert emitted.types() == ["evaluation.report.reviewed", "evaluation.payment.released"]
    assert emitted.one("evaluation.payment.released")["amount_fen"] == 300_000
    contract = await kept(evaluation)
    assert (contract.fen("released"), contract.version) == (300_000, 3)


async def test_a_review_of_a_report_nobody_sent_is_refused_naming_it(evaluation: Evaluation) -> None:
    emitted = await reviewed(evaluation, "R-nowhere", TODAY)

    assert emitted.errors() == {"report_id": "no report R-nowhere is known"}
    assert emitted.one("evaluation.report.rejected")["report_id"] == "R-nowhere"


async def test_the_last_acceptance_keeps_the_evaluation_and_announces_it(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    for milestone, day in (("start", date(2026, 1, 20)), ("mid_term", date(2026, 5, 30)),
                           ("final", date(2026, 10, 20))):
        last = await reviewed(evaluation, await submitted(evaluation, milestone, day), day)
    assert last.types() == ["evaluation.report.reviewed", "evaluation.contract.evaluated"]
    evaluated = last.one("evaluation.contract.evaluated")
    contract = await kept(evaluation)
    assert contract.evaluation is not None and contract.evaluation.version == evaluated["version"] == contract.version
    assert (evaluated["evaluated_on"], evaluated["appeal_until"]) == ("2026-10-20", "2026-10-29")


async def test_the_deadlines_job_announces_an_overdue_milestone_once_with_a_stable_id(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    assert await run_deadlines(evaluation, date(2026, 1, 31)) == []

    [overdue] = await run_deadlines(evaluation, date(2026, 2, 1))

    assert (overdue.type, overdue.data["milestone"], overdue.correlation_id) == (
        "evaluation.milestone.overdue", "start", None)
    assert overdue.event_id == announcement_id(Emit(overdue.type, overdue.data))
    assert await run_deadlines(evaluation, date(2026, 2, 2)) == []


async def test_the_deadlines_job_pays_the_final_tranche_once_the_evaluation_stands(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    for milestone, day in (("start", date(2026, 1, 20)), ("mid_term", date(2026, 5, 30)),
                           ("final", date(2026, 10, 20))):
        await reviewed(evaluation, await submitted(evaluation, milestone, day), day)
    contract = await kept(evaluation)
    assert contract.evaluation is not None

    paid = await run_deadlines(evaluation, contract.evaluation.appeal_until + timedelta(days=1))

    assert [(e.type, e.data["milestone"], e.data["amount_fen"]) for e in paid] == [
        ("evaluation.payment.released", "final", 300_000)]
    assert (await kept(evaluation)).closed
    assert [c async for c in evaluation.store.open_contracts()] == []


async def test_an_appeal_and_its_decision_go_through_the_contract(evaluation: Evaluation) -> None:
    await deliver(subscriptions, evaluation, "matching.contract.awarded", award(), today=TODAY)
    for milestone, day in (("start", date(2026, 1, 20)), ("mid_term", date(2026, 5, 30)),
                           ("final", date(2026, 10, 20))):
        await reviewed(evaluation, await submitted(evaluation, milestone, day), day)

    lodged = await deliver(subscriptions, evaluation, "intake.evaluation.appealed",
                           {"contract_id": "C-1", "grounds": "满意度样本漏计"}, today=date(2026, 10, 22))
    ruled = await deliver(subscriptions, evaluation, "intake.appeal.decided",
                          {"contract_id": "C-1", "upheld": True, "new_scores": {"satisfaction": 100}},
                          today=date(2026, 10, 30))

    assert lodged.types() == ["evaluation.appeal.registered"]
    assert ruled.types() == ["evaluation.contract.evaluated", "evaluation.appeal.closed",
                             "evaluation.payment.released"]
    assert ruled.one("evaluation.contract.evaluated")["version"] > lodged.one(
        "evaluation.appeal.registered")["evaluation_version"]
    assert (await kept(evaluation)).due_fen == 0
