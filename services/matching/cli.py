"""`make fair FAIR=<fair_id or fair_ref>` (`python -m services.matching.cli <fair>`): one fair's invitations, its
schedule as a grid of tables by clock time (each cell the short name of the organization at that table), and its
awards;
`make awards` (`python -m services.matching.cli awards [--fair F] [--batch B] [--status S]`): awards by state
(standing still, under complaint, final, cancelled) with the standstill's end and every complaint. Both read
matching's own read API (`MATCHING_URL`, else the service on this machine)."""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from typing import Any

from services.matching.domain.eligibility import yuan
from services.matching.settings import NAME, MatchingSettings
from shared.operator import command, fetch, service_url
from shared.tables import Table, render_all, short_names

Answer = dict[str, Any]


def invitations_table(fair: Answer) -> Table:
    names = fair["names"]
    rows = [[str(n), names.get(i["org_id"], i["org_id"]), f"{i['fit_score']:.2f}", i["project_id"]]
            for n, i in enumerate(fair["invitations"], start=1)]
    return Table(f"Fair {fair['fair_ref']} (batch {fair['batch']}, {fair['date']}): {len(rows)} invited, best fit "
                 "first", ["#", "organization", "fit", "best-fitting project"], rows,
                 align=("right", "left", "right", "left"))


def slot_clock(fair: Answer, schedule: Answer) -> dict[int, str]:
    """Each slot's start (HH:MM, the district's time), from its meetings, else from the fair's start and breaks."""
    clock = {m["slot"]: m["starts_at"][11:16] for m in schedule["meetings"] if m.get("starts_at")}
    if "starts_at" in fair:
        hours, minutes = (int(part) for part in fair["starts_at"].split(":")[:2])
        for slot in range(1, schedule["slots"] + 1):
            paused = sum(b["minutes"] for b in fair.get("breaks", []) if b["after_slot"] < slot)
            begins = hours * 60 + minutes + (slot - 1) * fair["slot_minutes"] + paused
            clock.setdefault(slot, f"{begins // 60 % 24:02d}:{begins % 60:02d}")
    return clock


def schedule_tables(fair: Answer, schedule: Answer | None) -> list[Table]:
    """The grid of tables by clock time (each cell the organization's short name), and the meetings left out."""
    if schedule is None:
        return [Table("Schedule", ["table", "purchaser"], [], empty="(not scheduled yet)")]
    names = short_names(schedule["names"])
    slots = range(1, schedule["slots_used"] + 1)
    clock = slot_clock(fair, schedule)
    grid: dict[int, dict[int, str]] = {}
    purchasers: dict[int, str] = {}
    for m in schedule["meetings"]:
        mark = ("*" if m.get("locked") else "") + ("!" if m.get("must") else "")
        grid.setdefault(m["table"], {})[m["slot"]] = names.get(m["org_id"], m["org_id"]) + mark
        purchasers[m["table"]] = m["purchaser"]["name"]
    rows = [[str(table), purchasers[table], *(grid[table].get(slot, "") for slot in slots)] for table in sorted(grid)]
    tables = [Table(f"Schedule (revision {schedule.get('revision', 1)}): {len(schedule['meetings'])} meetings in "
                    f"{schedule['slots_used']} of {schedule['slots']} slots of {fair['slot_minutes']} minutes "
                    "(* locked, ! must)",
                    ["table", "purchaser", *(clock.get(slot, f"slot {slot}") for slot in slots)], rows,
                    align=("right",))]
    if schedule["unscheduled"]:
        tables.append(Table("Meetings that did not take place", ["organization", "purchaser", "fit", "why"],
                            [[names.get(u["org_id"], u["org_id"]), u["purchaser"]["name"], f"{u['fit_score']:.2f}",
                              u["reason"]] for u in schedule["unscheduled"]], align=("left", "left", "right")))
    return tables


STATES = {"proposed": "standing still", "challenged": "under complaint", "final": "final (contract)",
          "cancelled": "cancelled"}


