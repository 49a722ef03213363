"""The year's report: figures computed from what the services announced, printed and as an offline HTML page."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.tables import short_names
from tools.demo.cycle import CycleRecord
from tools.demo.delivery_figures import Delivery, Money, delivery, money

RATINGS = ("excellent", "good", "pass", "fail")
GRADES = ("5A", "4A", "3A", "2A", "1A", "none")


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


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


def _rule(message: str) -> str:
    return message.rsplit("(rule: ", 1)[-1].rstrip(")") if "(rule: " in message else message[:60]


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
        unawarded=Counter(u["data"]["reason"].split(" (")[0] for u in record.unawarded),
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


def reschedule_lines(record: CycleRecord) -> list[str]:
    """What the purchasers said and what the reschedule changed, one line each."""
    said = Counter(e["type"] for e in record.sides)
    if record.rescheduled is None:
        return []
    change = record.rescheduled["data"]
    lines = [f"{said['matching.fair.availability_recorded']} availabilities, {said['matching.meeting.declined']} "
             f"declines, {said['matching.meeting.requested']} must-meet requests, {said['matching.meeting.locked']} "
             f"locked; rescheduled: {len(change.get('added', []))} added, {len(change.get('moved', []))} moved, "
             f"{len(change.get('cancelled', []))} cancelled"]
    lines += [f"moved from slot {m['from_slot']} to {m['meeting']['slot']}: {m['reason']}"
              for m in change.get("moved", [])]
    lines += [f"cancelled: {c['reason']}" for c in change.get("cancelled", [])]
    return lines


def summary(record: CycleRecord, f: Figures) -> str:
    lines = [
        f"District annual cycle (run {record.run}, batch {record.district.projects[0]['batch']})",
        f"  catalog        {f.projects} projects published, budget {yuan(f.budget_fen)} yuan "
        f"({f.new_projects} announced by the catalog now, {f.projects - f.new_projects} read from its API)",
        f"  register       {f.organizations} organizations ({f.new_organizations} announced by registration now, "
        f"{f.organizations - f.new_organizations} read from its API), {f.people} people added; census: "
        f"{f.communities} communities, {len(f.short_communities)} below the minimum",
        f"  training       {f.trained} of {f.target} people trained ({100 * f.trained / f.target:.1f} %): "
        + ", ".join(f"{k} {v}" for k, v in sorted(f.trained_by_audience.items())),
        f"  grading        {sum(f.grades.values())} assessed: " + ", ".join(f"{g} {n}" for g, n in f.grades.items()),
        f"  fair           {f.invited} organizations invited, {f.interests_recorded} interests recorded, "
        f"{sum(f.interests_rejected.values())} refused, {f.meetings} one-to-one meetings in {f.slots_used} slots, "
        f"{f.unscheduled} unscheduled",
        *(f"  reschedule     {line}" for line in reschedule_lines(record)),
        f"  awards         {f.proposed} proposed, {f.cancelled} cancelled on a complaint; past the standstill "
        f"(day moved to {f.day_moved_to}) {f.awards} contracts, {yuan(f.awarded_fen)} yuan; "
        f"{sum(f.unawarded.values())} projects unawarded",
        *(f"  challenge      {line}" for line in challenge_lines(record)),
        f"  delivery       {f.delivery.received} reports received over {len(record.drills)} drill days "
        f"({f.delivery.late} late by the district's receipt date, {f.delivery.backdated} of them backdated), "
        f"{f.delivery.returned} returned by the purchaser and sent again; {f.delivery.overdue} milestones overdue, "
        f"{f.delivery.met} of them met since",
        f"  payments       released {yuan(f.released_fen)} yuan, withheld {yuan(f.withheld_fen)} yuan, still due "
        f"{yuan(f.due_fen)} yuan, milestone by milestone",
        f"  evaluation     {len(record.evaluations)} contracts rated (mean {f.mean_score:.1f}): "
        + ", ".join(f"{r} {n}" for r, n in f.ratings.items())
        + f"; {f.delivery.small_samples} with too few respondents to score satisfaction; "
        + f"{len(f.delivery.appeals)} appealed ("
        + ", ".join(f"{a['organization']}: {'upheld' if a['upheld'] else 'dismissed'}, now {a['rating']}"
                    for a in f.delivery.appeals) + ")",
        f"  catalog        {f.evaluated_in_catalog} projects now `evaluated`",
    ]
    if record.drills:
        lines.append(f"  clock          {len(record.drills)} drills from {record.drills[0]} to {record.drills[-1]}"
                     + (f" (the source's periods moved {record.years_moved} years ahead of the district's day)"
                        if record.years_moved else ""))
    if record.story:
        lines.append("  on purpose     " + ", ".join(f"{what}: {where}" for what, where in record.story.items()))
    if f.interests_rejected:
        lines.append("  refusals       " + ", ".join(f"{r}: {n}" for r, n in f.interests_rejected.most_common()))
    lines.append("  stage seconds  " + ", ".join(f"{k} {v:.1f}" for k, v in record.seconds.items()))
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
                    f'<text x="{162 + length:.1f}" y="{y + 13}" font-size="11">{value:,.0f}{_e(unit)}</text>')
    return (f'<figure><svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" font-size="13" font-weight="bold">{_e(title)}'
            f'</text>{"".join(bars)}</svg></figure>')


MONEY_SERIES = (("released", "#2a6f97"), ("withheld", "#c0392b"), ("still due", "#b8c4ce"))


def stacked_bar_chart(title: str, rows: list[tuple[str, tuple[float, ...]]],
                      series: tuple[tuple[str, str], ...] = MONEY_SERIES, width: int = 640) -> str:
    """Horizontal bars of several parts each (a legend names them), as inline SVG (no script, no network)."""
    if not rows:
        return ""
    peak = max(sum(values) for _, values in rows) or 1
    height = 24 * len(rows) + 52
    legend = "".join(f'<rect x="{158 + 110 * i}" y="24" width="12" height="12" fill="{color}"/>'
                     f'<text x="{174 + 110 * i}" y="34" font-size="11">{_e(name)}</text>'
                     for i, (name, color) in enumerate(series))
    bars = []
    for i, (label, values) in enumerate(rows):
        y, x = 46 + 24 * i, 158.0
        bars.append(f'<text x="150" y="{y + 13}" text-anchor="end" font-size="12">{_e(label)}</text>')
        for (name, color), value in zip(series, values, strict=True):
            length = (width - 260) * value / peak
            if length > 0:
                bars.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="17" fill="{color}">'
                            f"<title>{_e(label)}: {_e(name)} {value:,.2f}</title></rect>")
            x += length
        bars.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{sum(values):,.1f}</text>')
    return (f'<figure><svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" font-size="13" font-weight="bold">{_e(title)}'
            f'</text>{legend}{"".join(bars)}</svg></figure>')


def _money_section(f: Figures) -> list[str]:
    def chart(title: str, rows: list[Money]) -> str:
        return stacked_bar_chart(title, [(m.group, tuple(v / 1_000_000 for v in (
            m.released_fen, m.withheld_fen, m.due_fen))) for m in rows])

    def table(dimension: str, rows: list[Money]) -> str:
        return _table([dimension, "contracts", "amount (yuan)", "released", "withheld", "still due"],
                      [[m.group, m.contracts, yuan(m.amount_fen), yuan(m.released_fen), yuan(m.withheld_fen),
                        yuan(m.due_fen)] for m in rows], {1, 2, 3, 4, 5})

    d = f.delivery
    return [
        "<h2>Delivery and money</h2>",
        f"<p>{d.received} reports received ({d.late} late by the district's receipt date, {d.backdated} of them "
        f"backdated by their sender), {d.returned} returned by the purchaser and sent again. Money follows each "
        f"milestone once its purchaser accepts the report: {yuan(f.released_fen)} yuan released, "
        f"{yuan(f.withheld_fen)} yuan withheld, {yuan(f.due_fen)} yuan still due.</p>",
        chart("Money per category (10,000 yuan)", f.money_by_category), table("category", f.money_by_category),
        chart("Money per purchaser (10,000 yuan)", f.money_by_purchaser), table("purchaser", f.money_by_purchaser),
        f"<h3>Milestones overdue ({d.overdue}), and when they were met ({d.met})</h3>",
        _table(["organization", "project", "milestone", "due", "seen overdue", "met"],
               [list(r) for r in d.overdue_rows]) if d.overdue_rows else "<p>No milestone went overdue.</p>",
    ]


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _schedule_grid(record: CycleRecord) -> str:
    if not record.schedule:
        return "<p>No schedule.</p>"
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
    head = "<tr><th>table</th>" + "".join(f"<th>{clock.get(s, f'slot {s}')}</th>" for s in range(1, slots + 1)) + (
        "</tr>")
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
        why = ", ".join(f"{k} {v['points']}" for k, v in breakdown.items()) if breakdown else ""
        rows.append([d.get("title", d["project_id"][:8]), d.get("category", ""), _name(record, d["org_id"]),
                     yuan(d["amount_fen"]), yuan(d.get("budget_fen", d["amount_fen"])), d["fit_score"],
                     d.get("price_points", 0), d.get("value_score", d["fit_score"]), why])
    return _table(["project", "category", "organization", "amount (yuan)", "budget (yuan)", "fit",
                   "price points", "value", "why (fit points per factor)"], rows, {3, 4, 5, 6, 7})


def _name(record: CycleRecord, org_id: str) -> str:
    return str(record.organizations.get(org_id, {}).get("name", org_id[:8]))


OUTCOMES = {"upheld": "upheld", "dismissed": "dismissed", "late": "refused: filed after the standstill"}


def _followed(record: CycleRecord, challenge: dict[str, Any]) -> str:
    """What became of the challenged award, in words."""
    complaint = challenge["complaint"]
    if complaint["type"] != "matching.complaint.registered":
        return "; ".join(e["message"] for e in complaint["data"]["errors"])
    then = {e["type"]: e["data"] for e in challenge["then"]}
    if "matching.award.proposed" in then:
        again = then["matching.award.proposed"]
        return (f"award cancelled; re-awarded to {_name(record, again['org_id'])} (value {again['value_score']}), "
                f"standing still until {again['standstill_ends']}")
    if "matching.project.unawarded" in then:
        return f"award cancelled; {then['matching.project.unawarded']['reason']}"
    decision = challenge.get("decision", {}).get("data", {})
    return f"the award proceeds: standstill to {decision.get('standstill_ends')}, then its contract"


def challenge_lines(record: CycleRecord) -> list[str]:
    return [f"{OUTCOMES[c['outcome']]}: {c['award']['title']} ({_name(record, c['award']['org_id'])}), challenged "
            f"by {_name(record, c['complaint']['data']['org_id'])}: {_followed(record, c)}" for c in record.challenges]


def _challenges_table(record: CycleRecord) -> str:
    if not record.challenges:
        return "<p>No award was challenged.</p>"
    rows = [[OUTCOMES[c["outcome"]], c["award"]["title"], _name(record, c["award"]["org_id"]),
             c["award"]["value_score"], _name(record, c["complaint"]["data"]["org_id"]),
             c["complaint"]["data"].get("filed_on", "-"), _followed(record, c)] for c in record.challenges]
    return _table(["outcome", "project", "awarded to", "value", "challenged by", "filed on", "what followed"], rows,
                  {3})


def html_report(record: CycleRecord, f: Figures) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cards = [("projects", f.projects), ("budget (yuan)", yuan(f.budget_fen)), ("organizations", f.organizations),
             ("trained", f"{f.trained}/{f.target}"), ("invited", f.invited), ("meetings", f.meetings),
             ("contracts", f.awards), ("released (yuan)", yuan(f.released_fen)),
             ("withheld (yuan)", yuan(f.withheld_fen)), ("mean score", f"{f.mean_score:.1f}")]
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for payment in record.payments:
        paid[(payment["data"]["contract_id"], payment["type"])] += payment["data"]["amount_fen"]
    evaluations = [[record.organizations.get(e["data"]["org_id"], {}).get("name", e["data"]["org_id"][:8]),
                    e["data"]["score"], e["data"]["rating"],
                    ("upheld: rescored" if e["data"]["appeal"]["upheld"] else "dismissed")
                    if e["data"].get("appeal") else "",
                    "too few respondents" if e["data"].get("insufficient_sample") else "",
                    yuan(paid[(e["data"]["contract_id"], "evaluation.payment.released")]),
                    yuan(paid[(e["data"]["contract_id"], "evaluation.payment.withheld")])]
                   for e in sorted(record.evaluations, key=lambda e: -float(e["data"]["score"]))]
    parts = [
        f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>District annual cycle {record.run}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>政府购买社会组织服务 · District annual cycle, batch {_e(record.district.projects[0]['batch'])}</h1>",
        f'<p class="small">run {record.run}, generated {generated}. Where each figure comes from: projects and '
        "organizations as the catalog and registration announced them on the bus in this run (those an earlier run "
        "had already registered, from their read APIs); communities from registration's census (its read API); "
        "training, grades, the fair, awards, reports, reviews, payments, overdue milestones and evaluations as the "
        "services announced them on the bus."
        + (f" The contracts' year ran on a drill clock, {len(record.drills)} drills from {record.drills[0]} to "
           f"{record.drills[-1]}" if record.drills else "")
        + (f"; the source's periods were moved {record.years_moved} years ahead of the district's day, since a "
           "drill moves the day forward only" if record.years_moved else "") + ".</p>",
        '<div class="cards">' + "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards) + "</div>",
        "<h2>What was bought</h2>",
        bar_chart("Budget per category (10,000 yuan)", [(c, b / 1_000_000) for c, _, b, _, _ in f.by_category]),
        _table(["category", "projects", "budget (yuan)", "awarded", "awarded (yuan)"],
               [[c, n, yuan(b), a, yuan(af)] for c, n, b, a, af in f.by_category], {1, 2, 3, 4}),
        _table(["purchaser", "projects", "budget (yuan)", "awarded"],
               [[p, n, yuan(b), a] for p, n, b, a in f.by_purchaser], {1, 2, 3}),
        "<h2>The fair: one-to-one schedule</h2>",
        f"<p>{f.invited} organizations invited; {f.interests_recorded} interests recorded, "
        f"{sum(f.interests_rejected.values())} refused; {f.meetings} meetings in {f.slots_used} slots; "
        f"{f.unscheduled} could not be scheduled.</p>",
        _schedule_grid(record),
        bar_chart("Interests refused, by rule", [(r, n) for r, n in f.interests_rejected.most_common()]),
        "<h2>Challenged awards (质疑)</h2>",
        f"<p>{f.proposed} awards proposed; each stood still for seven working days, in which an organization that "
        f"wanted the project could challenge it (Government Procurement Law, Art. 52). {f.cancelled} cancelled on an "
        f"upheld complaint; the district's day then moved (a drill) to {_e(f.day_moved_to)}, past the last "
        f"standstill, and {f.awards} awards became contracts.</p>",
        _challenges_table(record),
        "<h2>Who got what, and why</h2>",
        "<p>Each contract's value is its fit plus the points its price earns: the price weight times the share of "
        "the budget saved.</p>", _awards_table(record),
        bar_chart("Projects left unawarded, by reason", [(r[:40], n) for r, n in f.unawarded.most_common()]),
        *_money_section(f),
        "<h2>Ratings</h2>",
        bar_chart("Ratings", [(r, n) for r, n in f.ratings.items()]),
        _table(["organization", "score", "rating", "appeal", "satisfaction", "released (yuan)", "withheld (yuan)"],
               evaluations, {1, 5, 6}),
        "<h2>Training</h2>",
        bar_chart(f"Trained people toward the target of {f.target}", [("trained", f.trained), ("target", f.target)]),
        bar_chart("Trained people by street", list(f.trained_by_street.items())),
        "<h2>Grades</h2>", bar_chart("Grades assigned", [(g, n) for g, n in f.grades.items()]),
        "<h2>Communities short of organizations</h2>",
        _table(["street", "community", "organizations"], [list(r) for r in f.short_communities], {2})
        if f.short_communities else "<p>Every community has at least 2 organizations.</p>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
