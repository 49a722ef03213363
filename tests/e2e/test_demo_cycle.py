"""`make demo` in small: the whole year through the five services as processes, and its report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.processes import ServiceProcess
from tools.demo.__main__ import run_cycle, write_report
from tools.demo.bus import Progress
from tools.demo.cycle import SMALL
from tools.suite import SUITE

pytestmark = pytest.mark.e2e


async def test_a_small_year_runs_end_to_end_and_its_report_matches_the_seed(
    start_service: Callable[..., ServiceProcess], rabbit_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for spec in SUITE:
        process = start_service(spec.module)
        monkeypatch.setenv(spec.port_var, str(process.port))  # the demo watches the services' /metrics
    record = await run_cycle(rabbit_url, SMALL, Progress(enabled=False))

    assert len(record.projects) == 24 and all(p["new"] for p in record.projects.values())
    assert len(record.organizations) == 60 and record.people_added == 120
    assert len({(c["data"]["org_id"], c["data"]["audience"]) for c in record.completions}) == 40
    assert len(record.grades) == 12
    assert record.fair is not None and len(record.fair["data"]["invited"]) > 10
    assert record.schedule is not None and record.schedule["type"] == "matching.fair.scheduled"
    meetings = record.schedule["data"]["meetings"]
    assert len({(m["org_id"], m["slot"]) for m in meetings}) == len(meetings)  # nobody in two places at once
    assert len({(m["table"], m["slot"]) for m in meetings}) == len(meetings)
    assert record.awards and len(record.awards) + len(record.unawarded) == 24
    assert len(record.evaluations) == len(record.awards)
    assert {c["data"]["project_id"] for c in record.status_changes if c["data"]["status"] == "evaluated"} == {
        a["data"]["project_id"] for a in record.awards}

    path = write_report(record, SMALL, tmp_path)
    printed = capsys.readouterr().out
    assert "24 projects published" in printed and "60 organizations" in printed
    assert f"{len(record.awards)} contracts" in printed and "40 of 40 people trained" in printed
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") >= 5 and "slot 1" in page
    # Readable offline: nothing is loaded from anywhere (the only URL is the SVG namespace).
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg")
