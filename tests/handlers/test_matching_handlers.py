"""Matching's handlers against an in-memory store: what is loaded, kept and announced for each event, and the
rules between the domain and the store (copies kept at their newest version, a fair's schedule and awards decided
once, a project another fair awarded not offered again)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, timedelta
from typing import Any

import pytest

from services.matching.domain.awards import FairAwards
from services.matching.domain.fairs import Fair, FairRecord, MatchingRules
from services.matching.domain.schedule import district_tables
from services.matching.handlers import Matching, subscriptions
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
from services.matching.store import StaleFair
from shared.consumer import Unprocessable
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.contracts.matching import FairScheduled, InterestRecorded
from shared.unit_of_work import Transaction
from tests.contracts.examples import ORG_ID, as_published
from tests.handlers.support import Emitted, deliver

TODAY = date(2015, 3, 2)
OTHER_ORG = "7b2e5b9f-7e1d-4a9f-8c2f-3a6e8d4b0f12"


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
        self.contracts: dict[str, tuple[str, str, str]] = {}  # contract_id -> (fair_id, project_id, org_id)

    async def project(self, project_id: str, reader: Any = None) -> ProjectState | None:
        return self.projects.get(project_id)

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
            [c for c, (_, _, org_id) in self.contracts.items() if org_id == o.org_id]) for o in orgs}

    async def fair(self, fair_id: str, reader: Any = None) -> FairRecord | None:
        return self.fairs.get(fair_id)

    def insert_fair(self, fair: Fair, tx: Transaction) -> None:
        assert fair.fair_id not in self.fairs
        self.fairs[fair.fair_id] = FairRecord(fair)

    async def save_schedule(self, schedule: FairScheduled, tx: Transaction) -> None:
        record = self.fairs[schedule.fair_id]
        if record.schedule is not None:
            raise StaleFair(schedule.fair_id)
        self.fairs[schedule.fair_id] = FairRecord(record.fair, schedule, record.awards, record.awards_decided_on)

    async def save_awards(self, awards: FairAwards, decided_on: date, tx: Transaction) -> None:
        record = self.fairs[awards.fair_id]
        if record.awards is not None:
            raise StaleFair(awards.fair_id)
        self.fairs[awards.fair_id] = FairRecord(record.fair, record.schedule, awards, decided_on)
        self.contracts |= {a.contract_id: (a.fair_id, a.project_id, a.org_id) for a in awards.awards}

    async def projects_under_contract(self, project_ids: Iterable[str], but_fair: str,
                                      reader: Any = None) -> set[str]:
        wanted = set(project_ids)
        return {p for f, p, _ in self.contracts.values() if p in wanted and f != but_fair}

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
    assert "no organization is eligible" in late.errors()["batch"]


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


async def test_a_schedule_is_decided_once_and_asked_again_is_the_same_even_after_new_interests(
    matching: Matching,
) -> None:
    await district(matching, "p-1", "p-2")
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    first = (await send(matching, "intake.fair.schedule_requested", {"fair_id": fair["fair_id"]})).one(
        "matching.fair.scheduled")
    await interest(matching, fair["fair_id"], "p-2", OTHER_ORG)
    again = (await send(matching, "intake.fair.schedule_requested", {"fair_id": fair["fair_id"]})).one(
        "matching.fair.scheduled")
    assert again == first and len(first["meetings"]) == 1
    kept = store(matching).fairs[fair["fair_id"]].schedule
    assert kept is not None and kept.model_dump(mode="json") == first


async def test_awards_are_decided_once_and_a_second_request_names_the_contracts_without_awarding_again(
    matching: Matching,
) -> None:
    await district(matching, "p-1", "p-2")
    fair = await open_fair(matching)
    await interest(matching, fair["fair_id"], "p-1")
    first = await send(matching, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]})
    assert first.types() == ["matching.contract.awarded", "matching.project.unawarded"]
    contract_id = first.one("matching.contract.awarded")["contract_id"]
    again = await send(matching, "intake.fair.awards_requested", {"fair_id": fair["fair_id"]})
    assert again.types() == ["matching.fair.rejected"]
    assert again.one("matching.fair.rejected")["contract_ids"] == [contract_id]
    assert "(rule: awards_once)" in again.errors()["fair_id"]
    assert list(store(matching).contracts) == [contract_id]


async def test_a_project_another_fair_of_the_batch_awarded_is_not_offered_again(matching: Matching) -> None:
    await district(matching, "p-1", "p-2")
    autumn = await open_fair(matching, "autumn")
    await interest(matching, autumn["fair_id"], "p-1")
    await send(matching, "intake.fair.awards_requested", {"fair_id": autumn["fair_id"]})
    # The catalog has not yet said p-1 is awarded: matching's own contract is what makes it taken.
    spring = await open_fair(matching, "spring")
    await interest(matching, spring["fair_id"], "p-1", OTHER_ORG)
    await interest(matching, spring["fair_id"], "p-2", OTHER_ORG)
    answers = await send(matching, "intake.fair.awards_requested", {"fair_id": spring["fair_id"]})
    assert [(e.type, e.data["project_id"]) for e in answers] == [("matching.contract.awarded", "p-2")]

