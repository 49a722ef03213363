"""The fair from both sides of the table: when each purchaser's table is away, the meetings a purchaser declines
("no thanks": never scheduled), the meetings either side asks for (must | want), the meetings the organiser locks,
and the fair's clock (each slot's start and end in the district's time zone).

Pure: a request and what is kept -> (what to keep, [Emit]) or (None, [one matching.fair.rejected naming every
reason]). Entry points, for the handlers:
- `record_availability(request, record, sides)`: the table's away slots (by number or clock window) replace what the
  purchaser said before; refused where a locked meeting sits in one of them.
- `decline_meeting(request, record, sides)`: refused for an organization not invited and for a locked meeting.
- `request_meeting(request, record, sides)`: refused for an organization not invited and for a declined pair.
- `lock_meeting(request, record, sides)`: only an announced meeting; it keeps its slot through every reschedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from shared.contracts.common import Purchaser
from shared.contracts.matching import (
    AVAILABILITY_RECORDED,
    FAIR_REJECTED,
    MEETING_DECLINED,
    MEETING_LOCKED,
    MEETING_REQUESTED,
    AvailabilityGiven,
    AvailabilityRecorded,
    FairDay,
    MeetingDecline,
    MeetingDeclined,
    MeetingLock,
    MeetingLocked,
    MeetingRequest,
    MeetingRequested,
    Priority,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.outcome import Emit, rejected

if TYPE_CHECKING:
    from services.matching.domain.fairs import Fair, FairRecord

Pair = tuple[str, Purchaser]  # (org_id, purchaser)
Said = AvailabilityRecorded | MeetingDeclined | MeetingRequested | MeetingLocked


@dataclass(frozen=True)
class FairSides:
    """Everything both sides said about a fair's meetings, as kept."""

    away: dict[Purchaser, frozenset[int]] = field(default_factory=dict)
    declined: dict[Pair, str] = field(default_factory=dict)
    requested: dict[tuple[str, Purchaser, str], Priority] = field(default_factory=dict)  # (org, purchaser, by)
    locked: dict[Pair, int] = field(default_factory=dict)

    def priority(self, pair: Pair) -> Priority | None:
        """The strongest priority either side gave the pair."""
        given = {self.requested.get((*pair, by)) for by in ("purchaser", "organization")}
        return "must" if "must" in given else "want" if "want" in given else None

    def requested_pairs(self) -> list[Pair]:
        return sorted({(org, purchaser) for org, purchaser, _must in self.requested}, key=lambda p: (p[0], p[1].key))


def sides_of(kept: Iterable[Said]) -> FairSides:
    """The fair's sides from what was kept of each request (the latest per table, pair and asking side)."""
    sides = FairSides()
    for said in kept:
        if isinstance(said, AvailabilityRecorded):
            sides.away[said.purchaser] = frozenset(said.unavailable_slots)
        elif isinstance(said, MeetingDeclined):
            sides.declined[said.org_id, said.purchaser] = said.reason
        elif isinstance(said, MeetingRequested):
            sides.requested[said.org_id, said.purchaser, said.requested_by] = said.priority
        else:
            sides.locked[said.org_id, said.purchaser] = said.slot
    return sides


# -- the clock --------------------------------------------------------------------------------------------------

