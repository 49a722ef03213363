"""The projection of registration's organizations: newest version wins, stale or repeated events change nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.training_grading.projections import OrganizationView, newer
from shared.envelope import FieldError
from shared.validation import parse


def read_organization(data: dict[str, Any]) -> OrganizationView | list[FieldError]:
    """The organization as the handler reads it from any `registration.organization.*` event."""
    return parse(OrganizationView, data)


def event(version: int, status: str = "active", **changes: Any) -> dict[str, Any]:
    return {
        "org_id": "org-1", "uscc": "51510107MJ0000000X", "name": "玉林社工中心",
        "legal_form": "social_service_institution",
        "street": "玉林街道", "community": "玉林北路社区", "domains": ["助老"], "full_time_staff": 6,
        "founded_on": "2011-05-04", "registered_on": "2012-03-01", "status": status, "version": version, **changes,
    }


def view(version: int, status: str = "active") -> OrganizationView:
    parsed = read_organization(event(version, status))
    assert isinstance(parsed, OrganizationView)
    return parsed


def test_the_two_years_count_from_the_civil_affairs_registration_not_from_joining_this_register() -> None:
    parsed = view(1)
    assert (parsed.street, parsed.registered_on, parsed.is_active) == ("玉林街道", date(2011, 5, 4), True)


def test_a_newer_suspension_replaces_the_active_view() -> None:
    kept = newer(view(1), view(2, "suspended"))
    assert kept is not None
    assert not kept.is_active


def test_a_stale_event_arriving_late_is_ignored() -> None:
    assert newer(view(3, "suspended"), view(2, "active")) is None


def test_the_same_version_twice_is_ignored() -> None:
    assert newer(view(2), view(2)) is None


def test_the_first_event_seen_is_kept_whatever_its_version() -> None:
    assert newer(None, view(5)) == view(5)


def test_a_timestamp_for_the_registration_day_is_read_as_its_date() -> None:
    parsed = read_organization(event(1, founded_on="2011-05-04T09:30:00+08:00"))
    assert isinstance(parsed, OrganizationView)
    assert parsed.registered_on == date(2011, 5, 4)


def test_an_event_without_a_version_is_refused_naming_it() -> None:
    data = event(1)
    del data["version"]
    errors = read_organization(data)
    assert isinstance(errors, list)
    assert [e.field for e in errors] == ["version"]
