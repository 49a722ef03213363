"""`make fair FAIR=<fair_id or fair_ref>` (`python -m services.matching.cli <fair>`): one fair's invitations, its
schedule as a grid of tables by slots (each cell the organization at that table), and its awards, read from
matching's own read API (`MATCHING_URL`, else the service on this machine)."""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from typing import Any

from services.matching.domain.eligibility import yuan
from services.matching.settings import NAME, MatchingSettings
from shared.operator import command, fetch, service_url
from shared.tables import Table, render_all

Answer = dict[str, Any]


def invitations_table(fair: Answer) -> Table:
    names = fair["names"]
    rows = [[str(n), names.get(i["org_id"], i["org_id"]), f"{i['fit_score']:.2f}", i["project_id"]]
            for n, i in enumerate(fair["invitations"], start=1)]
    return Table(f"Fair {fair['fair_ref']} (batch {fair['batch']}, {fair['date']}): {len(rows)} invited, best fit "
                 "first", ["#", "organization", "fit", "best-fitting project"], rows,
                 align=("right", "left", "right", "left"))


def schedule_tables(fair: Answer, schedule: Answer | None) -> list[Table]:
    """The grid of tables by slots, and the meetings that did not fit."""
    if schedule is None:
        return [Table("Schedule", ["table", "purchaser"], [], empty="(not scheduled yet)")]
    names = schedule["names"]
    slots = range(1, schedule["slots_used"] + 1)
    grid: dict[int, dict[int, str]] = {}
    purchasers: dict[int, str] = {}
    for m in schedule["meetings"]:
        grid.setdefault(m["table"], {})[m["slot"]] = names.get(m["org_id"], m["org_id"])
        purchasers[m["table"]] = m["purchaser"]["name"]
    rows = [[str(table), purchasers[table], *(grid[table].get(slot, "") for slot in slots)] for table in sorted(grid)]
    tables = [Table(f"Schedule: {len(schedule['meetings'])} meetings in {schedule['slots_used']} of "
                    f"{schedule['slots']} slots of {fair['slot_minutes']} minutes",
                    ["table", "purchaser", *(f"slot {slot}" for slot in slots)], rows, align=("right",))]
    if schedule["unscheduled"]:
        tables.append(Table("Meetings that did not fit", ["organization", "purchaser", "fit", "why"],
                            [[names.get(u["org_id"], u["org_id"]), u["purchaser"]["name"], f"{u['fit_score']:.2f}",
                              u["reason"]] for u in schedule["unscheduled"]], align=("left", "left", "right")))
    return tables


def awards_tables(awards: Answer | None) -> list[Table]:
    """The contracts awarded, and the projects left without one."""
    if awards is None:
        return [Table("Awards", ["project", "organization"], [], empty="(not decided yet)")]
    names = awards["names"]
    return [
        Table(f"Awards decided on {awards['decided_on']}: {len(awards['awards'])} contracts",
              ["project", "organization", "amount (yuan)", "fit"],
              [[a["title"], names.get(a["org_id"], a["org_id"]), yuan(a["amount_fen"]), f"{a['fit_score']:.2f}"]
               for a in awards["awards"]], align=("left", "left", "right", "right")),
        Table(f"Projects not awarded: {len(awards['unawarded'])}", ["project", "why"],
              [[u["project_id"], u["reason"]] for u in awards["unawarded"]]),
    ]


def fair_tables(fair: Answer, schedule: Answer | None, awards: Answer | None) -> list[Table]:
    return [invitations_table(fair), *schedule_tables(fair, schedule), *awards_tables(awards)]


def fair_report(url: str, fair: str) -> str:
    """The fair named by its fair_ref, else by its fair_id, as tables."""
    by_ref = fetch(url, "/fairs", {"fair_ref": fair, "limit": 1})["items"]
    path = "/fairs/" + urllib.parse.quote(by_ref[0]["fair_id"] if by_ref else fair, safe="")
    found = fetch(url, path)
    schedule = fetch(url, f"{path}/schedule") if found["scheduled"] else None
    awards = fetch(url, f"{path}/awards") if found["awards_decided_on"] else None
    return render_all(fair_tables(found, schedule, awards))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fair", description="One fair: invitations, schedule grid, awards.")
    parser.add_argument("fair", help="the fair's fair_ref (e.g. wuhou-2014-11-19) or its fair_id")
    args = parser.parse_args(argv)
    url = service_url(NAME, MatchingSettings().port)
    return command("fair", lambda: fair_report(url, args.fair))


if __name__ == "__main__":
    sys.exit(main())
