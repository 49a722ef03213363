"""`make training-progress` (`python -m services.training_grading.cli`): how far the district is toward its
training target (distinct people of the counted roles who completed a course, by audience and by street; people of
other roles shown apart), read from training-and-grading's own read API (`TRAINING_GRADING_URL`, else the service
on this machine)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.training_grading.settings import NAME, TrainingGradingSettings
from shared.operator import command, fetch, service_url
from shared.tables import Table, render

TITLE = "Training progress toward the district's target"


def progress_table(report: dict[str, Any]) -> Table:
    """`GET /progress` as one table, so audiences and streets line up (Chinese street names too)."""
    rows: list[list[str]] = [
        ["target", f"{report['target']:,} people ({', '.join(report['counted_roles'])})"],
        ["completed", f"{report['people_completed']:,} people ({report['percent_of_target']} %)"],
        ["not counted", f"{report['not_counted']:,} people of other roles"],
        ["", ""],
        ["by audience", ""],
        *([audience, f"{count:,}"] for audience, count in report["by_audience"].items()),
        ["", ""],
        ["by street", ""],
        *([street, f"{count:,}"] for street, count in report["by_street"].items()),
    ]
    return Table(TITLE, ["", "people"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="training-progress", description=f"{TITLE}, by audience and by street.")
    parser.parse_args(argv)
    url = service_url(NAME, TrainingGradingSettings().port)
    return command("training-progress", lambda: render(progress_table(fetch(url, "/progress"))))


if __name__ == "__main__":
    sys.exit(main())
