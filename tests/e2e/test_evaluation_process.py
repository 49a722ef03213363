"""Evaluation as its own process, driven only through `district.events`, on a drill clock: awards open monitoring;
reports are received, reviewed by the purchaser and paid for milestone by milestone; the clock announces overdue
milestones and pays the final tranche once the evaluation stands; appeals publish new versions; the catalog moves
the project to `evaluated`."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

from shared.operator import fetch
from tests.e2e.test_catalog_process import proposal
from tests.support.bus import BusProbe, Event, envelope
from tests.support.processes import ROOT, ServiceProcess, http_status

pytestmark = pytest.mark.e2e

DRILL = {"DISTRICT_CLOCK": "drill", "DISTRICT_ENV": "development"}
FIRST_DAY = "2026-01-05"
# Default plan over 2026-01-01..2026-10-31: start due 2026-01-31, mid_term 2026-06-01, final 2026-10-31; a final
# report is received from 2026-10-01.
PERIOD = {"start": "2026-01-01", "end": "2026-10-31"}
DUE = {"start": "2026-01-31", "mid_term": "2026-06-01", "final": "2026-10-31"}
PURCHASER = {"kind": "street", "name": "玉林街道"}
EVIDENCE = [{"title": "服务签到表", "url": "https://docs.wuhou.example/2026/sign-in.pdf"}]


def start(start_service: Callable[..., ServiceProcess], module: str = "evaluation", today: str = FIRST_DAY,
          **env: str) -> ServiceProcess:
    """The service on a drill clock whose day starts at `today`."""
    return start_service(module, TODAY=today, **DRILL, **env)


def award(contract_id: str, project_id: str = "P-1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": contract_id, "fair_id": "F-2015-1", "project_id": project_id, "org_id": "O-1",
        "amount_fen": 1_000_001, "fit_score": 82.5, "title": "社区助老服务", "category": "助老",
        "purchaser": PURCHASER, "org_street": "玉林街道", "org_community": "黉门街", "period": PERIOD,
    }
    return {**data, **changes}


def report(contract_id: str, milestone: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": contract_id, "milestone": milestone, "final": milestone == "final",
        "indicators": {"attendance_rate": 90, "home_visits_done": 80},
        "satisfaction": {"respondents": 50, "satisfied": 45}, "narrative": "按计划完成", "evidence": EVIDENCE,
    }
    return {**data, **changes}


def review(report_id: str, accepted: bool = True, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"report_id": report_id, "reviewer": PURCHASER, "accepted": accepted,
                            "notes": "核查无误" if accepted else "缺少第一季度入户走访记录", "evidence": []}
    return {**data, **changes}


async def open_monitoring(bus: BusProbe, contract_id: str, project_id: str = "P-1", **changes: Any) -> Event:
    sent = await bus.send("matching.contract.awarded", award(contract_id, project_id, **changes), source="matching")
    opened = await bus.wait_for(lambda evs: any(
        e.get("correlation_id") == sent["event_id"] and e["type"] == "evaluation.monitoring.opened" for e in evs))
    return next(e for e in opened if e.get("correlation_id") == sent["event_id"]
                and e["type"] == "evaluation.monitoring.opened")


async def answers(bus: BusProbe, event_id: str, count: int) -> list[Event]:
    await bus.wait_for(lambda evs: len([e for e in evs if e.get("correlation_id") == event_id]) >= count)
    return bus.answers_to(event_id)


async def submit(bus: BusProbe, data: dict[str, Any]) -> Event:
    sent = await bus.send("intake.report.submitted", data, source="wuhou-reporting-portal")
    return await bus.answer(sent["event_id"])


async def reviewed(bus: BusProbe, report_id: str, accepted: bool = True, count: int = 1, **changes: Any) -> list[Event]:
    """The purchaser's review and its `count` answers (the review, then any payments and the evaluation)."""
    sent = await bus.send("intake.report.reviewed", review(report_id, accepted, **changes), source="wuhou-purchasing")
    return await answers(bus, sent["event_id"], count)


