"""The fault suite's evidence: a section is one run's figures, never a merge of runs; the bounded run inside
`make test` never writes the tracked results."""

from __future__ import annotations

import json
from pathlib import Path

from tests.faults.support import results


def test_a_later_run_replaces_a_section_whole_and_one_run_adds_rows(tmp_path: Path) -> None:
    path, markdown = tmp_path / "RESULTS.json", tmp_path / "RESULTS.md"
    results.record("fuzz", {"by service": {"catalog": {"cases": 2000}}, "old figure": 1}, path=path,
                   markdown=markdown, run="run-1")
    results.record("fuzz", {"by service": {"matching": {"cases": 2000}}}, path=path, markdown=markdown, run="run-1")
    results.record("other", {"x": 1}, path=path, markdown=markdown, run="run-1")
    assert set(results.load(path)["fuzz"]["by service"]) == {"catalog", "matching"}
    results.record("fuzz", {"by service": {"catalog": {"cases": 300}}}, path=path, markdown=markdown, run="run-2")
    fuzz = results.load(path)["fuzz"]
    assert fuzz["by service"] == {"catalog": {"cases": 300}} and "old figure" not in fuzz
    assert fuzz["measured"]["run"] == "run-2" and results.load(path)["other"]["x"] == 1
    assert "- run: run-2" in markdown.read_text()


def test_the_bounded_run_writes_outside_the_tracked_results() -> None:
    tracked = Path(results.__file__).resolve().parents[1] / "RESULTS.json"
    assert results.TRACKED or tracked != results.RESULTS_JSON
    assert json.loads(tracked.read_text())  # the full run's evidence stays in the repository
