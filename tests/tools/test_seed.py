"""The seeded district (`make seed`): the source's figures, valid for every context's own rules, the same every time."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from services.catalog.domain import District as Purchasers
from services.catalog.domain import propose, read_proposal
from services.registration.domain import organizations as registration
from services.registration.domain.identity import birth_date, id_number_problems
from services.registration.domain.organizations import Application, Organization, context
from services.registration.domain.people import PersonEntry, read_person
from services.registration.domain.uscc import problems
from shared.contracts.catalog import ProjectProposed
from shared.contracts.common import CATEGORIES, DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.contracts.registration import ORGANIZATION_REJECTED, IntakeOrganizationApplied, IntakePersonAdded
from shared.intake import read_intake
from shared.outcome import Emit
from tools.seed.__main__ import main
from tools.seed.district import SAMPLE, WUHOU, District, DistrictSize, build, seed_events

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "catalog_2015_batch1_excerpt.json"
SEED_DAY = date(2015, 1, 1)  # the seed must be valid on the day the batch starts
RULES = context(SEED_DAY)  # the district's defaults: its streets, its communities, its earliest date
COMMUNITY_CATEGORIES = tuple(c for c in CATEGORIES if c != "政务服务")


def read(data: dict[str, Any]) -> Application | Emit:
    """An application read as registration's handler reads it."""
    return read_intake(Application, data, rejected=ORGANIZATION_REJECTED, context=RULES)


def registered(data: dict[str, Any]) -> Organization:
    application = read(data)
    assert isinstance(application, Application), data["name"]
    organization = registration.register(application, SEED_DAY).organization
    assert organization is not None
    return organization


@pytest.fixture(scope="module")
def district() -> District:
    return build(WUHOU)


@pytest.fixture(scope="module")
def sample() -> District:
    return build(SAMPLE)


def yuan(project: dict[str, Any]) -> float:
    return int(project["budget_fen"]) / 100


# --- catalog --------------------------------------------------------------------------------------------------


def test_the_batch_has_240_projects_numbered_2015_1_001_to_240(district: District) -> None:
    refs = [project["project_ref"] for project in district.projects]
    assert refs == [f"2015-1-{n:03d}" for n in range(1, 241)]
    assert {project["batch"] for project in district.projects} == {"2015-1"}
    assert len({project["title"] for project in district.projects}) == 240


def test_the_sources_21_items_are_in_the_batch_word_for_word(district: District) -> None:
    items = json.loads(EXCERPT.read_text(encoding="utf-8"))["items"]
    by_title = {project["title"]: project for project in district.projects}
    assert len(items) == 21
    for item in items:
        project = by_title[item["title"]]
        assert (project["category"], project["content"]) == (item["category"], item["content"])
        assert project.get("community") == item["community"]
        if item["street"] is not None:
            assert project["purchaser"] == {"kind": "street", "name": item["street"]}


def test_the_sources_street_needs_are_bought_by_the_streets_that_voiced_them(district: District) -> None:
    by_title = {project["title"]: project for project in district.projects}
    assert by_title["假日跳蚤市场"]["purchaser"] == {"kind": "street", "name": "玉林街道"}
    assert by_title["相亲沙龙"]["content"] == "为辖区内单身人士扩大交友机会、提供择偶平台"
    assert by_title["失地农民心理咨询服务项目"]["purchaser"] == {"kind": "street", "name": "簇桥街道"}
    assert by_title["晋阳社区文体公益活动"]["community"] == "晋阳社区"
    assert by_title["社会组织负责人和财务人员培训项目"]["content"].startswith("对全区1150个社会组织负责人")


def test_about_90_percent_are_community_services_the_rest_government_affairs(district: District) -> None:
    by_category = Counter(project["category"] for project in district.projects)
    assert by_category["政务服务"] == 24
    assert sum(by_category[c] for c in COMMUNITY_CATEGORIES) == 216
    assert all(by_category[c] >= 10 for c in COMMUNITY_CATEGORIES)


def test_every_project_is_published_by_the_catalogs_own_rules(district: District) -> None:
    purchasers = Purchasers(streets=DEFAULT_STREETS, departments=DEFAULT_DEPARTMENTS)
    for data in district.projects:
        proposal = read_proposal(data, purchasers)
        assert isinstance(proposal, ProjectProposed), data["project_ref"]
        project, emitted = propose(proposal, existing=None)
        assert project is not None, emitted.data
        assert emitted.type == "catalog.project.published"


