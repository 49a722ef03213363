"""Who is invited to a fair: every project covered whenever the seats allow (checked by brute force), categories
and streets given their minimum shares, organizations at capacity not invited, and uncovered projects explained."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.awards import capacity_left
from services.matching.domain.eligibility import refusals
from services.matching.domain.fairs import MatchingRules, invitations
from services.matching.domain.fit import centipoints, fit
from services.matching.domain.invitations import Candidate, InvitationRules, candidates, choose_invitees
from services.matching.projections import OrganizationProfile, ProjectView
from shared.contracts.common import CATEGORIES
from tests.unit.matching_examples import TODAY, profile, project

NO_SHARES = InvitationRules(category_min_share=0, street_min_share=0)


def test_a_small_category_is_covered_although_better_fits_would_fill_every_seat() -> None:
    elderly, poor = project("p-elderly", min_grade=None), project("p-poor", category="济困", min_grade=None)
    profiles = [profile(f"o-{n}", grade_code="5A") for n in range(3)]
    profiles.append(profile("o-poor", org={"domains": ["济困"], "community": "别的社区"}, grade_code=None))
    rules = MatchingRules(invite_limit=2, invitation=NO_SHARES)
    seats = invitations([elderly, poor], profiles, TODAY, rules)
    assert [i.org_id for i in seats.invitations] == ["o-0", "o-poor"]
    assert seats.uncovered == [] and seats.proved_optimal
    assert next(i for i in seats.invitations if i.org_id == "o-poor").covers == ["p-poor"]


def test_an_organization_at_capacity_is_not_invited_and_a_project_only_it_could_take_is_explained() -> None:
    full = profile("o-full", org={"full_time_staff": 1}, active_contracts=5)
    seats = invitations([project(min_grade=None)], [full, profile("o-free")], TODAY, MatchingRules())
    assert [i.org_id for i in seats.invitations] == ["o-free"]
    seats = invitations([project(min_grade=None)], [full], TODAY, MatchingRules())
    assert seats.invitations == []
    assert [u.reason for u in seats.uncovered] == [
        "each of its 1 eligible organizations is at capacity (rule: capacity_left)"]


def test_when_the_seats_cannot_cover_every_project_the_ones_left_are_named_with_why() -> None:
    projects = [project(f"p-{c}", category=c, min_grade=None) for c in CATEGORIES[:3]]
    profiles = [profile(f"o-{c}", org={"domains": [c]}) for c in CATEGORIES[:3]]
    seats = invitations(projects, profiles, TODAY, MatchingRules(invite_limit=2, invitation=NO_SHARES))
    assert len(seats.invitations) == 2
    [left] = seats.uncovered
    assert left.invitees == 0 and "cannot also cover it" in left.reason and "(rule: coverage)" in left.reason


def test_a_street_below_its_minimum_share_gets_its_seats() -> None:
    profiles = [profile(f"o-{n}", grade_code="5A") for n in range(4)]
    profiles.append(profile("o-far", org={"street": "火车南站街道", "community": "别的社区"}))
    rules = MatchingRules(invite_limit=4, invitation=InvitationRules(category_min_share=0, street_min_share=0.25))
    seats = invitations([project(min_grade=None)], profiles, TODAY, rules)
    assert "o-far" in [i.org_id for i in seats.invitations]


@st.composite
def seat_instances(draw: st.DrawFn) -> tuple[list[Candidate], list[str], int, int]:
    projects = [f"p-{n}" for n in range(draw(st.integers(1, 4)))]
    found = []
    for n in range(draw(st.integers(1, 7))):
        takes = frozenset(draw(st.sets(st.sampled_from(projects), min_size=1)))
        found.append(Candidate(profile=profile(f"o-{n}"), points=draw(st.integers(0, 5)) * 100,
                               best_project=min(takes), projects=takes))
    found.sort(key=lambda c: (-c.points, c.profile.org_id))
    return found, projects, draw(st.integers(1, 4)), draw(st.integers(1, 2))


@settings(max_examples=150, deadline=None)
@given(instance=seat_instances())
def test_coverage_holds_whenever_some_choice_of_seats_achieves_it_and_the_fit_is_the_best_such(
    instance: tuple[list[Candidate], list[str], int, int],
) -> None:
    found, project_ids, limit, k = instance
    projects = [project(p, min_grade=None) for p in project_ids]
    rules = InvitationRules(coverage=k, category_min_share=0, street_min_share=0)
    seats = choose_invitees(projects, found, {}, limit, rules)
    need = {p: min(k, sum(p in c.projects for c in found)) for p in project_ids}

    def covered(chosen: tuple[int, ...]) -> int:
        return sum(sum(p in found[n].projects for n in chosen) >= need[p] for p in project_ids)

    best = max((covered(chosen), sum(found[n].points for n in chosen))
                for size in range(min(limit, len(found)) + 1) for chosen in itertools.combinations(range(len(found)),
                                                                                                     size))
    invited = tuple(n for n, c in enumerate(found) if c.profile.org_id in {i.org_id for i in seats.invitations})
    assert len(invited) <= limit
    assert (covered(invited), sum(found[n].points for n in invited)) == best
    short = {p for p in project_ids if sum(p in found[n].projects for n in invited) < max(need[p], 1)}
    assert {u.project_id for u in seats.uncovered} == short


STREETS = ["望江路街道", "玉林街道", "簇桥街道"]
PLACES = [None, "望江路社区", "玉林社区"]


@st.composite
def districts(draw: st.DrawFn) -> tuple[list[ProjectView], list[OrganizationProfile]]:
    """Projects and organizations over a few streets, communities, categories and grades: enough alike that fit
    ties, locality classes and refused groups all occur."""
    categories = list(CATEGORIES[:3])
    projects = [project(f"p-{n}", category=draw(st.sampled_from(categories)),
                        min_grade=draw(st.sampled_from([None, "3A", "4A", "5A"])),
                        purchaser={"kind": draw(st.sampled_from(["street", "department"])),
                                   "name": draw(st.sampled_from(STREETS))},
                        community=draw(st.sampled_from(PLACES)), street=draw(st.sampled_from([None, *STREETS])))
                for n in range(draw(st.integers(1, 8)))]
    profiles = [profile(f"o-{n}", grade_code=draw(st.sampled_from([None, "2A", "3A", "4A", "5A"])),
                        org={"street": draw(st.sampled_from(STREETS)), "community": draw(st.sampled_from(PLACES)),
                             "domains": draw(st.lists(st.sampled_from(categories), min_size=1, max_size=3,
                                                      unique=True)),
                             "full_time_staff": draw(st.integers(0, 12))})
                for n in range(draw(st.integers(1, 6)))]
    return projects, profiles


@settings(max_examples=200, deadline=None)
@given(district=districts())
def test_each_candidate_is_ranked_by_its_best_pairwise_fit_and_can_take_exactly_the_projects_it_is_eligible_for(
    district: tuple[list[ProjectView], list[OrganizationProfile]],
) -> None:
    """`candidates` counts a pair's points once per locality value, not once per pair: the same as judging and
    scoring every pair on its own (`refusals`, `fit`)."""
    projects, profiles = district
    rules = MatchingRules()
    found, _ = candidates(projects, profiles, TODAY, rules.eligibility, rules.fit)
    by_org = {c.profile.org_id: c for c in found}
    for p in profiles:
        eligible = [pr for pr in projects if not refusals(p.organization, pr, p.grade, p.evaluations, None, TODAY,
                                                          rules.eligibility)]
        if not eligible or capacity_left(p, rules.fit) <= 0:
            assert p.organization.org_id not in by_org
            continue
        best = min(eligible, key=lambda pr: (-centipoints(fit(p, pr, TODAY, rules.fit).score), pr.project_id))
        found_one = by_org[p.organization.org_id]
        assert found_one.projects == {pr.project_id for pr in eligible}
        assert (found_one.points, found_one.best_project) == (centipoints(fit(p, best, TODAY, rules.fit).score),
                                                             best.project_id)
