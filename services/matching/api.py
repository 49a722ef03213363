"""Matching's read-only queries: fairs by batch, one fair with its invitations, its interests, its schedule and
its awards; awards by state (proposed, challenged, final, cancelled) with their standstill and complaints; and
what matching knows of one organization.

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
from services.matching.domain.complaints import Complaint
from services.matching.domain.fairs import FairRecord, MatchingRules
from services.matching.domain.standstill import Award
from services.matching.projections import EvaluationResult, GradeView, OrganizationView
from services.matching.store import MatchingStore
from shared.api import Page, PageOf, not_found, page, read_api
from shared.contracts.common import GradeCode
from shared.contracts.matching import AwardProposed, AwardStatus, FairDay, FairOpened, FairScheduled, InterestRecorded
from shared.i18n import _

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


class AwardView(AwardProposed):
    """An award as it stands: what was announced, its state, the standstill's end now (it moves when a complaint
    suspends it and a dismissal resumes it), and every complaint against it."""

    status: AwardStatus
    announced_standstill_ends: dt.date
    days_left: int | None = None
    final_on: dt.date | None = None
    cancelled_on: dt.date | None = None
    reason: str | None = None
    complaints: list[Complaint]


class AwardsPage(PageOf[AwardView]):
    """One page of awards, with the names of the organizations they mention."""

    names: Names


class AwardsView(FairAwards):
    """The fair's award decision as announced (the awards proposed, the projects left without one), the day it was
    made, and every award of the fair as it stands now, re-awards included."""

    decided_on: dt.date | None
    current: list[AwardView]
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


async def award_views(store: MatchingStore, awards: list[Award]) -> list[AwardView]:
    """Each award as it stands, with the complaints against it."""
    complaints: dict[str, list[Complaint]] = {}
    for complaint in await store.complaints_of([a.award_id for a in awards]):
        complaints.setdefault(complaint.award_id, []).append(complaint)
    return [AwardView(**a.terms.model_dump(exclude={"standstill_ends"}), standstill_ends=a.standstill_ends,
                      announced_standstill_ends=a.terms.standstill_ends, status=a.status, days_left=a.days_left,
                      final_on=a.final_on, cancelled_on=a.cancelled_on, reason=a.reason,
                      complaints=complaints.get(a.award_id, [])) for a in awards]


def mentioned(views: list[AwardView]) -> set[str]:
    """Every organization an award mentions: the one it went to, and each that challenged it."""
    return {v.org_id for v in views} | {c.org_id for v in views for c in v.complaints}


def build_api(store: MatchingStore, rules: MatchingRules, today: Callable[[], dt.date]) -> FastAPI:
    api = read_api("matching", "The district's fairs (项目对接会): who is invited, who wants what, who meets whom "
                               "at which table and slot, who got which project; and what matching knows of an "
                               "organization.")

    async def kept(fair_id: str) -> FairRecord:
        record = await store.fair(fair_id)
        if record is None:
            raise not_found(_("no fair {fair_id} has been opened").format(fair_id=fair_id))
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
        found, _ = await store.search_awards({"fair_id": fair_id}, limit=0, offset=0)
        current = await award_views(store, found)
        return AwardsView(**record.awards.model_dump(), decided_on=record.awards_decided_on, current=current,
                          names=await store.names(mentioned(current)))

    @api.get("/awards", response_model=AwardsPage, summary="Awards by state, fair, batch, project or organization")
    async def award_list(
        at: Annotated[Page, Depends(page)], status: AwardStatus | None = None, fair_id: Ref = None,
        batch: Ref = None, project_id: Ref = None, org_id: Ref = None,
    ) -> AwardsPage:
        query: dict[str, Any] = {k: v for k, v in {"status": status, "fair_id": fair_id, "project_id": project_id,
                                                   "org_id": org_id}.items() if v is not None}
        if batch is not None:
            fair_ids = await store.fair_ids_of_batch(batch)
            query["fair_id"] = {"$in": [f for f in fair_ids if fair_id in (None, f)]}
        found, total = await store.search_awards(query, limit=at.limit, offset=at.offset)
        views = await award_views(store, found)
        return AwardsPage(items=views, total=total, limit=at.limit, offset=at.offset,
                          names=await store.names(mentioned(views)))

    @api.get("/awards/{award_id}", response_model=AwardView, summary="One award as it stands, with its complaints",
             responses={404: {"description": "no such award"}})
    async def award(award_id: Id) -> AwardView:
        found = await store.award(award_id)
        if found is None:
            raise not_found(_("no award {award_id}").format(award_id=award_id))
        [view] = await award_views(store, [found])
        return view

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