def test_all_13_streets_and_5_departments_buy_something(district: District) -> None:
    purchasers = Counter((p["purchaser"]["kind"], p["purchaser"]["name"]) for p in district.projects)
    assert {name for kind, name in purchasers if kind == "street"} == set(DEFAULT_STREETS)
    assert {name for kind, name in purchasers if kind == "department"} == set(DEFAULT_DEPARTMENTS)


def test_budgets_are_whole_fen_in_the_sources_range(district: District) -> None:
    government = [yuan(p) for p in district.projects if p["category"] == "政务服务"]
    community = [yuan(p) for p in district.projects if p["category"] != "政务服务"]
    assert all(isinstance(p["budget_fen"], int) for p in district.projects)
    assert all(50_000 <= amount <= 300_000 for amount in community)
    # 30.85 million yuan for 139 government-affairs services: about 222,000 yuan each.
    assert 200_000 <= mean(government) <= 245_000


def test_periods_run_within_2015_and_a_third_of_projects_set_a_minimum_grade(district: District) -> None:
    for project in district.projects:
        start, end = date.fromisoformat(project["period"]["start"]), date.fromisoformat(project["period"]["end"])
        assert date(2015, 1, 1) <= start < end <= date(2015, 12, 31)
    grades = Counter(project.get("min_grade") for project in district.projects)
    assert grades == {None: 168, "3A": 48, "4A": 24}


def test_community_projects_name_a_community_of_their_purchasing_street(district: District) -> None:
    for project in district.projects:
        if "community" in project:
            assert project["purchaser"]["kind"] == "street"
            assert project["community"] in district.communities[project["purchaser"]["name"]]


# --- organizations and communities ----------------------------------------------------------------------------


def test_1177_organizations_in_83_communities_each_with_at_least_2(district: District) -> None:
    by_community = Counter(organization["community"] for organization in district.organizations)
    assert len(district.organizations) == 1177
    assert len(by_community) == 83 == sum(len(names) for names in district.communities.values())
    assert set(district.communities) == set(DEFAULT_STREETS)
    assert min(by_community.values()) == 2


def test_huangmenjie_has_18_organizations_more_than_any_other_community(district: District) -> None:
    by_community = Counter(organization["community"] for organization in district.organizations)
    assert by_community["黉门街社区"] == 18
    assert max(count for name, count in by_community.items() if name != "黉门街社区") < 18
    names = {o["name"] for o in district.organizations if o["community"] == "黉门街社区"}
    assert {"成都市武侯区黉门街社区暖心房", "成都市武侯区黉门街社区四点半学校"} <= names


def test_every_organization_lies_in_a_community_of_its_street(district: District) -> None:
    for organization in district.organizations:
        assert organization["community"] in district.communities[organization["street"]]


def test_every_credit_code_is_a_valid_distinct_wuhou_code_for_its_legal_form(district: District) -> None:
    codes = [organization["uscc"] for organization in district.organizations]
    assert len(set(codes)) == len(codes)
    for organization in district.organizations:
        assert problems(organization["uscc"], organization["legal_form"]) == [], organization["name"]
        assert organization["uscc"][2:8] == "510107"


def test_every_application_is_registered_by_registrations_own_rules(district: District) -> None:
    for data in district.organizations:
        IntakeOrganizationApplied.model_validate(data)
        application = read(data)
        assert isinstance(application, Application), data["name"]
        decision = registration.register(application, SEED_DAY)
        assert [event.type for event in decision.events] == ["registration.organization.registered"]


def test_organizations_are_mostly_institutions_and_groups_with_a_few_foundations(district: District) -> None:
    forms = Counter(organization["legal_form"] for organization in district.organizations)
    assert forms["social_service_institution"] > forms["social_group"] > 300
    assert 1 <= forms["foundation"] <= 20
    assert len({organization["name"] for organization in district.organizations}) == 1177


def test_staff_founding_dates_and_domains_are_plausible(district: District) -> None:
    domain_counts = Counter(len(organization["domains"]) for organization in district.organizations)
    first_domains = Counter(d for organization in district.organizations for d in organization["domains"])
    assert set(domain_counts) == {1, 2, 3}
    assert sum(first_domains[c] for c in COMMUNITY_CATEGORIES) > 5 * first_domains["政务服务"] > 0
    for organization in district.organizations:
        assert 1 <= organization["full_time_staff"] <= 40
        assert date(2000, 1, 1) <= date.fromisoformat(organization["founded_on"]) <= date(2013, 12, 31)


# --- people ---------------------------------------------------------------------------------------------------


