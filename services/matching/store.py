"""Matching's MongoDB collections; nothing else touches them. Its copies of other contexts' entities (projects,
organizations, grades, training records, evaluation records, each keyed by that entity's id and kept by the rules of
`projections`), and its own fairs (with the schedule and the award decision once made), interests, awards (each
through its lifecycle, `domain.standstill`; a live one holds its project and counts against its organization's
capacity) and complaints.

Reads take the transaction as `reader` inside a handler (they see its own writes) and nothing in read queries;
writes go through the transaction (`shared.documents`). A fair's decision reads whole batches and every
organization at once: one query per collection, joined into `OrganizationProfile`s, never a query per document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING

from services.matching.domain.awards import FairAwards
from services.matching.domain.complaints import Complaint
from services.matching.domain.fairs import Fair, FairEntry, FairRecord
from services.matching.domain.sides import FairSides, Said, sides_of
from services.matching.domain.standstill import Award, proposed
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
from shared.contracts.matching import (
    AvailabilityRecorded,
    FairScheduled,
    InterestRecorded,
    MeetingDeclined,
    MeetingLocked,
    MeetingRequested,
)
from shared.documents import Collection as Documents
from shared.documents import Writer, count, find, find_by, find_one, find_one_as
from shared.mongo import Database, Document
from shared.unit_of_work import Transaction

M = TypeVar("M", bound=BaseModel)


class StaleFair(Exception):
    """The fair's schedule or awards were decided by a competing writer since it was read: the delivery is
    retried, and then answered from what the winner kept."""


class StaleAward(Exception):
    """The award changed since it was read (a complaint, a decision or the standstill job of a competing writer):
    the delivery or the job's step is retried, and sees the winner's state."""


LIVE = {"$ne": "cancelled"}


def _live(award: Document) -> bool:
    """`LIVE` in memory: an award whose status is anything but cancelled."""
    return award.get("status") != "cancelled"


class MatchingStore:
    def __init__(self, db: Database) -> None:
        self.projects = db["projects"]
        self.organizations = db["organizations"]
        self.grades = db["grades"]
        self.training = db["training"]
        self.evaluations = db["evaluations"]
        self.fairs = db["fairs"]
        self.interests = db["interests"]
        self.awards = db["awards"]
        self.complaints = db["complaints"]
        self.sides = db["fair_sides"]

    async def ensure_indexes(self) -> None:
        await self.projects.create_index([("batch", ASCENDING), ("status", ASCENDING)], name="by_batch_status")
        await self.fairs.create_index([("batch", ASCENDING), ("date", ASCENDING), ("fair_ref", ASCENDING)],
                                      name="by_batch")
        await self.interests.create_index([("fair_id", ASCENDING)], name="by_fair")
        await self.awards.create_index([("org_id", ASCENDING)], name="by_organization")
        await self.awards.create_index([("project_id", ASCENDING)], name="by_project")
        await self.awards.create_index([("fair_id", ASCENDING), ("project_id", ASCENDING)], name="by_fair")
        await self.awards.create_index([("status", ASCENDING), ("standstill_ends", ASCENDING)], name="by_standstill")
        await self.complaints.create_index([("award_id", ASCENDING)], name="by_award")
        await self.sides.create_index([("fair_id", ASCENDING)], name="by_fair")

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

    async def profile(self, org_id: str, reader: Writer | None = None) -> OrganizationProfile | None:
        """Everything known about one organization, each copy looked up by id (in a group commit, with the batch's
        look-ups: `handlers.interest_reads`); None if matching has no copy of it."""
        organization = await self.organization(org_id, reader)
        if organization is None:
            return None
        contracts = [d["contract_id"] for d in await find_by(self.awards, "org_id", org_id, reader) if _live(d)]
        return organization_profile(organization, await self.grade(org_id, reader),
                                    await self.training_record(org_id, reader),
                                    await self.evaluation_record(org_id, reader), contracts)

    async def _contract_ids_by_org(self, org_ids: list[str] | None, reader: Writer | None) -> dict[str, list[str]]:
        """The contracts each organization's live awards are or will become (what holds its capacity)."""
        query: Document = {"status": LIVE} | ({} if org_ids is None else {"org_id": {"$in": org_ids}})
        found: dict[str, list[str]] = defaultdict(list)
        for doc in await find(self.awards, query, reader, projection={"org_id": 1, "contract_id": 1}):
            found[doc["org_id"]].append(doc["contract_id"])
        return found

    async def names(self, org_ids: Iterable[str]) -> dict[str, str]:
        """The names of the organizations matching knows among these, by org_id (for read queries)."""
        docs = await find(self.organizations, {"_id": {"$in": sorted(set(org_ids))}}, projection={"name": 1})
        return {doc["_id"]: doc["name"] for doc in docs}

    # -- fairs, interests, contracts ------------------------------------------------------------------------

    async def fair(self, fair_id: str, reader: Writer | None = None) -> FairRecord | None:
        """The fair; in a transaction, read and validated once until the transaction writes to the fairs."""
        return await find_one_as(self.fairs, {"_id": fair_id}, reader, _fair)

    async def fair_entry(self, fair_id: str, reader: Writer | None = None) -> FairEntry | None:
        """What an interest is checked against, read without the parts that grow with the batch (the invitations'
        reasons, the uncovered projects, the schedule, the awards); in a transaction, once a batch."""
        return await find_one_as(self.fairs, {"_id": fair_id}, reader, _fair_entry, projection=FAIR_ENTRY)

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

    async def replace_schedule(self, schedule: FairScheduled, tx: Transaction) -> None:
        """A reschedule, over the revision it was planned from; a competing writer's first makes it stale."""
        matched = await tx.update_now(self.fairs, {"_id": schedule.fair_id, "schedule.revision": schedule.revision - 1},
                                      {"$set": {"schedule": schedule.model_dump(mode="json")}})
        if matched != 1:
            raise StaleFair(f"fair {schedule.fair_id} was rescheduled meanwhile")

    async def fair_sides(self, fair_id: str, reader: Writer | None = None) -> FairSides:
        """Everything both sides said about the fair's meetings (`domain.sides`)."""
        return sides_of(_said(doc) for doc in await find(self.sides, {"fair_id": fair_id}, reader,
                                                          sort=[("_id", ASCENDING)]))

    def save_said(self, said: Said, tx: Transaction) -> None:
        """One side's say, replacing what the same side said before about the same table or meeting."""
        kind = _SAID_KIND[type(said)]
        if isinstance(said, AvailabilityRecorded):
            key = f"{said.fair_id}:{kind}:{said.purchaser.key}"
        elif isinstance(said, MeetingRequested):
            key = f"{said.fair_id}:{kind}:{said.requested_by}:{said.org_id}:{said.purchaser.key}"
        else:
            key = f"{said.fair_id}:{kind}:{said.org_id}:{said.purchaser.key}"
        _put(tx, self.sides, key, said, kind=kind)

    async def save_awards(self, awards: FairAwards, decided_on: date, tx: Transaction) -> None:
        """The fair's award decision, once, and each award it proposes (what holds its project and counts against
        its organization's capacity from now on)."""
        matched = await tx.update_now(
            self.fairs, {"_id": awards.fair_id, "awards": None},
            {"$set": {"awards": awards.model_dump(mode="json"), "awards_decided_on": decided_on.isoformat()}})
        if matched != 1:
            raise StaleFair(f"fair {awards.fair_id} had its awards decided meanwhile")
        tx.insert_many(self.awards, [_award_document(proposed(a)) for a in awards.awards])

    def insert_award(self, award: Award, tx: Transaction) -> None:
        """A new award (a re-award); the same award_id twice fails the commit with DuplicateKeyError."""
        tx.insert(self.awards, _award_document(award))

    async def save_award(self, award: Award, tx: Transaction) -> None:
        """The award's new state, only over the version it was read at; else a competing writer came first."""
        matched = await tx.replace_if(self.awards, {"_id": award.award_id, "version": award.version - 1},
                                      _award_document(award))
        if matched != 1:
            raise StaleAward(f"award {award.award_id} changed since it was read")

    async def look_up_awards(self, award_ids: Sequence[str], tx: Transaction) -> None:
        """Read these awards and their projects for the transaction, two reads for all, for its look-ups of each
        by id to come (the standstill job's group)."""
        await tx.pending.look_up(self.awards, award_ids)
        awards = [await self.award(award_id, tx) for award_id in award_ids]
        await tx.pending.look_up(self.projects, [a.terms.project_id for a in awards if a is not None])

    async def award(self, award_id: str, reader: Writer | None = None) -> Award | None:
        doc = await find_one(self.awards, {"_id": award_id}, reader)
        return _award(doc) if doc else None

    async def awards_of_project(self, fair_id: str, project_id: str, reader: Writer | None = None) -> list[Award]:
        """Every award of the project at the fair, the cancelled ones too, oldest first."""
        docs = await find(self.awards, {"fair_id": fair_id, "project_id": project_id}, reader,
                          sort=[("proposed_on", ASCENDING), ("_id", ASCENDING)])
        return [_award(d) for d in docs]

    async def projects_taken(self, project_ids: Iterable[str], but_fair: str,
                             reader: Writer | None = None) -> set[str]:
        """Which of these projects a live award of another fair holds (under standstill, or final)."""
        query = {"project_id": {"$in": sorted(set(project_ids))}, "fair_id": {"$ne": but_fair}, "status": LIVE}
        return {d["project_id"] for d in await find(self.awards, query, reader, projection={"project_id": 1})}

    async def award_holding(self, project_id: str, reader: Writer | None = None) -> Award | None:
        """The live award holding the project (at any fair), if any. Read by `find_by` (all of the project's
        awards, the cancelled ones too: a few), so that a batch of interests reads those of its projects at once."""
        doc = next((d for d in await find_by(self.awards, "project_id", project_id, reader) if _live(d)), None)
        return _award(doc) if doc else None

    async def awards_due(self, today: date, limit: int = 500) -> list[str]:
        """Proposed awards whose standstill ended before `today`, oldest end first (the standstill job's work)."""
        docs = await find(self.awards, {"status": "proposed", "standstill_ends": {"$lt": today.isoformat()}},
                          sort=[("standstill_ends", ASCENDING), ("_id", ASCENDING)], limit=limit,
                          projection={"_id": 1})
        return [str(d["_id"]) for d in docs]

    async def search_awards(self, query: Mapping[str, Any], *, limit: int, offset: int) -> tuple[list[Award], int]:
        """One page of the awards matching `query` (by fair, project, organization, status), and how many in all."""
        docs = await find(self.awards, query, sort=[("proposed_on", ASCENDING), ("fair_id", ASCENDING),
                                                    ("project_id", ASCENDING), ("_id", ASCENDING)],
                          limit=limit, skip=offset)
        return [_award(d) for d in docs], await count(self.awards, query)

    async def fair_ids_of_batch(self, batch: str) -> list[str]:
        return [str(d["_id"]) for d in await find(self.fairs, {"batch": batch}, projection={"_id": 1})]

    # -- complaints -------------------------------------------------------------------------------------------

    async def complaint(self, complaint_id: str, reader: Writer | None = None) -> Complaint | None:
        doc = await find_one(self.complaints, {"_id": complaint_id}, reader)
        return Complaint.model_validate(doc) if doc else None

    async def complaints_of(self, award_ids: Collection[str], reader: Writer | None = None) -> list[Complaint]:
        """The complaints against these awards, by award then filing."""
        docs = await find(self.complaints, {"award_id": {"$in": sorted(award_ids)}}, reader,
                          sort=[("award_id", ASCENDING), ("filed_on", ASCENDING), ("_id", ASCENDING)])
        return [Complaint.model_validate(d) for d in docs]

    def insert_complaint(self, complaint: Complaint, tx: Transaction) -> None:
        """A newly registered complaint; the same one twice fails the commit with DuplicateKeyError."""
        tx.insert(self.complaints, {"_id": complaint.complaint_id, **complaint.model_dump(mode="json")})

    def save_complaint(self, complaint: Complaint, tx: Transaction) -> None:
        tx.replace(self.complaints, complaint.complaint_id,
                   {"_id": complaint.complaint_id, **complaint.model_dump(mode="json")})

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


