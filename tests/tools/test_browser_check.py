"""The report's browser check can fail: a real headless Chromium reports a page's console errors, exceptions and
failed loads, tells a drawn chart from an empty one, and writes the screenshot next to the page. Chromium must be
installed (`.ci/run` installs Debian's `chromium`): without it these tests fail, they do not skip."""

from __future__ import annotations

from pathlib import Path

from tools.demo.browser import check_page

CHART = '<svg aria-label="{label}" width="200" height="40"><rect x="0" y="0" width="{width}" height="20"/></svg>'


def page(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "report.html"
    path.write_text(f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>t</title></head><body>{body}"
                    "</body></html>", encoding="utf-8")
    return path


def test_a_clean_page_has_no_errors_every_chart_drawn_and_a_screenshot_beside_it(tmp_path: Path) -> None:
    check = check_page(page(tmp_path, CHART.format(label="资金", width=120) + CHART.format(label="b", width=3)))

    assert check.errors == []
    assert [(c.label, c.drawn) for c in check.charts] == [("资金", True), ("b", True)]
    assert check.screenshot == tmp_path / "report.png"
    assert check.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_console_errors_exceptions_and_failed_loads_are_reported(tmp_path: Path) -> None:
    body = '<img src="nowhere.png"><script>console.error("坏了"); notDefined();</script>'

    errors = sorted(check_page(page(tmp_path, body)).errors)  # the image may fail before or after the script runs

    assert len(errors) == 3
    assert errors[0] == "console: 坏了"
    assert errors[1].startswith("exception: ReferenceError: notDefined is not defined")
    assert errors[2].startswith("log: Failed to load resource") and "nowhere.png" in errors[2]


def test_a_chart_without_a_visible_mark_is_not_drawn(tmp_path: Path) -> None:
    check = check_page(page(tmp_path, CHART.format(label="empty", width=0)))

    assert [c.label for c in check.undrawn] == ["empty"]