async def delivered(bus: BusProbe, contract_id: str, milestone: str, count: int = 2, **changes: Any) -> list[Event]:
    """The milestone's report received and accepted; the review's answers."""
    received = await submit(bus, report(contract_id, milestone, **changes))
    assert received["type"] == "evaluation.report.accepted", received
    return await reviewed(bus, received["data"]["report_id"], count=count)


async def move_day(bus: BusProbe, day: str, services: tuple[str, ...] = ("evaluation",)) -> None:
    """A drill: every service named confirms the new day once its jobs for it ran."""
    sent = await bus.send("intake.clock.set", {"today": day}, source="drill")
    confirmed = await answers(bus, sent["event_id"], len(services))
    assert sorted(e["data"]["service"] for e in confirmed) == sorted(services), confirmed


def of_type(events: list[Event], type_: str) -> list[Event]:
    return [e for e in events if e["type"] == type_]


async def the_one(bus: BusProbe, type_: str, **data: Any) -> Event:
    """Wait for the one event of `type_` whose data carries `data`."""
    def matching(evs: list[Event]) -> list[Event]:
        return [e for e in evs if e["type"] == type_ and e["data"].items() >= data.items()]

    await bus.wait_for(lambda evs: bool(matching(evs)))
    [found] = matching(bus.events)
    return found


async def test_a_contracts_year_pays_milestone_by_milestone_with_overdue_returned_and_backdated_reports(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service, "catalog")
    evaluation = start(start_service)
    services = ("catalog", "evaluation")
    published = await bus.answer((await bus.send("intake.project.proposed", proposal(period=PERIOD)))["event_id"])
    project_id = published["data"]["project_id"]
    opened = (await open_monitoring(bus, "C-1", project_id))["data"]
    assert [(t["pct"], t["amount_fen"]) for t in opened["payment_plan"]] == [(30, 300_000), (40, 400_001),
                                                                            (30, 300_000)]
    # start: received on time, returned by the purchaser, corrected, accepted: its tranche released
    first = await submit(bus, report("C-1", "start", indicators={"attendance_rate": 40}))
    assert first["data"]["review"] == "pending" and first["data"]["late"] is False
    [returned] = await reviewed(bus, first["data"]["report_id"], accepted=False)
    assert (returned["type"], returned["data"]["accepted"], returned["data"]["status"]) == (
        "evaluation.report.reviewed", False, "scheduled")
    second = await submit(bus, report("C-1", "start"))
    assert (second["data"]["revision"], second["data"]["status"]) == (2, "met")
    accepted, released = await reviewed(bus, second["data"]["report_id"], count=2)
    assert accepted["data"]["accepted"] is True
    assert (released["type"], released["data"]["milestone"], released["data"]["amount_fen"],
            released["data"]["released_on"]) == ("evaluation.payment.released", "start", 300_000, FIRST_DAY)

    # mid_term: nothing by its due date, so the clock announces it overdue the day after
    await move_day(bus, "2026-06-02", services)
    overdue = await the_one(bus, "evaluation.milestone.overdue", milestone="mid_term")
    assert (overdue["data"]["due_on"], overdue["data"]["overdue_on"], overdue["correlation_id"]) == (
        DUE["mid_term"], "2026-06-02", None)
    # a backdated report: dated before its due date, received after it, judged late by its receipt
    backdated = await submit(bus, report("C-1", "mid_term", submitted_on="2026-05-28"))
    assert (backdated["data"]["dated"], backdated["data"]["submitted_on"], backdated["data"]["late"]) == (
        "2026-05-28", "2026-06-02", True)
    await reviewed(bus, backdated["data"]["report_id"], count=2)
    await move_day(bus, "2026-06-03", services)
    met = await the_one(bus, "evaluation.milestone.met", milestone="mid_term")
    assert (met["data"]["met_on"], met["data"]["days_late"], met["data"]["status"]) == ("2026-06-02", 1, "met")

    # final: received inside the final-report margin; its acceptance evaluates the contract
    await move_day(bus, "2026-10-20", services)
    final = await delivered(bus, "C-1", "final", count=2)
    evaluated = of_type(final, "evaluation.contract.evaluated")[0]["data"]
    # indicators 85 x 50 % + satisfaction 90 x 40 % + timeliness (2 of 3 on time) 66.67 x 10 % = 85.17
    assert (evaluated["score"], evaluated["rating"], evaluated["insufficient_sample"]) == (85.17, "good", False)
    assert (evaluated["evaluated_on"], evaluated["appeal_until"]) == ("2026-10-20", "2026-10-29")
    moved = await bus.answer(of_type(final, "evaluation.contract.evaluated")[0]["event_id"])
    assert (moved["type"], moved["data"]["project_id"], moved["data"]["status"]) == (
        "catalog.project.status_changed", project_id, "evaluated")

    # the evaluation stands once its appeal window has passed: the final tranche follows it
    await move_day(bus, "2026-10-30", services)
    final_payment = await the_one(bus, "evaluation.payment.released", milestone="final")
    assert (final_payment["data"]["amount_fen"], final_payment["data"]["released_on"]) == (300_000, "2026-10-30")
    await bus.quiet(1.0)
    payments = of_type(bus.events, "evaluation.payment.released") + of_type(bus.events, "evaluation.payment.withheld")
    assert len({p["data"]["payment_id"] for p in payments}) == len(payments) == 3
    assert sum(p["data"]["amount_fen"] for p in payments) == 1_000_001
    assert fetch(evaluation.url, "/contracts/C-1")["money"] == {"released_fen": 1_000_001, "withheld_fen": 0,
                                                                "due_fen": 0}


