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
from datetime import date
from typing import Any

from services.matching.settings import NAME, MatchingSettings
from shared.i18n import N_, _, amount, day, number
from shared.labels import label
from shared.operator import command, fetch, service_url
from shared.tables import Table, render_all, short_names

Answer = dict[str, Any]


def invitations_table(fair: Answer) -> Table:
    names = fair["names"]
    rows = [[str(n), names.get(i["org_id"], i["org_id"]), number(i["fit_score"], 2), i["project_id"]]
            for n, i in enumerate(fair["invitations"], start=1)]
    return Table(_("Fair {fair_ref} (batch {batch}, {day}): {count} invited, best fit first").format(
        fair_ref=fair["fair_ref"], batch=fair["batch"], day=day(date.fromisoformat(fair["date"])),
                     count=number(len(rows))),
                 ["#", _("organization"), _("fit"), _("best-fitting project")], rows,
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
        return [Table(_("Schedule"), [_("table"), _("purchaser")], [], empty=N_("(not scheduled yet)"))]
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
    title = _("Schedule (revision {revision}): {meetings} meetings in {used} of {slots} slots of {minutes} minutes "
              "(* locked, ! must)").format(
        revision=schedule.get("revision", 1), meetings=number(len(schedule["meetings"])),
        used=number(schedule["slots_used"]), slots=number(schedule["slots"]), minutes=number(fair["slot_minutes"]))
    tables = [Table(title, [_("table"), _("purchaser"), *(clock.get(slot) or _("slot {slot}").format(slot=slot)
                                                          for slot in slots)], rows, align=("right",))]
    if schedule["unscheduled"]:
        tables.append(Table(_("Meetings that did not take place"),
                            [_("organization"), _("purchaser"), _("fit"), _("why")],
                            [[names.get(u["org_id"], u["org_id"]), u["purchaser"]["name"], number(u["fit_score"], 2),
                              u["reason"]] for u in schedule["unscheduled"]], align=("left", "left", "right")))
    return tables


STATES = {"proposed": N_("standing still"), "challenged": N_("under complaint"), "final": N_("final (contract)"),
          "cancelled": N_("cancelled")}


def _state(award: Answer) -> str:
    if award["status"] == "proposed":
        return _("standing still to {day}").format(day=award["standstill_ends"])
    if award["status"] == "challenged":
        return _("under complaint, {days} working days left").format(days=number(award["days_left"]))
    if award["status"] == "final":
        return _("final on {day}").format(day=award["final_on"])
    return _("cancelled on {day}").format(day=award["cancelled_on"])


def _complaints(award: Answer, names: dict[str, str]) -> str:
    return "; ".join(f"{names.get(c['org_id'], c['org_id'][:8])} {c['filed_on']}: {label(c['status'])}"
                     for c in award["complaints"]) or "-"


def awards_tables(awards: Answer | None) -> list[Table]:
    """The awards as they stand (re-awards included), and the projects left without one."""
    if awards is None:
        return [Table(_("Awards"), [_("project"), _("organization")], [], empty=N_("(not decided yet)"))]
    names = awards["names"]
    return [
        Table(_("Awards decided on {day}: {count} proposed").format(
            day=day(date.fromisoformat(awards["decided_on"])), count=number(len(awards["awards"]))),
              [_("project"), _("organization"), _("amount (yuan)"), _("fit"), _("price"), _("value"), _("state"),
               _("complaints")],
              [[a["title"], names.get(a["org_id"], a["org_id"]), amount(a["amount_fen"]), number(a["fit_score"], 2),
                number(a["price_points"], 2), number(a["value_score"], 2), _state(a), _complaints(a, names)]
               for a in awards["current"]], align=("left", "left", "right", "right", "right", "right")),
        Table(_("Projects not awarded: {count}").format(count=number(len(awards["unawarded"]))),
              [_("project"), _("why")],
              [[u["project_id"], u["reason"]] for u in awards["unawarded"]]),
    ]


def awards_by_state(page: Answer, heading: str) -> list[Table]:
    """One table per state, in the order an award goes through them."""
    names = page["names"]
    tables = []
    for status, state in STATES.items():
        rows = [[a["title"], names.get(a["org_id"], a["org_id"]), amount(a["amount_fen"]), number(a["value_score"], 2),
                 str(a["proposed_on"]), _state(a), _complaints(a, names), a["award_id"]]
                for a in page["items"] if a["status"] == status]
        title = _("{heading}: {state} ({count})").format(heading=heading, state=_(state), count=number(len(rows)))
        tables.append(Table(title,
                            [_("project"), _("organization"), _("amount (yuan)"), _("value"), _("proposed on"),
                             _("state"), _("complaints"), "award_id"], rows, align=("left", "left", "right", "right")))
    return tables


def awards_report(url: str, fair: str | None, batch: str | None, status: str | None) -> str:
    """Every award (of a fair, a batch, or all), grouped by state."""
    params: dict[str, Any] = {"batch": batch, "status": status}
    heading = _("batch {batch}").format(batch=batch) if batch else _("awards")
    if fair is not None:
        by_ref = fetch(url, "/fairs", {"fair_ref": fair, "limit": 1})["items"]
        params["fair_id"] = by_ref[0]["fair_id"] if by_ref else fair
        heading = _("fair {fair}").format(fair=fair)
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
    parser = argparse.ArgumentParser(prog="awards", description=_("Awards by state, with standstills and complaints."))
    parser.add_argument("--fair", help=_("only this fair (its fair_ref or fair_id)"))
    parser.add_argument("--batch", help=_("only the fairs of this batch (e.g. 2015-1)"))
    parser.add_argument("--status", choices=sorted(STATES), help=_("only awards in this state"))
    args = parser.parse_args(argv)
    url = service_url(NAME, MatchingSettings().port)
    return command("awards", lambda: awards_report(url, args.fair, args.batch, args.status))


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["awards"]:  # `make awards`; a fair whose ref is "awards" is reached by its fair_id
        return awards_main(given[1:])
    parser = argparse.ArgumentParser(prog="fair", description=_("One fair: invitations, schedule grid, awards."))
    parser.add_argument("fair", help=_("the fair's fair_ref (e.g. wuhou-2014-11-19) or its fair_id"))
    args = parser.parse_args(given)
    url = service_url(NAME, MatchingSettings().port)
    return command("fair", lambda: fair_report(url, args.fair))


if __name__ == "__main__":
    sys.exit(main())