def test_each_organization_names_its_leader_and_finance_staff(district: District) -> None:
    org_ids = [str(registration.org_id_for(organization["uscc"])) for organization in district.organizations]
    roles = Counter((person["org_id"], person["role"]) for person in district.people)
    assert len(district.people) == 2354
    assert roles == {(org_id, role): 1 for org_id in org_ids for role in ("leader", "finance")}


def test_every_person_has_a_valid_distinct_id_number_born_1950_to_1990(district: District) -> None:
    organizations = {str(o.org_id): o for o in map(registered, district.organizations)}
    numbers = [person["id_number"] for person in district.people]
    assert len(set(numbers)) == len(numbers)
    for person in district.people:
        IntakePersonAdded.model_validate(person)
        assert id_number_problems(person["id_number"], SEED_DAY) == []
        entry = read_person(person, organizations.get(person["org_id"]), SEED_DAY)
        assert not isinstance(entry, Emit) and isinstance(entry[0], PersonEntry)
        born = birth_date(person["id_number"])
        assert born is not None and date(1950, 1, 1) <= born <= date(1990, 12, 31)
        assert person["id_number"].startswith("510107")


# --- events ---------------------------------------------------------------------------------------------------


def test_the_district_is_the_same_every_time(district: District) -> None:
    assert build(WUHOU) == district
    first, second = seed_events(), seed_events()
    assert [(e.type, e.key, e.event_id, e.data) for e in first] == [(e.type, e.key, e.event_id, e.data) for e in second]


def test_event_ids_are_unique_and_pinned_to_stable_keys() -> None:
    events = seed_events()
    assert len(events) == 240 + 1177 + 2354
    assert len({event.event_id for event in events}) == len(events)
    assert events[0].key == "seed:project:2015-1-001"
    assert events[0].event_id == "c88d5ea4-a474-544b-b8c4-cd2a77404496"


def test_projects_then_organizations_then_people_and_only_one_part_on_request() -> None:
    types = [event.type for event in seed_events()]
    assert types == (["intake.project.proposed"] * 240 + ["intake.organization.applied"] * 1177
                     + ["intake.person.added"] * 2354)
    assert {event.type for event in seed_events(only="people")} == {"intake.person.added"}
    assert len(seed_events(only="organizations")) == 1177


# --- the small district ---------------------------------------------------------------------------------------


def test_the_sample_district_is_small_and_valid(sample: District) -> None:
    purchasers = Purchasers(streets=DEFAULT_STREETS, departments=DEFAULT_DEPARTMENTS)
    by_community = Counter(organization["community"] for organization in sample.organizations)
    assert (len(sample.projects), len(sample.organizations), len(by_community)) == (24, 60, 10)
    assert min(by_community.values()) >= 2
    assert all(isinstance(read_proposal(data, purchasers), ProjectProposed) for data in sample.projects)
    assert all(isinstance(read(data), Application) for data in sample.organizations)
    assert {"晋阳社区", "黉门街社区"} <= set(by_community)


def test_the_sample_never_collides_with_the_full_district_on_one_bus(district: District, sample: District) -> None:
    def identities(events: list[Any]) -> set[str]:
        return {event.event_id for event in events}

    assert not identities(seed_events(SAMPLE)) & identities(seed_events(WUHOU))
    assert not {p["project_ref"] for p in sample.projects} & {p["project_ref"] for p in district.projects}
    assert not {o["uscc"] for o in sample.organizations} & {o["uscc"] for o in district.organizations}


def test_a_district_ten_times_the_sources_size_gives_every_organization_a_name_and_code_of_its_own() -> None:
    ten_times = build(DistrictSize("wuhou-x10", projects=2_400, organizations=11_770, communities=83,
                                   flagship_organizations=180, seed=20141119, ref_prefix="2015-1-X",
                                   key_prefix="seed-x10"))

    names = [o["name"] for o in ten_times.organizations]
    assert len(names) == len(set(names)) == 11_770
    assert len({o["uscc"] for o in ten_times.organizations}) == 11_770


def test_a_size_that_cannot_hold_its_organizations_is_refused() -> None:
    with pytest.raises(ValueError, match="organizations must be between"):
        DistrictSize("tiny", projects=24, organizations=500, communities=10, flagship_organizations=8, seed=1,
                     ref_prefix="T-", key_prefix="seed-tiny")


# --- the command ----------------------------------------------------------------------------------------------


def test_a_dry_run_prints_the_district_and_publishes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "240 projects" in printed
    assert "216 community services (90%)" in printed
    assert "83 communities" in printed
    assert "largest 黉门街社区 (浆洗街街道) 18" in printed
    assert "published" not in printed
