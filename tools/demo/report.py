"""The year's report: figures computed from what the services announced, printed and as an offline HTML page."""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from shared.i18n import N_, _, amount, current, day, moment, number, percent, wan_yuan, wan_yuan_unit
from shared.i18n import yuan as yuan_with_unit
from shared.labels import factor_label
from shared.labels import label as label_of
from shared.tables import pad, short_names
from tools.demo.cycle import CycleRecord
from tools.demo.delivery_figures import Delivery, Money, delivery, money

RATINGS = ("excellent", "good", "pass", "fail")
GRADES = ("5A", "4A", "3A", "2A", "1A", "none")


def yuan(fen: int) -> str:
    """Yuan with two decimals, the unit named by the heading or caption beside it."""
    return amount(fen)


def _day(text: str | None) -> str:
    """An ISO date the services announced, as a person reads it in the current language."""
    return day(date.fromisoformat(text)) if text else "-"


# What the summary and the report call each part of the year and each thing the demo made happen on purpose.
STAGES = {"seed": N_("seed"), "training": N_("training"), "grading": N_("grading"), "fair": N_("fair"),
          "delivery": N_("delivery")}
STORY = {"contract": N_("contract"), "returned": N_("returned"), "overdue then met": N_("overdue then met"),
         "backdated": N_("backdated"), "appeal": N_("appeal")}


def _grade(code: str) -> str:
    return _("no grade") if code == "none" else code


@dataclass
class Figures:
    """Every number the report shows, derived once from the record."""

    projects: int
    budget_fen: int
    by_category: list[tuple[str, int, int, int, int]]  # category, projects, budget, awarded, awarded amount
    by_purchaser: list[tuple[str, int, int, int]]  # purchaser, projects, budget, awarded
    organizations: int
    communities: int
    new_projects: int  # announced by the catalog in this run (the rest: already there, read from its API)
    new_organizations: int
    short_communities: list[tuple[str, str, int]]
    people: int
    trained: int
    target: int
    trained_by_audience: dict[str, int]
    trained_by_street: dict[str, int]
    grades: dict[str, int]
    invited: int
    interests_recorded: int
    interests_rejected: Counter[str]
    meetings: int
    slots_used: int
    unscheduled: int
    awards: int
    awarded_fen: int
    unawarded: Counter[str]
    ratings: dict[str, int]
    mean_score: float
    released_fen: int
    withheld_fen: int
    due_fen: int
    money_by_category: list[Money]
    money_by_purchaser: list[Money]
    delivery: Delivery
    evaluated_in_catalog: int
    proposed: int = 0  # awards proposed, re-awards included
    cancelled: int = 0  # awards cancelled on an upheld complaint
    day_moved_to: str | None = None  # the drill's day, past the last standstill


_RULE = re.compile(r"[(（](?:rule|规则)[:：]\s*([\w-]+)[)）]\s*$")


def _rule(message: str) -> str:
    """The rule a refusal names (its code, the same in every language), else the refusal's first words."""
    found = _RULE.search(message)
    return found.group(1) if found else message[:60]


def _reason(reason: str) -> str:
    """A reason without its particulars in parentheses, to count alike reasons together."""
    return re.split(r" \(|（", reason, maxsplit=1)[0]