async def test_an_upheld_appeal_publishes_a_new_version_that_the_final_tranche_follows(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service, today="2026-10-10")
    await open_monitoring(bus, "C-2")
    low = {"satisfaction": {"respondents": 50, "satisfied": 5}}
    await delivered(bus, "C-2", "start", **low)
    await delivered(bus, "C-2", "mid_term", **low)
    final = await delivered(bus, "C-2", "final", **low)
    first = of_type(final, "evaluation.contract.evaluated")[0]["data"]
    assert (first["score"], first["rating"]) == (49.83, "fail")  # 42.5 + 4 + 3.33 (only the final on time)

    lodged = await bus.send("intake.evaluation.appealed", {"contract_id": "C-2", "grounds": "满意度问卷漏录 40 份"})
    assert (await bus.answer(lodged["event_id"]))["type"] == "evaluation.appeal.registered"
    await move_day(bus, "2026-12-01")  # long after the window: an open appeal holds the final tranche back
    decided = await bus.send("intake.appeal.decided", {"contract_id": "C-2", "upheld": True,
                                                      "new_scores": {"satisfaction": 90}, "reasoning": "问卷核实"})
    revised, closed, paid = await answers(bus, decided["event_id"], 3)
    assert revised["type"] == "evaluation.contract.evaluated"
    assert (revised["data"]["score"], revised["data"]["rating"]) == (81.83, "good")  # satisfaction now 90 x 40 %
    assert revised["data"]["appeal"]["upheld"] is True
    assert revised["data"]["version"] > first["version"]
    assert (closed["type"], closed["data"]["changed"]) == ("evaluation.appeal.closed", True)
    assert (paid["type"], paid["data"]["milestone"], paid["data"]["amount_fen"]) == (
        "evaluation.payment.released", "final", 300_000)


async def test_the_payment_plan_and_milestones_come_from_the_settings(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service, EVALUATION_MILESTONES='["start", "final"]', EVALUATION_TRANCHE_PCTS="[20, 80]")
    plan = (await open_monitoring(bus, "C-10"))["data"]["payment_plan"]
    assert plan == [{"milestone": "start", "pct": 20, "amount_fen": 200_000},
                    {"milestone": "final", "pct": 80, "amount_fen": 800_001}]


def test_a_payment_plan_that_does_not_add_up_to_100_stops_the_service_at_start_up(
    start_service: Callable[..., ServiceProcess],
) -> None:
    with pytest.raises(RuntimeError, match="tranche percentages must add up to 100, they add up to 90"):
        start_service("evaluation", EVALUATION_TRANCHE_PCTS="[30, 40, 20]")


