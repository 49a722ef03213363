"""Matching's handlers against an in-memory store: what is loaded, kept and announced for each event, and the
rules between the domain and the store (copies kept at their newest version, a fair's schedule and awards decided
once, a project another fair's award holds not offered again, complaints and their decisions, the standstill
job making an award final once)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from services.matching.domain.awards import FairAwards
from services.matching.domain.complaints import Complaint
from services.matching.domain.fairs import Fair, FairEntry, FairRecord, MatchingRules
from services.matching.domain.schedule import district_tables
from services.matching.domain.sides import FairSides, Said, sides_of
from services.matching.domain.standstill import Award, event_id, proposed
from services.matching.handlers import Matching, standstill, subscriptions
from services.matching.projections import (
    EvaluationRecord,
    GradeView,
    OrganizationProfile,
    OrganizationView,
    ProjectState,
    ProjectView,
    TrainingRecord,
    organization_profile,
)
from services.matching.store import StaleAward, StaleFair
from shared.consumer import Unprocessable
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.contracts.matching import FairScheduled, InterestRecorded
from shared.unit_of_work import Transaction
from tests.contracts.examples import ORG_ID, as_published
from tests.handlers.support import Emitted, deliver, run_job

TODAY = date(2015, 3, 2)  # a Monday: an award decided today stands still until Wednesday 2015-03-11
OTHER_ORG = "7b2e5b9f-7e1d-4a9f-8c2f-3a6e8d4b0f12"
THIRD_ORG = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"


class InMemoryMatching:
    """Matching's store, in dicts."""

    def __init__(self) -> None:
        self.projects: dict[str, ProjectState] = {}
        self.organizations: dict[str, OrganizationView] = {}
        self.grades: dict[str, GradeView] = {}
        self.training: dict[str, TrainingRecord] = {}
        self.evaluations: dict[str, EvaluationRecord] = {}
        self.fairs: dict[str, FairRecord] = {}
        self.interests: dict[str, InterestRecorded] = {}
        self.awards: dict[str, Award] = {}
        self.complaints: dict[str, Complaint] = {}
        self.said: dict[str, Said] = {}

    async def project(self, project_id: str, reader: Any = None) -> ProjectState | None:
        return self.projects.get(project_id)

    async def look_up_awards(self, award_ids: Sequence[str], tx: Transaction) -> None:
        return None  # in dicts, every look-up is at hand

    def save_project(self, state: ProjectState, tx: Transaction) -> None:
        self.projects[state.project_id] = state

    async def projects_of_batch(self, batch: str, reader: Any = None) -> list[ProjectView]:
        return sorted((p for p in self.projects.values() if isinstance(p, ProjectView) and p.batch == batch),
                      key=lambda p: p.project_id)

    async def organization(self, org_id: str, reader: Any = None) -> OrganizationView | None:
        return self.organizations.get(org_id)

    def save_organization(self, organization: OrganizationView, tx: Transaction) -> None:
        self.organizations[organization.org_id] = organization

    async def grade(self, org_id: str, reader: Any = None) -> GradeView | None:
        return self.grades.get(org_id)

    def save_grade(self, grade: GradeView, tx: Transaction) -> None:
        self.grades[grade.org_id] = grade

    async def training_record(self, org_id: str, reader: Any = None) -> TrainingRecord | None:
        return self.training.get(org_id)

    def save_training_record(self, record: TrainingRecord, tx: Transaction) -> None:
        self.training[record.org_id] = record

    async def evaluation_record(self, org_id: str, reader: Any = None) -> EvaluationRecord | None:
        return self.evaluations.get(org_id)

    def save_evaluation_record(self, record: EvaluationRecord, tx: Transaction) -> None:
        self.evaluations[record.org_id] = record

    async def profiles(self, reader: Any = None, *, org_ids: Collection[str] | None = None,
                       active_in: Collection[str] | None = None) -> dict[str, OrganizationProfile]:
        orgs = [o for o in self.organizations.values() if org_ids is None or o.org_id in org_ids]
        if active_in is not None:
            orgs = [o for o in orgs if o.status == "active" and set(o.domains) & set(active_in)]
        return {o.org_id: organization_profile(
            o, self.grades.get(o.org_id), self.training.get(o.org_id), self.evaluations.get(o.org_id),
            [a.terms.contract_id for a in self.awards.values() if a.terms.org_id == o.org_id and a.live])
            for o in orgs}

    async def profile(self, org_id: str, reader: Any = None) -> OrganizationProfile | None:
        return (await self.profiles(reader, org_ids=[org_id])).get(org_id)

    async def fair(self, fair_id: str, reader: Any = None) -> FairRecord | None:
        return self.fairs.get(fair_id)

    async def fair_entry(self, fair_id: str, reader: Any = None) -> FairEntry | None:
        record = self.fairs.get(fair_id)
        return FairEntry.of(record) if record is not None else None

    def insert_fair(self, fair: Fair, tx: Transaction) -> None:
        assert fair.fair_id not in self.fairs
        self.fairs[fair.fair_id] = FairRecord(fair)

    async def save_schedule(self, schedule: FairScheduled, tx: Transaction) -> None:
        record = self.fairs[schedule.fair_id]
        if record.schedule is not None:
            raise StaleFair(schedule.fair_id)
        self.fairs[schedule.fair_id] = FairRecord(record.fair, schedule, record.awards, record.awards_decided_on)

    async def replace_schedule(self, schedule: FairScheduled, tx: Transaction) -> None:
        record = self.fairs[schedule.fair_id]
        if record.schedule is None or record.schedule.revision != schedule.revision - 1:
            raise StaleFair(schedule.fair_id)
        self.fairs[schedule.fair_id] = FairRecord(record.fair, schedule, record.awards, record.awards_decided_on)

    async def fair_sides(self, fair_id: str, reader: Any = None) -> FairSides:
        return sides_of(said for key, said in sorted(self.said.items()) if said.fair_id == fair_id)

    def save_said(self, said: Said, tx: Transaction) -> None:
        pair = getattr(said, "org_id", "")
        by = getattr(said, "requested_by", "")
        self.said[f"{said.fair_id}:{type(said).__name__}:{by}:{pair}:{said.purchaser.key}"] = said

    async def save_awards(self, awards: FairAwards, decided_on: date, tx: Transaction) -> None:
        record = self.fairs[awards.fair_id]
        if record.awards is not None:
            raise StaleFair(awards.fair_id)
        self.fairs[awards.fair_id] = FairRecord(record.fair, record.schedule, awards, decided_on)
        self.awards |= {a.award_id: proposed(a) for a in awards.awards}

    def insert_award(self, award: Award, tx: Transaction) -> None:
        assert award.award_id not in self.awards
        self.awards[award.award_id] = award

    async def save_award(self, award: Award, tx: Transaction) -> None:
        if self.awards[award.award_id].version != award.version - 1:
            raise StaleAward(award.award_id)
        self.awards[award.award_id] = award

    async def award(self, award_id: str, reader: Any = None) -> Award | None:
        return self.awards.get(award_id)

    async def awards_of_project(self, fair_id: str, project_id: str, reader: Any = None) -> list[Award]:
        return [a for a in self.awards.values() if (a.terms.fair_id, a.terms.project_id) == (fair_id, project_id)]

    async def projects_taken(self, project_ids: Iterable[str], but_fair: str, reader: Any = None) -> set[str]:
        wanted = set(project_ids)
        return {a.terms.project_id for a in self.awards.values()
                if a.live and a.terms.project_id in wanted and a.terms.fair_id != but_fair}

    async def award_holding(self, project_id: str, reader: Any = None) -> Award | None:
        return next((a for a in self.awards.values() if a.live and a.terms.project_id == project_id), None)

    async def awards_due(self, today: date, limit: int = 500) -> list[str]:
        return sorted(a.award_id for a in self.awards.values()
                      if a.status == "proposed" and a.standstill_ends < today)[:limit]

    async def complaint(self, complaint_id: str, reader: Any = None) -> Complaint | None:
        return self.complaints.get(complaint_id)

    async def complaints_of(self, award_ids: Collection[str], reader: Any = None) -> list[Complaint]:
        return [c for c in self.complaints.values() if c.award_id in award_ids]

    def insert_complaint(self, complaint: Complaint, tx: Transaction) -> None:
        assert complaint.complaint_id not in self.complaints
        self.complaints[complaint.complaint_id] = complaint

    def save_complaint(self, complaint: Complaint, tx: Transaction) -> None:
        self.complaints[complaint.complaint_id] = complaint

    async def interest(self, interest_id: str, reader: Any = None) -> InterestRecorded | None:
        return self.interests.get(interest_id)

    def insert_interest(self, interest: InterestRecorded, tx: Transaction) -> None:
        assert interest.interest_id not in self.interests
        self.interests[interest.interest_id] = interest

    async def interests_of(self, fair_id: str, reader: Any = None) -> list[InterestRecorded]:
        return sorted((i for i in self.interests.values() if i.fair_id == fair_id), key=lambda i: i.interest_id)


