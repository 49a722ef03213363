"""Matching's read-only queries: fairs by batch, one fair with its invitations, its interests, its schedule and
its awards, and what matching knows of one organization.

Every answer about a fair is what the bus announced, plus `names`: the name of every organization it mentions,
as matching knows it. Matching keeps no personal data (its copy of an organization has no people in it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query
from pydantic import BaseModel

from services.matching.domain.awards import FairAwards, capacity_left
from services.matching.domain.fairs import FairRecord, MatchingRules
from services.matching.projections import EvaluationResult, GradeView, OrganizationView
from services.matching.store import MatchingStore
from shared.api import Page, PageOf, not_found, page, read_api
from shared.contracts.common import GradeCode
from shared.contracts.matching import FairDay, FairOpened, FairScheduled, InterestRecorded

Id = Annotated[str, Path(min_length=1, max_length=200)]
Ref = Annotated[str | None, Query(min_length=1, max_length=100)]
Names = dict[str, str]


class FairSummary(FairDay):
    """A fair in a list: when and for which batch, how many are invited, and how far it has gone."""

    invited: int
    scheduled: bool
    awards_decided_on: dt.date | None


class FairView(FairOpened):
    """A fair as announced (its invitations best fit first, each with its fit and best project), and how far it
    has gone."""

    scheduled: bool
    awards_decided_on: dt.date | None
    names: Names


class InterestsPage(PageOf[InterestRecorded]):
    """One page of a fair's interests as announced, with their fit and breakdown."""

    names: Names


class ScheduleView(FairScheduled):
    """The fair's meetings by slot and table, and those that did not fit, as announced."""

    names: Names


class AwardsView(FairAwards):
    """The fair's contracts and the projects left without one, as announced, and the day they were decided."""

    decided_on: dt.date | None
    names: Names


class ProfileView(BaseModel):
    """What matching knows of one organization on `on`: what eligibility and fit read."""

    on: dt.date
    organization: OrganizationView
    grade: GradeView | None
    grade_held: GradeCode | None
    evaluations: list[EvaluationResult]
    finance_completions: int
    active_contracts: int
    capacity: int
    capacity_left: int


def summary(record: FairRecord) -> FairSummary:
    return FairSummary(**record.fair.model_dump(exclude={"invited", "invitations"}), invited=len(record.fair.invited),
                       scheduled=record.schedule is not None, awards_decided_on=record.awards_decided_on)


def build_api(store: MatchingStore, rules: MatchingRules, today: Callable[[], dt.date]) -> FastAPI:
    api = read_api("matching", "The district's fairs (项目对接会): who is invited, who wants what, who meets whom "
                               "at which table and slot, who got which project; and what matching knows of an "
                               "organization.")

    async def kept(fair_id: str) -> FairRecord:
        record = await store.fair(fair_id)
        if record is None:
            raise not_found(f"no fair {fair_id} has been opened")
        return record

    @api.get("/fairs", response_model=PageOf[FairSummary], summary="Fairs, by batch or fair_ref, paginated")
    async def fairs(at: Annotated[Page, Depends(page)], batch: Ref = None, fair_ref: Ref = None) -> PageOf[FairSummary]:
        query: dict[str, Any] = {k: v for k, v in {"batch": batch, "fair_ref": fair_ref}.items() if v is not None}
        found, total = await store.search_fairs(query, limit=at.limit, offset=at.offset)
        return PageOf[FairSummary](items=[summary(r) for r in found], total=total, limit=at.limit, offset=at.offset)

    @api.get("/fairs/{fair_id}", response_model=FairView, summary="One fair and its invitations",
             responses={404: {"description": "no such fair"}})
    async def fair(fair_id: Id) -> FairView:
        record = await kept(fair_id)
        return FairView(**record.fair.model_dump(), scheduled=record.schedule is not None,
                        awards_decided_on=record.awards_decided_on, names=await store.names(record.fair.invited))

    @api.get("/fairs/{fair_id}/interests", response_model=InterestsPage, summary="A fair's interests, paginated",
             responses={404: {"description": "no such fair"}})
    async def interests(fair_id: Id, at: Annotated[Page, Depends(page)]) -> InterestsPage:
        await kept(fair_id)
        found = await store.interests_of(fair_id, limit=at.limit, offset=at.offset)
        return InterestsPage(items=found, total=await store.count_interests(fair_id), limit=at.limit,
                             offset=at.offset, names=await store.names(i.org_id for i in found))

    @api.get("/fairs/{fair_id}/schedule", response_model=ScheduleView, summary="A fair's one-to-one meetings",
             responses={404: {"description": "no such fair, or not scheduled yet"}})
    async def schedule(fair_id: Id) -> ScheduleView:
        record = await kept(fair_id)
        if record.schedule is None:
            raise not_found(f"fair {fair_id} has not been scheduled yet")
        listed = [m.org_id for m in record.schedule.meetings] + [u.org_id for u in record.schedule.unscheduled]
        return ScheduleView(**record.schedule.model_dump(), names=await store.names(listed))

    @api.get("/fairs/{fair_id}/awards", response_model=AwardsView, summary="A fair's awards",
             responses={404: {"description": "no such fair, or its awards not decided yet"}})
    async def awards(fair_id: Id) -> AwardsView:
        record = await kept(fair_id)
        if record.awards is None:
            raise not_found(f"the awards of fair {fair_id} have not been decided yet")
        return AwardsView(**record.awards.model_dump(), decided_on=record.awards_decided_on,
                          names=await store.names(a.org_id for a in record.awards.awards))

    @api.get("/organizations/{org_id}/profile", response_model=ProfileView,
             summary="What matching knows of one organization", responses={404: {"description": "unknown"}})
    async def profile(org_id: Id) -> ProfileView:
        found = (await store.profiles(org_ids=[org_id])).get(org_id)
        if found is None:
            raise not_found(f"matching knows no organization {org_id}")
        on = today()
        return ProfileView(
            on=on, organization=found.organization, grade=found.grade,
            grade_held=found.grade.held_on(on) if found.grade is not None else None,
            evaluations=list(found.evaluations), finance_completions=found.finance_completions,
            active_contracts=found.active_contracts,
            capacity=rules.fit.capacity.contracts_for(found.organization.full_time_staff),
            capacity_left=capacity_left(found, rules.fit))

    return api
