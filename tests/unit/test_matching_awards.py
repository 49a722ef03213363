"""Awards: one organization per project, nobody over capacity, only eligible interests, the best total value (fit
and value for money), the stated tie rule, and the re-award of a cancelled award's project with the others held."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.awards import (
    AwardRules,
    FairAwards,
    award_id_for,
    capacity_left,
    contract_id_for,
    decide_awards,
    price_centipoints,
    reaward,
)
from services.matching.domain.eligibility import refusals
from services.matching.domain.fairs import Fair, FairRecord, MatchingRules, award_fair
from services.matching.domain.fit import centipoints, fit
from services.matching.projections import GradeView, OrganizationProfile, ProjectView
from shared.calendar import DistrictCalendar
from shared.contracts.matching import AwardProposed, AwardsRequested, InterestRecorded, ProjectUnawarded
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
CALENDAR = DistrictCalendar()
STANDSTILL = date(2026, 6, 10)  # seven working days after Monday 2026-06-01


def award(projects: list[ProjectView], profiles: list[OrganizationProfile], interests: list[InterestRecorded],
          rules: MatchingRules = RULES) -> FairAwards:
    return decide_awards(FAIR, "2015-1", projects, {p.org_id: p for p in profiles}, interests, TODAY,
                         rules.eligibility, rules.fit, rules.award, standstill_ends=STANDSTILL)


def awarded(decision: FairAwards) -> dict[str, str]:
    return {a.project_id: a.org_id for a in decision.awards}


def the_fair(invited: list[str] | None = None) -> FairRecord:
    return FairRecord(Fair(fair_id=FAIR, fair_ref="f", batch="2015-1", date=TODAY, slots=3, slot_minutes=20,
                           invited=invited or [], invitations=[]))


def request_awards(record: FairRecord | None, projects: list[ProjectView], profiles: list[OrganizationProfile],
                   interests: list[InterestRecorded], taken: set[str] | None = None) -> Any:
    return award_fair(AwardsRequested(fair_id=FAIR), record=record, projects=projects, taken=taken or set(),
                      profiles={p.org_id: p for p in profiles}, interests=interests, today=TODAY, calendar=CALENDAR,
                      rules=RULES)


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
    assert first.award_id == award_id_for(FAIR, "p-1", "o-better")
    assert (first.title, first.org_street, first.period.start) == (p1.title, "望江路街道", date(2026, 1, 1))
    assert (first.proposed_on, first.standstill_ends, first.replaces) == (TODAY, STANDSTILL, None)


def test_an_award_shows_both_parts_of_its_value_the_fit_and_the_points_its_price_earns() -> None:
    p1 = project("p-1")
    who = profile()
    [proposal] = award([p1], [who], [interest(FAIR, who, p1, 90_000)]).awards
    # 10 % under the budget earns a tenth of the default price weight of 20 points.
    assert (proposal.fit_score, proposal.price_points, proposal.value_score) == (78.5, 2.0, 80.5)
    assert (proposal.amount_fen, proposal.budget_fen) == (90_000, 100_000)


def test_the_best_total_fit_beats_giving_each_project_its_best_organization() -> None:
    # o-star fits both projects best but may take one contract; greedy would give it p-1 and leave p-2 empty.
    p1, p2 = project("p-1"), project("p-2", category="济困")
    star = profile("o-star", org={"domains": ["助老", "济困"], "full_time_staff": 4}, grade_code="5A")
    other = profile("o-other", grade_code="3A")
    decision = award([p1, p2], [star, other], [interest(FAIR, star, p1), interest(FAIR, star, p2),
                                               interest(FAIR, other, p1)])
    assert awarded(decision) == {"p-1": "o-other", "p-2": "o-star"}


def cheap_or_fitting(weight: float) -> dict[str, str]:
    """o-fit fits better (5A against 3A, 8 points) at the budget; o-cheap asks half the budget."""
    p1 = project("p-1")
    fitting, cheap = profile("o-fit", grade_code="5A"), profile("o-cheap", grade_code="3A")
    rules = MatchingRules(award=AwardRules(price_weight=weight))
    return awarded(award([p1], [fitting, cheap], [interest(FAIR, fitting, p1), interest(FAIR, cheap, p1, 50_000)],
                         rules))


def test_at_price_weight_0_the_award_is_by_fit_alone_whatever_the_price() -> None:
    assert cheap_or_fitting(0) == {"p-1": "o-fit"}


def test_a_price_weight_lets_a_price_well_under_budget_outweigh_a_better_fit() -> None:
    assert cheap_or_fitting(10) == {"p-1": "o-fit"}  # half the budget saved: 5 points, short of the 8 of fit
    assert cheap_or_fitting(20) == {"p-1": "o-cheap"}  # 10 points: the saving wins


def test_a_price_earns_the_weight_times_the_share_saved_rounded_half_up_in_hundredths() -> None:
    assert price_centipoints(None, 100_000, 20) == 0
    assert price_centipoints(100_000, 100_000, 20) == 0
    assert price_centipoints(0, 100_000, 20) == 2000
    assert price_centipoints(66_667, 100_000, 20) == 667  # 6.6666 points
    assert price_centipoints(99_975, 100_000, 20) == 1  # 0.005 points, half up
    assert price_centipoints(50_000, 100_000, 0) == 0


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
    state, emits = request_awards(the_fair(["o-1"]), [p2, p1], [who], [interest(FAIR, who, p1)])
    assert state is not None
    assert [(e.type, e.data["project_id"]) for e in emits] == [
        ("matching.award.proposed", "p-1"), ("matching.project.unawarded", "p-2")]
    assert emits[0].data["amount_fen"] == 100_000 and emits[0].data["fit_score"] == 78.5
    assert emits[0].data["period"] == {"start": "2026-01-01", "end": "2026-12-31"}
    # Decided on Monday 2026-06-01: seven working days later, the weekend skipped.
    assert (emits[0].data["proposed_on"], emits[0].data["standstill_ends"]) == ("2026-06-01", "2026-06-10")


def test_an_unknown_fair_is_refused() -> None:
    state, [emit] = request_awards(None, [], [], [])
    assert state is None and emit.type == "matching.fair.rejected"


def test_a_fair_with_no_open_project_left_is_answered_and_keeps_nothing() -> None:
    # Every project of the batch is held by another fair's award, or no longer published: the request is answered,
    # never met with silence, and nothing is decided, so the fair may ask again once a project is free.
    held, withdrawn = project("p-1"), project("p-2", status="withdrawn")
    who = profile()
    state, [emit] = request_awards(the_fair(["o-1"]), [held, withdrawn], [who], [interest(FAIR, who, held)],
                                   taken={"p-1"})
    assert state is None and emit.type == "matching.fair.rejected"
    assert emit.data["errors"] == [{"field": "fair_id", "message": (
        "no project of batch 2015-1 is open to award: each is awarded, under standstill at another fair, or no "
        "longer published (rule: open_projects)")}]


def test_awards_requested_twice_or_in_another_order_are_the_same() -> None:
    projects = [project(f"p-{n}") for n in range(4)]
    profiles = [profile(f"o-{n}", org={"full_time_staff": 5}) for n in range(3)]
    interests = [interest(FAIR, o, p) for o in profiles for p in projects]  # all tie on fit
    answers = {str(request_awards(the_fair(), ps, os, is_)[1])
               for ps, os, is_ in [(projects, profiles, interests), (projects[::-1], profiles[::-1], interests[::-1])]}
    assert len(answers) == 1


def test_when_everything_ties_projects_in_id_order_each_go_to_the_lowest_org_id_with_room() -> None:
    # Four projects, four organizations alike in every factor, one contract each: every assignment is equally
    # good, and the tie rule picks one, the same on every machine and solver version.
    projects = [project(f"p-{n}") for n in range(4)]
    profiles = [profile(f"o-{n}", org={"full_time_staff": 5}) for n in (3, 1, 0, 2)]
    interests = [interest(FAIR, o, p) for o in profiles for p in projects[::-1]]
    assert awarded(award(projects[::-1], profiles, interests)) == {
        "p-0": "o-0", "p-1": "o-1", "p-2": "o-2", "p-3": "o-3"}
    two_each = [profile(f"o-{n}", org={"full_time_staff": 10}) for n in (1, 0)]
    assert awarded(award(projects, two_each, [interest(FAIR, o, p) for o in two_each for p in projects])) == {
        "p-0": "o-0", "p-1": "o-0", "p-2": "o-1", "p-3": "o-1"}


def test_a_second_awards_request_names_the_awards_already_proposed_and_proposes_nothing_again() -> None:
    p1, p2 = project("p-1"), project("p-2")
    who = profile()
    first = award([p1, p2], [who], [interest(FAIR, who, p1)])
    decided = replace(the_fair(["o-1"]), awards=first, awards_decided_on=date(2026, 5, 30))
    state, [emit] = request_awards(decided, [p1, p2], [who], [interest(FAIR, who, p1)])
    assert state is None and emit.type == "matching.fair.rejected"
    assert emit.data["contract_ids"] == [contract_id_for(FAIR, "p-1")]
    assert emit.data["award_ids"] == [award_id_for(FAIR, "p-1", "o-1")]
    assert emit.data["errors"] == [{"field": "fair_id", "message": (
        "the fair's awards were decided on 2026-05-30: 1 awards proposed and 1 projects unawarded; they stand "
        "and are not announced again (rule: awards_once)")}]


def test_a_project_another_fair_holds_is_taken_neither_offered_nor_listed_as_unawarded() -> None:
    p1, p2 = project("p-1"), project("p-2")
    who = profile()
    state, emits = request_awards(the_fair(["o-1"]), [p1, p2], [who],
                                  [interest(FAIR, who, p1), interest(FAIR, who, p2)], taken={"p-1"})
    assert state is not None and awarded(state) == {"p-2": "o-1"} and state.unawarded == []
    assert [(e.type, e.data["project_id"]) for e in emits] == [("matching.award.proposed", "p-2")]


# --- re-award: the cancelled award's project alone, every other award held -----------------------------------


def reawarded(cancelled: AwardProposed, what: ProjectView, profiles: list[OrganizationProfile],
              interests: list[InterestRecorded], excluded: set[str]) -> AwardProposed | ProjectUnawarded:
    return reaward(cancelled, what, {p.org_id: p for p in profiles}, interests, excluded, TODAY, RULES.eligibility,
                   RULES.fit, RULES.award, standstill_ends=STANDSTILL)


def test_a_reaward_goes_to_the_next_best_organization_with_room_the_other_awards_held() -> None:
    p1, p2 = project("p-1"), project("p-2")
    star = profile("o-star", org={"full_time_staff": 5}, grade_code="5A")
    second = profile("o-second", grade_code="4A")
    third = profile("o-third", grade_code="3A")
    interests = [interest(FAIR, star, p1), interest(FAIR, second, p2), interest(FAIR, star, p2),
                 interest(FAIR, third, p2)]
    decision = award([p1, p2], [star, second, third], interests)
    assert awarded(decision) == {"p-1": "o-star", "p-2": "o-second"}
    [held, cancelled] = decision.awards
    # o-second's award of p-2 is cancelled. o-star fits p-2 best, but its award of p-1 holds its one contract.
    star_holding = replace(star, active_contracts=1)
    again = reawarded(cancelled, p2, [star_holding, second, third], interests, {"o-second"})
    assert isinstance(again, AwardProposed)
    assert (again.org_id, again.replaces, again.standstill_ends) == ("o-third", cancelled.award_id, STANDSTILL)
    assert again.award_id == award_id_for(FAIR, "p-2", "o-third")
    assert again.contract_id == cancelled.contract_id == contract_id_for(FAIR, "p-2")
    assert held.project_id == "p-1"


def test_a_reaward_with_nobody_left_leaves_the_project_unawarded_saying_why() -> None:
    p1 = project("p-1")
    who = profile("o-1")
    [cancelled] = award([p1], [who], [interest(FAIR, who, p1)]).awards
    again = reawarded(cancelled, p1, [who], [interest(FAIR, who, p1)], {"o-1"})
    assert again == ProjectUnawarded(fair_id=FAIR, project_id="p-1", award_id=cancelled.award_id, reason=(
        f"award {cancelled.award_id} was cancelled, and of the others: no other organization expressed interest"))


def test_a_withdrawn_project_is_not_awarded_again() -> None:
    p1 = project("p-1")
    who, other = profile("o-1"), profile("o-2")
    [cancelled] = award([p1], [who], [interest(FAIR, who, p1)]).awards
    again = reawarded(cancelled, project("p-1", status="withdrawn"), [who, other],
                      [interest(FAIR, who, p1), interest(FAIR, other, p1)], {"o-1"})
    assert isinstance(again, ProjectUnawarded) and "the project is withdrawn" in again.reason


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


Instance = tuple[list[ProjectView], list[OrganizationProfile], list[InterestRecorded], MatchingRules]


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    projects = [project(f"p-{n}", category=draw(CATEGORY), min_grade=draw(st.sampled_from([None, None, "2A", "4A"])),
                        budget_fen=draw(st.integers(1, 5)) * 10_000) for n in range(draw(st.integers(1, 5)))]
    profiles = [draw(organizations(n)) for n in range(draw(st.integers(1, 5)))]
    pairs = draw(st.lists(st.tuples(st.sampled_from(projects), st.sampled_from(profiles)), max_size=14))
    interests: dict[tuple[str, str], InterestRecorded] = {}
    for what, who in pairs:
        price = draw(st.sampled_from([None, None, 10_000, 20_000, 30_000, 40_000]))
        interests[what.project_id, who.org_id] = interest(FAIR, who, what, price)
    weight = draw(st.sampled_from([0.0, 0.0, 7.5, 20.0, 60.0]))
    return projects, profiles, list(interests.values()), MatchingRules(award=AwardRules(price_weight=weight))


def value(who: OrganizationProfile, what: ProjectView, price_fen: int | None, rules: MatchingRules) -> int:
    """An award's value in hundredths, computed here on its own: fit, plus weight x share saved (half up)."""
    saved = Fraction(round(rules.award.price_weight * 100) * (what.budget_fen - (price_fen or what.budget_fen)),
                     what.budget_fen)
    return centipoints(fit(who, what, TODAY, rules.fit).score) + int(saved + Fraction(1, 2))