@pytest.fixture
def matching() -> Matching:
    tables = tuple(district_tables(DEFAULT_STREETS, DEFAULT_DEPARTMENTS))
    return Matching(InMemoryMatching(), MatchingRules(), tables)  # type: ignore[arg-type]


def store(matching: Matching) -> InMemoryMatching:
    kept = matching.store
    assert isinstance(kept, InMemoryMatching)
    return kept


async def send(matching: Matching, event_type: str, data: dict[str, Any], today: date = TODAY) -> Emitted:
    return await deliver(subscriptions, matching, event_type, data, today=today)


def project(project_id: str, **changes: Any) -> dict[str, Any]:
    return as_published("catalog.project.published") | {"project_id": project_id,
                                                        "project_ref": f"ref-{project_id}"} | changes


def organization(org_id: str = str(ORG_ID), **changes: Any) -> dict[str, Any]:
    return as_published("registration.organization.registered") | {"org_id": org_id} | changes


def grade(org_id: str = str(ORG_ID), **changes: Any) -> dict[str, Any]:
    return as_published("grading.grade.assigned") | {"org_id": org_id} | changes


async def district(matching: Matching, *project_ids: str) -> None:
    """The batch's projects (3A minimum, 助老, 望江路街道) and two graded organizations that fit them."""
    for project_id in project_ids or ("p-1",):
        await send(matching, "catalog.project.published", project(project_id))
    for org_id in (str(ORG_ID), OTHER_ORG):
        await send(matching, "registration.organization.registered", organization(org_id))
        await send(matching, "grading.grade.assigned", grade(org_id))