_SAID_KIND: dict[type[BaseModel], str] = {
    AvailabilityRecorded: "availability", MeetingDeclined: "declined", MeetingRequested: "requested",
    MeetingLocked: "locked"}


def _said(doc: Document) -> Said:
    model = next(m for m, kind in _SAID_KIND.items() if kind == doc["kind"])
    said: Said = model.model_validate(doc)  # type: ignore[assignment]
    return said


def _award_document(award: Award) -> Document:
    terms = award.terms
    return {"_id": award.award_id, "fair_id": terms.fair_id, "project_id": terms.project_id, "org_id": terms.org_id,
            "contract_id": terms.contract_id, "proposed_on": terms.proposed_on.isoformat(),
            **award.model_dump(mode="json")}


def _award(doc: Document) -> Award:
    return Award.model_validate({k: v for k, v in doc.items() if k in Award.model_fields})


def _project(doc: Document) -> ProjectState:
    return ProjectView.model_validate(doc) if doc.get("published") else ProjectStatusChange.model_validate(doc)


FAIR_ENTRY = {"fair_id": 1, "fair_ref": 1, "batch": 1, "invited": 1, "awards_decided_on": 1}


def _fair_entry(doc: Document) -> FairEntry:
    return FairEntry(fair_id=doc["fair_id"], fair_ref=doc["fair_ref"], batch=doc["batch"],
                     invited=frozenset(doc["invited"]), awards_decided=doc.get("awards_decided_on") is not None)


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
