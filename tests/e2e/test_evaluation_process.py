"""Evaluation as its own process, driven only through `district.events`: awards open monitoring, reports are
accepted or refused, the final report evaluates the contract (and, with the catalog running, moves its project)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.operator import fetch
from tests.e2e.test_catalog_process import proposal
from tests.support.bus import BusProbe, Event, envelope
from tests.support.processes import ROOT, ServiceProcess, http_status

pytestmark = pytest.mark.e2e

# Default plan over 2026-01-01..2026-10-31: start due 2026-01-31, mid_term 2026-06-01, final 2026-10-31.
PERIOD = {"start": "2026-01-01", "end": "2026-10-31"}
DUE = {"start": "2026-01-31", "mid_term": "2026-06-01", "final": "2026-10-31"}
SUBMITTED = {"start": "2026-01-25", "mid_term": "2026-06-10", "final": "2026-10-31"}  # mid_term is 9 days late


def award(contract_id: str, project_id: str = "P-1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": contract_id, "fair_id": "F-2015-1", "project_id": project_id, "org_id": "O-1",
        "amount_fen": 1_000_001, "fit_score": 82.5, "title": "社区助老服务", "category": "助老",
        "purchaser": {"kind": "street", "name": "玉林街道"}, "org_street": "玉林街道", "org_community": "黉门街",
        "period": PERIOD,
    }
    return {**data, **changes}


def report(contract_id: str, milestone: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": contract_id, "milestone": milestone, "final": milestone == "final",
        "submitted_on": SUBMITTED[milestone], "indicators": {"attendance_rate": 90, "home_visits_done": 80},
        "satisfaction": {"respondents": 50, "satisfied": 45}, "narrative": "按计划完成",
    }
    return {**data, **changes}


async def open_monitoring(bus: BusProbe, contract_id: str, project_id: str = "P-1") -> Event:
    sent = await bus.send("matching.contract.awarded", award(contract_id, project_id), source="matching")
    opened = await bus.wait_for(lambda evs: any(
        e.get("correlation_id") == sent["event_id"] and e["type"] == "evaluation.monitoring.opened" for e in evs))
    return next(e for e in opened if e.get("correlation_id") == sent["event_id"]
                and e["type"] == "evaluation.monitoring.opened")


async def submit(bus: BusProbe, data: dict[str, Any]) -> Event:
    sent = await bus.send("intake.report.submitted", data, source="wuhou-reporting-portal")
    return await bus.answer(sent["event_id"])


async def answers(bus: BusProbe, event_id: str, count: int) -> list[Event]:
    await bus.wait_for(lambda evs: len([e for e in evs if e.get("correlation_id") == event_id]) >= count)
    return bus.answers_to(event_id)


async def deliver(bus: BusProbe, contract_id: str, milestones: tuple[str, ...] = ("start", "mid_term", "final"),
                  ) -> list[Event]:
    """Each milestone's report in turn; returns every answer to the last one (the final: accepted, evaluated)."""
    for milestone in milestones[:-1]:
        assert (await submit(bus, report(contract_id, milestone)))["type"] == "evaluation.report.accepted"
    last = await bus.send("intake.report.submitted", report(contract_id, milestones[-1]))
    return await answers(bus, last["event_id"], 2 if milestones[-1] == "final" else 1)


def of_type(events: list[Event], type_: str) -> Event:
    [event] = [e for e in events if e["type"] == type_]
    return event