async def open_fair(matching: Matching, fair_ref: str = "wuhou-2014-11-19") -> dict[str, Any]:
    emitted = await send(matching, "intake.fair.opened", {"fair_ref": fair_ref, "batch": "2015-1",
                                                          "date": "2015-03-10", "slots": 4, "slot_minutes": 20})
    return emitted.one("matching.fair.opened")


async def interest(matching: Matching, fair_id: str, project_id: str, org_id: str = str(ORG_ID)) -> Emitted:
    return await send(matching, "intake.interest.expressed",
                      {"fair_id": fair_id, "org_id": org_id, "project_id": project_id})


async def test_an_organizations_newest_state_is_kept_and_a_stale_one_changes_nothing(matching: Matching) -> None:
    await send(matching, "registration.organization.suspended",
               organization(status="suspended", version=2, reason="年检不合格"))
    assert await send(matching, "registration.organization.registered", organization()) == []
    kept = store(matching).organizations[str(ORG_ID)]
    assert (kept.status, kept.version) == ("suspended", 2)


async def test_an_event_that_breaks_its_contract_is_unprocessable_and_keeps_nothing(matching: Matching) -> None:
    with pytest.raises(Unprocessable, match="grade"):
        await send(matching, "grading.grade.assigned", grade(grade="6A"))
    assert store(matching).grades == {}


async def test_a_fair_is_opened_from_matchings_copies_and_its_ref_cannot_be_used_again(matching: Matching) -> None:
    await district(matching)
    fair = await open_fair(matching)
    assert sorted(fair["invited"]) == sorted([str(ORG_ID), OTHER_ORG])
    assert fair["fair_id"] in store(matching).fairs
    again = await send(matching, "intake.fair.opened", {"fair_ref": "wuhou-2014-11-19", "batch": "2015-1",
                                                        "date": "2015-03-10", "slots": 4, "slot_minutes": 20})
    assert again.errors() == {"fair_ref": f"is already used by fair {fair['fair_id']}"}