def _state(award: Answer) -> str:
    if award["status"] == "proposed":
        return f"standing still to {award['standstill_ends']}"
    if award["status"] == "challenged":
        return f"under complaint, {award['days_left']} working days left"
    if award["status"] == "final":
        return f"final on {award['final_on']}"
    return f"cancelled on {award['cancelled_on']}"


def _complaints(award: Answer, names: dict[str, str]) -> str:
    return "; ".join(f"{names.get(c['org_id'], c['org_id'][:8])} {c['filed_on']}: {c['status']}"
                     for c in award["complaints"]) or "-"


def awards_tables(awards: Answer | None) -> list[Table]:
    """The awards as they stand (re-awards included), and the projects left without one."""
    if awards is None:
        return [Table("Awards", ["project", "organization"], [], empty="(not decided yet)")]
    names = awards["names"]
    return [
        Table(f"Awards decided on {awards['decided_on']}: {len(awards['awards'])} proposed",
              ["project", "organization", "amount (yuan)", "fit", "price", "value", "state", "complaints"],
              [[a["title"], names.get(a["org_id"], a["org_id"]), yuan(a["amount_fen"]), f"{a['fit_score']:.2f}",
                f"{a['price_points']:.2f}", f"{a['value_score']:.2f}", _state(a), _complaints(a, names)]
               for a in awards["current"]], align=("left", "left", "right", "right", "right", "right")),
        Table(f"Projects not awarded: {len(awards['unawarded'])}", ["project", "why"],
              [[u["project_id"], u["reason"]] for u in awards["unawarded"]]),
    ]


def awards_by_state(page: Answer, heading: str) -> list[Table]:
    """One table per state, in the order an award goes through them."""
    names = page["names"]
    tables = []
    for status, label in STATES.items():
        rows = [[a["title"], names.get(a["org_id"], a["org_id"]), yuan(a["amount_fen"]), f"{a['value_score']:.2f}",
                 str(a["proposed_on"]), _state(a), _complaints(a, names), a["award_id"]]
                for a in page["items"] if a["status"] == status]
        tables.append(Table(f"{heading}: {label} ({len(rows)})",
                            ["project", "organization", "amount (yuan)", "value", "proposed", "state", "complaints",
                             "award_id"], rows, align=("left", "left", "right", "right")))
    return tables


def awards_report(url: str, fair: str | None, batch: str | None, status: str | None) -> str:
    """Every award (of a fair, a batch, or all), grouped by state."""
    params: dict[str, Any] = {"batch": batch, "status": status}
    heading = f"batch {batch}" if batch else "awards"
    if fair is not None:
        by_ref = fetch(url, "/fairs", {"fair_ref": fair, "limit": 1})["items"]
        params["fair_id"] = by_ref[0]["fair_id"] if by_ref else fair
        heading = f"fair {fair}"
    items: list[Answer] = []
    names: dict[str, str] = {}
    while True:
        page = fetch(url, "/awards", {**params, "limit": 200, "offset": len(items)})
        items += page["items"]
        names |= page["names"]
        if len(items) >= page["total"] or not page["items"]:
            break
    return render_all(awards_by_state({"items": items, "names": names}, heading))


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


def awards_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="awards", description="Awards by state, with standstills and complaints.")
    parser.add_argument("--fair", help="only this fair (its fair_ref or fair_id)")
    parser.add_argument("--batch", help="only the fairs of this batch (e.g. 2015-1)")
    parser.add_argument("--status", choices=sorted(STATES), help="only awards in this state")
    args = parser.parse_args(argv)
    url = service_url(NAME, MatchingSettings().port)
    return command("awards", lambda: awards_report(url, args.fair, args.batch, args.status))


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["awards"]:  # `make awards`; a fair whose ref is "awards" is reached by its fair_id
        return awards_main(given[1:])
    parser = argparse.ArgumentParser(prog="fair", description="One fair: invitations, schedule grid, awards.")
    parser.add_argument("fair", help="the fair's fair_ref (e.g. wuhou-2014-11-19) or its fair_id")
    args = parser.parse_args(given)
    url = service_url(NAME, MatchingSettings().port)
    return command("fair", lambda: fair_report(url, args.fair))


if __name__ == "__main__":
    sys.exit(main())