async def test_an_award_and_three_reports_evaluate_the_contract_with_its_score_rating_and_payment(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("evaluation")
    opened = await open_monitoring(bus, "C-1")
    assert opened["source"] == "evaluation" and opened["_properties"]["delivery_mode"] == 2
    plan = opened["data"]
    assert [(m["name"], m["due_on"], m["status"]) for m in plan["milestones"]] == [
        ("start", DUE["start"], "scheduled"), ("mid_term", DUE["mid_term"], "scheduled"),
        ("final", DUE["final"], "scheduled")]
    assert [(t["pct"], t["amount_fen"]) for t in plan["payment_plan"]] == [(30, 300_000), (40, 400_000),
                                                                          (30, 300_001)]
    start = await submit(bus, report("C-1", "start"))
    assert start["type"] == "evaluation.report.accepted"
    assert start["data"].items() >= {"contract_id": "C-1", "milestone": "start", "status": "met", "late": False}.items()
    mid = await submit(bus, report("C-1", "mid_term"))
    assert mid["data"]["late"] is True and mid["data"]["due_on"] == DUE["mid_term"]
    final = await answers(bus, (await bus.send("intake.report.submitted", report("C-1", "final")))["event_id"], 2)
    assert [e["type"] for e in final] == ["evaluation.report.accepted", "evaluation.contract.evaluated"]
    evaluated = final[1]["data"]
    # indicators 85 x 50 % + satisfaction 90 x 40 % + timeliness (2 of 3 on time) 66.67 x 10 % = 85.17
    assert (evaluated["score"], evaluated["rating"]) == (85.17, "good")
    assert evaluated["contract_id"] == "C-1" and evaluated["project_id"] == "P-1" and evaluated["org_id"] == "O-1"
    assert evaluated["payment_recommendation"]["release_fen"] == 1_000_001
    assert evaluated["payment_recommendation"]["withhold_fen"] == 0
    assert evaluated["evaluated_on"] in _district_dates()


async def test_the_payment_plan_and_milestones_come_from_the_settings(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("evaluation", EVALUATION_MILESTONES='["start", "final"]', EVALUATION_TRANCHE_PCTS="[20, 80]")
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
    start_service("evaluation")
    first = envelope("matching.contract.awarded", award("C-2"), source="matching")
    await bus.publish(first)
    await bus.publish(first)
    again = await bus.send("matching.contract.awarded", award("C-2", amount_fen=5, period={
        "start": "2026-03-01", "end": "2026-12-31"}), source="matching")
    await bus.answer(first["event_id"])
    await bus.quiet(1.5)
    assert len(bus.answers_to(first["event_id"])) == 1
    assert bus.answers_to(again["event_id"]) == []
    accepted = await submit(bus, report("C-2", "start"))
    assert accepted["data"]["due_on"] == DUE["start"], "the plan is still the first award's"
    evaluated = of_type(await deliver(bus, "C-2", ("mid_term", "final")), "evaluation.contract.evaluated")
    assert evaluated["data"]["payment_recommendation"]["release_fen"] == 1_000_001


async def test_a_report_for_an_unknown_contract_is_rejected_naming_contract_id(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("evaluation")
    answer = await submit(bus, report("C-nowhere", "start"))
    assert answer["type"] == "evaluation.report.rejected"
    assert answer["data"]["contract_id"] == "C-nowhere"
    assert answer["data"]["errors"] == [
        {"field": "contract_id", "message": "no contract C-nowhere is under monitoring"}]


async def test_an_invalid_report_is_rejected_naming_every_bad_field(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("evaluation")
    await open_monitoring(bus, "C-3")
    bad = report("C-3", "start", indicators={"attendance_rate": 120, "visits": "many"},
                 satisfaction={"respondents": 10, "satisfied": 11})
    answer = await submit(bus, bad)
    assert answer["type"] == "evaluation.report.rejected"
    assert {e["field"] for e in answer["data"]["errors"]} == {
        "indicators.attendance_rate", "indicators.visits", "satisfaction.satisfied"}
    unplanned = await submit(bus, report("C-3", "start") | {"milestone": "closing"})
    assert [e["field"] for e in unplanned["data"]["errors"]] == ["milestone"]
    assert "its milestones: start, mid_term, final" in unplanned["data"]["errors"][0]["message"]


async def test_a_second_different_report_for_a_reported_milestone_is_refused(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("evaluation")
    await open_monitoring(bus, "C-4")
    first = await submit(bus, report("C-4", "start"))
    second = await submit(bus, report("C-4", "start", indicators={"attendance_rate": 40}))
    assert second["type"] == "evaluation.report.rejected"
    [error] = second["data"]["errors"]
    assert error["field"] == "milestone"
    assert f"already reported on {SUBMITTED['start']} (report {first['data']['report_id']})" in error["message"]


async def test_the_same_report_event_delivered_twice_is_answered_once(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("evaluation")
    await open_monitoring(bus, "C-5")
    event = envelope("intake.report.submitted", report("C-5", "start"))
    await bus.publish(event)
    await bus.publish(event)
    assert (await bus.answer(event["event_id"]))["type"] == "evaluation.report.accepted"
    await bus.quiet(1.5)
    assert len(bus.answers_to(event["event_id"])) == 1


async def test_garbage_and_a_broken_award_go_to_the_dead_letter_queue_with_their_reasons(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    evaluation = start_service("evaluation")
    await bus.publish(b"{not json", routing_key="intake.report.submitted")
    broken = {k: v for k, v in award("C-6").items() if k != "period"}
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
    assert (await submit(bus, report("C-6", "start")))["type"] == "evaluation.report.rejected"


async def test_the_catalog_moves_the_project_to_evaluated_after_the_evaluation(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    start_service("catalog")
    start_service("evaluation")
    published = await bus.answer((await bus.send("intake.project.proposed", proposal()))["event_id"])
    project_id = published["data"]["project_id"]
    opened = await open_monitoring(bus, "C-7", project_id)
    assert opened["data"]["project_id"] == project_id
    evaluated = of_type(await deliver(bus, "C-7"), "evaluation.contract.evaluated")
    moved = await bus.answer(evaluated["event_id"])
    assert moved["type"] == "catalog.project.status_changed"
    assert (moved["data"]["project_id"], moved["data"]["status"], moved["data"]["previous"]) == (
        project_id, "evaluated", "awarded")


async def test_the_operator_report_prints_monitored_contracts_overdue_milestones_and_ratings(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, service_env: dict[str, str],
) -> None:
    evaluation = start_service("evaluation")
    await open_monitoring(bus, "C-8")
    await deliver(bus, "C-8")
    await open_monitoring(bus, "C-9")
    await submit(bus, report("C-9", "start"))
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.evaluation.cli", "--today", "2026-11-28", cwd=ROOT,
        env={**os.environ, **service_env, "EVALUATION_URL": evaluation.url}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(cli.communicate(), 30)
    assert cli.returncode == 0, err.decode()
    printed = out.decode()
    heading, monitoring, overdue, by_category, by_street = printed.split("\n\n")
    assert heading == f"Evaluation on 2026-11-28: 2 contracts at {evaluation.url}"
    assert "C-9" in monitoring and "1/3" in monitoring and "C-8" not in monitoring
    assert [line.split()[0] for line in monitoring.splitlines()[3:]] == ["C-9"]
    assert [line.split()[:4] for line in overdue.splitlines()[3:]] == [
        ["C-9", "O-1", "玉林街道", "mid_term"], ["C-9", "O-1", "玉林街道", "final"]]
    assert by_category.splitlines()[3].split() == ["助老", "1", "0", "1", "0", "0", "85.17"]
    assert by_street.splitlines()[3].split() == ["玉林街道", "1", "0", "1", "0", "0", "85.17"]


async def test_the_read_api_answers_what_the_bus_announced(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    evaluation = start_service("evaluation")
    opened = (await open_monitoring(bus, "C-11"))["data"]
    accepted = (await submit(bus, report("C-11", "start")))["data"]
    contract = fetch(evaluation.url, "/contracts/C-11")
    assert contract["milestones"] == [m | ({"status": "met"} if m["name"] == "start" else {})
                                      for m in opened["milestones"]]
    assert contract["payment_plan"] == opened["payment_plan"]
    [kept] = contract["reports"]
    assert (kept["report_id"], kept["achievement"], kept["late"]) == (
        accepted["report_id"], accepted["achievement"], accepted["late"])
    assert (contract["state"], contract["version"]) == ("under_monitoring", accepted["version"])
    listed = fetch(evaluation.url, "/contracts", {"org_id": "O-1", "state": "under_monitoring"})
    assert [c["contract_id"] for c in listed["items"]] == ["C-11"]
    assert http_status(f"{evaluation.url}/contracts/C-nowhere") == 404
    assert http_status(f"{evaluation.url}/overview?today=tomorrow") == 422


def _district_dates() -> set[str]:
    now = datetime.now(UTC)
    zone = ZoneInfo("Asia/Shanghai")
    return {(now + delta).astimezone(zone).date().isoformat() for delta in (timedelta(minutes=-5), timedelta(0))}
