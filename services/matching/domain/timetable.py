"""The fair's timetable, solved exactly: which requested meeting takes place in which slot.

A meeting joins an organization and a purchaser's table; each table is there only in its free slots, nobody is in
two meetings in one slot, and a pinned meeting (locked, or kept where it was announced) stays in its slot. The
objective is lexicographic, each level optimised with the levels before it held at their optimum (OR-Tools CP-SAT,
one solve per level, each warm-started from the last; levels 1-4 in one exactly weighted sum):
1. the most must-meetings; 2. the most announced meetings kept (a reschedule); 3. the most meetings;
4. the greatest total fit (centipoints); 5. the fewest slots (the last slot used); 6. the fewest idle gaps (empty
slots between an organization's first and last meeting, summed). One worker and a fixed seed: the same instance
gives the same timetable every time.
Levels 1-4 are usually settled at once: the best meetings within each table's free slots and each organization's
day (an exact b-matching) bound every timetable, and when those meetings can be given slots the bound is the
optimum. Levels 5 and 6 are then improved within `polish_seconds` each; `levels_proved` says how many levels are
proved optimal (on the source's sizes the first four always are; all six on small fairs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model  # type: ignore[import-untyped, unused-ignore]

from services.matching.domain.solver import max_weight_b_matching


@dataclass(frozen=True)
class Wanted:
    """A meeting to place: organization and table by index, its fit, and what it must keep."""

    org: int
    table: int
    weight: int
    must: bool = False
    pinned: int | None = None  # the slot it may not leave (a locked meeting, or one kept where announced)
    announced: bool = False  # in the schedule already announced: worth keeping before any other meeting


@dataclass(frozen=True)
class Timetable:
    """The slot of each wanted meeting (None: left out), and the objective reached, level by level."""

    slots: tuple[int | None, ...]
    objective: tuple[int, int, int, int, int, int]
    levels_proved: int  # how many levels, from the first, are proved optimal (6: the whole objective)


def objective_of(wanted: Sequence[Wanted], slots: Sequence[int | None]) -> tuple[int, int, int, int, int, int]:
    """The lexicographic objective of a timetable, as (must, announced, meetings, fit, -last slot, -idle gaps)."""
    placed = [(w, s) for w, s in zip(wanted, slots, strict=True) if s is not None]
    by_org: dict[int, list[int]] = defaultdict(list)
    for w, s in placed:
        by_org[w.org].append(s)
    gaps = sum(max(used) - min(used) + 1 - len(used) for used in by_org.values())
    return (sum(w.must for w, _ in placed), sum(w.announced for w, _ in placed), len(placed),
            sum(w.weight for w, _ in placed), -max((s for _, s in placed), default=0), -gaps)


def solve_timetable(wanted: Sequence[Wanted], n_slots: int, free: Mapping[int, frozenset[int]],
                    seconds: float = 20.0, polish_seconds: float = 0.3) -> Timetable:
    """The best timetable by the stated objective. `free[table]`: the slots (1-based) the table is there; a table
    not named is there all day. Raises ValueError when the pinned meetings themselves collide."""
    model = cp_model.CpModel()
    every = frozenset(range(1, n_slots + 1))
    x: list[dict[int, cp_model.IntVar]] = []
    at_org: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    at_table: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for n, w in enumerate(wanted):
        open_slots = sorted(free.get(w.table, every) & every)
        if w.pinned is not None:
            if w.pinned not in open_slots:
                raise ValueError(f"meeting {n} is pinned to slot {w.pinned}, where its table is not there")
            open_slots = [w.pinned]
        chosen = {s: model.new_bool_var(f"m{n}s{s}") for s in open_slots}
        x.append(chosen)
        for s, var in chosen.items():
            at_org[w.org, s].append(var)
            at_table[w.table, s].append(var)
        if chosen:
            model.add_at_most_one(chosen.values())
        if w.pinned is not None:
            model.add(chosen[w.pinned] == 1)
    for group in (*at_org.values(), *at_table.values()):
        if len(group) > 1:
            model.add_at_most_one(group)
    held = [sum(chosen.values()) for chosen in x]
    slot_range = range(1, n_slots + 1)
    # The last slot used: `used[s]` holds from the first slot through the last one with a meeting.
    used = [model.new_bool_var(f"u{s}") for s in slot_range]
    for s in slot_range[1:]:
        model.add_implication(used[s - 1], used[s - 2])
    for chosen in x:
        for s, var in chosen.items():
            model.add_implication(var, used[s - 1])
    gaps = []
    for org in sorted({w.org for w in wanted}):
        busy = [sum(at_org.get((org, s), [])) for s in slot_range]
        started = [model.new_bool_var(f"a{org}_{s}") for s in slot_range]  # a meeting at or before s
        more = [model.new_bool_var(f"b{org}_{s}") for s in slot_range]  # a meeting at or after s
        for i in range(n_slots):
            model.add(started[i] >= busy[i])
            model.add(more[i] >= busy[i])
            if i:
                model.add(started[i] >= started[i - 1])
                model.add(more[i - 1] >= more[i])
            idle = model.new_bool_var(f"i{org}_{i}")
            model.add(idle >= started[i] + more[i] - 1 - busy[i])
            gaps.append(idle)
    weighted = sum(h * w.weight for h, w in zip(held, wanted, strict=True))
    units = _units(wanted, n_slots, free, every)
    must_unit, announced_unit, meeting_unit = units
    # Levels 1-4 in one exact weighted sum: each level's unit outweighs everything the levels below can add.
    levels = [
        sum(h for h, w in zip(held, wanted, strict=True) if w.must) * must_unit
        + sum(h for h, w in zip(held, wanted, strict=True) if w.announced) * announced_unit
        + sum(held) * meeting_unit + weighted,
        -sum(used),
        -sum(gaps),
    ]
    bound = _upper_bound(wanted, n_slots, free, every, units)
    limits = [seconds, polish_seconds, polish_seconds]
    settled = 0
    if bound is not None:  # levels 1-4 are settled at their proved optimum: only the slots remain to improve
        model.add(levels[0] == bound[0])
        for n, slot in enumerate(bound[1]):
            for s, var in x[n].items():
                model.add_hint(var, s == slot)
        levels, limits, settled = levels[1:], limits[1:], 4
        if _fewest_slots(wanted, bound[1]):
            model.add(levels[0] == -max((s for s in bound[1] if s is not None), default=0))
            levels, limits, settled = levels[1:], limits[1:], 5
    timetable = _lexicographic(model, x, levels, limits, start=bound[1] if bound else None)
    proved = timetable.levels_proved + settled
    return Timetable(slots=timetable.slots, objective=objective_of(wanted, timetable.slots), levels_proved=proved)


def _units(wanted: Sequence[Wanted], n_slots: int, free: Mapping[int, frozenset[int]],
           every: frozenset[int]) -> tuple[int, int, int]:
    """The weights of a must-meeting, an announced one kept and a meeting, that make levels 1-4 one exact sum: each
    unit is more than everything the levels below it can add in any timetable. They are counted with the most
    meetings a timetable can hold (each table within its free slots, each organization within the day), not with
    every meeting wanted: a fair of 550 organizations wanting 1,929 meetings at 18 tables of 12 slots holds at most
    216, and counting 1,929 made a must-meeting weigh 5e13, past what the exact bound's flow takes (4e12 there),
    which left CP-SAT twenty seconds to prove nothing."""
    most = min(len(wanted), sum(len(free.get(t, every) & every) for t in {w.table for w in wanted}),
               len({w.org for w in wanted}) * n_slots)
    meeting = most * max((w.weight for w in wanted), default=0) + 1  # more than any timetable's total fit
    return (most + 1) ** 2 * meeting, (most + 1) * meeting, meeting


def _fewest_slots(wanted: Sequence[Wanted], slots: Sequence[int | None]) -> bool:
    """Whether the last slot used is provably the fewest: every meeting is placed (so every best timetable holds
    them all) and no side has fewer meetings than the last slot used."""
    if any(s is None for s in slots) or not slots:
        return False
    busiest = max(max(Counter(w.org for w in wanted).values()), max(Counter(w.table for w in wanted).values()))
    return max(s for s in slots if s is not None) == busiest


def _upper_bound(wanted: Sequence[Wanted], n_slots: int, free: Mapping[int, frozenset[int]], every: frozenset[int],
                 units: tuple[int, int, int]) -> tuple[int, list[int | None]] | None:
    """Levels 1-4 exactly when a quick check allows: the best meetings with every table within its free slots and
    every organization within the day (a b-matching, solved exactly by `solver`) bound what any timetable reaches;
    when those meetings can be given slots, that bound is the optimum. None: they cannot, solve it in full."""
    loose = [n for n, w in enumerate(wanted) if w.pinned is None]
    orgs = sorted({w.org for w in wanted})
    tables = sorted({w.table for w in wanted})
    org_index, table_index = {o: i for i, o in enumerate(orgs)}, {t: i for i, t in enumerate(tables)}
    org_room = np.full(len(orgs), n_slots, np.int64)
    table_room = np.array([len(free.get(t, every) & every) for t in tables], np.int64)
    for w in wanted:
        if w.pinned is not None:
            org_room[org_index[w.org]] -= 1
            table_room[table_index[w.table]] -= 1
    if (org_room < 0).any() or (table_room < 0).any():
        return None
    must, announced, meeting = units
    weight = np.array([wanted[n].must * must + wanted[n].announced * announced + meeting + wanted[n].weight
                       for n in loose], np.int64)
    try:
        chosen = max_weight_b_matching(org_room, table_room,
                                       np.array([org_index[wanted[n].org] for n in loose], np.int64),
                                       np.array([table_index[wanted[n].table] for n in loose], np.int64), weight)
    except ValueError:  # weights too large for an exact flow: solve in full
        return None
    keep = {n for n, c in zip(loose, chosen, strict=True) if c}
    keep |= {n for n, w in enumerate(wanted) if w.pinned is not None}
    slots = _slots_for(wanted, sorted(keep), n_slots, free, every)
    if slots is None:
        return None
    value = sum(int(weight[i]) for i, c in enumerate(chosen) if c) + sum(
        w.must * must + w.announced * announced + meeting + w.weight for w in wanted if w.pinned is not None)
    return value, slots


def _slots_for(wanted: Sequence[Wanted], keep: Sequence[int], n_slots: int, free: Mapping[int, frozenset[int]],
               every: frozenset[int]) -> list[int | None] | None:
    """A slot for every kept meeting, or None when they cannot all take place: with every table there all day and
    nothing pinned, Kőnig's colouring in as many slots as the busiest side has meetings; else CP-SAT."""
    if all(wanted[n].pinned is None and free.get(wanted[n].table, every) >= every for n in keep):
        orgs = {o: i for i, o in enumerate(sorted({wanted[n].org for n in keep}))}
        tables = {t: i for i, t in enumerate(sorted({wanted[n].table for n in keep}))}
        colours = colour_edges([(orgs[wanted[n].org], tables[wanted[n].table]) for n in keep], len(orgs), len(tables))
        if max(colours, default=-1) < n_slots:
            placed: list[int | None] = [None] * len(wanted)
            for n, colour in zip(keep, colours, strict=True):
                placed[n] = colour + 1
            return placed
    model = cp_model.CpModel()
    x: dict[int, dict[int, cp_model.IntVar]] = {}
    at_org: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    at_table: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for n in keep:
        w = wanted[n]
        open_slots = [w.pinned] if w.pinned is not None else sorted(free.get(w.table, every) & every)
        x[n] = {s: model.new_bool_var(f"m{n}s{s}") for s in open_slots}
        model.add_exactly_one(x[n].values())
        for s, var in x[n].items():
            at_org[w.org, s].append(var)
            at_table[w.table, s].append(var)
    for group in (*at_org.values(), *at_table.values()):
        if len(group) > 1:
            model.add_at_most_one(group)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    solver.parameters.max_time_in_seconds = 2.0
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    slots: list[int | None] = [None] * len(wanted)
    for n, chosen in x.items():
        slots[n] = next(s for s, var in chosen.items() if solver.boolean_value(var))
    return slots


