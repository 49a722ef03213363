"""Who is invited to a fair, solved exactly: coverage first, then balance, then the best fit.

Candidates are the organizations eligible for at least one published project of the batch that still have
capacity to take a contract (an organization at capacity could not be awarded anything, so it takes no seat).
Within the limit of seats, lexicographically (OR-Tools CP-SAT, the levels in one exactly weighted sum):
1. the most projects covered: a project with at least one candidate that can take it is covered when at least
   `coverage` of them (or all, when fewer exist) are invited;
2. the smallest shortfall against the minimum shares: each category of the batch and each organizations' street
   gets at least ceil(share x seats) invitees (or all its candidates, when fewer exist);
3. the greatest total fit (each organization's best fit), and among equal totals the better-ranked organizations
   (best fit, then org_id), so with no coverage or share to meet the seats go best-fit first, as before.
A project left uncovered is explained: no eligible organization, every eligible one at capacity, or the seats run
out before it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, Field

from services.matching.domain.awards import capacity_left
from services.matching.domain.eligibility import EligibilityRules, organization_reasons, project_reasons
from services.matching.domain.fit import (
    FitRules,
    domain_value,
    locality_of,
    organization_values,
    score_centipoints,
)
from services.matching.projections import OrganizationProfile, ProjectView
from shared import i18n
from shared.contracts.matching import Invitation, UncoveredProject


class InvitationRules(BaseModel):
    """How a fair's seats are shared out (configurable with the rest of matching's rules)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    coverage: int = Field(default=1, ge=0, le=100, description="invitees who can take each project")
    category_min_share: float = Field(default=0.03, ge=0, le=1,
                                      description="of the seats, at least this share per category of the batch")
    street_min_share: float = Field(default=0.03, ge=0, le=1,
                                    description="of the seats, at least this share per organizations' street")
    seconds: float = Field(default=10.0, gt=0, description="time allowed to prove each level optimal")


@dataclass(frozen=True)
class Candidate:
    """An organization that may take a seat: its best fit, the project of it, and every project it can take."""

    profile: OrganizationProfile
    points: int
    best_project: str
    projects: frozenset[str]


@dataclass(frozen=True)
class Seats:
    """The invitations, best fit first (ties by org_id), and the projects left uncovered with why."""

    invitations: list[Invitation]
    uncovered: list[UncoveredProject]
    proved_optimal: bool


def candidates(projects: Sequence[ProjectView], profiles: Iterable[OrganizationProfile], today: date,
               eligibility: EligibilityRules, fit: FitRules) -> tuple[list[Candidate], dict[str, int]]:
    """Every eligible organization with capacity left, ranked best fit first, then org_id; and per project how
    many eligible organizations have no capacity left."""
    # Eligibility depends on a project's category and minimum grade only, and its fit on its category, street and
    # community: each organization is judged once per such group, not once per project.
    groups: dict[tuple[str, str | None], dict[tuple[str, str | None, str | None], list[ProjectView]]] = {}
    for project in sorted(projects, key=lambda p: p.project_id):
        fit_key = (project.category, project.locality_street, project.community)
        groups.setdefault((project.category, project.min_grade), {}).setdefault(fit_key, []).append(project)
    # Per group: a project to judge eligibility by, each fit group's places and first project, every project id.
    judged = [(next(iter(by_fit.values()))[0], [(street, community, same[0].project_id)
                                                for (_, street, community), same in by_fit.items()],
               [p.project_id for same in by_fit.values() for p in same]) for by_fit in groups.values()]
    found: list[Candidate] = []
    full: dict[str, int] = defaultdict(int)
    for profile in profiles:
        org = profile.organization
        if organization_reasons(org, profile.evaluations, today, eligibility):
            continue
        org_points = score_centipoints(organization_values(profile, today, fit), fit.weights)
        top: tuple[int, str] | None = None
        takes: list[str] = []
        for first, places, project_ids in judged:
            # Outside the organization's domains is the `domain` rule's refusal, seen without writing out why.
            if first.category not in org.domains or project_reasons(org, first, profile.grade, today):
                continue
            takes += project_ids
            # A pair's factors are its category's domain value (one per group) and its locality, which takes one
            # of three values: its points are counted once per value, not once per fit group (at the ten-times
            # district, 1.8 million fit groups met, 7 s of a fair's opening).
            domain = domain_value(org, first, fit)
            points_of: dict[float, int] = {}
            for street, community, project_id in places:
                locality = locality_of(org.street, org.community, street, community, fit)
                if (points := points_of.get(locality)) is None:
                    points = points_of[locality] = org_points + score_centipoints(
                        {"domain": domain, "locality": locality}, fit.weights)
                if top is None or (-points, project_id) < (-top[0], top[1]):
                    top = (points, project_id)
        if top is None:
            continue
        if capacity_left(profile, fit) <= 0:
            for project_id in takes:
                full[project_id] += 1
            continue
        found.append(Candidate(profile=profile, points=top[0], best_project=top[1], projects=frozenset(takes)))
    found.sort(key=lambda c: (-c.points, c.profile.org_id))
    return found, dict(full)


