"""Complaints against an award (质疑, Government Procurement Law Art. 52) and the purchaser's decisions on them.

`file_complaint(request, award, interested, earlier, today, calendar)`: registered, and the award's standstill
suspended (`standstill.suspend`), or refused with every rule it breaks:
- `known_award`: the award exists;
- `standstill`: it is filed within the award's standstill (never against a final award);
- `award_cancelled`: the award still stands;
- `interested`: the organization expressed interest in that project at that fair;
- `own_award`: it is not the organization the award went to;
- `once`: an organization challenges one award once;
- `grounds` (read with the intake): it says what is challenged and why.

`decide_complaint(request, complaint, award, others, reoffer, today, calendar, rules)`: dismissed, the award
proceeds (`standstill.dismiss`); upheld, it is cancelled, the complaints still open against it are closed with
it, and its project is awarded again (`awards.reaward`) through a new standstill, or left unawarded (it stays
published for a later fair). Refused: an unknown complaint (`known_complaint`), one already decided or closed
(`decided_once`), and a decision without reasoning (`reasoning`, read with the intake).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from services.matching.domain.awards import reaward
from services.matching.domain.fairs import MatchingRules
from services.matching.domain.standstill import (
    Award,
    cancel,
    cancellation,
    contract,
    dismiss,
    open_to_complaint,
    proposed,
    standstill_end,
    suspend,
)
from services.matching.projections import OrganizationProfile, ProjectView
from shared.calendar import DistrictCalendar
from shared.contracts.matching import (
    AWARD_CANCELLED,
    AWARD_PROPOSED,
    COMPLAINT_DECIDED,
    COMPLAINT_REGISTERED,
    COMPLAINT_REJECTED,
    PROJECT_UNAWARDED,
    AwardProposed,
    ComplaintDecided,
    ComplaintDecision,
    ComplaintFiled,
    ComplaintHeard,
    ComplaintRegistered,
    ContractAwarded,
    InterestRecorded,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit, rejected

COMPLAINT_NAMESPACE = uuid.UUID("c4e7a1d9-2b5f-4e83-a6c0-9d1e2f3a4b5c")
ComplaintStatus = Literal["open", "dismissed", "upheld", "closed"]


class Complaint(ComplaintHeard):
    """A complaint as matching keeps it: who challenged which award on what grounds, and what became of it."""

    status: ComplaintStatus = "open"
    decided_on: date | None = None
    reasoning: str | None = None


def complaint_id_for(award_id: str, org_id: str) -> str:
    """One organization's complaint against one award: the same request again names the same complaint."""
    return str(uuid.uuid5(COMPLAINT_NAMESPACE, f"{award_id}:{org_id}"))


def _filing_errors(request: ComplaintFiled, award: Award, interested: bool, earlier: Complaint | None,
                   today: date) -> list[FieldError]:
    errors = []
    if award.status == "final":
        errors.append(FieldError(field="award_id", message=(
            _("the award is final: its standstill ended on {standstill_ends} and it became contract {contract_id} "
               "on {final_on} (rule: standstill)").format(
                standstill_ends=award.standstill_ends, contract_id=award.terms.contract_id, final_on=award.final_on))))
    elif award.status == "cancelled":
        errors.append(FieldError(field="award_id", message=(
            _("the award was cancelled on {cancelled_on}: {reason} (rule: award_cancelled)").format(
                cancelled_on=award.cancelled_on, reason=award.reason))))
    elif not open_to_complaint(award, today):
        errors.append(FieldError(field="award_id", message=(
            _("the standstill ended on {standstill_ends}; a complaint must be filed by then (rule: standstill)").format(
                standstill_ends=award.standstill_ends))))
    if request.org_id == award.terms.org_id:
        errors.append(FieldError(field="org_id", message=(
            _("the award went to this organization; it cannot challenge its own award (rule: own_award)"))))
    elif not interested:
        errors.append(FieldError(field="org_id", message=(
            _("the organization expressed no interest in project {project_id} at this fair; only one that did may "
               "challenge its award (rule: interested)").format(project_id=award.terms.project_id))))
    if earlier is not None:
        errors.append(FieldError(field="org_id", message=(
            _("the organization already challenged this award on {filed_on} (complaint {complaint_id}, {status}) "
               "(rule: once)").format(
                filed_on=earlier.filed_on, complaint_id=earlier.complaint_id, status=label(earlier.status)))))
    return errors


def file_complaint(
    request: ComplaintFiled, *, award: Award | None, interested: bool, earlier: Complaint | None, today: date,
    calendar: DistrictCalendar,
) -> tuple[Complaint | None, Award | None, list[Emit]]:
    """Register a complaint and suspend the award's standstill, or refuse it naming every rule it breaks."""
    ids = {"award_id": request.award_id, "org_id": request.org_id}
    if award is None:
        error = FieldError(field="award_id", message=_("no award {award_id} (rule: known_award)").format(
            award_id=request.award_id))
        return None, None, [rejected(COMPLAINT_REJECTED, [error], **ids)]
    errors = _filing_errors(request, award, interested, earlier, today)
    if errors:
        return None, None, [rejected(COMPLAINT_REJECTED, errors, **ids)]
    terms = award.terms
    complaint = Complaint(complaint_id=complaint_id_for(award.award_id, request.org_id), award_id=award.award_id,
                          fair_id=terms.fair_id, project_id=terms.project_id, org_id=request.org_id,
                          grounds=request.grounds, filed_on=today)
    suspended = suspend(award, complaint.complaint_id, today, calendar)
    registered = ComplaintRegistered(**complaint.model_dump(exclude={"status", "decided_on", "reasoning"}),
                                     days_left=suspended.days_left or 0)
    return complaint, suspended, [Emit(COMPLAINT_REGISTERED, registered.model_dump(mode="json"))]


