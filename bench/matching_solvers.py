"""Times matching's exact solvers on the district's sizes and beyond; prints a markdown table.

    python bench/matching_solvers.py [--quick] [--only "schedule"]

Cases (instances from a seeded random.Random, so every run solves the same ones):
- awards, 240 projects x 1,177 organizations, every organization interested in every project it is eligible
  for: the solver alone (goal <= 50 ms), and the whole decision (eligibility, fit, solve, award events);
- awards, 10,000 projects x 50,000 organizations, 50 eligible interests per project: the solver (goal <= 5 s);
- the fair schedule, 55 organizations x 18 tables x 12 slots, once when every meeting fits and once when they
  do not (goal <= 1 s each);
- the source's fair from both sides (20 % of the tables' slots away, 10 declines, 15 must-meets; goal <= 1 s);
- the invitations of a fair for 240 x 1,177 (every eligibility and fit, then coverage; goal <= 2 s).
Each case runs in its own process: time is the median of the repetitions; memory is the peak of Python
allocations during one solve (tracemalloc, numpy included; OR-Tools' C++ heap is not seen by it) and the
process's maximum resident set size (everything, interpreter and libraries included).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from services.matching.domain.awards import Candidate, candidates, capacity_left, decide_awards
from services.matching.domain.fairs import MatchingRules, invitations
from services.matching.domain.schedule import Plan, district_tables, plan_schedule
from services.matching.domain.sides import FairSides
from services.matching.domain.solver import first_best_b_matching
from services.matching.projections import (
    EvaluationResult,
    GradeView,
    OrganizationProfile,
    OrganizationView,
    ProjectView,
)
from shared.contracts.catalog import Period
from shared.contracts.common import CATEGORIES, DEFAULT_DEPARTMENTS, DEFAULT_STREETS, GRADES
from shared.contracts.matching import InterestRecorded

TODAY = date(2015, 3, 1)
PERIOD = Period(start=date(2015, 3, 1), end=date(2016, 2, 28))
RULES = MatchingRules(interest_needs_invitation=False)
COMMUNITIES = [(DEFAULT_STREETS[n % len(DEFAULT_STREETS)], f"社区{n:02d}") for n in range(83)]
TABLES = district_tables(DEFAULT_STREETS, DEFAULT_DEPARTMENTS)


Prepared = tuple[Callable[[], object], str]  # the timed call, and what the instance holds


@dataclass(frozen=True)
class Case:
    name: str
    size: str
    goal: str
    prepare: Callable[[], Prepared]


def district_projects(rng: random.Random, count: int) -> list[ProjectView]:
    projects = []
    for n in range(count):
        category = CATEGORIES[8] if rng.random() < 0.1 else CATEGORIES[rng.randrange(8)]
        purchaser = rng.choice(TABLES)
        street_communities = [c for s, c in COMMUNITIES if s == purchaser.name]
        community = rng.choice(street_communities) if street_communities and rng.random() < 0.5 else None
        projects.append(ProjectView(
            project_id=f"p-{n:05d}", project_ref=f"r-{n}", batch="2015-1", title=f"项目{n}", category=category,
            purchaser=purchaser, community=community, budget_fen=rng.randrange(50_000, 2_000_000, 100),
            min_grade=rng.choice([None, None, None, None, "1A", "2A", "3A"]),
            period=PERIOD, status="published", version=1,
        ))
    return projects


def district_organizations(rng: random.Random, count: int) -> list[OrganizationProfile]:
    profiles = []
    for n in range(count):
        street, community = rng.choice(COMMUNITIES)
        org = OrganizationView(
            org_id=f"o-{n:05d}", name=f"机构{n}", street=street, community=community,
            domains=tuple(rng.sample(CATEGORIES, rng.randint(1, 3))), full_time_staff=rng.randint(1, 30),
            status="suspended" if rng.random() < 0.02 else "active", version=1,
        )
        graded = rng.random() < 0.3
        grade = GradeView(org_id=org.org_id, grade=rng.choice(GRADES), valid_until=date(2019, 1, 1),
                          version=1) if graded else None
        results = tuple(
            EvaluationResult(contract_id=f"c-{n}-{k}", org_id=org.org_id, score=(s := rng.uniform(40, 100)),
                             rating="fail" if s < 60 else "pass", evaluated_on=date(2014, 1 + k, 1))
            for k in range(rng.choice([0, 0, 1, 2]))
        )
        profiles.append(OrganizationProfile(organization=org, grade=grade, evaluations=results,
                                            finance_completions=rng.randint(0, 2), active_contracts=rng.randint(0, 1)))
    return profiles


def every_eligible_interest(projects: list[ProjectView], profiles: list[OrganizationProfile]) -> list[Candidate]:
    """One interest per (project, organization) pair that passes eligibility: the district's worst case."""
    by_org = {o.org_id: o for o in profiles}
    found: list[Candidate] = []
    for p in projects:  # one project at a time, so the instance, not its generation, sets the memory peak
        everyone = [InterestRecorded.model_construct(
            interest_id=f"{p.project_id}:{o.org_id}", fair_id="fair", org_id=o.org_id, project_id=p.project_id,
            purchaser=p.purchaser, price_fen=None, fit_score=0.0, breakdown={}) for o in profiles]
        found += candidates([p], by_org, {p.project_id: everyone}, TODAY, RULES.eligibility, RULES.fit, RULES.award)
    return found


