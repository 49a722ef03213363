"""The fault suite's figures: each test records its section into RESULTS.json, and RESULTS.md is rendered from it.

Both files are written by the suite, never by hand: `record(section, figures)` after a test has measured
something, `render()` (called by `record`) to rewrite the markdown with when, where and how each was measured.

Only the full run (`make test-faults`, which sets `FAULT_RESULTS=tracked`) writes the tracked
tests/faults/RESULTS.*; the bounded run inside `make test` writes the same files under .data/fault-results/, so
it never overwrites the full run's evidence with smaller figures. Within one run (one pytest session) the tests
of a section add their rows to it; a section from an earlier run is replaced whole, never merged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shlex
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
ROOT = HERE.parents[1]
TRACKED = os.environ.get("FAULT_RESULTS") == "tracked"
OUT = HERE if TRACKED else ROOT / ".data" / "fault-results"
RESULTS_JSON = OUT / "RESULTS.json"
RESULTS_MD = OUT / "RESULTS.md"
RECORDED_SETTINGS = ("FUZZ_", "FAULT")  # environment settings that change what a fault test measures
# One id per pytest session: the module is imported once per test process.
RUN = f"{datetime.now(UTC).isoformat(timespec='seconds')}/{os.getpid()}"


def machine() -> str:
    return f"{platform.platform()}, {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}"


def command() -> str:
    """The command this run was started with, as an operator would type it, with the settings that shaped it."""
    program = Path(sys.argv[0]).name if sys.argv else "pytest"
    words = ["python", "-m", "pytest"] if program in {"__main__.py", "pytest", "py.test"} else [program]
    settings = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith(RECORDED_SETTINGS)]
    return shlex.join([*settings, *words, *sys.argv[1:]])


def load(path: Path = RESULTS_JSON) -> dict[str, Any]:
    if not path.exists():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One writer at a time, even across test runs in parallel (a lock on the folder: no lock file left behind)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def record(section: str, figures: dict[str, Any], *, path: Path = RESULTS_JSON,
           markdown: Path | None = RESULTS_MD, run: str = RUN) -> dict[str, Any]:
    """Record `figures` as `section` of the results and re-render the markdown. Other sections are kept. Within
    one run a table merges row by row (the tests of one section each add their own row); a section recorded by an
    earlier run is replaced whole, so no figure of an older run survives under a newer date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path.parent):
        results = load(path)
        earlier = results.get(section, {})
        same_run = earlier.get("measured", {}).get("run") == run
        merged = merge(earlier if same_run else {}, figures)
        merged["measured"] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                              "command": command(), "run": run}
        results[section] = merged
        _write(path, json.dumps(results, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        if markdown is not None:
            render(path, markdown)
    return merged


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new` over `old`; a table (a dict of rows) merges row by row, and each row given replaces the old one whole."""
    out = dict(old)
    for key, value in new.items():
        out[key] = {**out[key], **value} if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def render(path: Path = RESULTS_JSON, markdown: Path = RESULTS_MD) -> str:
    """Write the markdown view of the results: one section each, with its date, machine and command."""
    results = load(path)
    lines = ["# Fault-test results", "",
             "Written by the test suite (`tests/faults/support/results.py`) from `RESULTS.json`; do not edit by "
             "hand.", ""]
    for section in sorted(results):
        lines += _section(section, results[section])
    text = "\n".join(lines).rstrip() + "\n"
    _write(markdown, text)
    return text


def _section(name: str, figures: dict[str, Any]) -> list[str]:
    measured = figures.get("measured", {})
    lines = [f"## {name}", "",
             f"- date: {measured.get('at', '?')}",
             f"- run: {measured.get('run', '?')}",
             f"- machine: {measured.get('machine', '?')}",
             f"- command: `{measured.get('command', '?')}`", ""]
    scalars = {k: v for k, v in figures.items() if k != "measured" and not isinstance(v, dict)}
    tables = {k: v for k, v in figures.items() if k != "measured" and isinstance(v, dict)}
    if scalars:
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {k} | {_cell(v)} |" for k, v in sorted(scalars.items())]
        lines.append("")
    for key, table in sorted(tables.items()):
        lines += [f"### {key}", "", *_table(table), ""]
    return lines


def _table(rows: dict[str, Any]) -> list[str]:
    """Rows whose values are all dicts become one table with a column per key; anything else, key | value."""
    if rows and all(isinstance(v, dict) for v in rows.values()):
        columns: list[str] = []
        for row in rows.values():
            columns += [c for c in row if c not in columns]
        out = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        out += [f"| {name} | " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |"
                for name, row in rows.items()]
        return out
    return ["| | value |", "|---|---|"] + [f"| {k} | {_cell(v)} |" for k, v in rows.items()]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("|", "\\|")
    return str(value).replace("|", "\\|")
