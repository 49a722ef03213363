"""`make training-progress` (`python -m services.training_grading.cli`): how far the district is toward its
training target (distinct people of the counted roles who completed a course, by audience and by street; people of
other roles shown apart), read from training-and-grading's own read API (`TRAINING_GRADING_URL`, else the service
on this machine)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.training_grading.settings import NAME, TrainingGradingSettings
from shared.i18n import N_, _, number, percent
from shared.labels import label
from shared.operator import command, fetch, service_url
from shared.tables import Table, render

TITLE = N_("Training progress toward the district's target")


def progress_table(report: dict[str, Any]) -> Table:
    """`GET /progress` as one table, so audiences and streets line up (Chinese street names too)."""
    def people(count: int) -> str:
        return _("{count} people").format(count=number(count))

    roles = _(", ").join(label(role) for role in report["counted_roles"])
    share = percent(float(report["percent_of_target"]) / 100)
    rows: list[list[str]] = [
        [_("target"), _("{people} ({detail})").format(people=people(report["target"]), detail=roles)],
        [_("completed"), _("{people} ({detail})").format(people=people(report["people_completed"]), detail=share)],
        [_("not counted"), _("{count} people of other roles").format(count=number(report["not_counted"]))],
        ["", ""],
        [_("by audience"), ""],
        *([label(audience), number(count)] for audience, count in report["by_audience"].items()),
        ["", ""],
        [_("by street"), ""],
        *([street, number(count)] for street, count in report["by_street"].items()),
    ]
    return Table(_(TITLE), ["", _("people")], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="training-progress",
                                     description=_("{title}, by audience and by street.").format(title=_(TITLE)))
    parser.parse_args(argv)
    url = service_url(NAME, TrainingGradingSettings().port)
    return command("training-progress", lambda: render(progress_table(fetch(url, "/progress"))))


if __name__ == "__main__":
    sys.exit(main())