def figures(record: CycleRecord, target: int) -> Figures:
    projects = list(record.projects.values())
    award_by_project = {a["data"]["project_id"]: a["data"] for a in record.awards}
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    purchasers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in projects:
        award = award_by_project.get(p["project_id"])
        row = categories[p["category"]]
        row[0] += 1
        row[1] += p["budget_fen"]
        row[2] += award is not None
        row[3] += award["amount_fen"] if award else 0
        prow = purchasers[p["purchaser"]["name"]]
        prow[0] += 1
        prow[1] += p["budget_fen"]
        prow[2] += award is not None
    census_communities = [c for street in record.census.get("streets", []) for c in street["communities"]]
    streets = {o["org_id"]: o["street"] for o in record.organizations.values()}
    trained_people = {(c["data"]["org_id"], c["data"]["audience"]) for c in record.completions}
    grade_counts = Counter((g["data"]["grade"] or "none") for g in record.grades)
    rejected_interests = Counter(_rule(e["message"]) for i in record.interests
                                 if i["type"] == "matching.interest.rejected" for e in i["data"]["errors"])
    meetings = record.schedule["data"]["meetings"] if record.schedule else []
    scores = [float(e["data"]["score"]) for e in record.evaluations]
    money_by_category, money_by_purchaser = money(record, "category"), money(record, "purchaser")
    return Figures(
        projects=len(projects), budget_fen=sum(p["budget_fen"] for p in projects),
        by_category=sorted(((c, *v) for c, v in categories.items()), key=lambda r: -r[2]),  # type: ignore[misc]
        by_purchaser=sorted(((n, *v) for n, v in purchasers.items()), key=lambda r: -r[2]),  # type: ignore[misc]
        organizations=len(record.organizations), communities=len(census_communities),
        short_communities=sorted((c["street"], c["community"], c["active"])
                                 for c in record.census.get("below_minimum", [])),
        new_projects=sum(1 for p in projects if p["new"]),
        new_organizations=sum(1 for o in record.organizations.values() if o["new"]),
        people=record.people_added, trained=len(trained_people), target=target,
        trained_by_audience=dict(Counter(a for _, a in trained_people)),
        trained_by_street=dict(Counter(streets.get(o, "?") for o, _ in trained_people).most_common()),
        grades={g: grade_counts.get(g, 0) for g in GRADES},
        invited=len(record.fair["data"]["invited"]) if record.fair else 0,
        interests_recorded=sum(1 for i in record.interests if i["type"] == "matching.interest.recorded"),
        interests_rejected=rejected_interests,
        meetings=len(meetings), slots_used=len({m["slot"] for m in meetings}),
        unscheduled=len(record.schedule["data"]["unscheduled"]) if record.schedule else 0,
        awards=len(record.awards), awarded_fen=sum(a["data"]["amount_fen"] for a in record.awards),
        unawarded=Counter(_reason(u["data"]["reason"]) for u in record.unawarded),
        ratings={r: sum(1 for e in record.evaluations if e["data"]["rating"] == r) for r in RATINGS},
        mean_score=sum(scores) / len(scores) if scores else 0.0,
        released_fen=sum(m.released_fen for m in money_by_category),
        withheld_fen=sum(m.withheld_fen for m in money_by_category),
        due_fen=sum(m.due_fen for m in money_by_category),
        money_by_category=money_by_category, money_by_purchaser=money_by_purchaser, delivery=delivery(record),
        evaluated_in_catalog=len({c["data"]["project_id"] for c in record.status_changes
                                  if c["data"]["status"] == "evaluated"}),
        proposed=len(record.proposals),
        cancelled=sum(1 for c in record.challenges for e in c["then"] if e["type"] == "matching.award.cancelled"),
        day_moved_to=record.drill[0]["data"]["today"] if record.drill else None,
    )


def _line(part: str, text: str) -> str:
    """One line of the summary: the part of the year, then what happened in it."""
    return f"  {pad(part, 14)} {text}"


def reschedule_lines(record: CycleRecord) -> list[str]:
    """What the purchasers said and what the reschedule changed, one line each."""
    said = Counter(e["type"] for e in record.sides)
    if record.rescheduled is None:
        return []
    change = record.rescheduled["data"]
    lines = [_("{availabilities} availabilities, {declines} declines, {requests} must-meet requests, {locked} "
               "locked; rescheduled: {added} added, {moved} moved, {cancelled} cancelled").format(
        availabilities=number(said["matching.fair.availability_recorded"]),
        declines=number(said["matching.meeting.declined"]), requests=number(said["matching.meeting.requested"]),
        locked=number(said["matching.meeting.locked"]), added=number(len(change.get("added", []))),
        moved=number(len(change.get("moved", []))), cancelled=number(len(change.get("cancelled", []))))]
    lines += [_("moved from slot {before} to {after}: {reason}").format(
        before=m["from_slot"], after=m["meeting"]["slot"], reason=m["reason"]) for m in change.get("moved", [])]
    lines += [_("cancelled: {reason}").format(reason=c["reason"]) for c in change.get("cancelled", [])]
    return lines