async def test_a_grade_valid_until_the_day_still_counts_and_lapses_the_day_after(matching: Matching) -> None:
    await send(matching, "catalog.project.published", project("p-1"))
    await send(matching, "registration.organization.registered", organization())
    await send(matching, "grading.grade.assigned", grade(valid_until=TODAY.isoformat()))
    assert (await send(matching, "intake.fair.opened", {"fair_ref": "on-the-day", "batch": "2015-1", "date":
                       "2015-03-10", "slots": 4, "slot_minutes": 20})).types() == ["matching.fair.opened"]
    late = await send(matching, "intake.fair.opened", {"fair_ref": "a-day-late", "batch": "2015-1", "date":
                      "2015-03-10", "slots": 4, "slot_minutes": 20}, today=TODAY + timedelta(days=1))
    assert "is eligible for any of the 1 published projects" in late.errors()["batch"]


async def test_an_interest_that_cannot_be_read_is_refused_echoing_its_ids_and_keeps_nothing(
    matching: Matching,
) -> None:
    emitted = await send(matching, "intake.interest.expressed",
                         {"fair_id": "f-1", "org_id": "o-1", "project_id": "p-1", "price": 100})
    [rejection] = emitted
    assert rejection.type == "matching.interest.rejected"
    assert rejection.data == {"fair_id": "f-1", "org_id": "o-1", "project_id": "p-1",
                              "errors": [{"field": "price", "message": "is not a known field"}]}
    assert store(matching).interests == {}


async def test_an_interest_is_kept_once_and_the_same_one_again_is_refused(matching: Matching) -> None:
    await district(matching)
    fair = await open_fair(matching)
    first = (await interest(matching, fair["fair_id"], "p-1")).one("matching.interest.recorded")
    again = await interest(matching, fair["fair_id"], "p-1")
    assert first["interest_id"] in again.errors()["project_id"]
    assert list(store(matching).interests) == [first["interest_id"]]


async def test_a_schedule_asked_again_adds_a_late_interest_and_announces_only_the_change(
    matching: Matching,
) -> None:
    await district(matching, "p-1", "p-2")
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    first = (await send(matching, "intake.fair.schedule_requested", {"fair_id": fair["fair_id"]})).one(
        "matching.fair.scheduled")
    await interest(matching, fair["fair_id"], "p-2", OTHER_ORG)
    again = (await send(matching, "intake.fair.schedule_requested", {"fair_id": fair["fair_id"]})).one(
        "matching.fair.rescheduled")
    assert len(first["meetings"]) == 1 and [a["meeting"]["org_id"] for a in again["added"]] == [OTHER_ORG]
    assert again["moved"] == [] and again["cancelled"] == []
    kept = store(matching).fairs[fair["fair_id"]].schedule
    assert kept is not None and kept.revision == 2 and len(kept.meetings) == 2


TABLE = {"kind": "street", "name": "望江路街道"}


async def schedule(matching: Matching, fair_id: str, **more: Any) -> Emitted:
    return await send(matching, "intake.fair.schedule_requested", {"fair_id": fair_id, **more})


async def test_a_declined_meeting_is_never_scheduled_and_a_reschedule_cancels_it_with_the_reason(
    matching: Matching,
) -> None:
    await district(matching)
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    first = (await schedule(matching, fair["fair_id"])).one("matching.fair.scheduled")
    assert [m["org_id"] for m in first["meetings"]] == [str(ORG_ID)]
    declined = await send(matching, "intake.meeting.declined", {"fair_id": fair["fair_id"], "purchaser": TABLE,
                                                                "org_id": str(ORG_ID), "reason": "已有合作"})
    assert declined.types() == ["matching.meeting.declined"]
    again = (await schedule(matching, fair["fair_id"])).one("matching.fair.rescheduled")
    assert [c["reason"] for c in again["cancelled"]] == ["declined by the purchaser: 已有合作"]
    assert again["added"] == [] and again["moved"] == []


