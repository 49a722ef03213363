"""Matching's subscribers: the fair's intake (open a fair, record an interest, schedule the talks, award the
projects), complaints against awards and their decisions, the standstill job that makes awards final, and other
contexts' events, each keeping matching's copy of what it announces (`projections`).

Each reads its input (the kernel's `intake`/`reads`), loads what the decision needs in a few bulk queries, lets
`domain.fairs` or `projections` decide, and keeps the outcome; the kernel runs it in one transaction with the
inbox claim and the outbox events. A stale, repeated or out-of-order event from another context leaves the copy
as it is; one that breaks its contract is dead-lettered saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from services.matching.domain.complaints import (
    ComplaintOutcome,
    Reoffer,
    complaint_id_for,
    decide_complaint,
    file_complaint,
)
from services.matching.domain.fairs import (
    FairRecord,
    MatchingRules,
    award_fair,
    express_interest,
    fair_id_for,
    interest_id_for,
    open_fair,
    schedule_fair,
)
from services.matching.domain.sides import (
    Said,
    decline_meeting,
    lock_meeting,
    record_availability,
    request_meeting,
)
from services.matching.domain.standstill import Award, cancellation, contract, event_id, standstill_over
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
    known_project,
)
from services.matching.store import MatchingStore
from shared.calendar import DistrictCalendar
from shared.contracts import matching as events
from shared.contracts.catalog import PROJECT_PUBLISHED, PROJECT_STATUS_CHANGED
from shared.contracts.common import Purchaser
from shared.contracts.evaluation import CONTRACT_EVALUATED
from shared.contracts.grading import GRADE_ASSIGNED, GRADE_EXPIRED
from shared.contracts.matching import (
    AvailabilityGiven,
    AwardsRequested,
    ComplaintDecision,
    ComplaintFiled,
    FairOpenRequested,
    InterestExpressed,
    MeetingDecline,
    MeetingLock,
    MeetingRequest,
    ScheduleRequested,
)
from shared.contracts.registration import (
    ORGANIZATION_REGISTERED,
    ORGANIZATION_REINSTATED,
    ORGANIZATION_SUSPENDED,
    ORGANIZATION_UPDATED,
)
from shared.contracts.training import COURSE_COMPLETED
from shared.documents import ByField, Collection
from shared.jobs import STEPS_PER_TRANSACTION, JobRun
from shared.outcome import Emit
from shared.subscriptions import LooksUp, Subscriptions, by_id
from shared.unit_of_work import Transaction

log = logging.getLogger(__name__)

SideSays = AvailabilityGiven | MeetingDecline | MeetingRequest
# A rule on what one side of the fair says: (request, record=, sides=, purchasers=) -> the say to keep (if
# accepted) and the outcomes to announce (`services.matching.domain.sides`).
SideDecision = Callable[..., tuple[Said | None, list[Emit]]]


KEPT = "kept at its newest version; stale, repeated and out-of-order events change nothing"


@dataclass(frozen=True)
class Matching:
    """What matching's handlers need: its store, its rules, the fair's purchaser tables in order, the district's
    calendar (an award's standstill counts its working days) and how often the standstill job looks."""

    store: MatchingStore
    rules: MatchingRules
    tables: tuple[Purchaser, ...]
    calendar: DistrictCalendar = field(default_factory=DistrictCalendar)
    standstill_check_seconds: float = 60.0


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


def interest_reads(data: Mapping[str, Any], matching: Matching) -> list[tuple[Collection, Any]]:
    """What an interest looks up: by id, the organization's copies, the project, the interest it would be (not the
    fair, whose entry is read once a batch: `MatchingStore.fair_entry`); by field, the organization's awards and
    the project's (`MatchingStore.profile`, `award_holding`)."""
    store = matching.store
    org_id, project_id, fair_id = data["org_id"], data["project_id"], data["fair_id"]
    return [(store.organizations, org_id), (store.grades, org_id), (store.training, org_id),
            (store.evaluations, org_id), (store.projects, project_id),
            (store.interests, interest_id_for(str(fair_id), str(org_id), str(project_id))),
            (store.awards, ByField("org_id", org_id)), (store.awards, ByField("project_id", project_id))]


@subscriptions.intake(events.INTEREST_EXPRESSED, InterestExpressed, rejects=events.INTEREST_REJECTED,
                      echo=("fair_id", "org_id", "project_id"), looks_up=interest_reads,
                      description="An organization wants a project of the fair: recorded with its fit and "
                                  "breakdown, or rejected naming every rule it breaks.")
async def interest_expressed(request: InterestExpressed, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    profile = await store.profile(request.org_id, tx)
    earlier = await store.interest(interest_id_for(request.fair_id, request.org_id, request.project_id), tx)
    held = await store.award_holding(request.project_id, tx)
    interest, outcomes = express_interest(
        request, fair=await store.fair_entry(request.fair_id, tx), project=await store.project(request.project_id, tx),
        profile=profile, earlier=earlier, today=tx.today, rules=matching.rules,
        held_by=held.award_id if held is not None and held.terms.fair_id != request.fair_id else None)
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
                                       tables=matching.tables, sides=await store.fair_sides(request.fair_id, tx),
                                       timezone=matching.calendar.timezone)
    if schedule is not None and record is not None and record.schedule is not None:
        await store.replace_schedule(schedule, tx)
    elif schedule is not None:
        await store.save_schedule(schedule, tx)
    tx.emit(*outcomes)


# -- the purchasers' side of the table ----------------------------------------------------------------------

async def _purchasers(record: FairRecord | None, matching: Matching, tx: Transaction) -> frozenset[Purchaser]:
    """The purchasers with a table at the fair: the district's own, and any that buys a project of its batch."""
    projects = await matching.store.projects_of_batch(record.fair.batch, tx) if record else []
    return frozenset(matching.tables) | {p.purchaser for p in projects}


async def _side_says(decide: SideDecision, request: SideSays, tx: Transaction, matching: Matching) -> None:
    """What one side of the fair says (availability, a decline, a request), judged against the fair as it stands
    and kept when it is accepted."""
    record = await matching.store.fair(request.fair_id, tx)
    kept, outcomes = decide(request, record=record, sides=await matching.store.fair_sides(request.fair_id, tx),
                            purchasers=await _purchasers(record, matching, tx))
    if kept is not None:
        matching.store.save_said(kept, tx)
    tx.emit(*outcomes)


@subscriptions.intake(events.AVAILABILITY_GIVEN, AvailabilityGiven, rejects=events.FAIR_REJECTED,
                      echo=("fair_id",),
                      description="The slots a purchaser's table is away (replacing what it said before); no "
                                  "meeting is ever scheduled there.")
async def availability_given(request: AvailabilityGiven, tx: Transaction, matching: Matching) -> None:
    await _side_says(record_availability, request, tx, matching)


@subscriptions.intake(events.MEETING_DECLINE, MeetingDecline, rejects=events.FAIR_REJECTED,
                      echo=("fair_id", "org_id"),
                      description="A purchaser's \"no thanks\": that organization is never scheduled at its table.")
async def meeting_declined(request: MeetingDecline, tx: Transaction, matching: Matching) -> None:
    await _side_says(decline_meeting, request, tx, matching)


@subscriptions.intake(events.MEETING_REQUEST, MeetingRequest, rejects=events.FAIR_REJECTED,
                      echo=("fair_id", "org_id"),
                      description="Either side asks for a meeting, must or want; must-meetings are scheduled first "
                                  "whenever that is feasible.")
async def meeting_requested(request: MeetingRequest, tx: Transaction, matching: Matching) -> None:
    await _side_says(request_meeting, request, tx, matching)


@subscriptions.intake(events.MEETING_LOCK, MeetingLock, rejects=events.FAIR_REJECTED,
                      echo=("fair_id", "org_id"),
                      description="The organiser pins an announced meeting: no reschedule moves or cancels it.")
async def meeting_locked(request: MeetingLock, tx: Transaction, matching: Matching) -> None:
    kept, outcomes = lock_meeting(request, record=await matching.store.fair(request.fair_id, tx),
                                  timezone=matching.calendar.timezone)
    if kept is not None:
        matching.store.save_said(kept, tx)
    tx.emit(*outcomes)


@subscriptions.intake(events.AWARDS_REQUESTED, AwardsRequested, rejects=events.FAIR_REJECTED,
                      echo=("fair_id",), purpose="awards-requested",
                      description="Propose awards for the fair's open projects for the greatest total value (decided "
                                  "once; asked again, a rejection naming the awards already proposed).")
async def awards_requested(request: AwardsRequested, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    record = await store.fair(request.fair_id, tx)
    interests = await store.interests_of(request.fair_id, tx)
    projects = await store.projects_of_batch(record.fair.batch, tx) if record else []
    decision, outcomes = award_fair(
        request, record=record, projects=projects,
        taken=await store.projects_taken([p.project_id for p in projects], request.fair_id, tx),
        profiles=await store.profiles(tx, org_ids={i.org_id for i in interests}), interests=interests,
        today=tx.today, calendar=matching.calendar, rules=matching.rules)
    if decision is not None:
        await store.save_awards(decision, tx.today, tx)
    tx.emit(*outcomes)


# -- complaints and the standstill ----------------------------------------------------------------------------

@subscriptions.intake(events.COMPLAINT_FILED, ComplaintFiled, rejects=events.COMPLAINT_REJECTED,
                      echo=("award_id", "org_id"),
                      description="An interested organization challenges an award within its standstill: "
                                  "registered and the standstill suspended, or refused naming every rule.")
async def complaint_filed(request: ComplaintFiled, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    award = await store.award(request.award_id, tx)
    interested = award is not None and await store.interest(
        interest_id_for(award.terms.fair_id, request.org_id, award.terms.project_id), tx) is not None
    complaint, suspended, outcomes = file_complaint(
        request, award=award, interested=interested,
        earlier=await store.complaint(complaint_id_for(request.award_id, request.org_id), tx), today=tx.today,
        calendar=matching.calendar)
    if complaint is not None and suspended is not None:
        store.insert_complaint(complaint, tx)
        await store.save_award(suspended, tx)
    tx.emit(*outcomes)


@subscriptions.intake(events.COMPLAINT_DECISION, ComplaintDecision, rejects=events.COMPLAINT_REJECTED,
                      echo=("complaint_id",),
                      description="The decision on a complaint: dismissed, the award proceeds; upheld, it is "
                                  "cancelled and its project awarded again with every other award held.")
async def complaint_decided(request: ComplaintDecision, tx: Transaction, matching: Matching) -> None:
    store = matching.store
    complaint = await store.complaint(request.complaint_id, tx)
    award = await store.award(complaint.award_id, tx) if complaint is not None else None
    others = await store.complaints_of([award.award_id], tx) if award is not None else []
    reoffer = await _reoffer(store, award, tx) if award is not None and request.upheld else Reoffer(None, {}, ())
    outcome = decide_complaint(request, complaint=complaint, award=award, others=others, reoffer=reoffer,
                               today=tx.today, calendar=matching.calendar, rules=matching.rules)
    await _keep(outcome, store, tx)


async def _reoffer(store: MatchingStore, award: Award, tx: Transaction) -> Reoffer:
    """The project, the fair's interests in it and the interested organizations, for awarding it again."""
    fair_id, project_id = award.terms.fair_id, award.terms.project_id
    interests = [i for i in await store.interests_of(fair_id, tx) if i.project_id == project_id]
    earlier = await store.awards_of_project(fair_id, project_id, tx)
    return Reoffer(project=known_project(await store.project(project_id, tx)),
                   profiles=await store.profiles(tx, org_ids={i.org_id for i in interests}), interests=interests,
                   cancelled_orgs=frozenset(a.terms.org_id for a in earlier if a.status == "cancelled"))


async def _keep(outcome: ComplaintOutcome, store: MatchingStore, tx: Transaction) -> None:
    for complaint in (outcome.complaint, *outcome.closed):
        if complaint is not None:
            store.save_complaint(complaint, tx)
    if outcome.award is not None:
        await store.save_award(outcome.award, tx)
    if outcome.new_award is not None:
        store.insert_award(outcome.new_award, tx)
    tx.emit(*outcome.emits)
    if outcome.contract is not None:
        tx.emit(Emit(events.CONTRACT_AWARDED, outcome.contract.model_dump(mode="json")),
                event_id=event_id(outcome.contract.award_id, "contract"))


@subscriptions.job("standstill", every=lambda matching: matching.standstill_check_seconds)
async def standstill(run: JobRun, matching: Matching) -> None:
    """Make each award whose standstill has run out with no complaint open final, and announce its contract once
    (`matching.contract.awarded`), or cancel it if its project was withdrawn meanwhile."""
    ended = 0
    while due := await matching.store.awards_due(run.today):
        # The same groups `steps` commits together: the first award of each reads the group's (`_end_standstill`).
        together = STEPS_PER_TRANSACTION
        groups = [due[start:start + together] for start in range(0, len(due), together)]
        done = await run.steps([partial(_end_standstill, award_id, group, matching)
                                for group in groups for award_id in group], together=together)
        ended += done
        if not done:
            break
    if ended:
        log.info("%d award(s) ended their standstill on %s", ended, run.today)


async def _end_standstill(award_id: str, group: list[str], matching: Matching, tx: Transaction) -> int:
    # Read again inside the transaction: a complaint, or another replica, may have come first. The first award of
    # a transaction's group reads the group's awards and their projects, two reads for all (`JobRun.steps` runs
    # the group in one transaction; alone, after a fault, the others read their own).
    if award_id == group[0]:
        await matching.store.look_up_awards(group, tx)
    award = await matching.store.award(award_id, tx)
    project = await matching.store.project(award.terms.project_id, tx) if award is not None else None
    after = standstill_over(award, project, tx.today) if award is not None else None
    if after is None:
        return 0
    await matching.store.save_award(after, tx)
    if after.status == "final":
        tx.emit(Emit(events.CONTRACT_AWARDED, contract(after).model_dump(mode="json")),
                event_id=event_id(award_id, "contract"))
    else:
        tx.emit(Emit(events.AWARD_CANCELLED, cancellation(after).model_dump(mode="json")),
                event_id=event_id(award_id, "cancelled"))
    return 1


# -- other contexts' events: matching's copies ----------------------------------------------------------------

S = TypeVar("S")


def keep(state: S | None, new: S, save: Callable[[S, Transaction], None], tx: Transaction) -> None:
    """Keep the copy a projection's rule gives, unless it is the very copy already kept (a stale or repeated event)."""
    if new is not state:
        save(new, tx)


@subscriptions.reads(PROJECT_PUBLISHED, ProjectView, looks_up=by_id(lambda m: m.store.projects, "project_id"),
                     description=f"A catalog project matching can offer at a fair, {KEPT}.")
async def project_published(project: ProjectView, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.project(project.project_id, tx)
    keep(state, apply_project_published(state, project), matching.store.save_project, tx)


@subscriptions.reads(PROJECT_STATUS_CHANGED, ProjectStatusChange,
                     looks_up=by_id(lambda m: m.store.projects, "project_id"),
                     description=f"A project's status (only published ones are offered), {KEPT}.")
async def project_status_changed(change: ProjectStatusChange, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.project(change.project_id, tx)
    keep(state, apply_project_status_changed(state, change), matching.store.save_project, tx)


CHANGED = f"An organization's full state (suspended: never eligible), {KEPT}."
ORGANIZATION: LooksUp[Matching] = by_id(lambda m: m.store.organizations, "org_id")


@subscriptions.reads(ORGANIZATION_REGISTERED, OrganizationView, description=CHANGED, looks_up=ORGANIZATION)
@subscriptions.reads(ORGANIZATION_UPDATED, OrganizationView, description=CHANGED, looks_up=ORGANIZATION)
@subscriptions.reads(ORGANIZATION_SUSPENDED, OrganizationView, description=CHANGED, looks_up=ORGANIZATION)
@subscriptions.reads(ORGANIZATION_REINSTATED, OrganizationView, description=CHANGED, looks_up=ORGANIZATION)
async def organization_changed(organization: OrganizationView, tx: Transaction, matching: Matching) -> None:
    """Any `registration.organization.*` event: each carries the organization's full state and version."""
    state = await matching.store.organization(organization.org_id, tx)
    keep(state, apply_organization(state, organization), matching.store.save_organization, tx)


@subscriptions.reads(GRADE_ASSIGNED, GradeView, looks_up=by_id(lambda m: m.store.grades, "org_id"),
                     description=f"An organization's grade, for the min_grade rule and the grade factor, {KEPT}.")
async def grade_assigned(grade: GradeView, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.grade(grade.org_id, tx)
    keep(state, apply_grade_assigned(state, grade), matching.store.save_grade, tx)


@subscriptions.reads(GRADE_EXPIRED, GradeExpiry, looks_up=by_id(lambda m: m.store.grades, "org_id"),
                     description="A grade's validity ended: from now on it counts as none.")
async def grade_expired(expiry: GradeExpiry, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.grade(expiry.org_id, tx)
    keep(state, apply_grade_expired(state, expiry), matching.store.save_grade, tx)


@subscriptions.reads(COURSE_COMPLETED, CourseCompletion, looks_up=by_id(lambda m: m.store.training, "org_id"),
                     description="A finance-staff completion counts toward the finance_trained factor, once each.")
async def course_completed(completion: CourseCompletion, tx: Transaction, matching: Matching) -> None:
    state = await matching.store.training_record(completion.org_id, tx)
    keep(state, apply_course_completed(state, completion), matching.store.save_training_record, tx)


@subscriptions.reads(CONTRACT_EVALUATED, EvaluationResult,
                     looks_up=by_id(lambda m: m.store.evaluations, "org_id"),
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
subscriptions.publishes(events.FAIR_RESCHEDULED, events.FairRescheduled,
                        "A reschedule: only the meetings added, moved and cancelled since the last schedule, with why.")
subscriptions.publishes(events.AVAILABILITY_RECORDED, events.AvailabilityRecorded,
                        "The slots a purchaser's table is away, as kept.")
subscriptions.publishes(events.MEETING_DECLINED, events.MeetingDeclined,
                        "A meeting a purchaser declined: never scheduled.")
subscriptions.publishes(events.MEETING_REQUESTED, events.MeetingRequested,
                        "A meeting asked for, must or want, as kept.")
subscriptions.publishes(events.MEETING_LOCKED, events.MeetingLocked,
                        "An announced meeting pinned where it is.")
subscriptions.publishes(events.AWARD_PROPOSED, events.AwardProposed,
                        "An award proposed, with both parts of its value and the last day it may be challenged.")
subscriptions.publishes(events.CONTRACT_AWARDED, events.ContractAwarded,
                        "An award final after its standstill: the contract (one event per contract, once).")
subscriptions.publishes(events.AWARD_CANCELLED, events.AwardCancelled,
                        "An award that will not become a contract (a complaint upheld, or the project withdrawn).")
subscriptions.publishes(events.PROJECT_UNAWARDED, events.ProjectUnawarded,
                        "A project of the fair's batch left without an award, and why; it stays on offer.")
subscriptions.publishes(events.COMPLAINT_REGISTERED, events.ComplaintRegistered,
                        "A complaint against an award is heard; the award's standstill is suspended.")
subscriptions.publishes(events.COMPLAINT_REJECTED, events.ComplaintRejected,
                        "A complaint, or a decision on one, was refused, naming every rule.")
subscriptions.publishes(events.COMPLAINT_DECIDED, events.ComplaintDecided,
                        "A complaint decided: dismissed (the award proceeds) or upheld (the award is cancelled).")