def brute_force(projects: list[ProjectView], profiles: list[OrganizationProfile], interests: list[InterestRecorded],
                rules: MatchingRules) -> tuple[int, dict[str, str]]:
    """The best total value; of equal totals the most awards; then projects in id order each to the lowest org_id."""
    by_org = {p.org_id: p for p in profiles}
    options: list[list[tuple[str, int] | None]] = []
    for what in sorted(projects, key=lambda p: p.project_id):
        eligible = sorted((i.org_id, value(by_org[i.org_id], what, i.price_fen, rules)) for i in interests
                          if i.project_id == what.project_id and not _refused(by_org[i.org_id], what, i.price_fen))
        options.append([*eligible, None])  # in the order the tie rule prefers: lowest org_id first, none last
    best: tuple[int, int, tuple[int, ...]] | None = None
    chosen: dict[str, str] = {}
    for pick in itertools.product(*(range(len(o)) for o in options)):
        choice = [options[n][k] for n, k in enumerate(pick)]
        taken = Counter(c[0] for c in choice if c is not None)
        if any(n > capacity_left(by_org[o], rules.fit) for o, n in taken.items()):
            continue
        key = (sum(c[1] for c in choice if c is not None), sum(taken.values()), tuple(-k for k in pick))
        if best is None or key > best:
            best = key
            ordered = sorted(projects, key=lambda p: p.project_id)
            chosen = {ordered[n].project_id: c[0] for n, c in enumerate(choice) if c is not None}
    assert best is not None
    return best[0], chosen


