"""The delivery stage of the district's year: the awarded contracts delivered on a drill clock.

The district's day moves forward by drills (`intake.clock.set`, every service confirming once its time-driven
jobs for the day ran) from one checkpoint to the next, on the 1st and the 16th of each month. On each checkpoint
organizations send the reports that fall due (most by their due date, some late), each purchaser reviews what
arrived that day (accepting it with its evidence, or returning it to be corrected), and the services answer:
payments released or withheld milestone by milestone, overdue milestones announced by evaluation's clock and
then met, evaluations once every milestone is accepted, and the final tranche once the appeal window has passed.

On purpose, and named in the report (`record.story`): one report returned and submitted again, one milestone
left overdue and then met, one backdated report judged late by its receipt, a few surveys too small to score,
and one appeal against the lowest evaluation, upheld.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.i18n import _
from tools.demo.bus import DemoBus, Event
from tools.demo.cycle import SERVICES, CycleRecord, _read

INDICATORS = ("服务完成率", "活动参与率", "目标达成率")
CHECKPOINT_DAYS = (1, 16)
FINAL_MARGIN_DAYS = 30  # evaluation's default: a final report is received from 30 days before the end
DRILL_TIMEOUT = 90.0
GROUNDS = "第三季度入户走访记录未计入指标完成率"
REASONING = "复核入户走访记录后，指标完成率按核实数重算"


def checkpoint_on_or_after(day: date) -> date:
    for candidate in (day.replace(day=d) for d in CHECKPOINT_DAYS):
        if candidate >= day:
            return candidate
    following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return following


def checkpoint_on_or_before(day: date) -> date:
    return max(day.replace(day=d) for d in CHECKPOINT_DAYS if day.replace(day=d) <= day)


def _digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()


@dataclass
class Milestone:
    """What the demo intends for one milestone of one contract."""

    contract_id: str
    name: str
    final: bool
    due: date
    receipt: date
    late: bool
    returned_first: bool = False
    backdated: bool = False
    small_sample: bool = False
    revision: int = 0


@dataclass
class Schedule:
    """Actions by checkpoint day; the day's reports go first, then the reviews of what arrived, then appeals."""

    reports: dict[date, list[Milestone]] = field(default_factory=lambda: defaultdict(list))
    appeals: dict[date, list[str]] = field(default_factory=lambda: defaultdict(list))
    decisions: dict[date, list[str]] = field(default_factory=lambda: defaultdict(list))

    def days(self) -> list[date]:
        return sorted({*self.reports, *self.appeals, *self.decisions})


def intend(plan: dict[str, Any], today: date, rng: random.Random) -> list[Milestone]:
    """Each milestone's receipt: by its due date (85 %) or one or two checkpoints after it, never before today
    (nor, for the final report, before the final-report margin opens). A few contracts ask too few residents."""
    period = {k: date.fromisoformat(v) for k, v in plan["period"].items()}
    earliest = checkpoint_on_or_after(today)
    small_sample = rng.random() < 0.04
    intended = []
    for i, m in enumerate(plan["milestones"]):
        due, final = date.fromisoformat(m["due_on"]), i == len(plan["milestones"]) - 1
        if rng.random() < 0.15:
            receipt = checkpoint_on_or_after(due + timedelta(days=1 + 15 * rng.randint(0, 1)))
        else:
            opens = max(earliest, period["end"] - timedelta(days=FINAL_MARGIN_DAYS) if final else period["start"])
            receipt = max(checkpoint_on_or_before(due), checkpoint_on_or_after(opens))
        receipt = max(receipt, earliest)
        intended.append(Milestone(plan["contract_id"], m["name"], final, due, receipt, late=receipt > due,
                                  small_sample=small_sample))
    return intended