def choose_invitees(projects: Sequence[ProjectView], found: Sequence[Candidate], full: dict[str, int], limit: int,
                    rules: InvitationRules) -> Seats:
    """The seats, by the module's objective; `found` ranked as `candidates` returns them."""
    seats = min(limit, len(found))
    takers: dict[str, list[int]] = {p.project_id: [] for p in projects}
    for n, c in enumerate(found):
        for project_id in c.projects:
            takers[project_id].append(n)
    need = {p: min(rules.coverage, len(ns)) for p, ns in takers.items() if ns and rules.coverage}
    groups = _share_groups(projects, found, seats, rules)
    greedy = set(range(seats))
    if _meets(found, greedy, need, groups):
        chosen, proved = greedy, True  # the best-ranked seats already cover everything: nothing can beat them
    else:
        chosen, proved = _solve(found, takers, need, groups, seats, rules.seconds)
    return Seats(invitations=_invitations(found, chosen, takers, need),
                 uncovered=_uncovered(projects, found, chosen, takers, need, full, seats),
                 proved_optimal=proved)


Groups = list[tuple[list[int], int]]  # (candidates in the group, invitees it needs at least)


def _share_groups(projects: Sequence[ProjectView], found: Sequence[Candidate], seats: int,
                  rules: InvitationRules) -> Groups:
    category_of = {p.project_id: p.category for p in projects}
    by_category: dict[str, list[int]] = defaultdict(list)
    by_street: dict[str, list[int]] = defaultdict(list)
    for n, c in enumerate(found):
        for category in sorted({category_of[p] for p in c.projects}):
            by_category[category].append(n)
        by_street[c.profile.organization.street].append(n)
    groups: Groups = []
    for share, members in ((rules.category_min_share, by_category), (rules.street_min_share, by_street)):
        wanted = math.ceil(share * seats - 1e-9)
        groups += [(ns, min(wanted, len(ns))) for _, ns in sorted(members.items()) if wanted]
    return groups


def _invited(found: Sequence[Candidate], chosen: set[int]) -> Counter[str]:
    """How many of the chosen can take each project (counted from the chosen: a project has thousands of takers at
    the ten-times district, the chosen a few hundred)."""
    return Counter(project_id for n in chosen for project_id in found[n].projects)


def _meets(found: Sequence[Candidate], chosen: set[int], need: dict[str, int], groups: Groups) -> bool:
    invited = _invited(found, chosen)
    return all(invited[p] >= k for p, k in need.items()) and all(len(chosen.intersection(ns)) >= k for ns, k in groups)