async def test_a_repeated_award_changes_nothing(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service)
    first = envelope("matching.contract.awarded", award("C-3"), source="matching")
    await bus.publish(first)
    await bus.publish(first)
    # The other award follows the first's answer: delivered at the same moment, the two race (one transaction each,
    # two in flight) and whichever commits first opens the monitoring.
    await bus.answer(first["event_id"])
    again = await bus.send("matching.contract.awarded", award("C-3", amount_fen=5, period={
        "start": "2026-03-01", "end": "2026-12-31"}), source="matching")
    await bus.quiet(1.5)
    assert len(bus.answers_to(first["event_id"])) == 1
    assert bus.answers_to(again["event_id"]) == []
    received = await submit(bus, report("C-3", "start"))
    assert received["data"]["due_on"] == DUE["start"], "the plan is still the first award's"


async def test_a_report_for_an_unknown_contract_is_rejected_naming_contract_id(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service)
    answer = await submit(bus, report("C-nowhere", "start"))
    assert answer["type"] == "evaluation.report.rejected"
    assert answer["data"]["contract_id"] == "C-nowhere"
    assert answer["data"]["errors"] == [
        {"field": "contract_id", "message": "no contract C-nowhere is under monitoring"}]


async def test_invalid_reports_and_reviews_are_rejected_naming_every_bad_field(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service)
    await open_monitoring(bus, "C-4")
    bad = report("C-4", "start", indicators={"attendance_rate": 120, "visits": "many"},
                 satisfaction={"respondents": 10, "satisfied": 11}, evidence=[{"title": "照片"}])
    answer = await submit(bus, bad)
    assert answer["type"] == "evaluation.report.rejected"
    assert {e["field"] for e in answer["data"]["errors"]} == {
        "indicators.attendance_rate", "indicators.visits", "satisfaction.satisfied", "evidence[0]"}
    early = await submit(bus, report("C-4", "final"))
    assert [e["field"] for e in early["data"]["errors"]] == ["final"]
    assert "a final report is received from 2026-10-01" in early["data"]["errors"][0]["message"]
    received = await submit(bus, report("C-4", "start", evidence=[]))
    [refused] = await reviewed(bus, received["data"]["report_id"], reviewer={"kind": "department", "name": "区民政局"})
    assert refused["type"] == "evaluation.report.rejected"
    assert [e["field"] for e in refused["data"]["errors"]] == ["reviewer", "evidence"]
    assert refused["data"]["report_id"] == received["data"]["report_id"]


async def test_a_second_report_while_one_awaits_review_is_refused(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service)
    await open_monitoring(bus, "C-5")
    first = await submit(bus, report("C-5", "start"))
    second = await submit(bus, report("C-5", "start", indicators={"attendance_rate": 40}))
    assert second["type"] == "evaluation.report.rejected"
    [error] = second["data"]["errors"]
    assert error["field"] == "milestone"
    assert f"already has report {first['data']['report_id']} (received {FIRST_DAY})" in error["message"]


