"""The fair's timetable from both sides: availability and declines always respected, locks never moved, nobody
double-booked, and the lexicographic objective (must-meets, meetings, fit, slots, idle gaps) equal to the brute-force
optimum on every enumerable instance."""

from __future__ import annotations

import itertools
import random
from datetime import date, time

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.schedule import Plan, plan_schedule
from services.matching.domain.sides import FairSides, slot_times, slots_within
from services.matching.domain.timetable import Wanted, objective_of, solve_timetable
from shared.contracts.common import Purchaser
from shared.contracts.matching import FairBreak, FairDay, FairScheduled, InterestRecorded
from shared.tables import short_names
from tests.unit.matching_examples import talk

TABLES = [Purchaser(kind="street", name=n) for n in ("t-a", "t-b", "t-c")]
DAY = FairDay(fair_id="fair-1", fair_ref="f", batch="2015-1", date=date(2015, 11, 19), slots=6, slot_minutes=20,
              starts_at=time(14, 0), breaks=[FairBreak(after_slot=3, minutes=15)])


def brute_force(wanted: list[Wanted], n_slots: int, free: dict[int, frozenset[int]]) -> tuple[int, ...]:
    """The best objective over every timetable: each meeting left out or in one of its table's free slots."""
    choices = [[None, *sorted(free[w.table])] if w.pinned is None else [w.pinned] for w in wanted]
    best: tuple[int, ...] | None = None
    for slots in itertools.product(*choices):
        taken = [(w.org, s) for w, s in zip(wanted, slots, strict=True) if s is not None]
        tables = [(w.table, s) for w, s in zip(wanted, slots, strict=True) if s is not None]
        if len(set(taken)) < len(taken) or len(set(tables)) < len(tables):
            continue
        value = objective_of(wanted, slots)
        best = value if best is None or value > best else best
    assert best is not None
    return best


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Wanted], int, dict[int, frozenset[int]]]:
    n_slots = draw(st.integers(1, 4))
    pairs = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=5, unique=True))
    free = {t: frozenset(draw(st.sets(st.integers(1, n_slots)))) for t in range(3)}
    wanted = [Wanted(org=o, table=t, weight=draw(st.integers(0, 3)), must=draw(st.booleans()),
                     announced=draw(st.booleans())) for o, t in pairs]
    return wanted, n_slots, free


@settings(max_examples=80, deadline=None)
@given(instance=instances())
def test_the_timetable_reaches_the_brute_force_optimum_level_by_level(
    instance: tuple[list[Wanted], int, dict[int, frozenset[int]]],
) -> None:
    wanted, n_slots, free = instance
    timetable = solve_timetable(wanted, n_slots, free)
    assert timetable.levels_proved == 6
    assert timetable.objective == brute_force(wanted, n_slots, free)
    for w, slot in zip(wanted, timetable.slots, strict=True):
        assert slot is None or slot in free[w.table], "a meeting in a slot its table is away"


def test_of_timetables_equal_in_everything_else_the_one_without_idle_gaps_wins() -> None:
    # o-0 meets t-0 in slot 1 and t-1 in slot 2 or 3; o-1's meeting at t-2 makes slot 3 used either way.
    wanted = [Wanted(org=0, table=0, weight=1), Wanted(org=0, table=1, weight=1), Wanted(org=1, table=2, weight=1)]
    free = {0: frozenset({1}), 1: frozenset({2, 3}), 2: frozenset({3})}
    assert solve_timetable(wanted, 3, free).slots == (1, 2, 3)


def assert_nobody_double_booked(schedule: FairScheduled) -> None:
    seen_orgs = [(m.org_id, m.slot) for m in schedule.meetings]
    seen_tables = [(m.table, m.slot) for m in schedule.meetings]
    assert len(set(seen_orgs)) == len(seen_orgs) and len(set(seen_tables)) == len(seen_tables)


interest_sets = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from([t.name for t in TABLES]), st.integers(0, 10_000)),
    min_size=1, max_size=12,
).map(lambda rows: [talk(f"o-{o}", t, w / 100, f"p-{n}") for n, (o, t, w) in enumerate(rows)])


@st.composite
def sides(draw: st.DrawFn, interests: list[InterestRecorded]) -> FairSides:
    pairs = sorted({(i.org_id, i.purchaser) for i in interests}, key=lambda p: (p[0], p[1].key))
    away = {t: frozenset(draw(st.sets(st.integers(1, DAY.slots), max_size=4))) for t in TABLES}
    declined = {p: "不需要" for p in pairs if draw(st.integers(0, 4)) == 0}
    requested = {(org, purchaser, "purchaser"): draw(st.sampled_from(["must", "want"]))
                 for org, purchaser in pairs if draw(st.booleans())}
    return FairSides(away=away, declined=declined, requested=requested)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), interests=interest_sets)