def _solve(found: Sequence[Candidate], takers: dict[str, list[int]], need: dict[str, int], groups: Groups,
           seats: int, seconds: float) -> tuple[set[int], bool]:
    model = cp_model.CpModel()
    y = [model.new_bool_var(f"o{n}") for n in range(len(found))]
    model.add(sum(y) <= seats)
    covered = []
    for project_id, k in sorted(need.items()):
        c = model.new_bool_var(f"c{project_id}")
        model.add(sum(y[n] for n in takers[project_id]) >= k * c)
        covered.append(c)
    shortfalls = []
    for g, (members, k) in enumerate(groups):
        short = model.new_int_var(0, k, f"s{g}")
        model.add(sum(y[n] for n in members) + short >= k)
        shortfalls.append(short)
    # Rank bonus below one centipoint of fit in total: among equal fits the better-ranked seats win.
    scale = len(found) * seats + 1
    value = sum(y[n] * (c.points * scale + len(found) - n) for n, c in enumerate(found))
    # The three levels in one exact weighted sum: a unit of each outweighs everything the levels below can add.
    top_value = (max((c.points for c in found), default=0) * scale + len(found)) * seats + 1
    top_short = (sum(k for _, k in groups) + 1) * top_value
    model.maximize(sum(covered) * top_short - sum(shortfalls) * top_value + value)
    start = _covering_start(found, takers, need, groups, seats)
    for n, var in enumerate(y):
        model.add_hint(var, n in start)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    solver.parameters.max_time_in_seconds = seconds
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"invitations: CP-SAT ended {solver.status_name(status)}")
    return {n for n, var in enumerate(y) if solver.boolean_value(var)}, status == cp_model.OPTIMAL


def _covering_start(found: Sequence[Candidate], takers: dict[str, list[int]], need: dict[str, int], groups: Groups,
                    seats: int) -> set[int]:
    """A first choice for the solver to improve on: the best-ranked takers of each project (hardest first) and of
    each group short of its share, then the best-ranked others; the best-ranked seats when that overflows."""
    chosen: set[int] = set()
    wants = [(takers[p], k) for p, k in sorted(need.items(), key=lambda item: (len(takers[item[0]]), item[0]))]
    for members, k in [*wants, *groups]:
        short = k - sum(n in chosen for n in members)
        chosen |= set([n for n in members if n not in chosen][:max(0, short)])
    if len(chosen) > seats:
        return set(range(seats))
    return chosen | set([n for n in range(len(found)) if n not in chosen][:seats - len(chosen)])


def _invitations(found: Sequence[Candidate], chosen: set[int], takers: dict[str, list[int]],
                 need: dict[str, int]) -> list[Invitation]:
    covers: dict[int, list[str]] = defaultdict(list)
    for project_id in sorted(need):
        for n in takers[project_id]:
            if n in chosen:
                covers[n].append(project_id)
    return [Invitation(org_id=c.profile.org_id, fit_score=c.points / 100, project_id=c.best_project,
                       covers=covers[n]) for n, c in enumerate(found) if n in chosen]


def _uncovered(projects: Sequence[ProjectView], found: Sequence[Candidate], chosen: set[int],
               takers: dict[str, list[int]], need: dict[str, int], full: dict[str, int],
               seats: int) -> list[UncoveredProject]:
    left = []
    invited_to = _invited(found, chosen)
    for p in sorted(projects, key=lambda p: p.project_id):
        pid = p.project_id
        invited = invited_to[pid]
        if pid in need and invited >= need[pid]:
            continue
        if not takers[pid] and full.get(pid):
            reason = i18n._("each of its {count} eligible organizations is at capacity (rule: capacity_left)").format(
                count=full[pid])
        elif not takers[pid]:
            reason = i18n._("no organization is eligible for it")
        elif pid not in need:
            continue
        else:
            names = ", ".join(found[n].profile.org_id for n in takers[pid][:3])
            reason = i18n._("{count} eligible organizations could take it ({names}...), but the {seats} seats "
                            "cannot also cover it: more projects are covered by giving them to others (rule: "
                            "coverage)").format(
                count=len(takers[pid]), names=names, seats=seats)
        left.append(UncoveredProject(project_id=pid, invitees=invited, reason=reason))
    return left
