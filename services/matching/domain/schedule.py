"""The fair's one-to-one meetings (一对一洽谈): which organization meets which purchaser's table in which slot.

One meeting per (organization, purchaser) pair with at least one recorded interest; its fit is the best among
that pair's interests. Each purchaser has one table; nobody is in two meetings in one slot.
- When every meeting fits (no organization or table has more meetings than the fair has slots), all are
  scheduled in exactly as many slots as the busiest one has meetings: a bipartite graph's edges colour in
  max-degree colours (König), here by the alternating-path method, O(E·V).
- Otherwise the meetings kept are those of greatest total fit with at most `slots` per organization and per table
  (a b-matching, solved exactly by `solver`), coloured the same way; the rest are listed with the reason.
Tables are numbered by the purchasers' stable order (the district's streets, then departments, then any other
purchaser by name). Ties are broken the same way every time: best fit first, then org_id, then table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from services.matching.domain.fit import centipoints
from services.matching.domain.solver import max_weight_b_matching
from shared.contracts.common import Purchaser
from shared.contracts.matching import FairScheduled, InterestRecorded, Meeting, UnscheduledMeeting
from shared.i18n import _


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


def keep_within_slots(talks: Sequence[Talk], slots: int) -> list[bool]:
    """Which talks to keep: all when they fit, else the greatest total fit with <= `slots` per side."""
    orgs = sorted({t.org_id for t in talks})
    tables = sorted({t.table for t in talks})
    org_index = {org_id: i for i, org_id in enumerate(orgs)}
    table_index = {table: i for i, table in enumerate(tables)}
    org_load = np.bincount([org_index[t.org_id] for t in talks], minlength=len(orgs))
    table_load = np.bincount([table_index[t.table] for t in talks], minlength=len(tables))
    if max(org_load.max(initial=0), table_load.max(initial=0)) <= slots:
        return [True] * len(talks)
    chosen = max_weight_b_matching(
        np.full(len(orgs), slots, np.int64), np.full(len(tables), slots, np.int64),
        np.array([org_index[t.org_id] for t in talks], np.int64),
        np.array([table_index[t.table] for t in talks], np.int64),
        np.array([centipoints(t.fit_score) for t in talks], np.int64),
    )
    return [bool(c) for c in chosen]


def _unscheduled_reason(talk: Talk, org_load: Counter[str], table_load: Counter[int], slots: int) -> str:
    reasons = []
    if org_load[talk.org_id] >= slots:
        reasons.append(_("organization already has {meetings} meetings, the fair has {slots} slots").format(
            meetings=org_load[talk.org_id], slots=slots))
    if table_load[talk.table] >= slots:
        reasons.append(_("purchaser's table is full: {meetings} meetings in {slots} slots").format(
            meetings=table_load[talk.table], slots=slots))
    if not reasons:
        raise RuntimeError(f"meeting {talk.org_id} x table {talk.table} was left out with room on both sides")
    return "; ".join(reasons)


def plan_schedule(
    fair_id: str, slots: int, interests: Sequence[InterestRecorded], tables: Sequence[Purchaser],
) -> FairScheduled:
    """The fair's meetings by slot then table, and the requested ones that did not fit, with why."""
    talks = requested_talks(interests, tables)
    keep = keep_within_slots(talks, slots)
    kept = [t for t, k in zip(talks, keep, strict=True) if k]
    orgs = {org_id: i for i, org_id in enumerate(sorted({t.org_id for t in kept}))}
    table_index = {table: i for i, table in enumerate(sorted({t.table for t in kept}))}
    colours = colour_edges([(orgs[t.org_id], table_index[t.table]) for t in kept], len(orgs), len(table_index))
    meetings = sorted(
        (Meeting(org_id=t.org_id, purchaser=t.purchaser, slot=c + 1, table=t.table, fit_score=t.fit_score,
                 project_ids=list(t.project_ids)) for t, c in zip(kept, colours, strict=True)),
        key=lambda m: (m.slot, m.table),
    )
    org_load, table_load = Counter(t.org_id for t in kept), Counter(t.table for t in kept)
    unscheduled = [
        UnscheduledMeeting(org_id=t.org_id, purchaser=t.purchaser, fit_score=t.fit_score,
                           project_ids=list(t.project_ids), reason=_unscheduled_reason(t, org_load, table_load, slots))
        for t, k in zip(talks, keep, strict=True) if not k
    ]
    return FairScheduled(fair_id=fair_id, slots=slots, slots_used=max(colours, default=-1) + 1,
                         meetings=meetings, unscheduled=unscheduled)
