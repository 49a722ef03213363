"""Registration's read-only queries: organizations (filtered, by org_id or by credit code), an organization's people
masked exactly as the bus publishes them, and the census."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query
from pydantic import AfterValidator, BaseModel

from services.registration.domain.census import take_census
from services.registration.domain.organizations import Organization
from services.registration.domain.uscc import normalise, problems
from services.registration.settings import RegistrationSettings
from services.registration.store import RegistrationStore
from shared.api import Page, PageOf, not_found, page, paginate, read_api
from shared.contracts.common import Category
from shared.contracts.registration import OrganizationState, OrganizationStatus, PersonAdded
from shared.i18n import _

Text = Annotated[str | None, Query(min_length=1, max_length=200)]
OrgId = Annotated[uuid.UUID, Path(description="the organization's org_id")]


def _credit_code(code: str) -> str:
    canonical = normalise(code)
    wrong = problems(canonical)
    if wrong:
        raise ValueError("; ".join(wrong))
    return canonical


CreditCode = Annotated[str, Path(max_length=64, description="the unified social credit code, in any case"),
                       AfterValidator(_credit_code)]


class OrganizationView(OrganizationState):
    """An organization as registration publishes it (the contact phone masked), and why it is suspended, if it is."""

    suspension_reason: str | None = None


class CommunityCensus(BaseModel):
    street: str
    community: str
    active: int
    suspended: int


class StreetCensus(BaseModel):
    street: str
    active: int
    suspended: int
    communities: list[CommunityCensus]


class IdentityKeyView(BaseModel):
    """One key that made ID-number hashes: whether new hashes use it, whether it is still configured (a person
    hashed under a key no longer configured is not recognised if added again), and how many hashes it made.
    `key_id` null: hashes made before keys had ids, recognised while their key is configured (unknown which)."""

    key_id: str | None
    current: bool
    configured: bool | None
    people: int


class CensusView(BaseModel):
    """Organizations per street (the district's order) and community, and the communities below the minimum."""

    active: int
    suspended: int
    minimum: int
    streets: list[StreetCensus]
    below_minimum: list[CommunityCensus]


def view(organization: Organization) -> OrganizationView:
    return OrganizationView.model_validate({**organization.state(),
                                            "suspension_reason": organization.suspension_reason})


def build_api(store: RegistrationStore, settings: RegistrationSettings) -> FastAPI:
    api = read_api("registration", "The district's social organizations, their people (masked) and the census.")

    @api.get("/organizations", response_model=PageOf[OrganizationView],
             summary="Organizations, filtered and paginated")
    async def organizations(
        at: Annotated[Page, Depends(page)], street: Text = None, community: Text = None,
        status: OrganizationStatus | None = None, domain: Category | None = None,
    ) -> PageOf[OrganizationView]:
        query: dict[str, Any] = {"street": street, "community": community, "status": status, "domains": domain}
        found, total = await store.search({k: v for k, v in query.items() if v is not None}, limit=at.limit,
                                          offset=at.offset)
        return PageOf[OrganizationView](items=[view(o) for o in found], total=total, limit=at.limit,
                                        offset=at.offset)

    @api.get("/organizations/by-code/{uscc}", response_model=OrganizationView,
             summary="The organization registered under a credit code",
             responses={404: {"description": "no organization is registered under this code"}})
    async def organization_by_code(uscc: CreditCode) -> OrganizationView:
        found = await store.organization_by_code(uscc)
        if found is None:
            raise not_found(_("no organization is registered under credit code {uscc}").format(uscc=uscc))
        return view(found)

    @api.get("/organizations/{org_id}", response_model=OrganizationView, summary="One organization",
             responses={404: {"description": "no such organization"}})
    async def organization(org_id: OrgId) -> OrganizationView:
        return view(await _registered(store, org_id))

    @api.get("/organizations/{org_id}/people", response_model=PageOf[PersonAdded],
             summary="An organization's people, masked as published: never an ID number or phone in clear",
             responses={404: {"description": "no such organization"}})
    async def people(org_id: OrgId, at: Annotated[Page, Depends(page)]) -> PageOf[PersonAdded]:
        await _registered(store, org_id)
        found = [PersonAdded.model_validate(p.published()) for p in await store.people_of(org_id)]
        return paginate(found, at)

    @api.get("/identity-keys", response_model=list[IdentityKeyView],
             summary="The keys that hash ID numbers, by id (never the key), and how many people's hashes each made")
    async def identity_keys() -> list[IdentityKeyView]:
        keys = settings.id_keys
        configured = [keys.current.id, *(k.id for k in keys.previous)]
        counts = await store.hashes_by_key()
        ids = [*configured, *sorted((k for k in counts if k not in configured), key=lambda k: k or "")]
        return [IdentityKeyView(key_id=key, current=key == keys.current.id,
                                configured=None if key is None else key in configured,
                                people=counts.get(key, 0)) for key in ids]

    @api.get("/census", response_model=CensusView, summary="Organizations per street and community")
    async def census(
        minimum: Annotated[int | None, Query(ge=0, le=10_000, description=(
            "active organizations a community should have (default: CENSUS_COMMUNITY_MINIMUM)"))] = None,
    ) -> CensusView:
        counted = take_census(await store.sites(), streets=settings.district.streets, communities=settings.communities,
                              minimum=settings.census_minimum if minimum is None else minimum)
        return CensusView.model_validate(counted, from_attributes=True)

    return api


async def _registered(store: RegistrationStore, org_id: uuid.UUID) -> Organization:
    found = await store.organization(org_id)
    if found is None:
        raise not_found(_("no organization {org_id} is registered").format(org_id=org_id))
    return found