async def test_a_meeting_moves_out_of_a_slot_its_table_is_away_and_the_move_says_why(matching: Matching) -> None:
    await district(matching)
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    [meeting] = (await schedule(matching, fair["fair_id"])).one("matching.fair.scheduled")["meetings"]
    assert (meeting["slot"], meeting["starts_at"]) == (1, "2015-03-10T14:00:00+08:00")
    away = await send(matching, "intake.fair.availability", {"fair_id": fair["fair_id"], "purchaser": TABLE,
                                                             "windows": [{"start": "14:00", "end": "14:30"}]})
    assert away.one("matching.fair.availability_recorded")["unavailable_slots"] == [1, 2]
    [moved] = (await schedule(matching, fair["fair_id"])).one("matching.fair.rescheduled")["moved"]
    assert (moved["from_slot"], moved["meeting"]["slot"]) == (1, 3)
    assert moved["reason"] == "the purchaser's table is away in slot 1"


async def test_a_locked_meeting_cannot_be_declined_nor_its_slot_made_unavailable(matching: Matching) -> None:
    await district(matching)
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    refused = await send(matching, "intake.meeting.locked", {"fair_id": fair["fair_id"], "org_id": str(ORG_ID),
                                                             "purchaser": TABLE})
    assert "no schedule has been announced" in refused.errors()["org_id"]
    await schedule(matching, fair["fair_id"])
    locked = await send(matching, "intake.meeting.locked", {"fair_id": fair["fair_id"], "org_id": str(ORG_ID),
                                                            "purchaser": TABLE})
    assert locked.one("matching.meeting.locked")["slot"] == 1
    away = await send(matching, "intake.fair.availability", {"fair_id": fair["fair_id"], "purchaser": TABLE,
                                                             "unavailable_slots": [1]})
    assert "locked meeting" in away.errors()["unavailable_slots"]
    declined = await send(matching, "intake.meeting.declined", {"fair_id": fair["fair_id"], "purchaser": TABLE,
                                                                "org_id": str(ORG_ID), "reason": "不需要"})
    assert "locked" in declined.errors()["org_id"]


async def test_a_purchaser_may_ask_for_an_invited_organization_that_expressed_no_interest(
    matching: Matching,
) -> None:
    await district(matching)
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    asked = await send(matching, "intake.meeting.requested", {"fair_id": fair["fair_id"], "purchaser": TABLE,
                                                              "org_id": OTHER_ORG, "priority": "must"})
    assert asked.one("matching.meeting.requested")["priority"] == "must"
    meetings = (await schedule(matching, fair["fair_id"])).one("matching.fair.scheduled")["meetings"]
    assert sorted((m["org_id"], m["must"]) for m in meetings) == sorted([(str(ORG_ID), False), (OTHER_ORG, True)])
    stranger = await send(matching, "intake.meeting.requested", {"fair_id": fair["fair_id"], "purchaser": TABLE,
                                                                 "org_id": "o-nobody", "priority": "want"})
    assert "was not invited" in stranger.errors()["org_id"]


async def test_awards_are_decided_once_and_a_second_request_names_the_awards_without_proposing_again(
    matching: Matching,
) -> None:
    await district(matching, "p-1", "p-2")
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    first = await send(matching, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]})
    assert first.types() == ["matching.award.proposed", "matching.project.unawarded"]
    award_id = first.one("matching.award.proposed")["award_id"]
    again = await send(matching, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]})
    assert again.types() == ["matching.fair.rejected"]
    assert again.one("matching.fair.rejected")["award_ids"] == [award_id]
    assert "(rule: awards_once)" in again.errors()["fair_id"]
    assert list(store(matching).awards) == [award_id]


async def test_a_project_an_award_of_another_fair_holds_is_not_offered_again(matching: Matching) -> None:
    await district(matching, "p-1", "p-2")
    autumn = await open_fair(matching, "autumn")
    await interest(matching, autumn["fair_id"], "p-1")
    await send(matching, "intake.fair.awards_requested", {"fair_id": autumn["fair_id"]})
    # The catalog still says p-1 is published (its award stands still): matching's own award makes it taken.
    spring = await open_fair(matching, "spring")
    refused = await interest(matching, spring["fair_id"], "p-1", OTHER_ORG)
    assert "(rule: open)" in refused.errors()["project_id"]
    await interest(matching, spring["fair_id"], "p-2", OTHER_ORG)
    answers = await send(matching, "intake.fair.awards_requested", {"fair_id": spring["fair_id"]})
    assert [(e.type, e.data["project_id"]) for e in answers] == [("matching.award.proposed", "p-2")]