async def test_the_same_report_and_review_delivered_twice_are_answered_and_paid_once(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start(start_service)
    await open_monitoring(bus, "C-6")
    event = envelope("intake.report.submitted", report("C-6", "start"))
    await bus.publish(event)
    await bus.publish(event)
    received = await bus.answer(event["event_id"])
    assert received["type"] == "evaluation.report.accepted"
    decision = envelope("intake.report.reviewed", review(received["data"]["report_id"]))
    await bus.publish(decision)
    await bus.publish(decision)
    await answers(bus, decision["event_id"], 2)
    await bus.quiet(1.5)
    assert len(bus.answers_to(event["event_id"])) == 1
    assert [e["type"] for e in bus.answers_to(decision["event_id"])] == [
        "evaluation.report.reviewed", "evaluation.payment.released"]


async def test_garbage_and_a_broken_award_go_to_the_dead_letter_queue_with_their_reasons(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    evaluation = start(start_service)
    await bus.publish(b"{not json", routing_key="intake.report.submitted")
    broken = {k: v for k, v in award("C-7").items() if k != "period"}
    await bus.publish(envelope("matching.contract.awarded", broken, source="matching"))
    dead: list[Any] = []
    for _ in range(100):
        dead += await bus.drain_queue("evaluation.dlq")
        if len(dead) >= 2:
            break
        await asyncio.sleep(0.1)
    reasons = {str(m.headers["x-original-routing-key"]): str(m.headers["x-error"]) for m in dead}
    assert reasons["intake.report.submitted"].startswith("body is not valid JSON")
    assert reasons["matching.contract.awarded"].startswith("unprocessable matching.contract.awarded")
    assert "period: is required" in reasons["matching.contract.awarded"]
    assert evaluation.ready_status() == 200
    assert (await submit(bus, report("C-7", "start")))["type"] == "evaluation.report.rejected"


async def test_the_operator_report_prints_overdue_milestones_and_money_first(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, service_env: dict[str, str],
) -> None:
    evaluation = start(start_service, today="2026-10-10")
    await open_monitoring(bus, "C-8")
    for milestone in ("start", "mid_term"):
        await delivered(bus, "C-8", milestone)
    await delivered(bus, "C-8", "final", count=2)
    await open_monitoring(bus, "C-9")
    await delivered(bus, "C-9", "start", indicators={"attendance_rate": 60})
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.evaluation.cli", "--today", "2026-11-28", cwd=ROOT,
        env={**os.environ, **service_env, "EVALUATION_URL": evaluation.url}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(cli.communicate(), 30)
    assert cli.returncode == 0, err.decode()
    heading, overdue, money, by_category, by_purchaser, monitoring, ratings, by_street = out.decode().split("\n\n")
    assert heading == f"Evaluation on Nov 28, 2026: 2 contracts at {evaluation.url}"
    assert [line.split()[:4] for line in overdue.splitlines()[3:]] == [
        ["C-9", "O-1", "玉林街道", "mid_term"], ["C-9", "O-1", "玉林街道", "final"]]
    # C-9: half of its partially met start tranche released, half withheld; C-8: its final tranche still due
    assert [line.split()[0] for line in money.splitlines()[3:]] == ["C-9", "C-8"]
    assert money.splitlines()[3].split()[4:] == ["10,000.01", "1,500.00", "1,500.00", "7,000.01", "2"]
    assert money.splitlines()[4].split()[4:] == ["10,000.01", "7,000.01", "0.00", "3,000.00", "-"]
    assert by_category.splitlines()[3].split() == ["助老", "2", "20,000.02", "8,500.01", "1,500.00", "10,000.01"]
    assert by_purchaser.splitlines()[3].split()[0] == "玉林街道"
    assert [line.split()[0] for line in monitoring.splitlines()[3:]] == ["C-9"]
    assert ratings.splitlines()[3].split()[:2] == ["助老", "1"]
    assert by_street.splitlines()[3].split()[0] == "玉林街道"


async def test_the_read_api_answers_what_the_bus_announced(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    evaluation = start(start_service)
    opened = (await open_monitoring(bus, "C-11"))["data"]
    received = (await submit(bus, report("C-11", "start")))["data"]
    contract = fetch(evaluation.url, "/contracts/C-11")
    assert contract["milestones"] == opened["milestones"], "a report awaiting review leaves its milestone scheduled"
    assert contract["payment_plan"] == opened["payment_plan"]
    [kept] = contract["reports"]
    assert (kept["report_id"], kept["achievement"], kept["late"], kept["state"]) == (
        received["report_id"], received["achievement"], received["late"], "pending")
    assert (contract["state"], contract["version"]) == ("under_monitoring", received["version"])
    listed = fetch(evaluation.url, "/contracts", {"org_id": "O-1", "state": "under_monitoring"})
    assert [c["contract_id"] for c in listed["items"]] == ["C-11"]
    assert http_status(f"{evaluation.url}/contracts/C-nowhere") == 404
    assert http_status(f"{evaluation.url}/overview?today=tomorrow") == 422
