"""The fair's one-to-one meetings (一对一洽谈): which organization meets which purchaser's table in which slot.

One meeting per (organization, purchaser) pair with at least one recorded interest or a meeting asked for by
either side; its fit is the best among that pair's interests (an invited organization's best fit when it has
none). Each purchaser has one table, there only in its available slots; a declined pair is never scheduled;
nobody is in two meetings in one slot. The slots are chosen by `timetable` (the lexicographic objective: most
must-meetings, then announced meetings kept, then meetings, then total fit, then fewest slots, then fewest idle
gaps); the meetings left out are listed with why. A reschedule keeps the locked meetings where they are (and,
unless told not to, every announced meeting still allowed) and `changes` says what it added, moved and cancelled.
Tables are numbered by the purchasers' stable order (the district's streets, then departments, then any other
purchaser by name). Ties are broken the same way every time: best fit first, then org_id, then table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from services.matching.domain.fit import centipoints
from services.matching.domain.sides import FairSides, slot_times
from services.matching.domain.timetable import Wanted, solve_timetable
from services.matching.domain.timetable import colour_edges as colour_edges  # where the tests look for it
from shared import i18n
from shared.contracts.common import Purchaser
from shared.contracts.matching import (
    AddedMeeting,
    CancelledMeeting,
    FairDay,
    FairScheduled,
    InterestRecorded,
    Meeting,
    MovedMeeting,
    ScheduleObjective,
    UnscheduledMeeting,
)


@dataclass(frozen=True)
class Talk:
    """A requested meeting: one organization with one purchaser, for the projects it is interested in."""

    org_id: str
    purchaser: Purchaser
    table: int
    fit_score: float
    project_ids: tuple[str, ...]


def district_tables(streets: Sequence[str], departments: Sequence[str]) -> list[Purchaser]:
    """The purchasers in table order: the district's sub-districts, then its departments (13 + 5 in 2014)."""
    return [Purchaser(kind="street", name=s) for s in streets] + [
        Purchaser(kind="department", name=d) for d in departments]


def table_numbers(tables: Sequence[Purchaser], interests: Iterable[InterestRecorded]) -> dict[Purchaser, int]:
    """Each purchaser's table (1-based): the given order first, any other purchaser after it, by kind and name."""
    numbers: dict[Purchaser, int] = {}
    for purchaser in tables:
        numbers.setdefault(purchaser, len(numbers) + 1)
    for purchaser in sorted({i.purchaser for i in interests} - set(numbers), key=lambda p: p.key):
        numbers[purchaser] = len(numbers) + 1
    return numbers


def requested_talks(interests: Sequence[InterestRecorded], tables: Sequence[Purchaser]) -> list[Talk]:
    """One talk per (organization, purchaser) pair, best fit first, then org_id, then table."""
    numbers = table_numbers(tables, interests)
    pairs: dict[tuple[str, Purchaser], list[InterestRecorded]] = defaultdict(list)
    for interest in interests:
        pairs[interest.org_id, interest.purchaser].append(interest)
    talks = [
        Talk(org_id=org_id, purchaser=purchaser, table=numbers[purchaser],
             fit_score=max(i.fit_score for i in group), project_ids=tuple(sorted({i.project_id for i in group})))
        for (org_id, purchaser), group in pairs.items()
    ]
    return sorted(talks, key=lambda t: (-centipoints(t.fit_score), t.org_id, t.table))


@dataclass(frozen=True)
class Plan:
    """What the schedule is planned from besides the interests: both sides' say, the schedule announced before (a
    reschedule), whether its meetings are kept where they are, and the fair's clock."""

    sides: FairSides = field(default_factory=FairSides)
    previous: FairScheduled | None = None
    keep_announced: bool = True
    fair: FairDay | None = None  # its clock; without it meetings carry slot numbers only
    timezone: str = "Asia/Shanghai"
    invited_fit: Mapping[str, float] = field(default_factory=dict)  # for a meeting asked for without an interest


def wanted_talks(interests: Sequence[InterestRecorded], tables: Sequence[Purchaser], plan: Plan) -> list[Talk]:
    """The interests' talks and the meetings asked for without an interest, best fit first, then org_id, table."""
    talks = requested_talks(interests, tables)
    have = {(t.org_id, t.purchaser) for t in talks}
    numbers = table_numbers(tables, interests)
    for purchaser in sorted({p for _, p in plan.sides.requested_pairs()} - set(numbers), key=lambda p: p.key):
        numbers[purchaser] = len(numbers) + 1
    talks += [Talk(org_id=org, purchaser=purchaser, table=numbers[purchaser], fit_score=plan.invited_fit.get(org, 0.0),
                   project_ids=()) for org, purchaser in plan.sides.requested_pairs() if (org, purchaser) not in have]
    return sorted(talks, key=lambda t: (-centipoints(t.fit_score), t.org_id, t.table))


def _pinned(talk: Talk, plan: Plan, free: frozenset[int]) -> int | None:
    pair = (talk.org_id, talk.purchaser)
    if pair in plan.sides.locked:
        return plan.sides.locked[pair]
    before = _announced(plan).get(pair)
    if plan.keep_announced and before is not None and before.slot in free:
        return before.slot
    return None


def _announced(plan: Plan) -> dict[tuple[str, Purchaser], Meeting]:
    return {(m.org_id, m.purchaser): m for m in plan.previous.meetings} if plan.previous else {}


