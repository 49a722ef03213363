"""Challenged awards through the bus, with the catalog, matching and evaluation as processes in drill mode: a
complaint upheld ends with the project awarded to the next best organization, a complaint dismissed with the
original award; only then, past the standstill (a drill moves the day), one contract per project reaches the
catalog and evaluation; a complaint after the standstill is refused; the same intake twice changes nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.matching import cli
from tests.e2e.test_catalog_process import proposal
from tests.e2e.test_matching_process import (
    ask,
    get,
    grade,
    interest,
    move_day,
    of_type,
    open_fair,
    organization,
    publish_and_apply,
    until_handled,
)
from tests.support.bus import BusProbe, Event, envelope
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

MONDAY = date(2015, 3, 2)  # the fair's awards are decided today; their standstill ends Wednesday 2015-03-11
# Three organizations on 玉林街道 wanting both projects: BEST (5A) fits best, then NEXT (4A), then LAST (3A).
BEST, NEXT, LAST = (str(uuid.uuid4()) for _ in range(3))


async def until_read(process: ServiceProcess, path: str, done: Callable[[Any], bool], timeout: float = 15.0) -> Any:
    """A read query's answer once `done` holds (another service's event is applied without an answer)."""
    deadline = time.monotonic() + timeout
    while True:
        status, answer = get(process, path)
        if status == 200 and done(answer):
            return answer
        assert time.monotonic() < deadline, f"{path}: {answer}"
        await asyncio.sleep(0.1)


async def file(bus: BusProbe, award_id: str, org_id: str) -> Event:
    [answer] = await ask(bus, "intake.complaint.filed", {"award_id": award_id, "org_id": org_id,
                                                         "grounds": "场地条件一项评分有误，请复核"})
    return answer


async def test_challenged_awards_end_with_one_contract_per_project_for_the_right_organization(
    start_service: Callable[..., ServiceProcess], bus: BusProbe, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    drill = {"TODAY": MONDAY.isoformat()}
    catalog = start_service("catalog", **drill)
    matching = start_service("matching", **drill)
    start_service("evaluation", **drill)
    projects = [(await ask(bus, "intake.project.proposed", proposal(category="助老", title=title)))[0]
                for title in ("老年人日间照料", "居家养老探访")]
    upheld_project, dismissed_project = (p["data"]["project_id"] for p in projects)
    await publish_and_apply(bus, matching, [
        *(("registration.organization.registered", organization(o, "玉林街道", ["助老"], staff=10))
          for o in (BEST, NEXT, LAST)),
        ("grading.grade.assigned", grade(BEST, "5A")), ("grading.grade.assigned", grade(NEXT, "4A")),
        ("grading.grade.assigned", grade(LAST, "3A")),
    ])
    await until_handled(matching, "project-published", 2)

    fair = await open_fair(bus, "wuhou-2015-03-02")
    for project_id in (upheld_project, dismissed_project):
        for org_id in (BEST, NEXT, LAST):
            assert (await interest(bus, fair["fair_id"], org_id, project_id))["type"] == "matching.interest.recorded"
    answers = await ask(bus, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]}, answers=2)
    proposed = {a["data"]["project_id"]: a["data"] for a in of_type(answers, "matching.award.proposed")}
    assert {p: a["org_id"] for p, a in proposed.items()} == {upheld_project: BEST, dismissed_project: BEST}
    assert {a["standstill_ends"] for a in proposed.values()} == {"2015-03-11"}

    # NEXT challenges both awards. The same complaint sent twice (one envelope) is answered once.
    challenge = envelope("intake.complaint.filed", {"award_id": proposed[upheld_project]["award_id"],
                                                    "org_id": NEXT, "grounds": "资质材料审核有误"})
    await bus.publish(challenge)
    await bus.publish(challenge)
    registered = await bus.answer(challenge["event_id"])
    assert registered["type"] == "matching.complaint.registered" and registered["data"]["days_left"] == 7
    other = await file(bus, proposed[dismissed_project]["award_id"], NEXT)
    assert other["type"] == "matching.complaint.registered"
    again = await file(bus, proposed[upheld_project]["award_id"], NEXT)  # the same complaint, a new request
    assert again["type"] == "matching.complaint.rejected" and "(rule: once)" in again["data"]["errors"][0]["message"]

    upheld = await ask(bus, "intake.complaint.decided", {"complaint_id": registered["data"]["complaint_id"],
                                                        "upheld": True, "reasoning": "经复核，评分有误"}, answers=3)
    assert [e["type"] for e in upheld] == [
        "matching.complaint.decided", "matching.award.cancelled", "matching.award.proposed"]
    reaward = upheld[2]["data"]
    assert (reaward["org_id"], reaward["replaces"]) == (NEXT, proposed[upheld_project]["award_id"])
    [dismissed] = await ask(bus, "intake.complaint.decided", {"complaint_id": other["data"]["complaint_id"],
                                                             "upheld": False, "reasoning": "评分无误"})
    assert (dismissed["data"]["award_status"], dismissed["data"]["standstill_ends"]) == ("proposed", "2015-03-11")
    await bus.quiet(1.0)
    assert of_type(bus.events, "matching.contract.awarded") == []  # everything still stands still
    standing = await until_read(catalog, f"/projects/{upheld_project}",  # published, held by the re-award
                                lambda p: p["pending_award"] == reaward["award_id"])
    assert standing["status"] == "published"

    moved = await move_day(bus, date(2015, 3, 12), prefixes=("matching", "catalog", "evaluation"))
    assert set(moved) == {"matching", "catalog", "evaluation"}
    await bus.wait_for(lambda evs: len(of_type(evs, "evaluation.monitoring.opened")) == 2, timeout=30)
    await bus.quiet(1.0)
    contracts = {c["data"]["project_id"]: c["data"] for c in of_type(bus.events, "matching.contract.awarded")}
    assert len(of_type(bus.events, "matching.contract.awarded")) == 2
    assert {p: c["org_id"] for p, c in contracts.items()} == {upheld_project: NEXT, dismissed_project: BEST}
    assert contracts[upheld_project]["award_id"] == reaward["award_id"]
    awarded = [e for e in of_type(bus.events, "catalog.project.status_changed") if e["data"]["status"] == "awarded"]
    assert sorted(e["data"]["project_id"] for e in awarded) == sorted([upheld_project, dismissed_project])
    monitored = {m["data"]["contract_id"]: m["data"]["org_id"] for m in of_type(bus.events,
                                                                               "evaluation.monitoring.opened")}
    assert monitored == {c["contract_id"]: c["org_id"] for c in contracts.values()}

    status, final = get(catalog, f"/projects/{upheld_project}")
    assert (final["status"], final["pending_award"], final["contract_id"]) == (
        "awarded", None, contracts[upheld_project]["contract_id"])
    late = await file(bus, reaward["award_id"], LAST)
    assert late["type"] == "matching.complaint.rejected"
    assert "(rule: standstill)" in late["data"]["errors"][0]["message"]
    status, listed = get(matching, "/awards?status=cancelled")
    assert status == 200 and [a["award_id"] for a in listed["items"]] == [proposed[upheld_project]["award_id"]]
    assert listed["items"][0]["complaints"][0]["status"] == "upheld"

    monkeypatch.setenv("MATCHING_URL", matching.url)
    assert await asyncio.to_thread(cli.main, ["awards", "--fair", "wuhou-2015-03-02"]) == 0
    printed = capsys.readouterr().out
    assert "fair wuhou-2015-03-02: final (contract) (2)" in printed
    assert "fair wuhou-2015-03-02: cancelled (1)" in printed and "fair wuhou-2015-03-02: standing still (0)" in printed
    assert f"机构{NEXT[:4]} 2015-03-02: upheld" in printed and "final on 2015-03-12" in printed
