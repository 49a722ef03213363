"""Matching's subscribers: the fair's intake (open a fair, record an interest, schedule the talks, award the
projects), and other contexts' events, each keeping matching's copy of what it announces (`projections`).

Each reads its input (the kernel's `intake`/`reads`), loads what the decision needs in a few bulk queries, lets
`domain.fairs` or `projections` decide, and keeps the outcome; the kernel runs it in one transaction with the
inbox claim and the outbox events. A stale, repeated or out-of-order event from another context leaves the copy
as it is; one that breaks its contract is dead-lettered saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from services.matching.domain.fairs import (
    MatchingRules,
    award_fair,
    express_interest,
    fair_id_for,
    interest_id_for,
    open_fair,
    schedule_fair,
)
from services.matching.projections import (
    CourseCompletion,
    EvaluationResult,
    GradeExpiry,
    GradeView,
    OrganizationView,
    ProjectStatusChange,
    ProjectView,
    apply_contract_evaluated,
    apply_course_completed,
    apply_grade_assigned,
    apply_grade_expired,
    apply_organization,
    apply_project_published,
    apply_project_status_changed,
)
from services.matching.store import MatchingStore
from shared.contracts import matching as events
from shared.contracts.catalog import PROJECT_PUBLISHED, PROJECT_STATUS_CHANGED
from shared.contracts.common import Purchaser
from shared.contracts.evaluation import CONTRACT_EVALUATED
from shared.contracts.grading import GRADE_ASSIGNED, GRADE_EXPIRED
from shared.contracts.matching import AwardsRequested, FairOpenRequested, InterestExpressed, ScheduleRequested
from shared.contracts.registration import (
    ORGANIZATION_REGISTERED,
    ORGANIZATION_REINSTATED,
    ORGANIZATION_SUSPENDED,
    ORGANIZATION_UPDATED,
)
from shared.contracts.training import COURSE_COMPLETED
from shared.subscriptions import Subscriptions
from shared.unit_of_work import Transaction

KEPT = "kept at its newest version; stale, repeated and out-of-order events change nothing"


@dataclass(frozen=True)
class Matching:
    """What matching's handlers need: its store, its rules, and the fair's purchaser tables in order."""

    store: MatchingStore
    rules: MatchingRules
    tables: tuple[Purchaser, ...]


subscriptions = Subscriptions[Matching]()


# -- the fair's intake ----------------------------------------------------------------------------------------

@subscriptions.intake(events.FAIR_OPEN_REQUESTED, FairOpenRequested, rejects=events.FAIR_REJECTED,
                      echo=("fair_ref",),
                      description="Hold a fair for a batch: the eligible organizations invited, best fit first.")
async def fair_open_requested(request: FairOpenRequested, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    existing = await store.fair(fair_id_for(request.fair_ref), tx)
    projects = await store.projects_of_batch(request.batch, tx)
    categories = {p.category for p in projects if p.status == "published"}
    profiles = await store.profiles(tx, active_in=categories) if categories else {}
    fair, outcomes = open_fair(request, existing=existing.fair if existing else None, projects=projects,
                               profiles=profiles.values(), today=tx.today, rules=matching.rules)
    if fair is not None:
        store.insert_fair(fair, tx)
    tx.emit(*outcomes)


@subscriptions.intake(events.INTEREST_EXPRESSED, InterestExpressed, rejects=events.INTEREST_REJECTED,
                      echo=("fair_id", "org_id", "project_id"),
                      description="An organization wants a project of the fair: recorded with its fit and "
                                  "breakdown, or rejected naming every rule it breaks.")
async def interest_expressed(request: InterestExpressed, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    profiles = await store.profiles(tx, org_ids=[request.org_id])
    earlier = await store.interest(interest_id_for(request.fair_id, request.org_id, request.project_id), tx)
    interest, outcomes = express_interest(
        request, record=await store.fair(request.fair_id, tx), project=await store.project(request.project_id, tx),
        profile=profiles.get(request.org_id), earlier=earlier, today=tx.today, rules=matching.rules)
    if interest is not None:
        store.insert_interest(interest, tx)
    tx.emit(*outcomes)


@subscriptions.intake(events.SCHEDULE_REQUESTED, ScheduleRequested, rejects=events.FAIR_REJECTED,
                      echo=("fair_id",), purpose="schedule-requested",
                      description="Plan the fair's one-to-one talks (decided once; asked again, the same answer).")
async def schedule_requested(request: ScheduleRequested, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    record = await store.fair(request.fair_id, tx)
    schedule, outcomes = schedule_fair(request, record=record, interests=await store.interests_of(request.fair_id, tx),
                                       tables=matching.tables)
    if schedule is not None:
        await store.save_schedule(schedule, tx)
    tx.emit(*outcomes)


@subscriptions.intake(events.AWARDS_REQUESTED, AwardsRequested, rejects=events.FAIR_REJECTED,
                      echo=("fair_id",), purpose="awards-requested",
                      description="Award the fair's projects for the greatest total fit (decided once; asked "
                                  "again, a rejection naming the contracts already awarded).")
async def awards_requested(request: AwardsRequested, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    record = await store.fair(request.fair_id, tx)
    interests = await store.interests_of(request.fair_id, tx)
    projects = await store.projects_of_batch(record.fair.batch, tx) if record else []
    decision, outcomes = award_fair(
        request, record=record, projects=projects,
        taken=await store.projects_under_contract([p.project_id for p in projects], request.fair_id, tx),
        profiles=await store.profiles(tx, org_ids={i.org_id for i in interests}), interests=interests,
        today=tx.today, rules=matching.rules)
    if decision is not None:
        await store.save_awards(decision, tx.today, tx)
    tx.emit(*outcomes)


# -- other contexts' events: matching's copies ----------------------------------------------------------------

S = TypeVar("S")


def keep(state: S | None, new: S, save: Callable[[S, Transaction], None], tx: Transaction) -> None:
    """Keep the copy a projection's rule gives, unless it is the very copy already kept (a stale or repeated event)."""
    if new is not state:
        save(new, tx)


