"""Suspension and reinstatement: a two-state machine, every step one version up and announced in full."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from services.registration.domain import organizations as domain
from services.registration.domain import uscc
from services.registration.domain.organizations import Organization, Reinstatement, Suspension, read_about
from shared.contracts.common import Category
from shared.contracts.registration import ORGANIZATION_REJECTED, OrganizationReinstated, OrganizationSuspended
from shared.outcome import Emit

CODE = uscc.make_uscc("foundation", uscc.WUHOU_REGION_CODE, 42)
ORG_ID = domain.org_id_for(CODE)


@pytest.fixture
def active() -> Organization:
    return Organization(
        org_id=ORG_ID, uscc=CODE, name="武侯慈善基金会", legal_form="foundation", street="簇锦街道",
        community="簇锦社区", domains=(Category.POVERTY_RELIEF,), full_time_staff=4, founded_on=date(2009, 6, 1),
        registered_on=date(2014, 1, 6), version=3,
    )


def suspend(data: dict[str, str], existing: Organization | None) -> domain.Decision:
    """The suspension read as the handler reads it (with the organization it names), then decided."""
    read = read_about(Suspension, data, existing, rejected=ORGANIZATION_REJECTED, today=date(2015, 3, 2))
    return domain.Decision((read,)) if isinstance(read, Emit) else domain.suspend(*read)


def reinstate(data: dict[str, str], existing: Organization | None) -> domain.Decision:
    read = read_about(Reinstatement, data, existing, rejected=ORGANIZATION_REJECTED, today=date(2015, 3, 2))
    return domain.Decision((read,)) if isinstance(read, Emit) else domain.reinstate(*read)


def request(reason: str = "failed evaluation of contract 2015-1-017") -> dict[str, str]:
    return {"org_id": str(ORG_ID), "reason": reason}


def only_error(decision: domain.Decision) -> dict[str, str]:
    [event] = decision.events
    assert event.type == "registration.organization.rejected"
    assert decision.organization is None
    [error] = event.data["errors"]
    return dict(error)


def test_suspension_publishes_the_full_state_suspended_one_version_up(active: Organization) -> None:
    decision = suspend(request(), existing=active)

    [event] = decision.events
    assert event.type == "registration.organization.suspended"
    published = OrganizationSuspended.model_validate(event.data)
    assert (published.status, published.version, published.reason) == (
        "suspended", 4, "failed evaluation of contract 2015-1-017"
    )
    assert published.uscc == CODE and published.domains == [Category.POVERTY_RELIEF]
    assert decision.organization is not None and decision.organization.status == "suspended"


def test_suspending_a_suspended_organization_is_refused_as_already_suspended(active: Organization) -> None:
    suspended = suspend(request(), existing=active).organization

    error = only_error(suspend(request("again"), existing=suspended))

    assert error["field"] == "org_id"
    assert "already suspended" in error["message"] and "failed evaluation" in error["message"]


def test_reinstatement_makes_a_suspended_organization_active_one_version_up(active: Organization) -> None:
    suspended = suspend(request(), existing=active).organization

    decision = reinstate(request("remedied, inspected 2015-03-02"), existing=suspended)

    [event] = decision.events
    published = OrganizationReinstated.model_validate(event.data)
    assert (published.status, published.version, published.reason) == ("active", 5, "remedied, inspected 2015-03-02")
    assert decision.organization is not None and decision.organization.suspension_reason is None


def test_reinstating_an_active_organization_is_refused(active: Organization) -> None:
    assert only_error(reinstate(request("no reason"), existing=active)) == {
        "field": "org_id", "message": "organization is not suspended: it is active",
    }


@pytest.mark.parametrize("decide", [suspend, reinstate])
def test_status_change_of_an_unknown_organization_is_refused(decide: Callable[..., domain.Decision]) -> None:
    decision = decide(request(), existing=None)

    assert only_error(decision) == {"field": "org_id", "message": "no organization is registered with this id"}
    assert decision.events[0].data["org_id"] == str(ORG_ID)


@pytest.mark.parametrize("reason", ["", "   "])
def test_suspension_without_a_reason_is_refused(active: Organization, reason: str) -> None:
    error = only_error(suspend(request(reason), existing=active))

    assert error["field"] == "reason"
