"""Training and grading's MongoDB collections (courses, enrolments, its copy of organizations, grading records)
and their queries; nothing else touches them. Documents are keyed by the entity's id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from services.training_grading.grading import GradingRecord
from services.training_grading.organizations import OrganizationView
from services.training_grading.training import Course, Enrolment
from shared.mongo import Database, Document

Session = AsyncClientSession | None


class TrainingGradingStore:
    def __init__(self, db: Database) -> None:
        self.courses = db["courses"]
        self.enrolments = db["enrolments"]
        self.organizations = db["organizations"]
        self.grades = db["grading_records"]

    async def ensure_indexes(self) -> None:
        await self.courses.create_index("course_ref", unique=True, name="one_course_per_ref")
        # Two enrolments racing for the last seat both claim the same seat number: one of them is refused here.
        await self.enrolments.create_index([("course_id", ASCENDING), ("seat_no", ASCENDING)], unique=True,
                                           name="one_person_per_seat")
        await self.enrolments.create_index("completed_on", name="by_completion_day")
        await self.grades.create_index([("current.expired", ASCENDING), ("current.valid_until", ASCENDING)],
                                       name="by_expiry")

    # -- courses and enrolments ------------------------------------------------------------------------------

    async def course(self, course_id: uuid.UUID, session: Session = None) -> Course | None:
        doc = await self.courses.find_one({"_id": str(course_id)}, session=session)
        return _course(doc) if doc else None

    async def course_by_ref(self, course_ref: str, session: Session = None) -> Course | None:
        doc = await self.courses.find_one({"course_ref": course_ref}, session=session)
        return _course(doc) if doc else None

    async def insert_course(self, course: Course, session: Session) -> None:
        await self.courses.insert_one(_course_document(course), session=session)

    async def save_course(self, course: Course, session: Session) -> None:
        await self.courses.replace_one({"_id": str(course.course_id)}, _course_document(course), session=session)

    async def enrolment(self, enrolment_id: uuid.UUID, session: Session = None) -> Enrolment | None:
        doc = await self.enrolments.find_one({"_id": str(enrolment_id)}, session=session)
        return _enrolment(doc) if doc else None

    async def insert_enrolment(self, enrolment: Enrolment, session: Session) -> None:
        await self.enrolments.insert_one(_enrolment_document(enrolment), session=session)

    async def save_enrolment(self, enrolment: Enrolment, session: Session) -> None:
        await self.enrolments.replace_one({"_id": str(enrolment.enrolment_id)}, _enrolment_document(enrolment),
                                          session=session)

    async def completed_enrolments(self) -> list[Enrolment]:
        cursor = self.enrolments.find({"completed_on": {"$ne": None}}).sort("_id", ASCENDING)
        return [_enrolment(doc) async for doc in cursor]

    # -- organizations (registration's, as this service sees them) -------------------------------------------

    async def organization(self, org_id: str, session: Session = None) -> OrganizationView | None:
        doc = await self.organizations.find_one({"_id": org_id}, session=session)
        return _organization(doc) if doc else None

    async def organizations_by_id(self, org_ids: Iterable[str]) -> dict[str, OrganizationView]:
        cursor = self.organizations.find({"_id": {"$in": sorted(set(org_ids))}})
        return {doc["_id"]: _organization(doc) async for doc in cursor}

    async def save_organization(self, organization: OrganizationView, session: Session) -> None:
        doc = {"_id": organization.org_id, **organization.model_dump(mode="json", exclude={"org_id"})}
        await self.organizations.replace_one({"_id": organization.org_id}, doc, upsert=True, session=session)

    # -- grading records ---------------------------------------------------------------------------------------

    async def grading_record(self, org_id: str, session: Session = None) -> GradingRecord | None:
        doc = await self.grades.find_one({"_id": org_id}, session=session)
        return _grading_record(doc) if doc else None

    async def save_grading_record(self, record: GradingRecord, session: Session) -> None:
        await self.grades.replace_one({"_id": record.org_id}, _grading_document(record), upsert=True,
                                      session=session)

    async def grades_past_validity(self, today: date, limit: int = 500) -> list[str]:
        """The organizations whose grade was valid until a day before `today` and is not yet marked expired."""
        query = {"current.expired": False, "current.grade": {"$ne": None},
                 "current.valid_until": {"$lt": today.isoformat()}}
        cursor = self.grades.find(query, {"_id": 1}).sort("current.valid_until", ASCENDING).limit(limit)
        return [doc["_id"] async for doc in cursor]


def _course_document(course: Course) -> Document:
    return {"_id": str(course.course_id), **course.model_dump(mode="json", exclude={"course_id"})}


def _course(doc: Document) -> Course:
    return Course.model_validate({**doc, "course_id": doc["_id"]})


def _enrolment_document(enrolment: Enrolment) -> Document:
    return {"_id": str(enrolment.enrolment_id), **enrolment.model_dump(mode="json", exclude={"enrolment_id"})}


def _enrolment(doc: Document) -> Enrolment:
    return Enrolment.model_validate({**doc, "enrolment_id": doc["_id"]})


def _organization(doc: Document) -> OrganizationView:
    return OrganizationView.model_validate({**doc, "org_id": doc["_id"]})


def _grading_document(record: GradingRecord) -> Document:
    # A round's name may hold '.' or '$', which MongoDB field names should not: rounds are kept as a list.
    rounds = [{"round": name, "assessment_id": str(aid)} for name, aid in record.rounds.items()]
    current = record.current.model_dump(mode="json") if record.current else None
    return {"_id": record.org_id, "version": record.version, "current": current, "rounds": rounds}


def _grading_record(doc: Document) -> GradingRecord:
    rounds: dict[str, Any] = {r["round"]: r["assessment_id"] for r in doc.get("rounds", [])}
    return GradingRecord.model_validate(
        {"org_id": doc["_id"], "version": doc["version"], "current": doc.get("current"), "rounds": rounds}
    )
