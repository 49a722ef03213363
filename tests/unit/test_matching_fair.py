"""Opening a fair (who is invited, in which order) and recording the interests expressed at it."""

from __future__ import annotations

import itertools
from typing import Any

from services.matching.domain.awards import FairAwards
from services.matching.domain.fairs import (
    Fair,
    FairEntry,
    FairRecord,
    MatchingRules,
    express_interest,
    fair_id_for,
    interest_id_for,
    open_fair,
)
from services.matching.domain.fit import fit
from services.matching.projections import OrganizationProfile, ProjectStatusChange, ProjectView
from shared.contracts.matching import FairOpenRequested, InterestExpressed, InterestRecorded
from shared.outcome import Emit
from tests.unit.matching_examples import RULES, TODAY, profile, project

REQUEST = FairOpenRequested(fair_ref="2015-1-fair", batch="2015-1", date=TODAY, slots=12, slot_minutes=20)


def opened(projects: list[ProjectView], profiles: list[OrganizationProfile], rules: MatchingRules = RULES,
           existing: Fair | None = None) -> tuple[Fair | None, list[Emit]]:
    return open_fair(REQUEST, existing=existing, projects=projects, profiles=profiles, today=TODAY, rules=rules)


def fair(*invited: str) -> Fair:
    return Fair(fair_id=fair_id_for(REQUEST.fair_ref), **REQUEST.model_dump(), invited=list(invited), invitations=[])


def test_invitations_are_the_eligible_organizations_best_fit_first_ties_by_org_id() -> None:
    profiles = [
        profile("o-b", grade_code="3A"), profile("o-a", grade_code="3A"), profile("o-c", grade_code="5A"),
        profile("o-suspended", org={"status": "suspended"}), profile("o-ungraded", grade_code=None),
    ]
    state, [emit] = opened([project()], profiles)
    assert emit.type == "matching.fair.opened"
    assert emit.data["invited"] == ["o-c", "o-a", "o-b"]
    assert [i["fit_score"] for i in emit.data["invitations"]] == [82.5, 74.5, 74.5]
    assert state is not None and state.fair_id == emit.data["fair_id"] == fair_id_for("2015-1-fair")


def test_an_organization_is_ranked_by_its_best_fitting_project_of_the_batch() -> None:
    elderly, youth = project("p-elderly"), project("p-youth", category="青少年服务", min_grade=None, community=None)
    profiles = [profile("o-youth", org={"domains": ["青少年服务"]}),
                profile("o-both", org={"domains": ["助老", "青少年服务"]})]
    _, [emit] = opened([elderly, youth], profiles)
    assert [(i["org_id"], i["project_id"]) for i in emit.data["invitations"]] == [
        ("o-both", "p-elderly"), ("o-youth", "p-youth")]


def test_an_invitations_fit_is_the_fit_the_organization_would_be_shown() -> None:
    projects = [project("p-1"), project("p-2", community="九眼桥社区", min_grade=None)]
    profiles = [profile(f"o-{n}", org={"community": c, "domains": d, "full_time_staff": n}, grade_code=g,
                        finance_completions=n % 3, active_contracts=n % 2)
                for n, (c, d, g) in enumerate(itertools.product(
                    ["望江路社区", "九眼桥社区"], [["助老"], ["助老", "济困", "助残", "青少年服务"]], ["3A", "5A"]))]
    _, [emit] = opened(projects, profiles)
    by_id = {p.project_id: p for p in projects}
    for invited in emit.data["invitations"]:
        who = next(p for p in profiles if p.org_id == invited["org_id"])
        assert invited["fit_score"] == fit(who, by_id[invited["project_id"]], TODAY, RULES.fit).score


def test_invitations_stop_at_the_configured_limit() -> None:
    profiles = [profile(f"o-{n:02d}") for n in range(60)]
    _, [emit] = opened([project()], profiles)
    assert len(emit.data["invited"]) == 55 and emit.data["invited"][-1] == "o-54"
    _, [emit] = opened([project()], profiles, rules=MatchingRules(invite_limit=3))
    assert emit.data["invited"] == ["o-00", "o-01", "o-02"]


def test_only_published_projects_of_the_fairs_batch_count_for_invitations() -> None:
    other_batch = project("p-2", batch="2015-2", category="济困", min_grade=None)
    awarded = project("p-3", status="awarded", category="助残", min_grade=None)
    profiles = [profile("o-poverty", org={"domains": ["济困", "助残"]}), profile("o-elderly")]
    _, [emit] = opened([project(), other_batch, awarded], profiles)
    assert emit.data["invited"] == ["o-elderly"]


