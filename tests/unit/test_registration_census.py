"""The operator's census: organizations per street and community, and the communities below the minimum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from services.registration.domain import uscc
from services.registration.domain.census import CommunityCount, take_census
from services.registration.domain.organizations import Organization, org_id_for
from shared.contracts.common import Category

STREETS = ("浆洗街街道", "玉林街道", "簇桥街道")


@dataclass(frozen=True)
class Site:
    street: str
    community: str
    status: str = "active"


ORGANIZATIONS = [
    *[Site("玉林街道", "黉门街社区")] * 18,
    Site("玉林街道", "玉林北路社区"),
    Site("玉林街道", "玉林北路社区", "suspended"),
    *[Site("簇桥街道", "七里村社区")] * 2,
    Site("簇桥街道", "簇桥社区", "suspended"),
]


def test_counts_per_street_follow_the_configured_order_with_suspended_apart() -> None:
    census = take_census(ORGANIZATIONS, streets=STREETS)

    assert [(s.street, s.active, s.suspended) for s in census.streets] == [
        ("浆洗街街道", 0, 0), ("玉林街道", 19, 1), ("簇桥街道", 2, 1),
    ]
    assert (census.active, census.suspended) == (21, 2)


def test_counts_per_community_within_a_street() -> None:
    [_, yulin, _] = take_census(ORGANIZATIONS, streets=STREETS).streets

    assert yulin.communities == (
        CommunityCount("玉林街道", "玉林北路社区", active=1, suspended=1),
        CommunityCount("玉林街道", "黉门街社区", active=18, suspended=0),
    )


def test_communities_below_the_default_minimum_of_two_active_fewest_first() -> None:
    census = take_census(ORGANIZATIONS, streets=STREETS)

    assert census.minimum == 2
    assert [(c.community, c.active) for c in census.below_minimum] == [("簇桥社区", 0), ("玉林北路社区", 1)]


def test_the_minimum_is_configurable() -> None:
    census = take_census(ORGANIZATIONS, streets=STREETS, minimum=10)

    assert [c.community for c in census.below_minimum] == ["簇桥社区", "玉林北路社区", "七里村社区"]


def test_known_communities_without_any_organization_show_as_empty_and_below_minimum() -> None:
    census = take_census(ORGANIZATIONS, streets=STREETS, communities={"浆洗街街道": ["锦官驿社区"]})

    assert census.streets[0].communities == (CommunityCount("浆洗街街道", "锦官驿社区", 0, 0),)
    assert CommunityCount("浆洗街街道", "锦官驿社区", 0, 0) in census.below_minimum


def test_a_street_no_longer_configured_is_still_counted_after_the_configured_ones() -> None:
    census = take_census([*ORGANIZATIONS, Site("旧街道", "旧社区")], streets=STREETS)

    assert [s.street for s in census.streets] == [*STREETS, "旧街道"]


def test_an_empty_district_has_every_street_at_zero_and_nothing_below_minimum() -> None:
    census = take_census([], streets=STREETS)

    assert [(s.active, s.communities) for s in census.streets] == [(0, ())] * 3
    assert census.below_minimum == ()


def test_negative_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="minimum"):
        take_census(ORGANIZATIONS, streets=STREETS, minimum=-1)


def test_registered_organizations_themselves_can_be_counted() -> None:
    code = uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, 3)
    organization = Organization(
        org_id=org_id_for(code), uscc=code, name="簇桥志愿者协会", legal_form="social_group", street="簇桥街道",
        community="簇桥社区", domains=(Category.OTHER_COMMUNITY,), full_time_staff=2, founded_on=date(2013, 3, 1),
        registered_on=date(2013, 5, 1),
    )

    census = take_census([organization], streets=STREETS)

    assert census.streets[2].communities == (CommunityCount("簇桥街道", "簇桥社区", 1, 0),)