def slot_times(fair: FairDay, slot: int, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """When a slot (1-based) starts and ends: the fair's start, the slots before it and the breaks before it."""
    start = dt.datetime.combine(fair.date, fair.starts_at, tzinfo=ZoneInfo(timezone))
    paused = sum(b.minutes for b in fair.breaks if b.after_slot < slot)
    begins = start + dt.timedelta(minutes=(slot - 1) * fair.slot_minutes + paused)
    return begins, begins + dt.timedelta(minutes=fair.slot_minutes)


def slots_within(fair: FairDay, start: dt.time, end: dt.time) -> set[int]:
    """The slots that overlap a stretch of the fair's day [start, end)."""
    day = dt.date(2000, 1, 1)
    lo, hi = dt.datetime.combine(day, start), dt.datetime.combine(day, end)
    found = set()
    for slot in range(1, fair.slots + 1):
        begins, ends = slot_times(fair.model_copy(update={"date": day}), slot, "UTC")
        if begins.replace(tzinfo=None) < hi and lo < ends.replace(tzinfo=None):
            found.add(slot)
    return found


# -- the requests -----------------------------------------------------------------------------------------------

def _refused(fair_id: str, errors: list[FieldError], fair: Fair | None = None) -> tuple[None, list[Emit]]:
    return None, [rejected(FAIR_REJECTED, errors, fair_id=fair_id, fair_ref=fair.fair_ref if fair else None)]


def _no_fair(fair_id: str) -> tuple[None, list[Emit]]:
    return _refused(fair_id, [FieldError(field="fair_id", message=_("no fair {fair_id} has been opened").format(
        fair_id=fair_id))])


def _pair_errors(record: FairRecord, org_id: str, purchasers: frozenset[Purchaser],
                 purchaser: Purchaser) -> list[FieldError]:
    errors = []
    if org_id not in record.fair.invited:
        errors.append(FieldError(field="org_id", message=_("organization was not invited to fair {fair_ref} "
                                                            "(rule: invited)").format(
                                                             fair_ref=record.fair.fair_ref)))
    return errors + _table_errors(record, purchasers, purchaser)


def _table_errors(record: FairRecord, purchasers: frozenset[Purchaser], purchaser: Purchaser) -> list[FieldError]:
    errors = []
    if purchaser not in purchasers:
        errors.append(FieldError(field="purchaser", message=(
            _("{kind} {name} has no table at this fair: it buys none of batch {batch}'s projects and is not one "
               "of the district's purchasers").format(
                kind=purchaser.kind, name=purchaser.name, batch=record.fair.batch))))
    if record.awards is not None:
        errors.append(FieldError(field="fair_id", message=_("the fair's awards have been decided; its meetings "
                                                             "are over")))
    return errors


def record_availability(request: AvailabilityGiven, *, record: FairRecord | None, sides: FairSides,
                        purchasers: frozenset[Purchaser]) -> tuple[AvailabilityRecorded | None, list[Emit]]:
    """The slots the purchaser's table is away, replacing what it said before."""
    if record is None:
        return _no_fair(request.fair_id)
    fair = record.fair
    errors = _table_errors(record, purchasers, request.purchaser)
    away = set(request.unavailable_slots)
    late = sorted(s for s in away if s > fair.slots)
    if late:
        errors.append(FieldError(field="unavailable_slots", message=_(
            "slots {late} are past the fair's {slots}").format(late=late, slots=fair.slots)))
    for n, window in enumerate(request.windows):
        covered = slots_within(fair, window.start, window.end)
        if not covered:
            errors.append(FieldError(field=f"windows.{n}", message=(
                _("{start}-{end} covers none of the fair's slots").format(start=window.start, end=window.end))))
        away |= covered
    pinned = sorted((slot, org) for (org, p), slot in sides.locked.items() if p == request.purchaser and slot in away)
    for slot, org in pinned:
        errors.append(FieldError(field="unavailable_slots", message=(
            _("slot {slot} holds the locked meeting with organization {org}: it cannot be away then (rule: "
              "locked)").format(slot=slot, org=org))))
    if errors:
        return _refused(fair.fair_id, errors, fair)
    kept = AvailabilityRecorded(fair_id=fair.fair_id, purchaser=request.purchaser, unavailable_slots=sorted(away))
    return kept, [Emit(AVAILABILITY_RECORDED, kept.model_dump(mode="json"))]


def decline_meeting(request: MeetingDecline, *, record: FairRecord | None, sides: FairSides,
                    purchasers: frozenset[Purchaser]) -> tuple[MeetingDeclined | None, list[Emit]]:
    """A purchaser's "no thanks": the pair is never scheduled, and a reschedule cancels it if announced."""
    if record is None:
        return _no_fair(request.fair_id)
    errors = _pair_errors(record, request.org_id, purchasers, request.purchaser)
    if (request.org_id, request.purchaser) in sides.locked:
        errors.append(FieldError(field="org_id", message=(
            _("the meeting is locked in slot {slot}; a locked meeting stands (rule: locked)").format(
                slot=sides.locked[request.org_id, request.purchaser]))))
    if errors:
        return _refused(record.fair.fair_id, errors, record.fair)
    kept = MeetingDeclined(fair_id=record.fair.fair_id, org_id=request.org_id, purchaser=request.purchaser,
                           reason=request.reason)
    return kept, [Emit(MEETING_DECLINED, kept.model_dump(mode="json"))]


def request_meeting(request: MeetingRequest, *, record: FairRecord | None, sides: FairSides,
                    purchasers: frozenset[Purchaser]) -> tuple[MeetingRequested | None, list[Emit]]:
    """A meeting asked for by either side, must or want; the latest request of a side replaces its earlier one."""
    if record is None:
        return _no_fair(request.fair_id)
    errors = _pair_errors(record, request.org_id, purchasers, request.purchaser)
    if (request.org_id, request.purchaser) in sides.declined:
        errors.append(FieldError(field="org_id", message=(
            _("the purchaser declined this meeting: {reason} (rule: declined)").format(
                reason=sides.declined[request.org_id, request.purchaser]))))
    if errors:
        return _refused(record.fair.fair_id, errors, record.fair)
    kept = MeetingRequested(fair_id=record.fair.fair_id, org_id=request.org_id, purchaser=request.purchaser,
                            priority=request.priority, requested_by=request.requested_by)
    return kept, [Emit(MEETING_REQUESTED, kept.model_dump(mode="json"))]


def lock_meeting(request: MeetingLock, *, record: FairRecord | None, timezone: str) -> tuple[
        MeetingLocked | None, list[Emit]]:
    """Pin an announced meeting where it is."""
    if record is None:
        return _no_fair(request.fair_id)
    announced = record.schedule.meetings if record.schedule is not None else []
    found = [m for m in announced if m.org_id == request.org_id and m.purchaser == request.purchaser]
    if not found:
        what = (_("no schedule has been announced") if record.schedule is None else
                _("the schedule has no such meeting"))
        return _refused(record.fair.fair_id, [FieldError(field="org_id", message=(
            _("only an announced meeting can be locked, and {what} (rule: announced)").format(what=what)))],
            record.fair)
    meeting = found[0]
    kept = MeetingLocked(fair_id=record.fair.fair_id, org_id=request.org_id, purchaser=request.purchaser,
                         slot=meeting.slot, table=meeting.table,
                         starts_at=slot_times(record.fair, meeting.slot, timezone)[0])
    return kept, [Emit(MEETING_LOCKED, kept.model_dump(mode="json"))]
