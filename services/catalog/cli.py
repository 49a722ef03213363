"""`make projects` (`python -m services.catalog.cli`): the catalog's projects by category and status, read from
the catalog's own read API (`CATALOG_URL`, else the service on this machine)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from services.catalog.settings import NAME, CatalogSettings
from shared.contracts.common import CATEGORIES
from shared.i18n import _, amount, number
from shared.labels import label
from shared.operator import command, fetch_all, service_url
from shared.tables import Align, Table, render_all

STATUSES = ("published", "awarded", "evaluated", "withdrawn")
COUNTS: tuple[Align, ...] = ("left", "right", "right", "right", "right", "right")


def projects_tables(projects: list[dict[str, Any]], batch: str | None) -> list[Table]:
    """Projects per category and status, and the budget per purchaser in yuan."""
    by_category = Counter((p["category"], p["status"]) for p in projects)
    rows = [[category, *(number(by_category[category, s]) for s in STATUSES),
             number(sum(by_category[category, s] for s in STATUSES))] for category in CATEGORIES]
    budgets: Counter[str] = Counter()
    for p in projects:
        budgets[p["purchaser"]["name"]] += p["budget_fen"]
    scope = _("batch {batch}").format(batch=batch) if batch else _("every batch")
    return [
        Table(_("Projects of {scope}: {count}").format(scope=scope, count=number(len(projects))),
              [_("category"), *(label(s) for s in STATUSES), _("total")], rows, align=COUNTS),
        Table(_("Budget per purchaser (yuan)"), [_("purchaser"), _("projects"), _("budget")],
              [[name, number(sum(1 for p in projects if p["purchaser"]["name"] == name)), amount(fen)]
               for name, fen in sorted(budgets.items(), key=lambda kv: -kv[1])], align=("left", "right", "right")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="projects", description=_("The catalog's projects by category and status."))
    parser.add_argument("--batch", help=_("one batch only (e.g. 2015-1)"))
    args = parser.parse_args(argv)
    url = service_url(NAME, CatalogSettings().port)
    return command("projects", lambda: render_all(projects_tables(
        fetch_all(url, "/projects", {"batch": args.batch}), args.batch)))


if __name__ == "__main__":
    sys.exit(main())