def test_a_batch_without_published_projects_is_refused() -> None:
    state, [emit] = opened([project(batch="2015-2")], [profile()])
    assert state is None and emit.type == "matching.fair.rejected"
    assert emit.data["errors"] == [{"field": "batch", "message": "batch 2015-1 has no published project"}]


def test_a_fair_nobody_is_eligible_for_is_refused() -> None:
    _, [emit] = opened([project()], [profile(grade_code="1A")])
    assert emit.data["errors"][0]["message"] == (
        "no organization with capacity left is eligible for any of the 1 published projects of batch 2015-1")


def test_a_fair_ref_already_used_is_refused() -> None:
    state, [emit] = opened([project()], [profile()], existing=fair("o-1"))
    assert state is None and emit.data["errors"][0]["field"] == "fair_ref"


def express(request: dict[str, Any] | None = None, *, at: Fair | None = None, what: Any = None,
            who: OrganizationProfile | None = None, earlier: InterestRecorded | None = None,
            awards_decided: bool = False, rules: MatchingRules = RULES) -> tuple[InterestRecorded | None, list[Emit]]:
    the_fair = at or fair("o-1")
    data = {"fair_id": the_fair.fair_id, "org_id": "o-1", "project_id": "p-1"} | (request or {})
    decided = FairAwards(fair_id=the_fair.fair_id, awards=[], unawarded=[]) if awards_decided else None
    return express_interest(
        InterestExpressed.model_validate(data), fair=FairEntry.of(FairRecord(the_fair, awards=decided)),
        project=what or project(),
        profile=who or profile(), earlier=earlier, today=TODAY, rules=rules,
    )


def messages(emits: list[Emit]) -> list[tuple[str, str]]:
    [emit] = emits
    assert emit.type == "matching.interest.rejected"
    return [(e["field"], e["message"]) for e in emit.data["errors"]]


def test_an_interest_is_recorded_with_its_fit_and_breakdown() -> None:
    interest, [emit] = express({"price_fen": 90_000})
    assert interest is not None and emit.type == "matching.interest.recorded"
    assert emit.data["interest_id"] == interest_id_for(fair("o-1").fair_id, "o-1", "p-1")
    assert emit.data["fit_score"] == 78.5 and emit.data["price_fen"] == 90_000
    assert emit.data["breakdown"]["grade"] == {"value": 0.8, "weight": 20.0, "points": 16.0}
    assert emit.data["purchaser"] == {"kind": "street", "name": "望江路街道"}


def test_unknown_fair_project_and_organization_are_each_named() -> None:
    state, emits = express_interest(
        InterestExpressed(fair_id="f-x", org_id="o-x", project_id="p-x"), fair=None,
        project=ProjectStatusChange(project_id="p-x", status="published", version=1), profile=None, earlier=None,
        today=TODAY, rules=RULES)
    assert state is None
    assert messages(emits) == [("fair_id", "no fair f-x has been opened"), ("project_id", "unknown project p-x"),
                               ("org_id", "unknown organization o-x")]
    assert emits[0].data["org_id"] == "o-x"


def test_an_interest_refused_by_eligibility_names_every_rule() -> None:
    _, emits = express({"price_fen": 150_000}, who=profile(grade_code="2A"))
    assert messages(emits) == [
        ("org_id", "grade 2A is below the project's minimum 3A (rule: min_grade)"),
        ("price_fen", "price 1,500.00 yuan exceeds the budget 1,000.00 yuan (rule: budget)"),
    ]


def test_a_project_of_another_batch_or_no_longer_published_is_refused() -> None:
    _, emits = express(what=project(batch="2015-2", status="awarded"))
    assert messages(emits) == [
        ("project_id", "project p-1 is in batch 2015-2, not the fair's batch 2015-1"),
        ("project_id", "project is awarded, not published (rule: published)"),
    ]


def test_an_uninvited_organization_is_refused_unless_the_fair_is_open_to_all() -> None:
    _, emits = express(at=fair("o-2"))
    assert messages(emits) == [("org_id", "organization was not invited to fair 2015-1-fair (rule: invited)")]
    interest, _ = express(at=fair("o-2"), rules=MatchingRules(interest_needs_invitation=False))
    assert interest is not None


def test_the_same_interest_twice_and_interest_after_the_awards_are_refused() -> None:
    earlier, _ = express()
    _, emits = express(earlier=earlier, awards_decided=True)
    assert [field for field, _ in messages(emits)] == ["fair_id", "project_id"]
    assert earlier is not None and earlier.interest_id in messages(emits)[1][1]