def test_no_double_booking_no_declined_pair_and_no_meeting_while_a_table_is_away(
    data: st.DataObject, interests: list[InterestRecorded],
) -> None:
    said = data.draw(sides(interests))
    schedule = plan_schedule("fair-1", DAY.slots, interests, TABLES, Plan(sides=said, fair=DAY))
    assert_nobody_double_booked(schedule)
    for m in schedule.meetings:
        assert (m.org_id, m.purchaser) not in said.declined
        assert m.slot not in said.away[m.purchaser]
        assert (m.starts_at, m.ends_at) == slot_times(DAY, m.slot, "Asia/Shanghai")
    listed = {(m.org_id, m.purchaser) for m in schedule.meetings} | {
        (u.org_id, u.purchaser) for u in schedule.unscheduled}
    assert listed == {(i.org_id, i.purchaser) for i in interests}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), interests=interest_sets, later=interest_sets, keep=st.booleans())
def test_a_reschedule_never_moves_a_locked_meeting_and_keeps_announced_ones_unless_told_not_to(
    data: st.DataObject, interests: list[InterestRecorded], later: list[InterestRecorded], keep: bool,
) -> None:
    first = plan_schedule("fair-1", DAY.slots, interests, TABLES, Plan(fair=DAY))
    locks = {(m.org_id, m.purchaser): m.slot for m in first.meetings if data.draw(st.booleans())}
    more = [i.model_copy(update={"project_id": f"late-{i.project_id}", "interest_id": f"late-{i.interest_id}"})
            for i in later]
    said = FairSides(locked=locks)
    again = plan_schedule("fair-1", DAY.slots, interests + more, TABLES,
                          Plan(sides=said, previous=first, keep_announced=keep, fair=DAY))
    assert_nobody_double_booked(again)
    placed = {(m.org_id, m.purchaser): m for m in again.meetings}
    for pair, slot in locks.items():
        assert placed[pair].slot == slot and placed[pair].locked
    if keep:
        for m in first.meetings:
            assert placed[m.org_id, m.purchaser].slot == m.slot


def test_must_meetings_come_before_more_meetings_and_before_fit() -> None:
    # One slot: o-1 can meet t-a (fit 90) or t-b (fit 10, a must); o-2 wants only t-b.
    interests = [talk("o-1", "t-a", 90.0), talk("o-1", "t-b", 10.0), talk("o-2", "t-b", 50.0)]
    said = FairSides(requested={("o-1", TABLES[1], "purchaser"): "must"})
    schedule = plan_schedule("fair-1", 1, interests, TABLES, Plan(sides=said))
    assert sorted((m.org_id, m.purchaser.name) for m in schedule.meetings) == [("o-1", "t-b")]
    assert schedule.objective is not None and schedule.objective.must_meetings == 1


def test_clock_times_count_the_slots_and_the_breaks_before_them() -> None:
    assert [slot_times(DAY, s, "Asia/Shanghai")[0].time() for s in (1, 3, 4, 6)] == [
        time(14, 0), time(14, 40), time(15, 15), time(15, 55)]
    assert slot_times(DAY, 1, "Asia/Shanghai")[0].isoformat() == "2015-11-19T14:00:00+08:00"


def test_a_clock_window_covers_every_slot_it_overlaps() -> None:
    assert slots_within(DAY, time(14, 30), time(15, 20)) == {2, 3, 4}
    assert slots_within(DAY, time(15, 0), time(15, 15)) == set()  # the break


def test_the_grids_names_drop_the_place_every_name_begins_with_cut_after_its_last_district_mark() -> None:
    names = {"o-1": "成都市武侯区阳光社工服务中心", "o-2": "成都市武侯区社区发展促进会",
             "o-3": "成都市武侯区社会组织孵化园"}
    assert short_names(names) == {"o-1": "阳光社工服务中心", "o-2": "社区发展促进会", "o-3": "社会组织孵化园"}
    assert short_names({"o-1": "机构甲", "o-2": "机构乙"}) == {"o-1": "机构甲", "o-2": "机构乙"}
    assert short_names({"o-1": "成都市武侯区"}) == {"o-1": "成都市武侯区"}


def test_a_fair_ten_times_the_source_settles_its_first_four_levels_exactly() -> None:
    """550 organizations wanting 1,980 meetings at 18 tables of 12 slots, two tables away for a slot: at most 216
    meetings fit, and the first four levels are the exact bound's. (Weighting each level by every meeting wanted
    rather than by the most that fit made the bound's weights too large for its flow: CP-SAT then ran its whole
    twenty seconds and proved nothing.)"""
    rng = random.Random(550)
    wanted = [Wanted(org=org, table=table, weight=rng.randint(3000, 9500), must=org == n == 0)  # one must-meeting
              for org in range(550) for n, table in enumerate(rng.sample(range(18), 4)[: 4 if org % 10 else 3])]
    free = {t: frozenset(range(1, 13)) for t in range(18)} | {16: frozenset(range(2, 13)), 17: frozenset(range(1, 12))}
    timetable = solve_timetable(wanted, 12, free)
    assert timetable.levels_proved >= 4
    must, _, meetings, _, _, _ = timetable.objective
    assert meetings == 18 * 12 - 2 and must == sum(w.must for w in wanted)
    booked = [(w.org, s) for w, s in zip(wanted, timetable.slots, strict=True) if s is not None]
    assert len(set(booked)) == len(booked)
    assert all(s is None or s in free[w.table] for w, s in zip(wanted, timetable.slots, strict=True))