def the_story(intended: dict[str, list[Milestone]], record: CycleRecord) -> None:
    """One contract whose whole year lies ahead carries the story: its first report returned and sent again, its
    second milestone left overdue and then reported with a backdated date."""
    for contract_id in sorted(intended):
        milestones = intended[contract_id]
        if len(milestones) < 3:
            continue
        first, second = milestones[0], milestones[1]
        if first.late or second.due < first.receipt + timedelta(days=31):
            continue
        first.returned_first = True
        second.receipt = checkpoint_on_or_after(second.due + timedelta(days=1))
        second.late = second.backdated = True
        record.story = {"contract": contract_id, "returned": first.name, "overdue then met": second.name,
                        "backdated": second.name}
        return


def report_for(contract_id: str, milestone: str, final: bool, quality: float, rng: random.Random, *,
               revision: int = 1, small_sample: bool = False) -> dict[str, Any]:
    """An organization's report on a milestone: indicators and satisfaction around its quality (a corrected
    report a little better), with its ledger as evidence."""
    respondents = rng.randint(5, 9) if small_sample else rng.randint(30, 200)
    better = 0.08 * (revision - 1)
    return {
        "contract_id": contract_id, "milestone": milestone, "final": final,
        "indicators": {name: round(min(100.0, max(0.0, 100 * (quality + better) + rng.uniform(-8, 8))), 1)
                       for name in INDICATORS},
        "satisfaction": {"respondents": respondents, "satisfied": min(
            respondents, round(respondents * min(1.0, quality + rng.uniform(-0.1, 0.1))))},
        "evidence": [{"title": "服务台账及签到表", "hash": _digest(contract_id, milestone, str(revision))}],
    }


def report_data(milestone: Milestone, quality: float, rng: random.Random) -> dict[str, Any]:
    data = report_for(milestone.contract_id, milestone.name, milestone.final, quality, rng,
                      revision=milestone.revision, small_sample=milestone.small_sample)
    if milestone.backdated:
        data["submitted_on"] = (milestone.due - timedelta(days=3)).isoformat()
    return data


