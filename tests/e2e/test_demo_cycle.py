"""`make demo` in small: the whole year through the five services as processes, and its report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.bus import BusProbe
from tests.support.processes import ServiceProcess
from tests.support.schemas import ocds_errors
from tools import ocds
from tools.demo.__main__ import run_cycle, write_report
from tools.demo.browser import check_page
from tools.demo.bus import Progress
from tools.demo.cycle import SMALL
from tools.suite import SUITE

pytestmark = pytest.mark.e2e


async def test_a_small_year_runs_end_to_end_and_its_report_matches_the_seed(
    start_service: Callable[..., ServiceProcess], operator_url: str, mongo_url: str, db_prefix: str,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for spec in SUITE:
        process = start_service(spec.module)
        monkeypatch.setenv(spec.port_var, str(process.port))  # the demo watches the services' /metrics
    record = await run_cycle(operator_url, SMALL, Progress(enabled=False))

    assert len(record.projects) == 24 and all(p["new"] for p in record.projects.values())
    assert len(record.organizations) == 60 and record.people_added == 120
    assert len({(c["data"]["org_id"], c["data"]["audience"]) for c in record.completions}) == 40
    assert len(record.grades) == 12
    assert record.fair is not None and len(record.fair["data"]["invited"]) > 10
    assert record.schedule is not None and record.schedule["type"] == "matching.fair.scheduled"
    meetings = record.schedule["data"]["meetings"]
    assert len({(m["org_id"], m["slot"]) for m in meetings}) == len(meetings)  # nobody in two places at once
    assert len({(m["table"], m["slot"]) for m in meetings}) == len(meetings)
    assert record.rescheduled is not None and record.rescheduled["type"] == "matching.fair.rescheduled"
    assert {e["type"] for e in record.sides} == {"matching.fair.availability_recorded", "matching.meeting.declined",
                                                 "matching.meeting.requested", "matching.meeting.locked"}
    [locked] = [e["data"] for e in record.sides if e["type"] == "matching.meeting.locked"]
    assert all(m["meeting"]["org_id"] != locked["org_id"] or m["meeting"]["table"] != locked["table"]
               for m in record.rescheduled["data"]["moved"])  # a locked meeting never moves
    assert record.rescheduled["data"]["moved"] and record.rescheduled["data"]["cancelled"]
    assert record.awards and len(record.awards) + len(record.unawarded) == 24
    assert len(record.evaluations) == len(record.awards)
    challenged_awards_ended_as_decided(record)
    assert {c["data"]["project_id"] for c in record.status_changes if c["data"]["status"] == "evaluated"} == {
        a["data"]["project_id"] for a in record.awards}

    path = write_report(record, SMALL, tmp_path)
    printed = capsys.readouterr().out
    assert "24 projects published" in printed and "60 organizations" in printed and "rescheduled: " in printed
    assert f"{len(record.awards)} contracts" in printed and "40 of 40 people trained" in printed
    assert "returned by the purchaser and sent again" in printed and "still due 0.00 yuan" in printed
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") >= 5 and "<th>14:00</th>" in page  # the grid by clock time
    assert "Challenged awards (质疑)" in page and "refused: filed after the standstill" in page
    assert "award cancelled; re-awarded to" in page or "award cancelled; award" in page
    assert "price points" in page and "the award proceeds" in page
    # Readable offline: nothing is loaded from anywhere (the only URL is the SVG namespace).
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg")

    # The open-data export of the same year: one release per project, valid OCDS 1.1.5.
    export = ocds.export(ocds.Services.from_environment(), "2015-1")
    assert len(export["releases"]) == 24
    implemented = [r for r in export["releases"] if "implementation" in r["tag"]]
    assert len(implemented) == len(record.awards)
    statuses = [a["status"] for r in export["releases"] for a in r.get("awards", [])]
    assert statuses.count("active") == len(record.awards) and statuses.count("cancelled") == 1
    assert sum(len(r.get("contracts", [])) for r in export["releases"]) == len(record.awards)
    upheld = next(c for c in record.challenges if c["outcome"] == "upheld")["award"]
    [cancelled_release] = [r for r in export["releases"] if "awardCancellation" in r["tag"]]
    assert upheld["award_id"] in {a["id"] for a in cancelled_release["awards"] if a["status"] == "cancelled"}
    assert all(m["status"] in {"met", "partiallyMet", "notMet"} for r in implemented
               for m in r["contracts"][0]["implementation"]["milestones"])
    transactions = [t for r in implemented for t in r["contracts"][0]["implementation"]["transactions"]]
    assert round(sum(t["value"]["amount"] for t in transactions) * 100) == sum(
        p["data"]["amount_fen"] for p in record.payments if p["type"] == "evaluation.payment.released")
    # The schemas must be there (tests/support/schemas.py fails, never skips, without them).
    assert ocds_errors(export) == []
    broken = {**export, "releases": [{k: v for k, v in export["releases"][0].items() if k != "ocid"}]}
    assert ocds_errors(broken), "the validator must catch a release without an ocid"

    money_follows_delivery(record)
    a_person_sees_the_report(path)
    await fit_follows_the_evaluation(record, operator_url)
    await a_second_year_on_the_same_suite(operator_url, record, tmp_path, capsys)


def money_follows_delivery(record: Any) -> None:
    """Every awarded fen is released or withheld once, milestone by milestone; the story happened as told."""
    ids = [p["data"]["payment_id"] for p in record.payments]
    assert len(ids) == len(set(ids)), "a payment announced twice"
    assert sum(p["data"]["amount_fen"] for p in record.payments) == sum(a["data"]["amount_fen"] for a in record.awards)
    story = record.story
    assert {"contract", "returned", "overdue then met", "backdated", "appeal"} <= set(story)
    received = [r["data"] for r in record.reports if r["type"] == "evaluation.report.accepted"
                and r["data"]["contract_id"] == story["contract"]]
    assert [r["revision"] for r in received if r["milestone"] == story["returned"]] == [1, 2]
    [backdated] = [r for r in received if r["milestone"] == story["backdated"]]
    assert backdated["late"] and backdated["dated"] <= backdated["due_on"] < backdated["submitted_on"]
    alerts = {(a["type"], a["data"]["milestone"]) for a in record.alerts
              if a["data"]["contract_id"] == story["contract"]}
    assert {("evaluation.milestone.overdue", story["overdue then met"]),
            ("evaluation.milestone.met", story["overdue then met"])} <= alerts
    assert sum(1 for a in record.alerts if a["type"] == "evaluation.milestone.overdue") == sum(
        1 for a in record.alerts if a["type"] == "evaluation.milestone.met")
    [appealed] = [e["data"] for e in record.evaluations if e["data"]["contract_id"] == story["appeal"]]
    assert appealed["version"] > 1 and appealed["appeal"]["upheld"] is True


def a_person_sees_the_report(path: Path) -> None:
    """The HTML report in a real headless Chromium: no console error, every chart drawn, a screenshot beside it."""
    seen = check_page(path)
    assert seen.errors == []
    assert len(seen.charts) >= 7 and seen.undrawn == []
    assert {"Money per category (10,000 yuan)", "Money per purchaser (10,000 yuan)"} <= {c.label for c in seen.charts}
    assert seen.screenshot == path.with_suffix(".png") and seen.screenshot.stat().st_size > 10_000


def challenged_awards_ended_as_decided(record: Any) -> None:
    """One challenge of each outcome: upheld (cancelled, the project awarded again or left unawarded), dismissed
    (the award became the contract), and filed after the standstill (refused); one contract per project."""
    outcomes = {c["outcome"]: c for c in record.challenges}
    assert set(outcomes) == {"upheld", "dismissed", "late"}
    assert outcomes["upheld"]["then"][0]["type"] == "matching.award.cancelled"
    assert outcomes["dismissed"]["decision"]["data"]["award_status"] == "proposed"
    late = outcomes["late"]["complaint"]
    assert late["type"] == "matching.complaint.rejected" and "(rule: standstill)" in late["data"]["errors"][0][
        "message"]
    assert {d["type"] for d in record.drill} == {f"{p}.clock.set" for p in (
        "catalog", "registration", "matching", "grading", "evaluation")}
    contracts = {a["data"]["project_id"]: a["data"]["org_id"] for a in record.awards}
    assert len(contracts) == len(record.awards)
    upheld, dismissed = outcomes["upheld"]["award"], outcomes["dismissed"]["award"]
    assert contracts.get(upheld["project_id"]) != upheld["org_id"]
    assert contracts[dismissed["project_id"]] == dismissed["org_id"]


async def a_second_year_on_the_same_suite(operator_url: str, first: Any, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`make demo` again on the suite that already ran it: the catalog and the register answer that they know
    the projects and organizations (read back from their APIs), and the year runs through with its own fair."""
    again = await run_cycle(operator_url, SMALL, Progress(enabled=False))
    assert len(again.organizations) == 60 and not any(o["new"] for o in again.organizations.values())
    assert set(again.organizations) == set(first.organizations)
    assert len(again.projects) == 24
    assert again.fair is not None and again.fair["data"]["fair_id"] != first.fair["data"]["fair_id"]
    assert len(again.awards) + len(again.unawarded) >= 1
    assert len(again.evaluations) == len(again.awards)
    assert len(again.grades) == 12  # its own round of assessment, not refused as the first year's
    write_report(again, SMALL, tmp_path / "again")
    printed = capsys.readouterr().out
    assert "60 organizations (0 announced by registration now, 60 read from its API)" in printed


