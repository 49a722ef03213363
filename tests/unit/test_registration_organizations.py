"""Registering an organization and updating its particulars: what is published, and every refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.registration.domain import organizations as domain
from services.registration.domain import uscc
from services.registration.domain.organizations import Organization, Update, read_about
from shared.contracts.common import Category
from shared.contracts.registration import (
    ORGANIZATION_REJECTED,
    OrganizationRegistered,
    OrganizationRejected,
    OrganizationUpdated,
)
from shared.outcome import Emit

TODAY = date(2014, 11, 19)
CODE = uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, 1_177)


def application(**overrides: Any) -> dict[str, Any]:
    return {
        "uscc": CODE, "name": "玉林社区邻里互助会", "legal_form": "social_group", "street": "玉林街道",
        "community": "玉林北路社区", "domains": ["助老", "社区文化"], "full_time_staff": 6,
        "founded_on": "2011-04-02", "contact": {"phone": "13812345678", "email": "huzhu@example.cn"},
        **overrides,
    }


def register(data: dict[str, Any], existing: Organization | None = None) -> domain.Decision:
    """The application read as the handler reads it (with the organization registered under its code), then
    decided."""
    read = domain.read_application(data, existing, TODAY)
    return domain.Decision((read,)) if isinstance(read, Emit) else domain.register(read, TODAY)


def errors_of(decision: domain.Decision) -> list[dict[str, str]]:
    [event] = decision.events
    assert event.type == "registration.organization.rejected"
    assert decision.organization is None
    return list(event.data["errors"])


def fields_of(decision: domain.Decision) -> list[str]:
    return [error["field"] for error in errors_of(decision)]


@pytest.fixture
def registered() -> Organization:
    organization = register(application()).organization
    assert organization is not None
    return organization


def update(organization: Organization | None, changes: dict[str, Any], org_id: str | None = None) -> domain.Decision:
    data = {"org_id": org_id or str(domain.org_id_for(CODE)), "changes": changes}
    read = read_about(Update, data, organization, rejected=ORGANIZATION_REJECTED, today=TODAY)
    return domain.Decision((read,)) if isinstance(read, Emit) else domain.update(*read)


# --- registration ---------------------------------------------------------------------------------------------


def test_application_publishes_the_full_state_at_version_1() -> None:
    decision = register(application(name="  玉林社区邻里互助会 "))

    [event] = decision.events
    assert event.type == "registration.organization.registered"
    published = OrganizationRegistered.model_validate(event.data)
    assert str(published.org_id) == event.data["org_id"] == str(domain.org_id_for(CODE))
    assert event.data["name"] == "玉林社区邻里互助会"
    assert event.data["domains"] == ["社区文化", "助老"]  # the catalog's order
    assert (event.data["status"], event.data["version"], event.data["registered_on"]) == ("active", 1, "2014-11-19")
    assert event.data["contact"] == {"phone_masked": "*******5678", "email": "huzhu@example.cn"}


def test_org_id_is_fixed_by_the_code_whatever_its_case() -> None:
    assert domain.org_id_for(CODE) == domain.org_id_for(f" {CODE.lower()} ")
    assert domain.org_id_for(CODE) != domain.org_id_for(uscc.make_uscc("social_group", "510107", 1_178))


def test_lower_case_code_is_registered_upper_case() -> None:
    decision = register(application(uscc=CODE.lower()))

    assert decision.organization is not None
    assert decision.organization.uscc == CODE


def test_code_already_registered_is_refused_naming_the_existing_organization(registered: Organization) -> None:
    decision = register(application(name="另一个名字"), existing=registered)

    assert errors_of(decision) == [
        {"field": "uscc", "message": f"is already registered, as organization {registered.org_id}"}
    ]
    assert decision.events[0].data["org_id"] == str(registered.org_id)


def test_code_already_registered_is_named_even_when_other_fields_are_wrong_too(registered: Organization) -> None:
    # Issue 19, item 4: the duplicate went unnamed while another field was wrong (it failed before this change).
    decision = register(application(full_time_staff=-1, street="玉林"), existing=registered)

    assert fields_of(decision) == ["uscc", "street", "full_time_staff"]
    assert errors_of(decision)[0]["message"] == f"is already registered, as organization {registered.org_id}"
    assert decision.events[0].data["org_id"] == str(registered.org_id)


def test_code_of_another_legal_form_is_refused_with_both_named() -> None:
    decision = register(application(legal_form="foundation"))

    assert errors_of(decision) == [
        {"field": "uscc", "message": "character 2 is 1 (social group) but legal_form is foundation (3)"}
    ]
    assert decision.events[0].data["uscc"] == CODE


def test_code_with_a_wrong_check_digit_is_refused_naming_the_right_one() -> None:
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")

    assert errors_of(register(application(uscc=wrong))) == [
        {"field": "uscc", "message": f"check digit should be {CODE[17]}, got {wrong[17]}"}
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "   "}, "name", "at least 1 character"),
        ({"street": "玉林"}, "street", "did you mean 玉林街道?"),
        ({"street": "春熙路街道"}, "street", "must be one of the district's sub-districts: 浆洗街街道"),
        ({"community": ""}, "community", "at least 1 character"),
        ({"domains": []}, "domains", "at least 1 item"),
        ({"domains": ["助老", "助老"]}, "domains", "lists 助老 more than once"),
        ({"domains": ["养老"]}, "domains[0]", "Input should be '社区文化'"),
        ({"full_time_staff": -1}, "full_time_staff", "greater than or equal to 0"),
        ({"full_time_staff": True}, "full_time_staff", "valid integer"),
        ({"full_time_staff": 6.0}, "full_time_staff", "valid integer"),
        ({"full_time_staff": "6"}, "full_time_staff", "valid integer"),
        ({"founded_on": "2014-02-30"}, "founded_on", "day value is outside expected range"),
        ({"founded_on": 1_300_000_000}, "founded_on", "YYYY-MM-DD"),
        ({"founded_on": "2014-11-20"}, "founded_on", "must not be after today (2014-11-19)"),
        ({"founded_on": "0001-01-01"}, "founded_on", "must not be before 1950-01-01, the earliest date the district "
                                                     "accepts, got 0001-01-01 (rule: earliest_date)"),
        ({"community": "黉门街"}, "community", "is not one of the district's communities; the nearest known is "
                                            "黉门街社区 (浆洗街街道) (rule: known_community)"),
        ({"community": "黉门街社区"}, "community", "黉门街社区 lies in 浆洗街街道, not 玉林街道 (rule: "
                                                "community_in_its_street)"),
        ({"legal_form": "company"}, "legal_form", "'social_group', 'social_service_institution' or 'foundation'"),
        ({"contact": {"phone": "12345"}}, "contact.phone", "must be a mobile number"),
        ({"contact": {}}, "contact", "must give a phone, an email, or both"),
        ({"nmae": "typo"}, "nmae", "is not a known field"),
    ],
)
def test_each_bad_field_is_refused_by_name(overrides: dict[str, Any], field: str, message: str) -> None:
    [error] = errors_of(register(application(**overrides)))

    assert error["field"] == field
    assert message in error["message"]


def test_founded_today_is_accepted() -> None:
    assert register(application(founded_on=TODAY.isoformat())).organization is not None


def test_founded_on_the_earliest_date_is_accepted_and_the_day_before_refused() -> None:
    # Issue 19, item 2: any founding date was accepted, 0001-01-01 too (this failed before the change).
    assert register(application(founded_on="1950-01-01")).organization is not None
    assert fields_of(register(application(founded_on="1949-12-31"))) == ["founded_on"]


def test_the_earliest_date_is_the_districts_setting() -> None:
    later = domain.DistrictRules(earliest=date(2000, 1, 1))
    read = domain.read_application(application(founded_on="1999-12-31"), None, TODAY, later)
    assert isinstance(read, Emit) and "1999-12-31 (rule: earliest_date)" in read.data["errors"][0]["message"]


def test_a_community_the_district_does_not_know_is_refused_naming_the_nearest_in_its_street_first() -> None:
    # Issue 19, item 7: communities were free text, so 黉门街社区 and 黉门街 were two (this failed before).
    district = domain.DistrictRules(communities={"浆洗街街道": ("甲社区",), "玉林街道": ("乙社区",)})
    read = domain.read_application(application(community="丙社区"), None, TODAY, district)
    assert isinstance(read, Emit)  # 甲社区 and 乙社区 are as near to 丙社区: the one in the application's street
    assert "the nearest known is 乙社区 (玉林街道)" in read.data["errors"][0]["message"]


def test_every_bad_field_is_named_in_one_rejection() -> None:
    data = application(
        uscc="9135O100M000100Y43", legal_form="foundation", name="", street="火星街道", domains=[], full_time_staff=-3
    )
    del data["founded_on"]

    fields = fields_of(register(data))

    assert fields.count("uscc") == 4  # the letter O, character 1, character 2, the region code
    assert {"name", "street", "domains", "full_time_staff", "founded_on"} <= set(fields)
    OrganizationRejected.model_validate(register(data).events[0].data)


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    assert errors_of(register(["not", "an", "object"]))[0]["field"] == "data"  # type: ignore[arg-type]


# --- updates --------------------------------------------------------------------------------------------------


def test_update_publishes_the_new_state_one_version_up_naming_what_changed(registered: Organization) -> None:
    decision = update(registered, {"full_time_staff": 9, "domains": ["济困", "助老"]})

    [event] = decision.events
    published = OrganizationUpdated.model_validate(event.data)
    assert (published.version, published.full_time_staff, published.changed) == (2, 9, ["full_time_staff", "domains"])
    assert event.data["domains"] == ["助老", "济困"]
    assert event.data["uscc"] == CODE and event.data["name"] == registered.name
    assert decision.organization == registered.model_copy(
        update={"full_time_staff": 9, "domains": (Category.ELDERLY, Category.POVERTY_RELIEF), "version": 2}
    )


def test_community_moves_within_its_street_or_with_a_new_street(registered: Organization) -> None:
    same_street = update(registered, {"community": "玉林南路社区"}).organization
    moved = update(registered, {"community": "簇桥社区", "street": "簇桥街道"}).organization

    assert same_street is not None and (same_street.street, same_street.community) == ("玉林街道", "玉林南路社区")
    assert moved is not None and (moved.street, moved.community) == ("簇桥街道", "簇桥社区")


@pytest.mark.parametrize(("changes", "message"), [
    ({"community": "芳草社区"}, "芳草社区 lies in 芳草街街道, not 玉林街道 (rule: community_in_its_street)"),
    ({"community": "簇桥社区", "street": "芳草街街道"}, "簇桥社区 lies in 簇桥街道, not 芳草街街道"),
    ({"community": "玉林北"}, "the nearest known is 玉林北路社区 (玉林街道) (rule: known_community)"),
], ids=["another street's", "not the new street's", "unknown"])
def test_a_community_change_must_name_a_community_of_the_street_it_will_be_in(
    registered: Organization, changes: dict[str, Any], message: str,
) -> None:
    [error] = errors_of(update(registered, changes))
    assert error["field"] == "changes.community" and message in error["message"]


def test_contact_change_publishes_the_phone_masked(registered: Organization) -> None:
    [event] = update(registered, {"contact": {"phone": "028-85551234"}}).events

    assert event.data["contact"] == {"phone_masked": "********1234", "email": None}
    assert "85551234" not in str(event.data)


def test_street_without_community_is_refused(registered: Organization) -> None:
    assert errors_of(update(registered, {"street": "簇桥街道"})) == [
        {"field": "changes.street", "message": "may change only together with community"}
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_time_staff": -1}, "changes.full_time_staff", "greater than or equal to 0"),
        ({"domains": []}, "changes.domains", "at least 1 item"),
        ({"community": "新社区", "street": "春熙路街道"}, "changes.street", "must be one of the district's"),
        ({"contact": {"email": "not-an-address"}}, "changes.contact.email", "must be an e-mail address"),
        ({"name": "新名字"}, "changes.name", "is not a known field"),
        ({}, "changes", "must name at least one of contact, full_time_staff, domains, community"),
        ({"full_time_staff": 6, "domains": ["助老", "社区文化"]}, "changes", "changes nothing"),
    ],
)
def test_invalid_change_is_refused_naming_the_field(
    registered: Organization, changes: dict[str, Any], field: str, message: str
) -> None:
    [error] = errors_of(update(registered, changes))

    assert error["field"] == field
    assert message in error["message"]


def test_update_of_an_unknown_organization_is_refused() -> None:
    decision = update(None, {"full_time_staff": 3})

    assert errors_of(decision) == [{"field": "org_id", "message": "no organization is registered with this id"}]
    assert decision.events[0].data["org_id"] == str(domain.org_id_for(CODE))


def test_update_of_an_unknown_organization_also_names_its_bad_changes() -> None:
    assert fields_of(update(None, {"full_time_staff": -3})) == ["org_id", "changes.full_time_staff"]


def test_malformed_org_id_is_refused_as_such() -> None:
    [error] = errors_of(update(None, {"full_time_staff": 3}, org_id="not-a-uuid"))

    assert error["field"] == "org_id" and "valid UUID" in error["message"]