class Delivery:
    """The stage's state: the bus, the record, what is intended, and what the services answered."""

    def __init__(self, bus: DemoBus, record: CycleRecord, rng: random.Random) -> None:
        self.bus, self.record, self.rng = bus, record, rng
        self.schedule = Schedule()
        self.quality: dict[str, float] = {}
        self.purchasers: dict[str, dict[str, str]] = {}
        self.evaluated: dict[str, Event] = {}
        self.refused: set[str] = set()  # contracts a report or review of which was refused: never evaluated

    @property
    def expected(self) -> int:
        """Contracts that will be evaluated: every one whose reports and reviews were all taken."""
        return len(self.quality) - len(self.refused)

    async def move_day(self, day: date) -> None:
        [sent] = await self.bus.publish("intake.clock.set", [{"today": day.isoformat()}])
        label = _("moving the district's day to {day}").format(day=day.isoformat())
        try:
            # A service confirms once its jobs for the day have run; what they announce meanwhile is progress.
            await self.bus.until(label, lambda: len(self.bus.by_correlation.get(sent, [])), len(SERVICES),
                                 timeout=DRILL_TIMEOUT, activity=lambda: self.bus.heard)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; drills need every service in drill mode (DISTRICT_CLOCK=drill "
                               "DISTRICT_ENV=development, as `make dev` starts them)") from None
        refused = [e for e in self.bus.by_correlation[sent] if e["type"].endswith(".clock.rejected")]
        if refused:
            raise RuntimeError(f"a drill to {day} was refused: {refused[0]['data']['errors']}")
        self.record.drills.append(day.isoformat())

    async def day(self, day: date) -> None:
        """Everything planned for the checkpoint: reports, the purchasers' reviews, appeals and their decisions."""
        milestones = self.schedule.reports.pop(day, [])
        for m in milestones:
            m.revision += 1
        reports = [report_data(m, self.quality[m.contract_id], self.rng) for m in milestones]
        ids = await self.bus.publish("intake.report.submitted", reports)
        answers = await self.bus.answers(_("{day}: receiving {count} reports").format(day=day, count=len(ids)), ids)
        self.record.reports += answers
        reviews, reviewed = [], []
        for m, answer in zip(milestones, answers, strict=True):
            if answer["type"] != "evaluation.report.accepted":
                self.record.rejected[answer["type"]].append(answer)
                self.refused.add(m.contract_id)
                continue
            accept = not (m.returned_first and m.revision == 1)
            reviews.append(self.review(m, answer["data"]["report_id"], accept))
            reviewed.append(m)
            if not accept:
                self.schedule.reports[checkpoint_on_or_after(day + timedelta(days=1))].append(m)
        ids = await self.bus.publish("intake.report.reviewed", reviews)
        answers = await self.bus.answers(_("{day}: purchasers reviewing").format(day=day), ids)
        for m, answer in zip(reviewed, answers, strict=True):
            if answer["type"] == "evaluation.report.rejected":
                self.record.rejected[answer["type"]].append(answer)
                self.refused.add(m.contract_id)
        await self.bus.until(_("{day}: evaluating").format(day=day), lambda: sum(
            1 for i in ids for e in self.bus.by_correlation[i] if e["type"] == "evaluation.contract.evaluated"),
            len({m.contract_id for m in reviewed if self.evaluates(m)}))
        for event_id in ids:
            for event in self.bus.by_correlation[event_id]:
                if event["type"] == "evaluation.contract.evaluated":
                    self.evaluated[event["data"]["contract_id"]] = event
        self.choose_appeal(day)
        await self.appeal(day)

    def evaluates(self, accepted: Milestone) -> bool:
        """Whether accepting this milestone's report is the last acceptance its contract waits for."""
        return accepted.contract_id not in self.refused and not any(
            m.contract_id == accepted.contract_id for ms in self.schedule.reports.values() for m in ms) and not (
            accepted.returned_first and accepted.revision == 1)

    def review(self, m: Milestone, report_id: str, accept: bool) -> dict[str, Any]:
        notes = "核查无误" if accept else "签到表缺少入户走访记录，请补充后重新提交"
        return {"report_id": report_id, "reviewer": self.purchasers[m.contract_id], "accepted": accept,
                "notes": notes, "evidence": [{"title": "现场核查记录", "hash": _digest(report_id, "site-visit")}]}

    def choose_appeal(self, day: date) -> None:
        """Once no report is left to send, the lowest evaluation whose window is still open is appealed the same
        day and upheld at the next checkpoint."""
        if "appeal" in self.record.story or self.schedule.reports or len(self.evaluated) < self.expected:
            return
        open_ = [e for e in self.evaluated.values() if date.fromisoformat(e["data"]["appeal_until"]) >= day]
        if not open_:
            return
        lowest = min(open_, key=lambda e: (float(e["data"]["score"]), e["data"]["contract_id"]))["data"]
        self.record.story["appeal"] = lowest["contract_id"]
        self.schedule.appeals[day].append(lowest["contract_id"])
        self.schedule.decisions[checkpoint_on_or_after(day + timedelta(days=1))].append(lowest["contract_id"])

    async def appeal(self, day: date) -> None:
        lodged = [{"contract_id": c, "grounds": GROUNDS} for c in self.schedule.appeals.pop(day, [])]
        decided = [{"contract_id": c, "upheld": True, "new_scores": {"indicators": self.upheld_indicators(c)},
                    "reasoning": REASONING} for c in self.schedule.decisions.pop(day, [])]
        for intake, items in (("intake.evaluation.appealed", lodged), ("intake.appeal.decided", decided)):
            if items:
                for answer in await self.bus.answers(f"{day}: {intake}", await self.bus.publish(intake, items)):
                    if answer["type"] == "evaluation.report.rejected":
                        self.record.rejected[answer["type"]].append(answer)

    def upheld_indicators(self, contract_id: str) -> float:
        measure = float(self.evaluated[contract_id]["data"]["breakdown"]["indicators"]["measure"])
        return round(min(100.0, measure + 8), 2)