def district_awards(solver_only: bool) -> Prepared:
    rng = random.Random(2015)
    projects, profiles = district_projects(rng, 240), district_organizations(rng, 1177)
    found = every_eligible_interest(projects, profiles)
    by_org = {o.org_id: o for o in profiles}
    note = f"{len(found):,} eligible interests"
    if not solver_only:
        interests = [c.interest for c in found]
        return lambda: decide_awards(
            "fair", "2015-1", projects, by_org, interests, TODAY, RULES.eligibility, RULES.fit, RULES.award,
            standstill_ends=TODAY), note
    orgs = sorted({c.profile.org_id for c in found})
    org_index, project_index = {o: i for i, o in enumerate(orgs)}, {p.project_id: i for i, p in enumerate(projects)}
    arrays = (
        np.array([capacity_left(by_org[o], RULES.fit) for o in orgs], np.int64), np.ones(len(projects), np.int64),
        np.array([org_index[c.profile.org_id] for c in found], np.int64),
        np.array([project_index[c.project.project_id] for c in found], np.int64),
        np.array([c.weight for c in found], np.int64),
    )
    return lambda: first_best_b_matching(*arrays), note


def large_awards() -> Prepared:
    rng = random.Random(50_000)
    n_projects, n_orgs, per_project = 10_000, 50_000, 50
    staff = [rng.randint(1, 30) for _ in range(n_orgs)]
    capacity = np.array([max(0, RULES.fit.capacity.contracts_for(s) - rng.randint(0, 1)) for s in staff], np.int64)
    edge_org = np.array([o for _ in range(n_projects) for o in rng.sample(range(n_orgs), per_project)], np.int64)
    edge_project = np.repeat(np.arange(n_projects, dtype=np.int64), per_project)
    weights = np.array([rng.randint(2_000, 9_500) for _ in range(n_projects * per_project)], np.int64)
    projects = np.ones(n_projects, np.int64)
    return (lambda: first_best_b_matching(capacity, projects, edge_org, edge_project, weights),
            f"{len(weights):,} interests")


def fair_schedule(overfull: bool) -> Prepared:
    rng = random.Random(1119 + overfull)
    orgs = [f"o-{n:02d}" for n in range(55)]
    if overfull:  # each organization wants 6-16 of the 18 tables: some exceed 12, and the tables overflow
        pairs = [(o, t) for o in orgs for t in rng.sample(range(18), rng.randint(6, 16))]
    else:  # at most 12 per table and per organization: the busiest sets the slot count
        pairs = [(o, t) for t in range(18) for o in rng.sample(orgs, rng.randint(8, 12))]
    interests = [
        InterestRecorded(interest_id=f"{o}:{t}", fair_id="fair", org_id=o, project_id=f"p-{t}-{o}",
                         purchaser=TABLES[t], fit_score=rng.randint(2_000, 9_500) / 100, breakdown={})
        for o, t in pairs
    ]
    return lambda: plan_schedule("fair", 12, interests, TABLES), f"{len(pairs):,} meetings requested"