def plan_schedule(
    fair_id: str, slots: int, interests: Sequence[InterestRecorded], tables: Sequence[Purchaser],
    plan: Plan | None = None,
) -> FairScheduled:
    """The fair's meetings by slot then table, and the requested ones that did not take place, with why."""
    plan = plan or Plan()
    every = frozenset(range(1, slots + 1))
    talks = wanted_talks(interests, tables, plan)
    declined = [t for t in talks if (t.org_id, t.purchaser) in plan.sides.declined]
    open_talks = [t for t in talks if (t.org_id, t.purchaser) not in plan.sides.declined]
    free = {t.table: every - plan.sides.away.get(t.purchaser, frozenset()) for t in open_talks}
    orgs = {org: n for n, org in enumerate(sorted({t.org_id for t in open_talks}))}
    announced = _announced(plan)
    wanted = [Wanted(org=orgs[t.org_id], table=t.table, weight=centipoints(t.fit_score),
                     must=plan.sides.priority((t.org_id, t.purchaser)) == "must",
                     pinned=_pinned(t, plan, free[t.table]), announced=(t.org_id, t.purchaser) in announced)
              for t in open_talks]
    timetable = solve_timetable(wanted, slots, free)
    meetings = sorted((_meeting(t, w, slot, plan) for t, w, slot in zip(open_talks, wanted, timetable.slots,
                                                                       strict=True) if slot is not None),
                      key=lambda m: (m.slot, m.table))
    org_load, table_load = Counter(m.org_id for m in meetings), Counter(m.table for m in meetings)
    unscheduled = [_unscheduled(t, w.must, _left_out(t, org_load, table_load, slots, free[t.table]))
                   for t, w, slot in zip(open_talks, wanted, timetable.slots, strict=True) if slot is None]
    unscheduled += [_unscheduled(t, plan.sides.priority((t.org_id, t.purchaser)) == "must",
                                 i18n._("declined by the purchaser: {reason}").format(
                                     reason=plan.sides.declined[t.org_id, t.purchaser]))
                    for t in declined]
    must, _, count, total, last, gaps = timetable.objective
    objective = ScheduleObjective(must_meetings=must, meetings=count, total_fit_centipoints=total, slots_used=-last,
                                  idle_gaps=-gaps, proved_optimal=timetable.levels_proved == 6)
    return FairScheduled(fair_id=fair_id, slots=slots, slots_used=-last, meetings=meetings, unscheduled=unscheduled,
                         revision=plan.previous.revision + 1 if plan.previous else 1, objective=objective)


def _meeting(talk: Talk, wanted: Wanted, slot: int, plan: Plan) -> Meeting:
    starts_at, ends_at = slot_times(plan.fair, slot, plan.timezone) if plan.fair else (None, None)
    return Meeting(org_id=talk.org_id, purchaser=talk.purchaser, slot=slot, table=talk.table,
                   fit_score=talk.fit_score, project_ids=list(talk.project_ids), starts_at=starts_at, ends_at=ends_at,
                   must=wanted.must, locked=(talk.org_id, talk.purchaser) in plan.sides.locked)


def _unscheduled(talk: Talk, must: bool, reason: str) -> UnscheduledMeeting:
    return UnscheduledMeeting(org_id=talk.org_id, purchaser=talk.purchaser, fit_score=talk.fit_score,
                              project_ids=list(talk.project_ids), reason=reason, must=must)


def _left_out(talk: Talk, org_load: Counter[str], table_load: Counter[int], slots: int, free: frozenset[int]) -> str:
    reasons = []
    if org_load[talk.org_id] >= slots:
        reasons.append(i18n._("organization already has {meetings} meetings, the fair has {slots} slots").format(
            meetings=org_load[talk.org_id], slots=slots))
    if table_load[talk.table] >= len(free):
        full = (i18n._("purchaser's table is full: {meetings} meetings in {slots} slots") if len(free) == slots else
                i18n._("purchaser's table is full: {meetings} meetings in the {slots} slots it is there"))
        reasons.append(full.format(meetings=table_load[talk.table], slots=len(free)))
    if not reasons:
        reasons.append(i18n._("no slot is left where both the organization and the purchaser's table are free"))
    return i18n._("; ").join(reasons)


Changes = tuple[list[AddedMeeting], list[MovedMeeting], list[CancelledMeeting]]


def changes(previous: FairScheduled, new: FairScheduled, plan: Plan) -> Changes:
    """What a reschedule changed against the schedule announced before, each with why."""
    before = {(m.org_id, m.purchaser): m for m in previous.meetings}
    after = {(m.org_id, m.purchaser): m for m in new.meetings}
    waited = {(u.org_id, u.purchaser) for u in previous.unscheduled}
    left = {(u.org_id, u.purchaser): u.reason for u in new.unscheduled}
    added = [AddedMeeting(meeting=m, reason=(
        i18n._("did not fit before; room was found for it") if pair in waited else
        i18n._("asked for or interest recorded since the schedule was announced"))) for pair, m in after.items()
        if pair not in before]
    moved = []
    for pair, m in after.items():
        old = before.get(pair)
        if old is None or old.slot == m.slot:
            continue
        away = plan.sides.away.get(m.purchaser, frozenset())
        why = (i18n._("the purchaser's table is away in slot {slot}").format(slot=old.slot) if old.slot in away else
               i18n._("planned again keeping only the locked meetings (keep_announced: false)"))
        moved.append(MovedMeeting(meeting=m, from_slot=old.slot, reason=why))
    cancelled = [CancelledMeeting(meeting=m, reason=left.get(pair, i18n._("no longer requested")))
                 for pair, m in before.items() if pair not in after]
    return added, moved, cancelled