def summary(record: CycleRecord, f: Figures) -> str:
    """What `make demo` prints at the end: the year, part by part, in the operators' language."""
    listed = _(", ")
    lines = [
        _("District annual cycle (run {run}, batch {batch})").format(
            run=record.run, batch=record.district.projects[0]["batch"]),
        _line(_("catalog"), _("{projects} projects published, budget {budget} ({new} announced by the catalog now, "
                              "{read} read from its API)").format(
            projects=number(f.projects), budget=yuan_with_unit(f.budget_fen), new=number(f.new_projects),
            read=number(f.projects - f.new_projects))),
        _line(_("register"), _("{organizations} organizations ({new} announced by registration now, {read} read "
                               "from its API), {people} people added; census: {communities} communities, {short} "
                               "below the minimum").format(
            organizations=number(f.organizations), new=number(f.new_organizations),
            read=number(f.organizations - f.new_organizations), people=number(f.people),
            communities=number(f.communities), short=number(len(f.short_communities)))),
        _line(_("training"), _("{trained} of {target} people trained ({share}): {by_audience}").format(
            trained=number(f.trained), target=number(f.target), share=percent(f.trained / f.target),
            by_audience=listed.join(f"{label_of(k)} {number(v)}" for k, v in sorted(f.trained_by_audience.items())))),
        _line(_("grading"), _("{assessed} assessed: {grades}").format(
            assessed=number(sum(f.grades.values())),
            grades=listed.join(f"{_grade(g)} {number(n)}" for g, n in f.grades.items()))),
        _line(_("fair"), _("{invited} organizations invited, {recorded} interests recorded, {refused} refused, "
                           "{meetings} one-to-one meetings in {slots} slots, {unscheduled} unscheduled").format(
            invited=number(f.invited), recorded=number(f.interests_recorded),
            refused=number(sum(f.interests_rejected.values())), meetings=number(f.meetings),
            slots=number(f.slots_used), unscheduled=number(f.unscheduled))),
        *(_line(_("reschedule"), line) for line in reschedule_lines(record)),
        _line(_("awards"), _("{proposed} proposed, {cancelled} cancelled on a complaint; past the standstill (day "
                             "moved to {day}) {contracts} contracts, {amount}; {unawarded} projects unawarded").format(
            proposed=number(f.proposed), cancelled=number(f.cancelled), day=_day(f.day_moved_to),
            contracts=number(f.awards), amount=yuan_with_unit(f.awarded_fen),
            unawarded=number(sum(f.unawarded.values())))),
        *(_line(_("challenge"), line) for line in challenge_lines(record)),
        _line(_("delivery"), _("{received} reports received over {drills} drill days ({late} late by the "
                               "district's receipt date, {backdated} of them backdated), {returned} returned by the "
                               "purchaser and sent again; {overdue} milestones overdue, {met} of them met "
                               "since").format(
            received=number(f.delivery.received), drills=number(len(record.drills)), late=number(f.delivery.late),
            backdated=number(f.delivery.backdated), returned=number(f.delivery.returned),
            overdue=number(f.delivery.overdue), met=number(f.delivery.met))),
        _line(_("payments"), _("released {released}, withheld {withheld}, still due {due}, milestone by "
                               "milestone").format(
            released=yuan_with_unit(f.released_fen), withheld=yuan_with_unit(f.withheld_fen),
            due=yuan_with_unit(f.due_fen))),
        _line(_("evaluation"), _("{rated} contracts rated (mean {mean}): {ratings}; {small} with too few "
                                 "respondents to score satisfaction; {appealed} appealed ({appeals})").format(
            rated=number(len(record.evaluations)), mean=number(f.mean_score, 1),
            ratings=listed.join(f"{label_of(r)} {number(n)}" for r, n in f.ratings.items()),
            small=number(f.delivery.small_samples), appealed=number(len(f.delivery.appeals)),
            appeals=listed.join(_("{organization}: {outcome}, now {rating}").format(
                organization=a["organization"], outcome=label_of("upheld" if a["upheld"] else "dismissed"),
                rating=label_of(a["rating"])) for a in f.delivery.appeals))),
        _line(_("catalog"), _("{evaluated} projects now `evaluated`").format(evaluated=number(f.evaluated_in_catalog))),
    ]
    if record.drills:
        lines.append(_line(_("clock"), _("{drills} drills from {first} to {last}").format(
            drills=number(len(record.drills)), first=_day(record.drills[0]), last=_day(record.drills[-1]))
            + (_(" (the source's periods moved {years} years ahead of the district's day)").format(
                years=number(record.years_moved)) if record.years_moved else "")))
    if record.story:
        lines.append(_line(_("on purpose"), listed.join(
            f"{_(STORY[what]) if what in STORY else what}: {label_of(where)}" for what, where in record.story.items())))
    if f.interests_rejected:
        lines.append(_line(_("refusals"), listed.join(f"{r}: {number(n)}"
                                                      for r, n in f.interests_rejected.most_common())))
    lines.append(_line(_("stage seconds"), listed.join(
        f"{_(STAGES[k]) if k in STAGES else k} {number(v, 1)}" for k, v in record.seconds.items())))
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#1d2733;
max-width:1200px}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:2px solid #2a6f97;padding-bottom:.2rem;font-size:1.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}td,th{border:1px solid #c9d3dd;padding:.25rem .5rem}
th{background:#eef3f7;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}
.card{background:#eef3f7;border-radius:6px;padding:.7rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem;color:#2a6f97}.grid td{font-size:.7rem;min-width:3.2rem;text-align:center}
.grid td.m{background:#d8ecf6}.small{color:#5b6b7b;font-size:.8rem}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def bar_chart(title: str, rows: list[tuple[str, float]], unit: str = "", width: int = 560) -> str:
    """A horizontal bar chart as inline SVG (no script, no network)."""
    if not rows:
        return ""
    peak = max(v for _, v in rows) or 1
    height = 24 * len(rows) + 30
    bars = []
    for i, (label, value) in enumerate(rows):
        y = 24 + 24 * i
        length = (width - 250) * value / peak
        bars.append(f'<text x="150" y="{y + 13}" text-anchor="end" font-size="12">{_e(label)}</text>'
                    f'<rect x="158" y="{y}" width="{length:.1f}" height="17" fill="#2a6f97"/>'
                    f'<text x="{162 + length:.1f}" y="{y + 13}" font-size="11">{number(value)}{_e(unit)}</text>')
    return (f'<figure><svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" font-size="13" font-weight="bold">{_e(title)}'
            f'</text>{"".join(bars)}</svg></figure>')


MONEY_SERIES = ((N_("released"), "#2a6f97"), (N_("withheld"), "#c0392b"), (N_("still due"), "#b8c4ce"))


def stacked_bar_chart(title: str, rows: list[tuple[str, tuple[float, ...]]],
                      series: tuple[tuple[str, str], ...] = MONEY_SERIES, width: int = 640) -> str:
    """Horizontal bars of several parts each (a legend names them), as inline SVG (no script, no network)."""
    if not rows:
        return ""
    peak = max(sum(values) for _, values in rows) or 1
    height = 24 * len(rows) + 52
    legend = "".join(f'<rect x="{158 + 110 * i}" y="24" width="12" height="12" fill="{color}"/>'
                     f'<text x="{174 + 110 * i}" y="34" font-size="11">{_e(_(name))}</text>'
                     for i, (name, color) in enumerate(series))
    bars = []
    for i, (label, values) in enumerate(rows):
        y, x = 46 + 24 * i, 158.0
        bars.append(f'<text x="150" y="{y + 13}" text-anchor="end" font-size="12">{_e(label)}</text>')
        for (name, color), value in zip(series, values, strict=True):
            length = (width - 260) * value / peak
            if length > 0:
                bars.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="17" fill="{color}">'
                            f"<title>{_e(label)}: {_e(_(name))} {number(value, 2)}</title></rect>")
            x += length
        bars.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{number(sum(values), 1)}</text>')
    return (f'<figure><svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" font-size="13" font-weight="bold">{_e(title)}'
            f'</text>{legend}{"".join(bars)}</svg></figure>')


def _money_section(f: Figures) -> list[str]:
    def chart(title: str, rows: list[Money]) -> str:
        return stacked_bar_chart(title, [(m.group, tuple(wan_yuan(v) for v in (
            m.released_fen, m.withheld_fen, m.due_fen))) for m in rows])

    def table(dimension: str, rows: list[Money]) -> str:
        return _table([dimension, _("contracts"), _("amount (yuan)"), _("released"), _("withheld"), _("still due")],
                      [[m.group, m.contracts, yuan(m.amount_fen), yuan(m.released_fen), yuan(m.withheld_fen),
                        yuan(m.due_fen)] for m in rows], {1, 2, 3, 4, 5})

    d = f.delivery
    return [
        _h2(_("Delivery and money")),
        "<p>" + _e(_("{received} reports received ({late} late by the district's receipt date, {backdated} of them "
                     "backdated by their sender), {returned} returned by the purchaser and sent again. Money follows "
                     "each milestone once its purchaser accepts the report: {released} released, {withheld} "
                     "withheld, {due} still due.").format(
            received=number(d.received), late=number(d.late), backdated=number(d.backdated),
            returned=number(d.returned), released=yuan_with_unit(f.released_fen),
            withheld=yuan_with_unit(f.withheld_fen), due=yuan_with_unit(f.due_fen))) + "</p>",
        chart(_("Money per category ({unit})").format(unit=wan_yuan_unit()), f.money_by_category),
        table(_("category"), f.money_by_category),
        chart(_("Money per purchaser ({unit})").format(unit=wan_yuan_unit()), f.money_by_purchaser),
        table(_("purchaser"), f.money_by_purchaser),
        "<h3>" + _e(_("Milestones overdue ({overdue}), and when they were met ({met})").format(
            overdue=number(d.overdue), met=number(d.met))) + "</h3>",
        _table([_("organization"), _("project"), _("milestone"), _("due"), _("seen overdue"), _("met on")],
               [[org, project, label_of(milestone), _day(due), _day(seen), _day(met) if met != "not yet" else
                 _("not yet")] for org, project, milestone, due, seen, met in d.overdue_rows])
        if d.overdue_rows else _p(_("No milestone went overdue.")),
    ]


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _schedule_grid(record: CycleRecord) -> str:
    if not record.schedule:
        return _p(_("No schedule."))
    meetings = record.schedule["data"]["meetings"]
    slots = max((m["slot"] for m in meetings), default=0)
    clock = {m["slot"]: m["starts_at"][11:16] for m in meetings if m.get("starts_at")}
    names = short_names({m["org_id"]: record.organizations.get(m["org_id"], {}).get("name", m["org_id"][:8])
                         for m in meetings})
    tables: dict[int, str] = {}
    cells: dict[tuple[int, int], str] = {}
    for m in meetings:
        purchaser = m["purchaser"]["name"] if isinstance(m["purchaser"], dict) else str(m["purchaser"])
        tables[m["table"]] = purchaser
        cells[(m["table"], m["slot"])] = names[m["org_id"]][:10] + ("*" if m.get("locked") else "")
    heads = [clock.get(s) or _("slot {slot}").format(slot=s) for s in range(1, slots + 1)]
    head = "<tr><th>" + _e(_("table")) + "</th>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
    rows = []
    for table in sorted(tables):
        row = "".join(f'<td class="m">{_e(cells[(table, s)])}</td>' if (table, s) in cells else "<td></td>"
                      for s in range(1, slots + 1))
        rows.append(f"<tr><th>{table} {_e(tables[table])}</th>{row}</tr>")
    return f'<table class="grid">{head}{"".join(rows)}</table>'


def _awards_table(record: CycleRecord) -> str:
    rows = []
    for award in sorted(record.awards, key=lambda a: -a["data"].get("value_score", a["data"]["fit_score"])):
        d = award["data"]
        breakdown = d.get("breakdown") or {}
        why = _(", ").join(f"{factor_label(k)} {v['points']}" for k, v in breakdown.items()) if breakdown else ""
        rows.append([d.get("title", d["project_id"][:8]), d.get("category", ""), _name(record, d["org_id"]),
                     yuan(d["amount_fen"]), yuan(d.get("budget_fen", d["amount_fen"])), d["fit_score"],
                     d.get("price_points", 0), d.get("value_score", d["fit_score"]), why])
    return _table([_("project"), _("category"), _("organization"), _("amount (yuan)"), _("budget (yuan)"), _("fit"),
                   _("price points"), _("value"), _("why (fit points per factor)")], rows, {3, 4, 5, 6, 7})


def _name(record: CycleRecord, org_id: str) -> str:
    return str(record.organizations.get(org_id, {}).get("name", org_id[:8]))


OUTCOMES = {"upheld": N_("upheld"), "dismissed": N_("dismissed"), "late": N_("refused: filed after the standstill")}


def _followed(record: CycleRecord, challenge: dict[str, Any]) -> str:
    """What became of the challenged award, in words."""
    complaint = challenge["complaint"]
    if complaint["type"] != "matching.complaint.registered":
        return "; ".join(e["message"] for e in complaint["data"]["errors"])
    then = {e["type"]: e["data"] for e in challenge["then"]}
    if "matching.award.proposed" in then:
        again = then["matching.award.proposed"]
        return _("award cancelled; re-awarded to {organization} (value {value}), standing still until {day}").format(
            organization=_name(record, again["org_id"]), value=again["value_score"], day=_day(again["standstill_ends"]))
    if "matching.project.unawarded" in then:
        return _("award cancelled; {reason}").format(reason=then["matching.project.unawarded"]["reason"])
    decision = challenge.get("decision", {}).get("data", {})
    return _("the award proceeds: standstill to {day}, then its contract").format(
        day=_day(decision.get("standstill_ends")))


def challenge_lines(record: CycleRecord) -> list[str]:
    return [_("{outcome}: {project} ({awarded_to}), challenged by {challenger}: {followed}").format(
        outcome=_(OUTCOMES[c["outcome"]]), project=c["award"]["title"],
                awarded_to=_name(record, c["award"]["org_id"]),
                challenger=_name(record, c["complaint"]["data"]["org_id"]), followed=_followed(record, c))
            for c in record.challenges]


def _challenges_table(record: CycleRecord) -> str:
    if not record.challenges:
        return _p(_("No award was challenged."))
    rows = [[_(OUTCOMES[c["outcome"]]), c["award"]["title"], _name(record, c["award"]["org_id"]),
             c["award"]["value_score"], _name(record, c["complaint"]["data"]["org_id"]),
             _day(c["complaint"]["data"].get("filed_on")), _followed(record, c)] for c in record.challenges]
    return _table([_("outcome"), _("project"), _("awarded to"), _("value"), _("challenged by"), _("filed on"),
                   _("what followed")], rows, {3})


def _h2(text: str) -> str:
    return f"<h2>{_e(text)}</h2>"


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def html_report(record: CycleRecord, f: Figures) -> str:
    generated = moment(datetime.now(UTC))
    batch = record.district.projects[0]["batch"]
    cards = [(_("projects"), number(f.projects)), (_("budget (yuan)"), yuan(f.budget_fen)),
             (_("organizations"), number(f.organizations)),
             (_("trained"), f"{number(f.trained)}/{number(f.target)}"), (_("invited"), number(f.invited)),
             (_("meetings"), number(f.meetings)), (_("contracts"), number(f.awards)),
             (_("released (yuan)"), yuan(f.released_fen)), (_("withheld (yuan)"), yuan(f.withheld_fen)),
             (_("mean score"), number(f.mean_score, 1))]
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for payment in record.payments:
        paid[(payment["data"]["contract_id"], payment["type"])] += payment["data"]["amount_fen"]
    evaluations = [[record.organizations.get(e["data"]["org_id"], {}).get("name", e["data"]["org_id"][:8]),
                    e["data"]["score"], label_of(e["data"]["rating"]),
                    (_("upheld: rescored") if e["data"]["appeal"]["upheld"] else label_of("dismissed"))
                    if e["data"].get("appeal") else "",
                    _("too few respondents") if e["data"].get("insufficient_sample") else "",
                    yuan(paid[(e["data"]["contract_id"], "evaluation.payment.released")]),
                    yuan(paid[(e["data"]["contract_id"], "evaluation.payment.withheld")])]
                   for e in sorted(record.evaluations, key=lambda e: -float(e["data"]["score"]))]
    sources = _(
        "Where each figure comes from: projects and organizations as the catalog and registration announced them on "
        "the bus in this run (those an earlier run had already registered, from their read APIs); communities from "
        "registration's census (its read API); training, grades, the fair, awards, reports, reviews, payments, "
        "overdue milestones and evaluations as the services announced them on the bus.")
    clock = (_("The contracts' year ran on a drill clock, {drills} drills from {first} to {last}.").format(
        drills=number(len(record.drills)), first=_day(record.drills[0]), last=_day(record.drills[-1]))
        if record.drills else "")
    moved = (_("The source's periods were moved {years} years ahead of the district's day, since a drill moves the "
               "day forward only.").format(years=number(record.years_moved)) if record.years_moved else "")
    sentences = ("" if current() == "zh_CN" else " ").join(filter(None, (
        _("Run {run}, generated {generated}.").format(run=record.run, generated=generated), sources, clock, moved)))
    unit = wan_yuan_unit()
    title = _("District annual cycle {run}").format(run=record.run)
    parts = [
        f"<!doctype html><html lang={'zh-CN' if current() == 'zh_CN' else 'en'}><head><meta charset=utf-8>"
        f"<title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body>",
        "<h1>" + _e(_("Government purchase of services from social organizations · District annual cycle, batch "
                      "{batch}").format(batch=batch)) + "</h1>",
        f'<p class="small">{_e(sentences)}</p>',
        '<div class="cards">' + "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards) + "</div>",
        _h2(_("What was bought")),
        bar_chart(_("Budget per category ({unit})").format(unit=unit),
                  [(c, wan_yuan(b)) for c, _n, b, _a, _af in f.by_category]),
        _table([_("category"), _("projects"), _("budget (yuan)"), _("awarded"), _("awarded (yuan)")],
               [[c, number(n), yuan(b), number(a), yuan(af)] for c, n, b, a, af in f.by_category], {1, 2, 3, 4}),
        _table([_("purchaser"), _("projects"), _("budget (yuan)"), _("awarded")],
               [[p, number(n), yuan(b), number(a)] for p, n, b, a in f.by_purchaser], {1, 2, 3}),
        _h2(_("The fair: one-to-one schedule")),
        _p(_("{invited} organizations invited; {recorded} interests recorded, {refused} refused; {meetings} meetings "
             "in {slots} slots; {unscheduled} could not be scheduled.").format(
            invited=number(f.invited), recorded=number(f.interests_recorded),
            refused=number(sum(f.interests_rejected.values())), meetings=number(f.meetings),
            slots=number(f.slots_used), unscheduled=number(f.unscheduled))),
        _schedule_grid(record),
        bar_chart(_("Interests refused, by rule"), [(r, n) for r, n in f.interests_rejected.most_common()]),
        _h2(_("Challenged awards (质疑)")),
        _p(_("{proposed} awards proposed; each stood still for seven working days, in which an organization that "
             "wanted the project could challenge it (Government Procurement Law, Art. 52). {cancelled} cancelled on "
             "an upheld complaint; the district's day then moved (a drill) to {day}, past the last standstill, and "
             "{contracts} awards became contracts.").format(
            proposed=number(f.proposed), cancelled=number(f.cancelled), day=_day(f.day_moved_to),
            contracts=number(f.awards))),
        _challenges_table(record),
        _h2(_("Who got what, and why")),
        _p(_("Each contract's value is its fit plus the points its price earns: the price weight times the share of "
             "the budget saved.")), _awards_table(record),
        bar_chart(_("Projects left unawarded, by reason"), [(r[:40], n) for r, n in f.unawarded.most_common()]),
        *_money_section(f),
        _h2(_("Ratings")),
        bar_chart(_("Ratings"), [(label_of(r), n) for r, n in f.ratings.items()]),
        _table([_("organization"), _("score"), _("rating"), _("appeal"), _("satisfaction"), _("released (yuan)"),
                _("withheld (yuan)")], evaluations, {1, 5, 6}),
        _h2(_("Training")),
        bar_chart(_("Trained people toward the target of {target}").format(target=number(f.target)),
                  [(_("trained"), f.trained), (_("target"), f.target)]),
        bar_chart(_("Trained people by street"), list(f.trained_by_street.items())),
        _h2(_("Grades")), bar_chart(_("Grades assigned"), [(_grade(g), n) for g, n in f.grades.items()]),
        _h2(_("Communities short of organizations")),
        _table([_("street"), _("community"), _("organizations")], [list(r) for r in f.short_communities], {2})
        if f.short_communities else _p(_("Every community has at least 2 organizations.")),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