def fair_both_sides() -> Prepared:
    """The source's fair with the purchasers' side: 20 % of every table's slots away, 10 declines, 15 must-meets."""
    rng = random.Random(2014)
    orgs = [f"o-{n:02d}" for n in range(55)]
    pairs = [(o, t) for t in range(18) for o in rng.sample(orgs, rng.randint(8, 12))]
    interests = [
        InterestRecorded(interest_id=f"{o}:{t}", fair_id="fair", org_id=o, project_id=f"p-{t}-{o}",
                         purchaser=TABLES[t], fit_score=rng.randint(2_000, 9_500) / 100, breakdown={})
        for o, t in pairs
    ]
    cells = rng.sample([(table, slot) for table in range(18) for slot in range(1, 13)], round(0.2 * 18 * 12))
    away = {TABLES[t]: frozenset(s for u, s in cells if u == t) for t in range(18)}
    picked = rng.sample(pairs, 25)
    sides = FairSides(away=away, declined={(o, TABLES[t]): "不需要" for o, t in picked[:10]},
                      requested={(o, TABLES[t], "purchaser"): "must" for o, t in picked[10:]})
    plan = Plan(sides=sides)
    schedule = plan_schedule("fair", 12, interests, TABLES, plan)
    assert schedule.objective is not None
    away_share = sum(len(a) for a in away.values()) / (12 * len(TABLES))
    note = (f"{len(pairs):,} requested, {away_share:.0%} of table slots away, 10 declined, 15 must: "
            f"{schedule.objective.must_meetings} must and {schedule.objective.meetings} meetings placed, "
            f"{'all six levels' if schedule.objective.proved_optimal else 'must, meetings and fit'} proved optimal")
    return lambda: plan_schedule("fair", 12, interests, TABLES, plan), note


def fair_invitations() -> Prepared:
    rng = random.Random(2015)
    projects, profiles = district_projects(rng, 240), district_organizations(rng, 1177)
    seats = invitations(projects, profiles, TODAY, RULES)
    covered = len(projects) - len(seats.uncovered)
    note = (f"{len(projects) * len(profiles):,} pairs judged, {len(seats.invitations)} invited, {covered} of "
            f"{len(projects)} projects covered, {'proved optimal' if seats.proved_optimal else 'not proved'}")
    return lambda: invitations(projects, profiles, TODAY, RULES), note


CASES = [
    Case("awards: solver", "240 projects x 1,177 orgs, all eligible interests", "<= 50 ms",
         lambda: district_awards(solver_only=True)),
    Case("awards: whole decision", "240 projects x 1,177 orgs, all eligible interests", "-",
         lambda: district_awards(solver_only=False)),
    Case("awards: solver", "10,000 projects x 50,000 orgs, 50 interests each", "<= 5 s", large_awards),
    Case("schedule: all fit", "55 orgs x 18 tables x 12 slots", "<= 1 s", lambda: fair_schedule(overfull=False)),
    Case("schedule: overfull", "55 orgs x 18 tables x 12 slots", "<= 1 s", lambda: fair_schedule(overfull=True)),
    Case("schedule: both sides", "55 orgs x 18 tables x 12 slots", "<= 1 s", fair_both_sides),
    Case("fair invitations with coverage", "240 projects x 1,177 orgs, limit 55, k = 1", "<= 2 s", fair_invitations),
]


def measure(index: int, repeat: int) -> dict[str, float | str]:
    """Run one case in this process: median seconds, Python peak bytes, max RSS bytes."""
    solve, note = CASES[index].prepare()
    solve()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        solve()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    solve()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"note": note, "seconds": statistics.median(times), "python_peak": peak,
            "max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def _mib(size: float) -> str:
    return f"{size / 2**20:,.1f} MiB"


def _time(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 repetitions per case instead of 7")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(measure(args.case, args.repeat)))
        return
    repeat = 2 if args.quick else args.repeat
    print("| case | instance | holds | goal | median time | runs | peak Python heap | max RSS |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for index, case in enumerate(CASES):
        if args.only and args.only not in case.name:
            continue
        run = subprocess.run([sys.executable, __file__, "--case", str(index), "--repeat", str(repeat)],
                             capture_output=True, text=True, check=True)
        got = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"| {case.name} | {case.size} | {got['note']} | {case.goal} | {_time(got['seconds'])} | {repeat} | "
              f"{_mib(got['python_peak'])} | {_mib(got['max_rss'])} |", flush=True)


if __name__ == "__main__":
    main()