def colour_edges(edges: Sequence[tuple[int, int]], n_left: int, n_right: int) -> list[int]:
    """A colour (0-based) per edge of a simple bipartite graph, no two edges at a node alike, in max-degree colours.

    Kőnig's alternating-path method: for edge (x, y) take a colour `a` free at x and `b` free at y; if `a` is
    taken at y, swap a/b along the path from y that alternates them (it cannot reach x), freeing `a` at y.
    """
    ends = [(left, n_left + right) for left, right in edges]
    degree = [0] * (n_left + n_right)
    for x, y in ends:
        degree[x] += 1
        degree[y] += 1
    colours = max(degree, default=0)
    at: list[dict[int, int]] = [{} for _ in degree]  # node -> colour -> edge
    colour = [-1] * len(ends)
    for edge, (x, y) in enumerate(ends):
        a = next(c for c in range(colours) if c not in at[x])
        b = next(c for c in range(colours) if c not in at[y])
        if a in at[y]:
            _swap_along_path(at, ends, colour, y, a, b)
        colour[edge] = a
        at[x][a] = at[y][a] = edge
    return colour


def _swap_along_path(
    at: list[dict[int, int]], ends: list[tuple[int, int]], colour: list[int], start: int, a: int, b: int,
) -> None:
    path: list[int] = []
    node, wanted = start, a
    while wanted in at[node]:
        edge = at[node][wanted]
        path.append(edge)
        x, y = ends[edge]
        node = y if node == x else x
        wanted = b if wanted == a else a
    for edge in path:
        for end in ends[edge]:
            del at[end][colour[edge]]
    for edge in path:
        colour[edge] = b if colour[edge] == a else a
        for end in ends[edge]:
            at[end][colour[edge]] = edge