async def test_an_awards_request_with_no_open_project_left_is_answered_and_a_later_one_is_not_blocked(
    matching: Matching,
) -> None:
    await district(matching, "p-1")
    await send(matching, "registration.organization.registered", organization(THIRD_ORG))
    await send(matching, "grading.grade.assigned", grade(THIRD_ORG))
    autumn = await open_fair(matching, "autumn")
    spring = await open_fair(matching, "spring")
    await interest(matching, autumn["fair_id"], "p-1")
    await interest(matching, autumn["fair_id"], "p-1", OTHER_ORG)
    proposal = (await send(matching, "intake.fair.awards_requested", {"fair_id": autumn["fair_id"]})).one(
        "matching.award.proposed")
    nothing_open = await send(matching, "intake.fair.awards_requested", {"fair_id": spring["fair_id"]})
    assert "(rule: open_projects)" in nothing_open.errors()["fair_id"]
    assert store(matching).fairs[spring["fair_id"]].awards is None
    # Upheld, with the only other interested organization suspended meanwhile: nobody is left at the autumn
    # fair, p-1 is open again, and the spring fair may award it.
    complaint = (await complain(matching, proposal["award_id"], OTHER_ORG)).one("matching.complaint.registered")
    await send(matching, "registration.organization.suspended",
               organization(OTHER_ORG, status="suspended", version=2) | {"reason": "年检不合格"})
    upheld = await decide(matching, complaint["complaint_id"], upheld=True)
    assert upheld.types()[-1] == "matching.project.unawarded"
    await interest(matching, spring["fair_id"], "p-1", THIRD_ORG)
    again = await send(matching, "intake.fair.awards_requested", {"fair_id": spring["fair_id"]})
    assert [(e.type, e.data["org_id"]) for e in again] == [("matching.award.proposed", THIRD_ORG)]


# -- complaints, decisions and the standstill -----------------------------------------------------------------


