"""The purchasers' side of the fair: what each request keeps, and every reason one is refused."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from pydantic import ValidationError

from services.matching.domain.fairs import Fair, FairRecord
from services.matching.domain.schedule import plan_schedule
from services.matching.domain.sides import (
    FairSides,
    decline_meeting,
    lock_meeting,
    record_availability,
    request_meeting,
)
from shared.contracts.common import Purchaser
from shared.contracts.matching import (
    AvailabilityGiven,
    FairOpenRequested,
    MeetingDecline,
    MeetingLock,
    MeetingRequest,
)
from tests.unit.matching_examples import talk

TABLE = Purchaser(kind="street", name="t-a")
TABLES = frozenset({TABLE})
FAIR = Fair(fair_id="fair-1", fair_ref="f", batch="2015-1", date=date(2015, 11, 19), slots=4, slot_minutes=20,
            starts_at=time(14, 0), invited=["o-1", "o-2"], invitations=[])
RECORD = FairRecord(FAIR)


def errors(emits: list[Any]) -> dict[str, str]:
    [emit] = emits
    assert emit.type == "matching.fair.rejected"
    return {e["field"]: e["message"] for e in emit.data["errors"]}


def test_availability_by_slots_and_clock_windows_is_kept_as_the_slots_away() -> None:
    request = AvailabilityGiven.model_validate({"fair_id": "fair-1", "purchaser": TABLE.model_dump(),
                                                "unavailable_slots": [4], "windows": [{"start": "14:10",
                                                                                       "end": "14:25"}]})
    kept, [emit] = record_availability(request, record=RECORD, sides=FairSides(), purchasers=TABLES)
    assert kept is not None and kept.unavailable_slots == [1, 2, 4]
    assert emit.type == "matching.fair.availability_recorded"


def test_availability_past_the_fair_for_a_purchaser_without_a_table_or_over_a_lock_is_refused_naming_each() -> None:
    other = Purchaser(kind="department", name="区民政局")
    request = AvailabilityGiven(fair_id="fair-1", purchaser=other, unavailable_slots=[2, 6])
    kept, emits = record_availability(request, record=RECORD, sides=FairSides(locked={("o-1", other): 2}),
                                      purchasers=TABLES)
    assert kept is None
    found = errors(emits)
    assert "has no table at this fair" in found["purchaser"]
    assert "slot 2 holds the locked meeting with organization o-1" in found["unavailable_slots"]


def test_a_window_over_no_slot_is_refused() -> None:
    request = AvailabilityGiven.model_validate({"fair_id": "fair-1", "purchaser": TABLE.model_dump(),
                                                "windows": [{"start": "09:00", "end": "10:00"}]})
    _, emits = record_availability(request, record=RECORD, sides=FairSides(), purchasers=TABLES)
    assert errors(emits) == {"windows.0": "09:00:00-10:00:00 covers none of the fair's slots"}


def test_a_decline_of_an_uninvited_organization_or_a_locked_meeting_is_refused() -> None:
    _, emits = decline_meeting(MeetingDecline(fair_id="fair-1", purchaser=TABLE, org_id="o-9", reason="不需要"),
                               record=RECORD, sides=FairSides(), purchasers=TABLES)
    assert errors(emits) == {"org_id": "organization was not invited to fair f (rule: invited)"}
    _, emits = decline_meeting(MeetingDecline(fair_id="fair-1", purchaser=TABLE, org_id="o-1", reason="不需要"),
                               record=RECORD, sides=FairSides(locked={("o-1", TABLE): 3}), purchasers=TABLES)
    assert errors(emits) == {"org_id": "the meeting is locked in slot 3; a locked meeting stands (rule: locked)"}


def test_a_decline_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="must say why the meeting is declined"):
        MeetingDecline(fair_id="fair-1", purchaser=TABLE, org_id="o-1", reason=" ")


def test_a_request_for_a_declined_meeting_is_refused_and_an_unknown_fair_is_named() -> None:
    request = MeetingRequest(fair_id="fair-1", purchaser=TABLE, org_id="o-1", priority="must")
    _, emits = request_meeting(request, record=RECORD, sides=FairSides(declined={("o-1", TABLE): "已有合作"}),
                               purchasers=TABLES)
    assert errors(emits) == {"org_id": "the purchaser declined this meeting: 已有合作 (rule: declined)"}
    _, emits = request_meeting(request, record=None, sides=FairSides(), purchasers=TABLES)
    assert errors(emits) == {"fair_id": "no fair fair-1 has been opened"}


def test_only_an_announced_meeting_is_locked_and_the_lock_says_when_it_starts() -> None:
    schedule = plan_schedule("fair-1", 4, [talk("o-1", "t-a", 70.0)], [TABLE])
    request = MeetingLock(fair_id="fair-1", org_id="o-1", purchaser=TABLE)
    kept, _ = lock_meeting(request, record=FairRecord(FAIR, schedule=schedule), timezone="Asia/Shanghai")
    assert kept is not None and kept.slot == 1 and kept.starts_at is not None
    assert kept.starts_at.isoformat() == "2015-11-19T14:00:00+08:00"
    _, emits = lock_meeting(request.model_copy(update={"org_id": "o-2"}), record=FairRecord(FAIR, schedule=schedule),
                            timezone="Asia/Shanghai")
    assert errors(emits) == {"org_id": "only an announced meeting can be locked, and the schedule has no such "
                                       "meeting (rule: announced)"}


@pytest.mark.parametrize(("breaks", "message"), [
    ([{"after_slot": 4, "minutes": 10}], "a break after slot 4 is not between two of the fair's 4 slots"),
    ([{"after_slot": 1, "minutes": 10}, {"after_slot": 1, "minutes": 5}], "two breaks after the same slot"),
], ids=["after-the-last-slot", "twice-after-one-slot"])
def test_a_fair_with_a_break_outside_its_slots_is_refused(breaks: list[dict[str, int]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FairOpenRequested.model_validate({"fair_ref": "f", "batch": "2015-1", "date": "2015-11-19", "slots": 4,
                                          "slot_minutes": 20, "breaks": breaks})


def test_a_fair_running_past_midnight_is_refused() -> None:
    with pytest.raises(ValidationError, match="past midnight"):
        FairOpenRequested.model_validate({"fair_ref": "f", "batch": "2015-1", "date": "2015-11-19", "slots": 12,
                                          "slot_minutes": 60, "starts_at": "20:00"})
