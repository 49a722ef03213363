"""The fair's one-to-one schedule: nobody double-booked, fewest slots when all fits, best meetings when not."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.fairs import Fair, FairRecord, schedule_fair
from services.matching.domain.fit import centipoints
from services.matching.domain.schedule import colour_edges, district_tables, plan_schedule
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS, Purchaser
from shared.contracts.matching import FairScheduled, InterestRecorded, ScheduleRequested
from tests.unit.matching_examples import talk

TABLES = [Purchaser(kind="street", name=n) for n in ("t-a", "t-b", "t-c", "t-d")]


def assert_nobody_double_booked(schedule: FairScheduled) -> None:
    for slot in {m.slot for m in schedule.meetings}:
        in_slot = [m for m in schedule.meetings if m.slot == slot]
        assert len({m.org_id for m in in_slot}) == len(in_slot), f"an organization twice in slot {slot}"
        assert len({m.table for m in in_slot}) == len(in_slot), f"a table twice in slot {slot}"


def max_degree(interests: list[InterestRecorded]) -> int:
    pairs = {(i.org_id, i.purchaser.name) for i in interests}
    loads = Counter(org for org, _ in pairs) + Counter(table for _, table in pairs)
    return max(loads.values(), default=0)


def test_one_meeting_per_organization_and_purchaser_at_its_best_fit_at_the_purchasers_table() -> None:
    interests = [talk("o-1", "t-b", 70.0, "p-1"), talk("o-1", "t-b", 80.5, "p-2"), talk("o-2", "t-a", 60.0)]
    schedule = plan_schedule("fair-1", 12, interests, TABLES)
    assert [(m.org_id, m.table, m.fit_score, m.project_ids) for m in schedule.meetings] == [
        ("o-2", 1, 60.0, ["t-a-project"]), ("o-1", 2, 80.5, ["p-1", "p-2"])]
    assert schedule.slots_used == 1 and schedule.unscheduled == []


def test_when_everything_fits_the_busiest_organization_sets_the_number_of_slots() -> None:
    interests = [talk("o-1", t.name, 50.0) for t in TABLES[:3]] + [talk("o-2", "t-a", 50.0), talk("o-3", "t-a", 50)]
    schedule = plan_schedule("fair-1", 12, interests, TABLES)
    assert schedule.slots_used == 3 and len(schedule.meetings) == 5
    assert_nobody_double_booked(schedule)


def test_tables_follow_the_districts_streets_then_its_departments() -> None:
    tables = district_tables(DEFAULT_STREETS, DEFAULT_DEPARTMENTS)
    department = Purchaser(kind="department", name=DEFAULT_DEPARTMENTS[0])
    interests = [talk("o-1", DEFAULT_STREETS[1], 50.0), talk("o-2", DEFAULT_STREETS[0], 50.0)]
    interests.append(interests[0].model_copy(update={"org_id": "o-3", "purchaser": department}))
    schedule = plan_schedule("fair-1", 2, interests, tables)
    assert sorted((m.org_id, m.table) for m in schedule.meetings) == [("o-1", 2), ("o-2", 1), ("o-3", 14)]


def test_a_purchaser_outside_the_table_order_gets_the_next_table() -> None:
    schedule = plan_schedule("fair-1", 2, [talk("o-1", "t-z", 50.0), talk("o-1", "t-a", 50.0)], TABLES)
    assert sorted(m.table for m in schedule.meetings) == [1, 5]


def test_when_an_organization_wants_more_meetings_than_slots_its_best_fitting_ones_are_kept() -> None:
    interests = [talk("o-1", "t-a", 90.0), talk("o-1", "t-b", 40.0), talk("o-1", "t-c", 70.0)]
    schedule = plan_schedule("fair-1", 2, interests, TABLES)
    assert sorted(m.table for m in schedule.meetings) == [1, 3]
    [left] = schedule.unscheduled
    assert (left.org_id, left.purchaser.name) == ("o-1", "t-b")
    assert left.reason == "organization already has 2 meetings, the fair has 2 slots"


def test_when_a_table_is_full_the_lower_fits_wait_with_the_reason() -> None:
    interests = [talk(f"o-{n}", "t-a", 50.0 + n) for n in range(4)]
    schedule = plan_schedule("fair-1", 3, interests, TABLES)
    assert [m.org_id for m in sorted(schedule.meetings, key=lambda m: m.org_id)] == ["o-1", "o-2", "o-3"]
    assert [(u.org_id, u.reason) for u in schedule.unscheduled] == [
        ("o-0", "purchaser's table is full: 3 meetings in 3 slots")]


def test_asking_twice_or_in_another_order_gives_the_same_schedule() -> None:
    interests = [talk(f"o-{n % 5}", f"t-{'abcd'[n % 4]}", 10.0 * (n % 3)) for n in range(17)]
    first = plan_schedule("fair-1", 3, interests, TABLES)
    assert plan_schedule("fair-1", 3, list(reversed(interests)), TABLES) == first


FAIR = Fair(fair_id="fair-1", fair_ref="f", batch="2015-1", date=date(2015, 11, 19), slots=2, slot_minutes=20,
            invited=[], invitations=[])


def test_the_schedule_is_announced_with_its_meetings_from_this_fairs_interests_only() -> None:
    elsewhere = talk("o-2", "t-a", 99.0).model_copy(update={"fair_id": "fair-2"})
    state, [emit] = schedule_fair(ScheduleRequested(fair_id="fair-1"), record=FairRecord(FAIR),
                                  interests=[talk("o-1", "t-b", 70.0), elsewhere], tables=TABLES)
    assert state is not None and emit.type == "matching.fair.scheduled"
    assert emit.data["meetings"] == [{"org_id": "o-1", "purchaser": {"kind": "street", "name": "t-b"}, "slot": 1,
                                      "table": 2, "fit_score": 70.0, "project_ids": ["t-b-project"],
                                      "starts_at": "2015-11-19T14:00:00+08:00", "ends_at": "2015-11-19T14:20:00+08:00",
                                      "must": False, "locked": False}]
    assert (emit.data["slots"], emit.data["slots_used"], emit.data["unscheduled"]) == (2, 1, [])


def test_a_schedule_without_interests_or_without_a_fair_is_refused() -> None:
    state, [emit] = schedule_fair(ScheduleRequested(fair_id="f-x"), record=None, interests=[], tables=TABLES)
    assert state is None and emit.data["errors"] == [{"field": "fair_id", "message": "no fair f-x has been opened"}]
    state, [emit] = schedule_fair(ScheduleRequested(fair_id="fair-1"), record=FairRecord(FAIR), interests=[],
                                  tables=TABLES)
    assert state is None and emit.type == "matching.fair.rejected"
    assert emit.data["errors"][0]["message"] == "no interest has been recorded at this fair yet"


def brute_force_best(interests: list[InterestRecorded], slots: int) -> tuple[int, int]:
    """The most meetings, then the greatest total fit, over every set of meetings within the slots."""
    weights: dict[tuple[str, str], int] = {}
    for i in interests:
        key = (i.org_id, i.purchaser.name)
        weights[key] = max(weights.get(key, 0), centipoints(i.fit_score))
    pairs = sorted(weights)
    best = (0, 0)
    for chosen in itertools.product((False, True), repeat=len(pairs)):
        kept = [p for p, c in zip(pairs, chosen, strict=True) if c]
        loads = Counter(o for o, _ in kept) + Counter(t for _, t in kept)
        if all(n <= slots for n in loads.values()):
            best = max(best, (len(kept), sum(weights[p] for p in kept)))
    return best


interest_sets = st.lists(
    st.tuples(st.integers(0, 4), st.sampled_from([t.name for t in TABLES]), st.integers(0, 10_000)),
    min_size=1, max_size=14,
).map(lambda rows: [talk(f"o-{o}", t, w / 100, f"p-{n}") for n, (o, t, w) in enumerate(rows)])


@settings(max_examples=200, deadline=None)
@given(interests=interest_sets, slots=st.integers(1, 4))
def test_no_double_booking_fewest_slots_when_it_fits_and_the_best_total_when_not(
    interests: list[InterestRecorded], slots: int,
) -> None:
    schedule = plan_schedule("fair-1", slots, interests, TABLES)
    assert_nobody_double_booked(schedule)
    assert all(1 <= m.slot <= slots for m in schedule.meetings)
    pairs = {(i.org_id, i.purchaser.name) for i in interests}
    listed = [(m.org_id, m.purchaser.name) for m in schedule.meetings]
    listed += [(u.org_id, u.purchaser.name) for u in schedule.unscheduled]
    assert sorted(listed) == sorted(pairs)
    if max_degree(interests) <= slots:
        assert schedule.unscheduled == [] and schedule.slots_used == max_degree(interests)
    reached = (len(schedule.meetings), sum(centipoints(m.fit_score) for m in schedule.meetings))
    assert reached == brute_force_best(interests, slots)


@settings(max_examples=100, deadline=None)
@given(edges=st.sets(st.tuples(st.integers(0, 25), st.integers(0, 17)), max_size=200))
def test_any_bipartite_graph_colours_in_its_maximum_degree(edges: set[tuple[int, int]]) -> None:
    ordered = sorted(edges)
    colours = colour_edges(ordered, 26, 18)
    degree = Counter(left for left, _ in ordered) + Counter(100 + right for _, right in ordered)
    assert len(set(colours)) == max(degree.values(), default=0)
    for side in (0, 1):
        seen = {(edge[side], colour) for edge, colour in zip(ordered, colours, strict=True)}
        assert len(seen) == len(ordered)


def test_asked_again_a_late_interest_is_added_and_only_the_change_is_announced() -> None:
    kept = plan_schedule("fair-1", 2, [talk("o-1", "t-b", 70.0)], TABLES)
    more = [talk("o-1", "t-b", 70.0), talk("o-2", "t-a", 90.0)]
    state, [emit] = schedule_fair(ScheduleRequested(fair_id="fair-1"), record=FairRecord(FAIR, schedule=kept),
                                  interests=more, tables=TABLES)
    assert state is not None and state.revision == 2 and emit.type == "matching.fair.rescheduled"
    assert [a["meeting"]["org_id"] for a in emit.data["added"]] == ["o-2"]
    assert emit.data["moved"] == [] and emit.data["cancelled"] == []


def test_asked_again_with_nothing_new_the_empty_change_is_announced_and_nothing_is_kept() -> None:
    kept = plan_schedule("fair-1", 2, [talk("o-1", "t-b", 70.0)], TABLES)
    state, [emit] = schedule_fair(ScheduleRequested(fair_id="fair-1"), record=FairRecord(FAIR, schedule=kept),
                                  interests=[talk("o-1", "t-b", 70.0)], tables=TABLES)
    assert state is None and emit.type == "matching.fair.rescheduled"
    assert (emit.data["added"], emit.data["moved"], emit.data["cancelled"]) == ([], [], [])
