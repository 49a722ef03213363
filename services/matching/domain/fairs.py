"""Matching's decisions for the fair (项目对接会): open it, record interests, schedule its talks, award its projects.

Pure: values in, `(state to keep, [Emit])` out; a refused request gives `(None, [one *.rejected Emit])`, and an
answer that keeps nothing new gives `(None, [Emit])`. Ids are derived from what names the thing (uuid5:
`fair_id_for`, `interest_id_for`, `awards.contract_id_for`), and `today` is passed in (the district's receipt
date of the request). The fair as matching keeps it, with its schedule and awards once decided, is a
`FairRecord`. Entry points, for the handlers:
- `open_fair(request, existing=<fair stored under fair_id_for(fair_ref)>|None, projects=<the batch's projects>,
  profiles, today, rules)` -> (FairOpened, [matching.fair.opened]): invites, at most `rules.invite_limit`,
  organizations eligible for a published project of the batch with capacity left: every project covered where the
  seats allow, categories and streets given their shares, the rest best fit first (`invitations`).
  Refused: a fair_ref already used, a batch without published projects, a batch nobody is eligible for.
- `express_interest(request, fair=<the fair's FairEntry>, project, profile, earlier=<interest stored under
  interest_id_for(...)>|None, today, rules)` -> (InterestRecorded, [matching.interest.recorded]) with fit and breakdown.
  Refused, every reason at once: unknown fair/project/organization; the fair's awards already decided; a project
  of another batch or no longer published; an organization not invited (rule `invited`: the fair is a closed
  event for its invitees, as in 2014; `rules.interest_needs_invitation=False` opens it to every eligible
  organization); the same interest again; a project an award of another fair holds (rule `open`: `held_by`, it
  is under standstill or final); and every eligibility refusal (`eligibility`).
- `schedule_fair(request, record, interests=<the fair's>, tables=schedule.district_tables(streets, departments),
  sides=<what both sides said>, timezone)` -> (FairScheduled, [matching.fair.scheduled]); see `schedule`. Asked
  again: rescheduled around the locked (and announced) meetings, and only the change announced
  (matching.fair.rescheduled). Refused: an unknown fair, a fair whose awards are decided, a fair without
  interests or requests (ask again once there are some).
- `award_fair(request, record, projects=<the batch's projects>, taken=<those an award of another fair holds>,
  profiles, interests=<the fair's>, today, calendar, rules)` -> (FairAwards, [matching.award.proposed per award,
  matching.project.unawarded per other project]); see `awards`, and `standstill` for what follows. A project an
  award of another fair of the batch holds (proposed, challenged or final) is `taken`: neither offered nor listed
  as unawarded; one whose award was cancelled with nobody left is open again. Decided once (rule `awards_once`):
  asked again, one `matching.fair.rejected` naming the awards already proposed, never the awards again: each was
  announced once through the outbox and starts work in other contexts. Refused: an unknown fair, and a fair with
  no open project left to award (rule `open_projects`; nothing is kept, so it may be asked again later).
Other contexts' entities as matching keeps them, and `OrganizationProfile` (everything known about one
organization), are in `projections`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.matching.domain.awards import AwardRules, FairAwards, decide_awards, open_projects
from services.matching.domain.eligibility import EligibilityRules, refusals
from services.matching.domain.fit import FitRules, fit
from services.matching.domain.invitations import InvitationRules, Seats, candidates, choose_invitees
from services.matching.domain.schedule import Plan, changes, plan_schedule
from services.matching.domain.sides import FairSides
from services.matching.domain.standstill import standstill_end
from services.matching.projections import OrganizationProfile, ProjectState, ProjectView, known_project
from shared.calendar import DistrictCalendar
from shared.contracts.common import Purchaser
from shared.contracts.matching import (
    AWARD_PROPOSED,
    FAIR_OPENED,
    FAIR_REJECTED,
    FAIR_RESCHEDULED,
    FAIR_SCHEDULED,
    INTEREST_RECORDED,
    INTEREST_REJECTED,
    PROJECT_UNAWARDED,
    AwardsRequested,
    FairOpened,
    FairOpenRequested,
    FairRescheduled,
    FairScheduled,
    InterestExpressed,
    InterestRecorded,
    ScheduleRequested,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit, rejected

FAIR_NAMESPACE = uuid.UUID("0d6c3f57-2b8e-4a61-b1f4-7e9a5c2d8f36")
INTEREST_NAMESPACE = uuid.UUID("9a4e1c7b-6d35-4f82-a0b9-3c5e8f1d2a64")
Fair = FairOpened  # the fair as matching keeps it is what it announced


@dataclass(frozen=True)
class FairRecord:
    """A fair as matching keeps it: what it announced, and its schedule and awards once decided."""

    fair: Fair
    schedule: FairScheduled | None = None
    awards: FairAwards | None = None
    awards_decided_on: date | None = None


@dataclass(frozen=True)
class FairEntry:
    """What an interest is checked against: the fair's identity, batch and invitees, and whether its awards are
    decided. Not the invitations' reasons, the uncovered projects, the schedule or the awards, which grow with
    the batch: a fair of 2,400 projects is read for every batch of interests."""

    fair_id: str
    fair_ref: str
    batch: str
    invited: frozenset[str]
    awards_decided: bool

    @classmethod
    def of(cls, record: FairRecord) -> FairEntry:
        fair = record.fair
        return cls(fair.fair_id, fair.fair_ref, fair.batch, frozenset(fair.invited), record.awards is not None)


class MatchingRules(BaseModel):
    """Every configurable matching rule, read once at start-up (nest it in the service's settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eligibility: EligibilityRules = EligibilityRules()
    fit: FitRules = FitRules()
    award: AwardRules = AwardRules()
    invitation: InvitationRules = InvitationRules()
    invite_limit: int = Field(default=55, ge=1, le=100_000, description="organizations invited to a fair")
    # The fair is a closed event for its invitees (55 in 2014); set False to let any eligible organization bid.
    interest_needs_invitation: bool = True


def fair_id_for(fair_ref: str) -> str:
    return str(uuid.uuid5(FAIR_NAMESPACE, fair_ref))


def interest_id_for(fair_id: str, org_id: str, project_id: str) -> str:
    return str(uuid.uuid5(INTEREST_NAMESPACE, f"{fair_id}:{org_id}:{project_id}"))


def invitations(
    projects: Sequence[ProjectView], profiles: Iterable[OrganizationProfile], today: date, rules: MatchingRules,
) -> Seats:
    """The fair's invitees within the limit: every project covered where it can be, categories and streets given
    their minimum shares, the rest best fit first (`invitations` module); organizations at capacity take no seat."""
    found, full = candidates(projects, profiles, today, rules.eligibility, rules.fit)
    return choose_invitees(projects, found, full, rules.invite_limit, rules.invitation)


def open_fair(
    request: FairOpenRequested, *, existing: Fair | None, projects: Iterable[ProjectView],
    profiles: Iterable[OrganizationProfile], today: date, rules: MatchingRules,
) -> tuple[Fair | None, list[Emit]]:
    """Open a fair for the batch's published projects and invite the organizations that fit them best."""
    if existing is not None:
        return _fair_refused(request.fair_ref, "fair_ref", f"is already used by fair {existing.fair_id}")
    published = sorted(
        (p for p in projects if p.batch == request.batch and p.status == "published"), key=lambda p: p.project_id
    )
    if not published:
        return _fair_refused(request.fair_ref, "batch", f"batch {request.batch} has no published project")
    seats = invitations(published, profiles, today, rules)
    invited = seats.invitations
    if not invited:
        return _fair_refused(request.fair_ref, "batch", (
            f"no organization with capacity left is eligible for any of the {len(published)} published projects of "
            f"batch {request.batch}"))
    fair = FairOpened(
        fair_id=fair_id_for(request.fair_ref), **request.model_dump(), invited=[i.org_id for i in invited],
        invitations=invited, uncovered=seats.uncovered,
    )
    return fair, [Emit(FAIR_OPENED, fair.model_dump(mode="json"))]


def _fair_refused(
    fair_ref: str | None, field: str, message: str, fair_id: str | None = None,
) -> tuple[None, list[Emit]]:
    errors = [FieldError(field=field, message=message)]
    return None, [rejected(FAIR_REJECTED, errors, fair_id=fair_id, fair_ref=fair_ref)]


def _unknown(request: InterestExpressed, fair: FairEntry | None, project: ProjectView | None,
             profile: OrganizationProfile | None) -> list[FieldError]:
    errors = []
    if fair is None:
        errors.append(FieldError(field="fair_id", message=_("no fair {fair_id} has been opened").format(
            fair_id=request.fair_id)))
    if project is None:
        errors.append(FieldError(field="project_id", message=_("unknown project {project_id}").format(
            project_id=request.project_id)))
    if profile is None:
        errors.append(FieldError(field="org_id", message=_("unknown organization {org_id}").format(
            org_id=request.org_id)))
    return errors


def _fair_rules(request: InterestExpressed, fair: FairEntry, project: ProjectView, earlier: InterestRecorded | None,
                rules: MatchingRules) -> list[FieldError]:
    checks = (
        (fair.awards_decided, "fair_id", "the fair's awards have been decided; it takes no more interest"),
        (project.batch != fair.batch, "project_id",
         f"project {project.project_id} is in batch {project.batch}, not the fair's batch {fair.batch}"),
        (project.status != "published", "project_id", _("project is {status}, not published (rule: published)").format(
            status=label(project.status))),
        (rules.interest_needs_invitation and request.org_id not in fair.invited, "org_id",
         _("organization was not invited to fair {fair_ref} (rule: invited)").format(fair_ref=fair.fair_ref)),
        (earlier is not None, "project_id", "the organization already expressed interest in this project at this "
         f"fair ({earlier.interest_id if earlier else ''})"),
    )
    return [FieldError(field=field, message=message) for broken, field, message in checks if broken]


def _held(held_by: str | None) -> list[FieldError]:
    if held_by is None:
        return []
    return [FieldError(field="project_id", message=(
        _("award {held_by} of another fair holds the project (under standstill or final) (rule: open)").format(
            held_by=held_by)))]


def express_interest(
    request: InterestExpressed, *, fair: FairEntry | None, project: ProjectState | None,
    profile: OrganizationProfile | None, earlier: InterestRecorded | None, today: date, rules: MatchingRules,
    held_by: str | None = None,
) -> tuple[InterestRecorded | None, list[Emit]]:
    """Record an organization's interest in a project of the fair, with its fit, or say every reason not to.
    `held_by`: the award (of another fair) that holds the project, if any: it is not on offer."""
    ids = {"fair_id": request.fair_id, "org_id": request.org_id, "project_id": request.project_id}
    seen = known_project(project)
    errors = _unknown(request, fair, seen, profile)
    if fair is None or seen is None or profile is None:
        return None, [rejected(INTEREST_REJECTED, errors, **ids)]
    errors = _fair_rules(request, fair, seen, earlier, rules) + refusals(
        profile.organization, seen, profile.grade, profile.evaluations, request.price_fen, today, rules.eligibility)
    errors += _held(held_by)
    if errors:
        return None, [rejected(INTEREST_REJECTED, errors, **ids)]
    fitted = fit(profile, seen, today, rules.fit)
    interest = InterestRecorded(
        interest_id=interest_id_for(fair.fair_id, request.org_id, request.project_id), **ids,
        purchaser=seen.purchaser, price_fen=request.price_fen, fit_score=fitted.score, breakdown=fitted.breakdown,
    )
    return interest, [Emit(INTEREST_RECORDED, interest.model_dump(mode="json"))]


def schedule_fair(
    request: ScheduleRequested, *, record: FairRecord | None, interests: Sequence[InterestRecorded],
    tables: Sequence[Purchaser], sides: FairSides | None = None, timezone: str = "Asia/Shanghai",
) -> tuple[FairScheduled | None, list[Emit]]:
    """Plan the fair's one-to-one talks from its recorded interests and both sides' say; asked again once planned,
    plan again around the locked meetings (and the announced ones, unless told not to) and announce only the
    change (`matching.fair.rescheduled`). Nothing changed: the empty change is announced and nothing is kept."""
    if record is None:
        return _fair_refused(None, "fair_id", f"no fair {request.fair_id} has been opened", request.fair_id)
    fair = record.fair
    if record.awards is not None:
        return _fair_refused(fair.fair_ref, "fair_id", "the fair's awards have been decided; its meetings are over",
                             fair.fair_id)
    mine = [i for i in interests if i.fair_id == fair.fair_id]
    sides = sides or FairSides()
    if not mine and not sides.requested:
        return _fair_refused(fair.fair_ref, "fair_id", "no interest has been recorded at this fair yet", fair.fair_id)
    plan = Plan(sides=sides, previous=record.schedule, keep_announced=request.keep_announced, fair=fair,
                timezone=timezone, invited_fit={i.org_id: i.fit_score for i in fair.invitations})
    schedule = plan_schedule(fair.fair_id, fair.slots, mine, tables, plan)
    if record.schedule is None:
        return schedule, [Emit(FAIR_SCHEDULED, schedule.model_dump(mode="json"))]
    added, moved, cancelled = changes(record.schedule, schedule, plan)
    announced = FairRescheduled(fair_id=fair.fair_id, revision=schedule.revision if added or moved or cancelled
                                else record.schedule.revision, added=added, moved=moved, cancelled=cancelled,
                                slots_used=schedule.slots_used, objective=schedule.objective)
    kept = schedule if added or moved or cancelled else None
    return kept, [Emit(FAIR_RESCHEDULED, announced.model_dump(mode="json"))]


def awards_already_decided(record: FairRecord, awards: FairAwards) -> Emit:
    """The answer to a second awards request: the awards proposed the first time, not announced again."""
    error = FieldError(field="fair_id", message=(
        _("the fair's awards were decided on {awards_decided_on}: {awards} awards proposed and {unawarded} projects "
           "unawarded; they stand and are not announced again (rule: awards_once)").format(
            awards_decided_on=record.awards_decided_on, awards=len(awards.awards), unawarded=len(awards.unawarded))))
    return Emit(FAIR_REJECTED, {"fair_id": record.fair.fair_id, "fair_ref": record.fair.fair_ref,
                                "errors": [error.model_dump()], "contract_ids": [a.contract_id for a in awards.awards],
                                "award_ids": [a.award_id for a in awards.awards]})


def award_fair(
    request: AwardsRequested, *, record: FairRecord | None, projects: Iterable[ProjectView],
    taken: Collection[str], profiles: Mapping[str, OrganizationProfile], interests: Iterable[InterestRecorded],
    today: date, calendar: DistrictCalendar, rules: MatchingRules,
) -> tuple[FairAwards | None, list[Emit]]:
    """Propose awards for the batch's published projects that no award of another fair holds, among the fair's
    interested, eligible organizations; once decided, the decision stands."""
    if record is None:
        return _fair_refused(None, "fair_id", f"no fair {request.fair_id} has been opened", request.fair_id)
    if record.awards is not None:
        return None, [awards_already_decided(record, record.awards)]
    fair = record.fair
    # A project an award of another fair holds is not open, even before the catalog says it is awarded.
    offered = open_projects(projects, fair.batch, taken)
    if not offered:
        return _fair_refused(fair.fair_ref, "fair_id", (
            _("no project of batch {batch} is open to award: each is awarded, under standstill at another fair, "
               "or no longer published (rule: open_projects)").format(batch=fair.batch)), fair.fair_id)
    decision = decide_awards(fair.fair_id, fair.batch, offered, profiles, interests, today, rules.eligibility,
                             rules.fit, rules.award,
                             standstill_ends=standstill_end(calendar, today, rules.award.standstill_working_days))
    emits = [Emit(AWARD_PROPOSED, a.model_dump(mode="json")) for a in decision.awards]
    emits += [Emit(PROJECT_UNAWARDED, u.model_dump(mode="json")) for u in decision.unawarded]
    return decision, emits