def _refused(who: OrganizationProfile, what: ProjectView, price_fen: int | None) -> Any:
    return refusals(who.organization, what, who.grade, who.evaluations, price_fen, TODAY, RULES.eligibility)


@settings(max_examples=250, deadline=None)
@given(instance=instances())
def test_awards_respect_eligibility_and_capacity_and_are_the_brute_force_optimum_of_fit_and_price(
    instance: Instance,
) -> None:
    projects, profiles, interests, rules = instance
    decision = award(projects, profiles, interests, rules)
    by_org = {p.org_id: p for p in profiles}
    by_project = {p.project_id: p for p in projects}
    wanted = {(i.project_id, i.org_id): i for i in interests}
    for a in decision.awards:
        chosen, what = wanted[a.project_id, a.org_id], by_project[a.project_id]
        assert not _refused(by_org[a.org_id], what, chosen.price_fen)
        assert a.amount_fen == (chosen.price_fen or what.budget_fen)
        assert a.fit_score == fit(by_org[a.org_id], what, TODAY, rules.fit).score
        assert centipoints(a.value_score) == value(by_org[a.org_id], what, chosen.price_fen, rules)
        assert centipoints(a.value_score) == centipoints(a.fit_score) + centipoints(a.price_points)
    for org_id, n in Counter(a.org_id for a in decision.awards).items():
        assert n <= capacity_left(by_org[org_id], rules.fit)
    assert sorted([a.project_id for a in decision.awards] + [u.project_id for u in decision.unawarded]) == sorted(
        by_project)
    best, first_best = brute_force(projects, profiles, interests, rules)
    assert sum(centipoints(a.value_score) for a in decision.awards) == best
    assert awarded(decision) == first_best  # the tie rule, not the solver's whim