async def deliver(bus: DemoBus, record: CycleRecord, rng: random.Random) -> None:
    """The contracts' year, checkpoint by checkpoint, until every evaluation stands and its final tranche is paid."""
    award_ids = {a["event_id"] for a in record.awards}
    await bus.until(_("opening monitoring"), bus.tally(
        "evaluation.monitoring.opened", lambda m: m["correlation_id"] in award_ids), len(award_ids))
    plans = {m["data"]["contract_id"]: m["data"] for m in bus.by_type["evaluation.monitoring.opened"]
             if m["correlation_id"] in award_ids}
    stage = Delivery(bus, record, rng)
    today = date.fromisoformat((await _read(SERVICES["evaluation"].url, "/overview"))["today"])
    intended: dict[str, list[Milestone]] = {}
    for award in sorted(record.awards, key=lambda a: a["data"]["contract_id"]):
        data = award["data"]
        stage.quality[data["contract_id"]] = min(0.99, max(0.45, rng.gauss(0.55 + data["fit_score"] / 300, 0.12)))
        stage.purchasers[data["contract_id"]] = data["purchaser"]
        intended[data["contract_id"]] = intend({**plans[data["contract_id"]], "period": data["period"]}, today, rng)
    the_story(intended, record)
    for milestones in intended.values():
        for m in milestones:
            stage.schedule.reports[m.receipt].append(m)
    while days := stage.schedule.days():
        await stage.move_day(days[0])
        await stage.day(days[0])
    await settle(stage, plans)


async def settle(stage: Delivery, plans: dict[str, dict[str, Any]]) -> None:
    """Past every appeal window: the final tranches paid, overdue alerts answered, the catalog told; then kept."""
    bus, record = stage.bus, stage.record
    plans = {c: p for c, p in plans.items() if c not in stage.refused}
    windows = [date.fromisoformat(e["data"]["appeal_until"]) for e in stage.evaluated.values()]
    last = date.fromisoformat(record.drills[-1]) if record.drills else date.min
    await stage.move_day(max([last, *(w + timedelta(days=1) for w in windows)]))
    finals = {c: p["milestones"][-1]["name"] for c, p in plans.items()}

    def payments() -> list[Event]:
        return [e for t in ("evaluation.payment.released", "evaluation.payment.withheld") for e in bus.by_type[t]
                if e["data"]["contract_id"] in plans]

    await bus.until(_("paying final tranches"), lambda: len({
        p["data"]["contract_id"] for p in payments() if p["data"]["milestone"] == finals[p["data"]["contract_id"]]}),
        len(plans))

    def alerts(type_: str) -> list[Event]:
        return [e for e in bus.by_type[type_] if e["data"]["contract_id"] in plans]

    await bus.until(_("answering overdue alerts"), lambda: len(alerts("evaluation.milestone.met")),
                    len(alerts("evaluation.milestone.overdue")))
    newest: dict[str, Event] = {}
    for e in bus.by_type["evaluation.contract.evaluated"]:
        if e["data"]["contract_id"] in plans and e["data"]["version"] >= newest.get(
                e["data"]["contract_id"], e)["data"]["version"]:
            newest[e["data"]["contract_id"]] = e
    record.evaluations = [newest[c] for c in sorted(newest)]
    evaluated = {e["data"]["project_id"] for e in record.evaluations}
    await bus.until(_("catalog recording evaluations"), lambda: len(
        {c["data"]["project_id"] for c in bus.by_type["catalog.project.status_changed"]
         if c["data"]["status"] == "evaluated"} & evaluated), len(evaluated))
    record.status_changes = list(bus.by_type["catalog.project.status_changed"])
    record.payments = payments()
    record.alerts = alerts("evaluation.milestone.overdue") + alerts("evaluation.milestone.met")
    record.reviews = [e for e in bus.by_type["evaluation.report.reviewed"] if e["data"]["contract_id"] in plans]
    record.appeals = [e for t in ("evaluation.appeal.registered", "evaluation.appeal.closed") for e in bus.by_type[t]
                      if e["data"]["contract_id"] in plans]
