"""An award's life after the decision: it stands still, may be challenged, and becomes a contract or is cancelled.

- proposed: announced with `standstill_ends`, the last of `standstill_working_days` working days of the
  district's calendar after the decision (weekends and configured holidays skipped): the last day a complaint
  may be filed. With no complaint open, the award is final (the contract) from the day after.
- challenged: a registered complaint suspends the standstill; the working days it had left after the day of
  filing are kept. Another interested organization may still complain while it is suspended.
- dismissed, the last open complaint: the standstill resumes where it stopped, ending that many working days
  after the decision; if it had none left (the complaint came on its last day), the award is final at once.
- upheld: the award is cancelled (and its project awarded again, see `awards.reaward`).
- a project the purchaser withdrew during the standstill never becomes a contract: its award is cancelled.
Final and cancelled are for good. Pure: the calendar and `today` are passed in.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict

from services.matching.projections import ProjectState
from shared.calendar import DistrictCalendar
from shared.contracts.matching import AwardCancelled, AwardProposed, AwardStatus, ContractAwarded

LIFECYCLE_NAMESPACE = uuid.UUID("5e8c1b2d-3f4a-4c6e-8d9b-0a1b2c3d4e5f")


class Award(BaseModel):
    """An award as matching keeps it: what was announced, and where it stands now."""

    model_config = ConfigDict(frozen=True)

    terms: AwardProposed
    status: AwardStatus = "proposed"
    standstill_ends: date
    days_left: int | None = None  # while challenged: working days of the standstill left after the suspension
    open_complaints: tuple[str, ...] = ()
    final_on: date | None = None
    cancelled_on: date | None = None
    reason: str | None = None  # why it was cancelled
    version: int = 1

    @property
    def award_id(self) -> str:
        return self.terms.award_id

    @property
    def live(self) -> bool:
        """Holds its project and counts against its organization's capacity: anything but cancelled."""
        return self.status != "cancelled"


def standstill_end(calendar: DistrictCalendar, decided_on: date, working_days: int) -> date:
    """The last day a complaint may be filed: `working_days` working days after the decision's day."""
    return calendar.add_working_days(decided_on, working_days)


def proposed(terms: AwardProposed) -> Award:
    return Award(terms=terms, standstill_ends=terms.standstill_ends)


def open_to_complaint(award: Award, today: date) -> bool:
    """Within the standstill: before its end, or suspended with working days still to run."""
    if award.status == "proposed":
        return today <= award.standstill_ends
    if award.status == "challenged":
        return today <= award.standstill_ends or bool(award.days_left)
    return False


def _changed(award: Award, **changes: object) -> Award:
    return award.model_copy(update={**changes, "version": award.version + 1})


def suspend(award: Award, complaint_id: str, today: date, calendar: DistrictCalendar) -> Award:
    """A complaint is registered: the standstill stops (the first complaint keeps the working days left)."""
    if award.status == "challenged":
        return _changed(award, open_complaints=(*award.open_complaints, complaint_id))
    left = calendar.working_days_between(today, award.standstill_ends)
    return _changed(award, status="challenged", days_left=left, open_complaints=(complaint_id,))


def dismiss(award: Award, complaint_id: str, today: date, calendar: DistrictCalendar) -> Award:
    """A complaint is dismissed: with none open, the standstill resumes, or the award is final if it had ended."""
    still_open = tuple(c for c in award.open_complaints if c != complaint_id)
    if still_open:
        return _changed(award, open_complaints=still_open)
    if not award.days_left:
        return _changed(award, status="final", open_complaints=(), days_left=None, final_on=today)
    return _changed(award, status="proposed", open_complaints=(), days_left=None,
                    standstill_ends=calendar.add_working_days(today, award.days_left))


def cancel(award: Award, reason: str, today: date) -> Award:
    return _changed(award, status="cancelled", open_complaints=(), days_left=None, cancelled_on=today, reason=reason)


def contract(award: Award) -> ContractAwarded:
    """The contract a final award is: the same terms, and the day it became final."""
    if award.status != "final" or award.final_on is None:
        raise ValueError(f"award {award.award_id} is {award.status}, not final")
    return ContractAwarded(**award.terms.model_dump(exclude={"proposed_on", "standstill_ends", "replaces"}),
                           awarded_on=award.final_on)


def cancellation(award: Award, complaint_id: str | None = None, closed: tuple[str, ...] = ()) -> AwardCancelled:
    """What a cancelled award announces: why, when, and the complaints closed with it."""
    if award.status != "cancelled" or award.cancelled_on is None:
        raise ValueError(f"award {award.award_id} is {award.status}, not cancelled")
    terms = award.terms
    return AwardCancelled(award_id=terms.award_id, fair_id=terms.fair_id, project_id=terms.project_id,
                          org_id=terms.org_id, reason=award.reason or "", cancelled_on=award.cancelled_on,
                          complaint_id=complaint_id, closed_complaints=list(closed))


def event_id(award_id: str, what: str) -> uuid.UUID:
    """The stable id of what an award's lifecycle announces once (`contract`, `cancelled`): a repeated run of the
    standstill job, or a competing replica, announces it under the same id."""
    return uuid.uuid5(LIFECYCLE_NAMESPACE, f"{award_id}:{what}")


def standstill_over(award: Award, project: ProjectState | None, today: date) -> Award | None:
    """What the award becomes once its standstill has run out with no complaint open: final, or cancelled if the
    purchaser withdrew its project meanwhile. None while it still stands still (or is no longer proposed)."""
    if award.status != "proposed" or today <= award.standstill_ends:
        return None
    if project is not None and project.status == "withdrawn":
        return cancel(award, "the purchaser withdrew the project during the standstill", today)
    return _changed(award, status="final", final_on=today)