def _lexicographic(model: cp_model.CpModel, x: list[dict[int, cp_model.IntVar]], levels: Sequence[Any],
                   seconds: Sequence[float], start: Sequence[int | None] | None = None) -> Timetable:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    proved, settled = True, 0
    slots: tuple[int | None, ...] = tuple(start) if start is not None else ()
    for n, (level, limit) in enumerate(zip(levels, seconds, strict=True)):
        model.maximize(level)
        solver.parameters.max_time_in_seconds = limit
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if not slots:
                raise ValueError("the pinned meetings cannot all keep their slots")
            return Timetable(slots=slots, objective=(0, 0, 0, 0, 0, 0), levels_proved=settled)
        proved = proved and status == cp_model.OPTIMAL
        # The weighted first level holds levels 1-4; each level after it is one.
        settled += (4 if len(levels) == 3 and n == 0 else 1) if proved else 0
        slots = tuple(next((s for s, var in chosen.items() if solver.boolean_value(var)), None) for chosen in x)
        model.add(level >= int(solver.objective_value))
        model.clear_hints()  # type: ignore[no-untyped-call]
        for chosen in x:
            for var in chosen.values():
                model.add_hint(var, solver.boolean_value(var))
    return Timetable(slots=slots, objective=(0, 0, 0, 0, 0, 0), levels_proved=settled)