@dataclass(frozen=True)
class Reoffer:
    """What awarding the project again needs: the project as matching knows it, the organizations interested in
    it at the fair (with their live awards counted), their interests, and those whose award of it was cancelled."""

    project: ProjectView | None
    profiles: Mapping[str, OrganizationProfile]
    interests: Sequence[InterestRecorded]
    cancelled_orgs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ComplaintOutcome:
    """What a decision changes: the complaint, the award, the complaints closed with it, the new award if any, the
    events to announce, and the contract if the award became final (announced under its stable id)."""

    complaint: Complaint | None = None
    award: Award | None = None
    closed: tuple[Complaint, ...] = ()
    new_award: Award | None = None
    emits: list[Emit] = field(default_factory=list)
    contract: ContractAwarded | None = None


def _decision_errors(request: ComplaintDecision, complaint: Complaint | None, award: Award | None) -> list[FieldError]:
    if complaint is None:
        return [FieldError(field="complaint_id",
                           message=_("no complaint {complaint_id} (rule: known_complaint)").format(
                               complaint_id=request.complaint_id))]
    if award is None:
        return [FieldError(field="complaint_id", message=(
            _("the complaint's award {award_id} is unknown (rule: known_award)").format(award_id=complaint.award_id)))]
    if complaint.status == "closed":
        return [FieldError(field="complaint_id", message=(
            _("the complaint was closed on {decided_on}: {reasoning} (rule: decided_once)").format(
                decided_on=complaint.decided_on, reasoning=complaint.reasoning)))]
    if complaint.status != "open":
        return [FieldError(field="complaint_id", message=(
            _("the complaint was already {status} on {decided_on}; a decision stands (rule: decided_once)").format(
                status=label(complaint.status), decided_on=complaint.decided_on)))]
    return []


def decide_complaint(
    request: ComplaintDecision, *, complaint: Complaint | None, award: Award | None, others: Sequence[Complaint],
    reoffer: Reoffer, today: date, calendar: DistrictCalendar, rules: MatchingRules,
) -> ComplaintOutcome:
    """Dismiss the complaint (the award proceeds) or uphold it (the award is cancelled and its project awarded
    again), or refuse the decision naming the rule."""
    errors = _decision_errors(request, complaint, award)
    if errors or complaint is None or award is None:
        return ComplaintOutcome(emits=[rejected(COMPLAINT_REJECTED, errors, complaint_id=request.complaint_id)])
    status = "upheld" if request.upheld else "dismissed"
    decided = complaint.model_copy(update={"status": status, "decided_on": today, "reasoning": request.reasoning})
    if not request.upheld:
        resumed = dismiss(award, complaint.complaint_id, today, calendar)
        answer = _decided(decided, resumed, today)
        final = contract(resumed) if resumed.status == "final" else None
        return ComplaintOutcome(complaint=decided, award=resumed, emits=[answer], contract=final)
    return _uphold(decided, award, others, reoffer, today, calendar, rules)


def _decided(complaint: Complaint, award: Award, today: date) -> Emit:
    answer = ComplaintDecided(
        complaint_id=complaint.complaint_id, award_id=award.award_id, upheld=complaint.status == "upheld",
        reasoning=complaint.reasoning or "", decided_on=today, award_status=award.status,
        standstill_ends=award.standstill_ends if award.status == "proposed" else None)
    return Emit(COMPLAINT_DECIDED, answer.model_dump(mode="json"))


def _uphold(complaint: Complaint, award: Award, others: Sequence[Complaint], reoffer: Reoffer, today: date,
            calendar: DistrictCalendar, rules: MatchingRules) -> ComplaintOutcome:
    reason = _("complaint {complaint_id} upheld on {today}: {reasoning}").format(
        complaint_id=complaint.complaint_id, today=today, reasoning=complaint.reasoning)
    cancelled = cancel(award, reason, today)
    why = f"the award was cancelled when complaint {complaint.complaint_id} was upheld"
    closed = tuple(c.model_copy(update={"status": "closed", "decided_on": today, "reasoning": why})
                   for c in others if c.status == "open" and c.complaint_id != complaint.complaint_id)
    again = reaward(award.terms, reoffer.project, reoffer.profiles, reoffer.interests,
                    reoffer.cancelled_orgs | {award.terms.org_id}, today, rules.eligibility, rules.fit, rules.award,
                    standstill_ends=standstill_end(calendar, today, rules.award.standstill_working_days))
    emits = [_decided(complaint, cancelled, today),
             Emit(AWARD_CANCELLED, cancellation(cancelled, complaint.complaint_id,
                                                tuple(c.complaint_id for c in closed)).model_dump(mode="json"))]
    if isinstance(again, AwardProposed):
        emits.append(Emit(AWARD_PROPOSED, again.model_dump(mode="json")))
        return ComplaintOutcome(complaint=complaint, award=cancelled, closed=closed, new_award=proposed(again),
                                emits=emits)
    emits.append(Emit(PROJECT_UNAWARDED, again.model_dump(mode="json")))
    return ComplaintOutcome(complaint=complaint, award=cancelled, closed=closed, emits=emits)
