"""Matching's MongoDB collections; nothing else touches them. Its copies of other contexts' entities (projects,
organizations, grades, training records, evaluation records, each keyed by that entity's id and kept by the rules of
`projections`), and its own fairs (with the schedule and the awards once decided), interests and contracts.

A fair's decision reads whole batches and every organization at once: one query per collection (`find(...)
.to_list()`), joined here into `OrganizationProfile`s, never a query per document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from services.matching.domain.awards import FairAwards
from services.matching.domain.fairs import Fair
from services.matching.projections import (
    EvaluationRecord,
    GradeView,
    OrganizationProfile,
    OrganizationView,
    ProjectState,
    ProjectStatusChange,
    ProjectView,
    TrainingRecord,
    count_active_contracts,
)
from shared.contracts.matching import FairScheduled, InterestRecorded
from shared.mongo import Database, Document

Session = AsyncClientSession | None
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class FairRecord:
    """A fair as matching keeps it: what it announced, and its schedule and awards once decided."""

    fair: Fair
    schedule: FairScheduled | None = None
    awards: FairAwards | None = None
    awards_decided_on: date | None = None


class StaleFair(Exception):
    """The fair's awards were decided by a competing writer since it was read: the delivery is retried."""


class MatchingStore:
    def __init__(self, db: Database) -> None:
        self.projects = db["projects"]
        self.organizations = db["organizations"]
        self.grades = db["grades"]
        self.training = db["training"]
        self.evaluations = db["evaluations"]
        self.fairs = db["fairs"]
        self.interests = db["interests"]
        self.contracts = db["contracts"]

    async def ensure_indexes(self) -> None:
        await self.projects.create_index([("batch", ASCENDING), ("status", ASCENDING)], name="by_batch_status")
        await self.interests.create_index([("fair_id", ASCENDING)], name="by_fair")
        await self.contracts.create_index([("org_id", ASCENDING)], name="by_organization")
        await self.contracts.create_index([("project_id", ASCENDING)], name="by_project")

    # -- projections of other contexts' entities ------------------------------------------------------------

    async def project(self, project_id: str, session: Session = None) -> ProjectState | None:
        doc = await self.projects.find_one({"_id": project_id}, session=session)
        return _project(doc) if doc else None

    async def save_project(self, state: ProjectState, session: Session) -> None:
        await _put(self.projects, state.project_id, state, session, published=isinstance(state, ProjectView))

    async def projects_of_batch(self, batch: str, session: Session = None) -> list[ProjectView]:
        """The batch's projects whose publication matching has seen, whatever their status, by project_id."""
        cursor = self.projects.find({"batch": batch, "published": True}, session=session).sort("_id", ASCENDING)
        return [ProjectView.model_validate(doc) for doc in await cursor.to_list()]

    async def organization(self, org_id: str, session: Session = None) -> OrganizationView | None:
        return await _get(self.organizations, org_id, OrganizationView, session)

    async def save_organization(self, organization: OrganizationView, session: Session) -> None:
        await _put(self.organizations, organization.org_id, organization, session)

    async def grade(self, org_id: str, session: Session = None) -> GradeView | None:
        return await _get(self.grades, org_id, GradeView, session)

    async def save_grade(self, grade: GradeView, session: Session) -> None:
        await _put(self.grades, grade.org_id, grade, session)

    async def training_record(self, org_id: str, session: Session = None) -> TrainingRecord | None:
        return await _get(self.training, org_id, TrainingRecord, session)

    async def save_training_record(self, record: TrainingRecord, session: Session) -> None:
        await _put(self.training, record.org_id, record, session)

    async def evaluation_record(self, org_id: str, session: Session = None) -> EvaluationRecord | None:
        return await _get(self.evaluations, org_id, EvaluationRecord, session)

    async def save_evaluation_record(self, record: EvaluationRecord, session: Session) -> None:
        await _put(self.evaluations, record.org_id, record, session)

    async def profiles(
        self, session: Session = None, *, org_ids: Collection[str] | None = None,
        active_in: Collection[str] | None = None,
    ) -> dict[str, OrganizationProfile]:
        """Everything known about the organizations named (all when None); `active_in`: only the active ones
        with a domain among these categories (nobody else can be eligible for a project of them)."""
        query: Document = {} if org_ids is None else {"_id": {"$in": sorted(org_ids)}}
        if active_in is not None:
            query |= {"status": "active", "domains": {"$in": sorted(active_in)}}
        orgs = [OrganizationView.model_validate(d)
                for d in await self.organizations.find(query, session=session).to_list()]
        ids = {"_id": {"$in": [o.org_id for o in orgs]}} if org_ids is not None else {}
        grades = await _all(self.grades, ids, GradeView, session)
        training = await _all(self.training, ids, TrainingRecord, session)
        evaluations = await _all(self.evaluations, ids, EvaluationRecord, session)
        contracts = await self._contract_ids_by_org(None if org_ids is None else [o.org_id for o in orgs], session)
        return {o.org_id: OrganizationProfile(
            organization=o, grade=grades.get(o.org_id),
            finance_completions=training[o.org_id].finance_completions if o.org_id in training else 0,
            evaluations=evaluations[o.org_id].results if o.org_id in evaluations else (),
            active_contracts=count_active_contracts(contracts.get(o.org_id, ()), evaluations.get(o.org_id)),
        ) for o in orgs}

    async def _contract_ids_by_org(self, org_ids: list[str] | None, session: Session) -> dict[str, list[str]]:
        query: Document = {} if org_ids is None else {"org_id": {"$in": org_ids}}
        found: dict[str, list[str]] = defaultdict(list)
        for doc in await self.contracts.find(query, {"org_id": 1}, session=session).to_list():
            found[doc["org_id"]].append(doc["_id"])
        return found

    # -- fairs, interests, contracts ------------------------------------------------------------------------

    async def fair(self, fair_id: str, session: Session = None) -> FairRecord | None:
        doc = await self.fairs.find_one({"_id": fair_id}, session=session)
        if doc is None:
            return None
        schedule, awards, decided_on = doc.get("schedule"), doc.get("awards"), doc.get("awards_decided_on")
        return FairRecord(
            fair=Fair.model_validate(doc),
            schedule=FairScheduled.model_validate(schedule) if schedule else None,
            awards=FairAwards.model_validate(awards) if awards else None,
            awards_decided_on=date.fromisoformat(decided_on) if decided_on else None,
        )

    async def insert_fair(self, fair: Fair, session: Session) -> None:
        """A newly opened fair; a second insert of the same fair_id raises DuplicateKeyError."""
        doc = {"_id": fair.fair_id, **fair.model_dump(mode="json"), "schedule": None, "awards": None,
               "awards_decided_on": None}
        await self.fairs.insert_one(doc, session=session)

    async def save_schedule(self, schedule: FairScheduled, session: Session) -> None:
        await self.fairs.update_one({"_id": schedule.fair_id, "schedule": None},
                                    {"$set": {"schedule": schedule.model_dump(mode="json")}}, session=session)

    async def save_awards(self, awards: FairAwards, decided_on: date, session: Session) -> None:
        """The fair's awards, once, and a contract per award (what counts against each organization's capacity)."""
        result = await self.fairs.update_one(
            {"_id": awards.fair_id, "awards": None},
            {"$set": {"awards": awards.model_dump(mode="json"), "awards_decided_on": decided_on.isoformat()}},
            session=session)
        if result.matched_count != 1:
            raise StaleFair(f"fair {awards.fair_id} had its awards decided meanwhile")
        if awards.awards:
            await self.contracts.insert_many([
                {"_id": a.contract_id, "fair_id": a.fair_id, "project_id": a.project_id, "org_id": a.org_id,
                 "amount_fen": a.amount_fen, "awarded_on": decided_on.isoformat()} for a in awards.awards
            ], session=session)

    async def projects_under_contract(self, project_ids: Iterable[str], but_fair: str,
                                      session: Session = None) -> set[str]:
        """Which of these projects another fair has already awarded."""
        query = {"project_id": {"$in": sorted(set(project_ids))}, "fair_id": {"$ne": but_fair}}
        return {d["project_id"] for d in await self.contracts.find(query, {"project_id": 1}, session=session).to_list()}

    async def interest(self, interest_id: str, session: Session = None) -> InterestRecorded | None:
        return await _get(self.interests, interest_id, InterestRecorded, session)

    async def insert_interest(self, interest: InterestRecorded, session: Session) -> None:
        await self.interests.insert_one({"_id": interest.interest_id, **interest.model_dump(mode="json")},
                                        session=session)

    async def interests_of(self, fair_id: str, session: Session = None) -> list[InterestRecorded]:
        cursor = self.interests.find({"fair_id": fair_id}, session=session).sort("_id", ASCENDING)
        return [InterestRecorded.model_validate(doc) for doc in await cursor.to_list()]


def _project(doc: Document) -> ProjectState:
    return ProjectView.model_validate(doc) if doc.get("published") else ProjectStatusChange.model_validate(doc)


async def _get(collection: AsyncCollection[Document], key: str, model: type[M], session: Session) -> M | None:
    doc = await collection.find_one({"_id": key}, session=session)
    return model.model_validate(doc) if doc else None


async def _put(collection: AsyncCollection[Document], key: str, value: BaseModel, session: Session,
               **extra: Any) -> None:
    doc = {"_id": key, **value.model_dump(mode="json"), **extra}
    await collection.replace_one({"_id": key}, doc, upsert=True, session=session)


async def _all(collection: AsyncCollection[Document], query: Document, model: type[M],
               session: Session) -> dict[str, M]:
    return {doc["_id"]: model.model_validate(doc) for doc in await collection.find(query, session=session).to_list()}