@subscriptions.reads(PROJECT_PUBLISHED, ProjectView,
                     description=f"A catalog project matching can offer at a fair, {KEPT}.")
async def project_published(project: ProjectView, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.project(project.project_id, tx)
    keep(state, apply_project_published(state, project), matching.store.save_project, tx)


@subscriptions.reads(PROJECT_STATUS_CHANGED, ProjectStatusChange,
                     description=f"A project's status (only published ones are offered), {KEPT}.")
async def project_status_changed(change: ProjectStatusChange, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.project(change.project_id, tx)
    keep(state, apply_project_status_changed(state, change), matching.store.save_project, tx)


ORGANIZATION_CHANGED = f"An organization's full state (suspended: never eligible), {KEPT}."


@subscriptions.reads(ORGANIZATION_REGISTERED, OrganizationView, description=ORGANIZATION_CHANGED)
@subscriptions.reads(ORGANIZATION_UPDATED, OrganizationView, description=ORGANIZATION_CHANGED)
@subscriptions.reads(ORGANIZATION_SUSPENDED, OrganizationView, description=ORGANIZATION_CHANGED)
@subscriptions.reads(ORGANIZATION_REINSTATED, OrganizationView, description=ORGANIZATION_CHANGED)
async def organization_changed(organization: OrganizationView, tx: Transaction, matching: Matching) -> None:
    """Any `registration.organization.*` event: each carries the organization's full state and version."""
    state = await matching.store.organization(organization.org_id, tx)
    keep(state, apply_organization(state, organization), matching.store.save_organization, tx)


@subscriptions.reads(GRADE_ASSIGNED, GradeView,
                     description=f"An organization's grade, for the min_grade rule and the grade factor, {KEPT}.")
async def grade_assigned(grade: GradeView, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.grade(grade.org_id, tx)
    keep(state, apply_grade_assigned(state, grade), matching.store.save_grade, tx)


@subscriptions.reads(GRADE_EXPIRED, GradeExpiry, description="A grade's validity ended: from now on it counts as none.")
async def grade_expired(expiry: GradeExpiry, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.grade(expiry.org_id, tx)
    keep(state, apply_grade_expired(state, expiry), matching.store.save_grade, tx)


@subscriptions.reads(COURSE_COMPLETED, CourseCompletion,
                     description="A finance-staff completion counts toward the finance_trained factor, once each.")
async def course_completed(completion: CourseCompletion, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.training_record(completion.org_id, tx)
    keep(state, apply_course_completed(state, completion), matching.store.save_training_record, tx)


@subscriptions.reads(CONTRACT_EVALUATED, EvaluationResult,
                     description="A contract's evaluation: its score feeds past_evaluations, a fail bars for a "
                                 "while (no_recent_fail), and it ends the contract's hold on capacity.")
async def contract_evaluated(result: EvaluationResult, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.evaluation_record(result.org_id, tx)
    keep(state, apply_contract_evaluated(state, result), matching.store.save_evaluation_record, tx)


subscriptions.publishes(events.FAIR_OPENED, events.FairOpened,
                        "A fair is open: its invited organizations, best fit first, and why each is invited.")
subscriptions.publishes(events.FAIR_REJECTED, events.FairRejected,
                        "An open, schedule or awards request was refused, with every reason.")
subscriptions.publishes(events.INTEREST_RECORDED, events.InterestRecorded,
                        "An interest is recorded, with the organization's fit and its breakdown per factor.")
subscriptions.publishes(events.INTEREST_REJECTED, events.InterestRejected,
                        "An interest was refused, naming every rule it breaks.")
subscriptions.publishes(events.FAIR_SCHEDULED, events.FairScheduled,
                        "The fair's one-to-one meetings by slot and table, and those that did not fit, with why.")
subscriptions.publishes(events.CONTRACT_AWARDED, events.ContractAwarded,
                        "One project awarded to one organization (one event per contract, once).")
subscriptions.publishes(events.PROJECT_UNAWARDED, events.ProjectUnawarded,
                        "A project of the fair's batch that no organization was awarded, and why.")
