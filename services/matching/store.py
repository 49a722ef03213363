"""Matching's MongoDB collections; nothing else touches them. Its copies of other contexts' entities (projects,
organizations, grades, training records, evaluation records, each keyed by that entity's id and kept by the rules of
`projections`), and its own fairs (with the schedule and the awards once decided), interests and contracts.

Reads take the transaction as `reader` inside a handler (they see its own writes) and nothing in read queries;
writes go through the transaction (`shared.documents`). A fair's decision reads whole batches and every
organization at once: one query per collection, joined into `OrganizationProfile`s, never a query per document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING

from services.matching.domain.awards import FairAwards
from services.matching.domain.fairs import Fair, FairRecord
from services.matching.projections import (
    EvaluationRecord,
    GradeView,
    OrganizationProfile,
    OrganizationView,
    ProjectState,
    ProjectStatusChange,
    ProjectView,
    TrainingRecord,
    organization_profile,
)
from shared.contracts.matching import FairScheduled, InterestRecorded
from shared.documents import Collection as Documents
from shared.documents import Writer, count, find, find_one
from shared.mongo import Database, Document
from shared.unit_of_work import Transaction

M = TypeVar("M", bound=BaseModel)


class StaleFair(Exception):
    """The fair's schedule or awards were decided by a competing writer since it was read: the delivery is
    retried, and then answered from what the winner kept."""


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
        await self.fairs.create_index([("batch", ASCENDING), ("date", ASCENDING), ("fair_ref", ASCENDING)],
                                      name="by_batch")
        await self.interests.create_index([("fair_id", ASCENDING)], name="by_fair")
        await self.contracts.create_index([("org_id", ASCENDING)], name="by_organization")
        await self.contracts.create_index([("project_id", ASCENDING)], name="by_project")

    # -- projections of other contexts' entities ------------------------------------------------------------

    async def project(self, project_id: str, reader: Writer | None = None) -> ProjectState | None:
        doc = await find_one(self.projects, {"_id": project_id}, reader)
        return _project(doc) if doc else None

    def save_project(self, state: ProjectState, tx: Transaction) -> None:
        _put(tx, self.projects, state.project_id, state, published=isinstance(state, ProjectView))

    async def projects_of_batch(self, batch: str, reader: Writer | None = None) -> list[ProjectView]:
        """The batch's projects whose publication matching has seen, whatever their status, by project_id."""
        docs = await find(self.projects, {"batch": batch, "published": True}, reader, sort=[("_id", ASCENDING)])
        return [ProjectView.model_validate(doc) for doc in docs]

    async def organization(self, org_id: str, reader: Writer | None = None) -> OrganizationView | None:
        return await _get(self.organizations, org_id, OrganizationView, reader)

    def save_organization(self, organization: OrganizationView, tx: Transaction) -> None:
        _put(tx, self.organizations, organization.org_id, organization)

    async def grade(self, org_id: str, reader: Writer | None = None) -> GradeView | None:
        return await _get(self.grades, org_id, GradeView, reader)

    def save_grade(self, grade: GradeView, tx: Transaction) -> None:
        _put(tx, self.grades, grade.org_id, grade)

    async def training_record(self, org_id: str, reader: Writer | None = None) -> TrainingRecord | None:
        return await _get(self.training, org_id, TrainingRecord, reader)

    def save_training_record(self, record: TrainingRecord, tx: Transaction) -> None:
        _put(tx, self.training, record.org_id, record)

    async def evaluation_record(self, org_id: str, reader: Writer | None = None) -> EvaluationRecord | None:
        return await _get(self.evaluations, org_id, EvaluationRecord, reader)

    def save_evaluation_record(self, record: EvaluationRecord, tx: Transaction) -> None:
        _put(tx, self.evaluations, record.org_id, record)

    async def profiles(
        self, reader: Writer | None = None, *, org_ids: Collection[str] | None = None,
        active_in: Collection[str] | None = None,
    ) -> dict[str, OrganizationProfile]:
        """Everything known about the organizations named (all when None); `active_in`: only the active ones
        with a domain among these categories (nobody else can be eligible for a project of them)."""
        query: Document = {} if org_ids is None else {"_id": {"$in": sorted(org_ids)}}
        if active_in is not None:
            query |= {"status": "active", "domains": {"$in": sorted(active_in)}}
        orgs = [OrganizationView.model_validate(d) for d in await find(self.organizations, query, reader)]
        ids = {"_id": {"$in": [o.org_id for o in orgs]}} if org_ids is not None else {}
        grades = await _all(self.grades, ids, GradeView, reader)
        training = await _all(self.training, ids, TrainingRecord, reader)
        evaluations = await _all(self.evaluations, ids, EvaluationRecord, reader)
        contracts = await self._contract_ids_by_org(None if org_ids is None else [o.org_id for o in orgs], reader)
        return {o.org_id: organization_profile(o, grades.get(o.org_id), training.get(o.org_id),
                                               evaluations.get(o.org_id), contracts.get(o.org_id, ()))
                for o in orgs}

    async def _contract_ids_by_org(self, org_ids: list[str] | None, reader: Writer | None) -> dict[str, list[str]]:
        query: Document = {} if org_ids is None else {"org_id": {"$in": org_ids}}
        found: dict[str, list[str]] = defaultdict(list)
        for doc in await find(self.contracts, query, reader, projection={"org_id": 1}):
            found[doc["org_id"]].append(doc["_id"])
        return found

    async def names(self, org_ids: Iterable[str]) -> dict[str, str]:
        """The names of the organizations matching knows among these, by org_id (for read queries)."""
        docs = await find(self.organizations, {"_id": {"$in": sorted(set(org_ids))}}, projection={"name": 1})
        return {doc["_id"]: doc["name"] for doc in docs}

    # -- fairs, interests, contracts ------------------------------------------------------------------------

    async def fair(self, fair_id: str, reader: Writer | None = None) -> FairRecord | None:
        doc = await find_one(self.fairs, {"_id": fair_id}, reader)
        return _fair(doc) if doc else None

    async def search_fairs(self, query: Mapping[str, Any], *, limit: int, offset: int) -> tuple[list[FairRecord], int]:
        """One page of the fairs matching `query` (by batch, date and fair_ref), and how many match in all."""
        docs = await find(self.fairs, query, sort=[("batch", ASCENDING), ("date", ASCENDING),
                                                   ("fair_ref", ASCENDING)], limit=limit, skip=offset)
        return [_fair(d) for d in docs], await count(self.fairs, query)

    def insert_fair(self, fair: Fair, tx: Transaction) -> None:
        """A newly opened fair; a second insert of the same fair_id fails the commit with DuplicateKeyError."""
        tx.insert(self.fairs, {"_id": fair.fair_id, **fair.model_dump(mode="json"), "schedule": None,
                               "awards": None, "awards_decided_on": None})

    async def save_schedule(self, schedule: FairScheduled, tx: Transaction) -> None:
        """The fair's schedule, once; a competing writer that kept one first makes this a stale decision."""
        matched = await tx.update_now(self.fairs, {"_id": schedule.fair_id, "schedule": None},
                                      {"$set": {"schedule": schedule.model_dump(mode="json")}})
        if matched != 1:
            raise StaleFair(f"fair {schedule.fair_id} had its schedule decided meanwhile")

    async def save_awards(self, awards: FairAwards, decided_on: date, tx: Transaction) -> None:
        """The fair's awards, once, and a contract per award (what counts against each organization's capacity)."""
        matched = await tx.update_now(
            self.fairs, {"_id": awards.fair_id, "awards": None},
            {"$set": {"awards": awards.model_dump(mode="json"), "awards_decided_on": decided_on.isoformat()}})
        if matched != 1:
            raise StaleFair(f"fair {awards.fair_id} had its awards decided meanwhile")
        tx.insert_many(self.contracts, [
            {"_id": a.contract_id, "fair_id": a.fair_id, "project_id": a.project_id, "org_id": a.org_id,
             "amount_fen": a.amount_fen, "awarded_on": decided_on.isoformat()} for a in awards.awards
        ])

    async def projects_under_contract(self, project_ids: Iterable[str], but_fair: str,
                                      reader: Writer | None = None) -> set[str]:
        """Which of these projects another fair has already awarded."""
        query = {"project_id": {"$in": sorted(set(project_ids))}, "fair_id": {"$ne": but_fair}}
        return {d["project_id"] for d in await find(self.contracts, query, reader, projection={"project_id": 1})}

    async def interest(self, interest_id: str, reader: Writer | None = None) -> InterestRecorded | None:
        return await _get(self.interests, interest_id, InterestRecorded, reader)

    def insert_interest(self, interest: InterestRecorded, tx: Transaction) -> None:
        tx.insert(self.interests, {"_id": interest.interest_id, **interest.model_dump(mode="json")})

    async def interests_of(self, fair_id: str, reader: Writer | None = None, *, limit: int = 0,
                           offset: int = 0) -> list[InterestRecorded]:
        """The fair's interests by interest_id (a page of them when `limit` is given)."""
        docs = await find(self.interests, {"fair_id": fair_id}, reader, sort=[("_id", ASCENDING)], limit=limit,
                          skip=offset)
        return [InterestRecorded.model_validate(doc) for doc in docs]

    async def count_interests(self, fair_id: str) -> int:
        return await count(self.interests, {"fair_id": fair_id})


def _project(doc: Document) -> ProjectState:
    return ProjectView.model_validate(doc) if doc.get("published") else ProjectStatusChange.model_validate(doc)


def _fair(doc: Document) -> FairRecord:
    schedule, awards, decided_on = doc.get("schedule"), doc.get("awards"), doc.get("awards_decided_on")
    return FairRecord(
        fair=Fair.model_validate(doc),
        schedule=FairScheduled.model_validate(schedule) if schedule else None,
        awards=FairAwards.model_validate(awards) if awards else None,
        awards_decided_on=date.fromisoformat(decided_on) if decided_on else None,
    )


async def _get(collection: Documents, key: str, model: type[M], reader: Writer | None) -> M | None:
    doc = await find_one(collection, {"_id": key}, reader)
    return model.model_validate(doc) if doc else None


def _put(tx: Transaction, collection: Documents, key: str, value: BaseModel, **extra: Any) -> None:
    tx.replace(collection, key, {"_id": key, **value.model_dump(mode="json"), **extra}, upsert=True)


async def _all(collection: Documents, query: Document, model: type[M], reader: Writer | None) -> dict[str, M]:
    return {doc["_id"]: model.model_validate(doc) for doc in await find(collection, query, reader)}