@settings(max_examples=200, deadline=None)
@given(instance=instances(), pick=st.integers(0, 4))
def test_a_cancelled_awards_reaward_is_the_optimum_of_the_reduced_instance(instance: Instance, pick: int) -> None:
    projects, profiles, interests, rules = instance
    decision = award(projects, profiles, interests, rules)
    if not decision.awards:
        return
    cancelled = decision.awards[pick % len(decision.awards)]
    # The reduced instance: the cancelled award's project alone; its organization out; every other award held,
    # counting against its organization's capacity.
    held = Counter(a.org_id for a in decision.awards if a is not cancelled)
    reduced = [replace(p, active_contracts=p.active_contracts + held[p.org_id]) for p in profiles]
    what = next(p for p in projects if p.project_id == cancelled.project_id)
    again = reaward(cancelled, what, {p.org_id: p for p in reduced}, interests, {cancelled.org_id}, TODAY,
                    rules.eligibility, rules.fit, rules.award, standstill_ends=STANDSTILL)
    remaining = [i for i in interests if i.project_id == what.project_id and i.org_id != cancelled.org_id]
    best, first_best = brute_force([what], reduced, remaining, rules)
    if isinstance(again, AwardProposed):
        assert {again.project_id: again.org_id} == first_best
        assert centipoints(again.value_score) == best
        assert again.replaces == cancelled.award_id
    else:
        assert first_best == {} and again.award_id == cancelled.award_id