async def fit_follows_the_evaluation(record: Any, operator_url: str) -> None:
    """Matching hears evaluation's results: an evaluated organization's past-evaluations factor moves at the next
    fair from the neutral value it had before any evaluation to the mean of its scores."""
    scores: dict[str, list[float]] = {}
    for e in record.evaluations:
        scores.setdefault(e["data"]["org_id"], []).append(float(e["data"]["score"]))
    evaluated = {org_id: sum(s) / len(s) for org_id, s in scores.items() if len(s) <= 3}  # the latest 3 count
    before = {i["data"]["org_id"]: i["data"]["breakdown"]["past_evaluations"]["value"] for i in record.interests
              if i["type"] == "matching.interest.recorded"}
    async with BusProbe(operator_url, patterns=("matching.#",)) as bus:
        opened = await bus.answer((await bus.send("intake.fair.opened", {
            "fair_ref": "2015-1-second-fair", "batch": "2015-1", "date": "2015-11-19", "slots": 6,
            "slot_minutes": 20}))["event_id"])
        assert opened["type"] == "matching.fair.opened"
        invited = [i for i in opened["data"]["invitations"] if i["org_id"] in evaluated]
        assert invited, "an evaluated organization should be invited to the next fair"
        after: dict[str, float] = {}
        for invitation in invited:
            answer = await bus.answer((await bus.send("intake.interest.expressed", {
                "fair_id": opened["data"]["fair_id"], "org_id": invitation["org_id"],
                "project_id": invitation["project_id"]}))["event_id"])
            if answer["type"] == "matching.interest.recorded":
                after[invitation["org_id"]] = answer["data"]["breakdown"]["past_evaluations"]["value"]
    assert after
    for org_id, value in after.items():
        assert value == pytest.approx(evaluated[org_id] / 100, abs=0.01)
        assert org_id not in before or before[org_id] != value
