"""Awards: one organization per project, nobody over capacity, only eligible interests, the best total fit."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.awards import FairAwards, capacity_left, contract_id_for, decide_awards
from services.matching.domain.eligibility import refusals
from services.matching.domain.fairs import Fair, FairRecord, award_fair
from services.matching.domain.fit import centipoints, fit
from services.matching.projections import GradeView, OrganizationProfile, ProjectView
from shared.contracts.matching import AwardsRequested, InterestRecorded
from tests.unit.matching_examples import (
    COMMUNITY,
    RULES,
    STREET,
    TODAY,
    evaluation,
    interest,
    organization,
    profile,
    project,
)

FAIR = "fair-1"


def award(projects: list[ProjectView], profiles: list[OrganizationProfile],
          interests: list[InterestRecorded]) -> FairAwards:
    return decide_awards(FAIR, "2015-1", projects, {p.org_id: p for p in profiles}, interests, TODAY,
                         RULES.eligibility, RULES.fit)


def awarded(decision: FairAwards) -> dict[str, str]:
    return {a.project_id: a.org_id for a in decision.awards}


def test_the_award_goes_to_the_interested_eligible_organization_at_its_price_or_the_budget() -> None:
    p1, p2 = project("p-1"), project("p-2")
    good, better = profile("o-good", grade_code="3A"), profile("o-better", grade_code="5A")
    decision = award([p1, p2], [good, better],
                     [interest(FAIR, good, p1), interest(FAIR, better, p1, 80_000), interest(FAIR, good, p2)])
    assert awarded(decision) == {"p-1": "o-better", "p-2": "o-good"}
    amounts = {a.project_id: a.amount_fen for a in decision.awards}
    assert amounts == {"p-1": 80_000, "p-2": 100_000}
    first = decision.awards[0]
    assert first.contract_id == contract_id_for(FAIR, "p-1")
    assert (first.title, first.org_street, first.period.start) == (p1.title, "望江路街道", date(2026, 1, 1))


def test_the_best_total_fit_beats_giving_each_project_its_best_organization() -> None:
    # o-star fits both projects best but may take one contract; greedy would give it p-1 and leave p-2 empty.
    p1, p2 = project("p-1"), project("p-2", category="济困")
    star = profile("o-star", org={"domains": ["助老", "济困"], "full_time_staff": 4}, grade_code="5A")
    other = profile("o-other", grade_code="3A")
    decision = award([p1, p2], [star, other], [interest(FAIR, star, p1), interest(FAIR, star, p2),
                                               interest(FAIR, other, p1)])
    assert awarded(decision) == {"p-1": "o-other", "p-2": "o-star"}


def test_an_organization_no_longer_eligible_on_the_award_day_is_passed_over() -> None:
    p1 = project()
    suspended = profile("o-1", org={"status": "suspended"})
    decision = award([p1], [suspended], [interest(FAIR, profile("o-1"), p1)])
    assert decision.awards == []
    [left] = decision.unawarded
    assert left.reason == "no interested eligible organization (1 interested, none eligible on 2026-06-01)"


def test_projects_left_over_say_why() -> None:
    p1, p2, p3 = project("p-1"), project("p-2"), project("p-3")
    busy = profile("o-busy", org={"full_time_staff": 5}, active_contracts=0)
    full = profile("o-full", org={"full_time_staff": 5}, active_contracts=1)
    decision = award([p1, p2, p3], [busy, full],
                     [interest(FAIR, busy, p1), interest(FAIR, busy, p2), interest(FAIR, full, p2)])
    assert awarded(decision) == {"p-1": "o-busy"}
    assert {u.project_id: u.reason for u in decision.unawarded} == {
        "p-2": "every interested eligible organization is at capacity (2 eligible)",
        "p-3": "no organization expressed interest",
    }


def test_only_the_batchs_published_projects_and_this_fairs_interests_count() -> None:
    mine, taken = project("p-1"), project("p-2", status="awarded")
    who = profile()
    decision = award([mine, taken], [who], [interest("other-fair", who, mine), interest(FAIR, who, taken)])
    assert decision.awards == [] and [u.project_id for u in decision.unawarded] == ["p-1"]


def test_the_decision_is_announced_awards_first_then_the_projects_left_over() -> None:
    p1, p2 = project("p-1"), project("p-2")
    who = profile()
    the_fair = Fair(fair_id=FAIR, fair_ref="f", batch="2015-1", date=TODAY, slots=3, slot_minutes=20,
                    invited=["o-1"], invitations=[])
    state, emits = award_fair(AwardsRequested(fair_id=FAIR), record=FairRecord(the_fair), projects=[p2, p1],
                              taken=(), profiles={"o-1": who}, interests=[interest(FAIR, who, p1)], today=TODAY,
                              rules=RULES)
    assert state is not None
    assert [(e.type, e.data["project_id"]) for e in emits] == [
        ("matching.contract.awarded", "p-1"), ("matching.project.unawarded", "p-2")]
    assert emits[0].data["amount_fen"] == 100_000 and emits[0].data["fit_score"] == 78.5
    assert emits[0].data["period"] == {"start": "2026-01-01", "end": "2026-12-31"}


def test_an_unknown_fair_is_refused() -> None:
    state, [emit] = award_fair(AwardsRequested(fair_id="f-x"), record=None, projects=[], taken=(), profiles={},
                               interests=[], today=TODAY, rules=RULES)
    assert state is None and emit.type == "matching.fair.rejected"


def test_awards_requested_twice_or_in_another_order_are_the_same() -> None:
    projects = [project(f"p-{n}") for n in range(4)]
    profiles = [profile(f"o-{n}", org={"full_time_staff": 5}) for n in range(3)]
    interests = [interest(FAIR, o, p) for o in profiles for p in projects]  # all tie on fit
    the_fair = Fair(fair_id=FAIR, fair_ref="f", batch="2015-1", date=TODAY, slots=3, slot_minutes=20,
                    invited=[], invitations=[])
    answers = {
        str(award_fair(AwardsRequested(fair_id=FAIR), record=FairRecord(the_fair), projects=ps, taken=(),
                       profiles={p.org_id: p for p in os}, interests=is_, today=TODAY, rules=RULES)[1])
        for ps, os, is_ in [(projects, profiles, interests), (projects[::-1], profiles[::-1], interests[::-1])]
    }
    assert len(answers) == 1



def test_a_second_awards_request_names_the_contracts_already_awarded_and_awards_nothing_again() -> None:
    p1, p2 = project("p-1"), project("p-2")
    who = profile()
    the_fair = Fair(fair_id=FAIR, fair_ref="f", batch="2015-1", date=TODAY, slots=3, slot_minutes=20,
                    invited=["o-1"], invitations=[])
    first = award([p1, p2], [who], [interest(FAIR, who, p1)])
    decided = FairRecord(the_fair, awards=first, awards_decided_on=date(2026, 5, 30))
    state, [emit] = award_fair(AwardsRequested(fair_id=FAIR), record=decided, projects=[p1, p2], taken=(),
                               profiles={"o-1": who}, interests=[interest(FAIR, who, p1)], today=TODAY, rules=RULES)
    assert state is None and emit.type == "matching.fair.rejected"
    assert emit.data["contract_ids"] == [contract_id_for(FAIR, "p-1")]
    assert emit.data["errors"] == [{"field": "fair_id", "message": (
        "the fair's awards were decided on 2026-05-30: 1 contracts awarded and 1 projects unawarded; they stand "
        "and are not announced again (rule: awards_once)")}]


def test_a_project_another_fair_awarded_is_taken_neither_offered_nor_listed_as_unawarded() -> None:
    p1, p2 = project("p-1"), project("p-2")
    who = profile()
    the_fair = Fair(fair_id=FAIR, fair_ref="f", batch="2015-1", date=TODAY, slots=3, slot_minutes=20,
                    invited=["o-1"], invitations=[])
    state, emits = award_fair(AwardsRequested(fair_id=FAIR), record=FairRecord(the_fair), projects=[p1, p2],
                              taken={"p-1"}, profiles={"o-1": who},
                              interests=[interest(FAIR, who, p1), interest(FAIR, who, p2)], today=TODAY, rules=RULES)
    assert state is not None and awarded(state) == {"p-2": "o-1"} and state.unawarded == []
    assert [(e.type, e.data["project_id"]) for e in emits] == [("matching.contract.awarded", "p-2")]

# --- property: against brute force on small random instances -----------------------------------------------

CATEGORY = st.sampled_from(["助老", "济困", "助残"])


@st.composite
def organizations(draw: st.DrawFn, n: int) -> OrganizationProfile:
    # Weighted towards eligible organizations, so that they compete for projects and capacity.
    code = draw(st.sampled_from([None, "1A", "2A", "3A", "4A", "4A", "5A", "5A"]))
    valid_until = draw(st.sampled_from([date(2026, 1, 1), date(2030, 1, 1), date(2030, 1, 1)]))
    failed = draw(st.sampled_from([(), (), (evaluation(date(2025, 1, 1), "fail", 40, org_id=f"o-{n}"),),
                                   (evaluation(date(2024, 1, 1), "good", 85, org_id=f"o-{n}"),)]))
    org = organization(f"o-{n}", status=draw(st.sampled_from(["active"] * 5 + ["suspended"])),
                       domains=draw(st.lists(CATEGORY, min_size=1, max_size=3, unique=True)),
                       full_time_staff=draw(st.integers(0, 12)), street=draw(st.sampled_from([STREET, "玉林街道"])),
                       community=draw(st.sampled_from([COMMUNITY, "九眼桥社区"])))
    return OrganizationProfile(
        organization=org, grade=GradeView(org_id=org.org_id, grade=code, valid_until=valid_until, version=1),
        evaluations=failed, active_contracts=draw(st.integers(0, 2)), finance_completions=draw(st.integers(0, 2)),
    )


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[ProjectView], list[OrganizationProfile], list[InterestRecorded]]:
    projects = [project(f"p-{n}", category=draw(CATEGORY), min_grade=draw(st.sampled_from([None, None, "2A", "4A"])),
                        budget_fen=draw(st.integers(1, 5)) * 10_000) for n in range(draw(st.integers(1, 5)))]
    profiles = [draw(organizations(n)) for n in range(draw(st.integers(1, 5)))]
    pairs = draw(st.lists(st.tuples(st.sampled_from(projects), st.sampled_from(profiles)), max_size=14))
    interests: dict[tuple[str, str], InterestRecorded] = {}
    for what, who in pairs:
        price = draw(st.sampled_from([None, None, 20_000, 40_000]))
        interests[what.project_id, who.org_id] = interest(FAIR, who, what, price)
    return projects, profiles, list(interests.values())


def brute_force_best(projects: list[ProjectView], profiles: list[OrganizationProfile],
                     interests: list[InterestRecorded]) -> int:
    by_org = {p.org_id: p for p in profiles}
    options: list[list[tuple[str, int] | None]] = []
    for what in projects:
        eligible: list[tuple[str, int] | None] = [None]
        for i in interests:
            who = by_org[i.org_id]
            if i.project_id == what.project_id and not _refused(who, what, i.price_fen):
                eligible.append((who.org_id, centipoints(fit(who, what, TODAY, RULES.fit).score)))
        options.append(eligible)
    best = 0
    for choice in itertools.product(*options):
        taken = Counter(c[0] for c in choice if c is not None)
        if all(n <= capacity_left(by_org[o], RULES.fit) for o, n in taken.items()):
            best = max(best, sum(c[1] for c in choice if c is not None))
    return best


def _refused(who: OrganizationProfile, what: ProjectView, price_fen: int | None) -> Any:
    return refusals(who.organization, what, who.grade, who.evaluations, price_fen, TODAY, RULES.eligibility)


@settings(max_examples=200, deadline=None)
@given(instance=instances())
def test_awards_respect_eligibility_and_capacity_and_reach_the_brute_force_optimum(
    instance: tuple[list[ProjectView], list[OrganizationProfile], list[InterestRecorded]],
) -> None:
    projects, profiles, interests = instance
    decision = award(projects, profiles, interests)
    by_org = {p.org_id: p for p in profiles}
    by_project = {p.project_id: p for p in projects}
    wanted = {(i.project_id, i.org_id): i for i in interests}
    for a in decision.awards:
        chosen, what = wanted[a.project_id, a.org_id], by_project[a.project_id]
        assert not _refused(by_org[a.org_id], what, chosen.price_fen)
        assert a.amount_fen == (chosen.price_fen or what.budget_fen)
        assert a.fit_score == fit(by_org[a.org_id], what, TODAY, RULES.fit).score
    assert len({a.project_id for a in decision.awards}) == len(decision.awards)
    for org_id, n in Counter(a.org_id for a in decision.awards).items():
        assert n <= capacity_left(by_org[org_id], RULES.fit)
    assert sorted([a.project_id for a in decision.awards] + [u.project_id for u in decision.unawarded]) == sorted(
        by_project)
    assert sum(centipoints(a.fit_score) for a in decision.awards) == brute_force_best(projects, profiles, interests)