async def awarded_fair(matching: Matching) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fair whose p-1 three organizations wanted: ORG_ID (5A) gets it before OTHER_ORG (4A) and THIRD (3A)."""
    await district(matching, "p-1")
    await send(matching, "registration.organization.registered", organization(THIRD_ORG))
    await send(matching, "grading.grade.assigned", grade(THIRD_ORG, grade="3A"))
    await send(matching, "grading.grade.assigned", grade(grade="5A", version=2))
    await send(matching, "grading.grade.assigned", grade(OTHER_ORG, grade="4A", version=2))
    fair = await open_fair(matching)
    for org_id in (str(ORG_ID), OTHER_ORG, THIRD_ORG):
        await interest(matching, fair["fair_id"], "p-1", org_id)
    decision = await send(matching, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]})
    return fair, decision.one("matching.award.proposed")


async def complain(matching: Matching, award_id: str, org_id: str, today: date = TODAY) -> Emitted:
    return await send(matching, "intake.complaint.filed", {"award_id": award_id, "org_id": org_id,
                                                           "grounds": "场地条件评分有误"}, today=today)


async def decide(matching: Matching, complaint_id: str, upheld: bool, today: date = TODAY) -> Emitted:
    return await send(matching, "intake.complaint.decided", {"complaint_id": complaint_id, "upheld": upheld,
                                                             "reasoning": "经复核"}, today=today)


async def run_standstill(matching: Matching, today: date) -> Emitted:
    return await run_job(standstill, matching, today)


async def test_an_award_is_proposed_then_final_the_day_after_its_standstill_announced_once_with_a_stable_id(
    matching: Matching,
) -> None:
    _, proposal = await awarded_fair(matching)
    assert (proposal["org_id"], proposal["standstill_ends"]) == (str(ORG_ID), "2015-03-11")
    assert await run_standstill(matching, date(2015, 3, 11)) == []
    [contract] = await run_standstill(matching, date(2015, 3, 12))
    assert (contract.type, contract.event_id, contract.correlation_id) == (
        "matching.contract.awarded", event_id(proposal["award_id"], "contract"), None)
    assert contract.data["contract_id"] == proposal["contract_id"]
    assert contract.data["awarded_on"] == "2015-03-12"
    assert store(matching).awards[proposal["award_id"]].status == "final"
    assert await run_standstill(matching, date(2015, 3, 13)) == []


async def test_a_complaint_suspends_the_award_and_upheld_it_goes_to_the_next_best_organization(
    matching: Matching,
) -> None:
    _, proposal = await awarded_fair(matching)
    registered = (await complain(matching, proposal["award_id"], OTHER_ORG, date(2015, 3, 4))).one(
        "matching.complaint.registered")
    assert registered["days_left"] == 5
    assert await run_standstill(matching, date(2015, 3, 20)) == []  # suspended: not final however late
    upheld = await decide(matching, registered["complaint_id"], upheld=True, today=date(2015, 3, 20))
    assert upheld.types() == ["matching.complaint.decided", "matching.award.cancelled", "matching.award.proposed"]
    again = upheld.one("matching.award.proposed")
    assert (again["org_id"], again["replaces"], again["standstill_ends"]) == (
        OTHER_ORG, proposal["award_id"], "2015-03-31")
    kept = store(matching).awards
    assert (kept[proposal["award_id"]].status, kept[again["award_id"]].status) == ("cancelled", "proposed")
    [contract] = await run_standstill(matching, date(2015, 4, 1))
    assert (contract.data["org_id"], contract.data["contract_id"]) == (OTHER_ORG, proposal["contract_id"])


async def test_a_dismissed_complaint_lets_the_original_award_become_the_contract(matching: Matching) -> None:
    _, proposal = await awarded_fair(matching)
    registered = (await complain(matching, proposal["award_id"], THIRD_ORG, date(2015, 3, 4))).one(
        "matching.complaint.registered")
    dismissed = (await decide(matching, registered["complaint_id"], upheld=False, today=date(2015, 3, 9))).one(
        "matching.complaint.decided")
    assert (dismissed["award_status"], dismissed["standstill_ends"]) == ("proposed", "2015-03-16")
    [contract] = await run_standstill(matching, date(2015, 3, 17))
    assert contract.data["org_id"] == str(ORG_ID)


async def test_a_complaint_after_the_standstill_is_refused_and_the_same_complaint_twice_is_heard_once(
    matching: Matching,
) -> None:
    _, proposal = await awarded_fair(matching)
    late = await complain(matching, proposal["award_id"], OTHER_ORG, date(2015, 3, 12))
    assert "(rule: standstill)" in late.errors()["award_id"]
    first = await complain(matching, proposal["award_id"], OTHER_ORG, date(2015, 3, 5))
    again = await complain(matching, proposal["award_id"], OTHER_ORG, date(2015, 3, 6))
    assert first.types() == ["matching.complaint.registered"]
    assert "(rule: once)" in again.errors()["org_id"]
    assert len(store(matching).complaints) == 1
    assert store(matching).awards[proposal["award_id"]].open_complaints == (
        first.one("matching.complaint.registered")["complaint_id"],)


async def test_a_complaint_from_an_organization_without_an_interest_is_refused(matching: Matching) -> None:
    _, proposal = await awarded_fair(matching)
    stranger = await complain(matching, proposal["award_id"], "no-such-org", date(2015, 3, 4))
    assert "(rule: interested)" in stranger.errors()["org_id"]
    assert store(matching).awards[proposal["award_id"]].status == "proposed"


async def test_a_decision_is_given_once(matching: Matching) -> None:
    _, proposal = await awarded_fair(matching)
    complaint_id = (await complain(matching, proposal["award_id"], OTHER_ORG, date(2015, 3, 4))).one(
        "matching.complaint.registered")["complaint_id"]
    await decide(matching, complaint_id, upheld=False, today=date(2015, 3, 5))
    again = await decide(matching, complaint_id, upheld=True, today=date(2015, 3, 6))
    assert "(rule: decided_once)" in again.errors()["complaint_id"]
    assert store(matching).awards[proposal["award_id"]].status == "proposed"


async def test_an_award_whose_project_was_withdrawn_during_the_standstill_is_cancelled_not_contracted(
    matching: Matching,
) -> None:
    _, proposal = await awarded_fair(matching)
    await send(matching, "catalog.project.status_changed",
               {"project_id": "p-1", "status": "withdrawn", "previous": "published", "version": 2})
    [cancelled] = await run_standstill(matching, date(2015, 3, 12))
    assert (cancelled.type, cancelled.event_id) == ("matching.award.cancelled",
                                                    event_id(proposal["award_id"], "cancelled"))
