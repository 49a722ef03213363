"""Training and grading's MongoDB collections (courses, enrolments, its copies of organizations and people, grading
records) and their queries; nothing else touches them. Documents are keyed by the entity's id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo import ASCENDING

from services.training_grading.domain.grading import GradingRecord
from services.training_grading.domain.training import Course, Enrolment, course_id_for
from services.training_grading.projections import OrganizationView, PersonView
from shared.documents import Writer, count, find, find_one
from shared.mongo import Database, Document
from shared.unit_of_work import Transaction


class TrainingGradingStore:
    def __init__(self, db: Database) -> None:
        self.courses = db["courses"]
        self.enrolments = db["enrolments"]
        self.organizations = db["organizations"]
        self.people = db["people"]
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

    async def course(self, course_id: uuid.UUID, reader: Writer | None = None) -> Course | None:
        doc = await find_one(self.courses, {"_id": str(course_id)}, reader)
        return _course(doc) if doc else None

    async def course_by_ref(self, course_ref: str, reader: Writer | None = None) -> Course | None:
        """The course opened under `course_ref`: the one keyed by the id the ref gives (`course_id_for`), as every
        course is, and a course keeps its ref, so a read by `_id`, which a batch of offers looks up together
        (`handlers.offered_course`), not one by ref each."""
        return await self.course(course_id_for(course_ref), reader)

    async def courses_page(self, query: dict[str, Any], *, limit: int, offset: int) -> tuple[list[Course], int]:
        """One page of the courses matching `query` (by course_ref), and how many match in all."""
        docs = await find(self.courses, query, sort=[("course_ref", ASCENDING)], limit=limit, skip=offset)
        return [_course(d) for d in docs], await count(self.courses, query)

    def insert_course(self, course: Course, tx: Transaction) -> None:
        tx.insert(self.courses, _course_document(course))

    def save_course(self, course: Course, tx: Transaction) -> None:
        tx.replace(self.courses, str(course.course_id), _course_document(course))

    async def enrolment(self, enrolment_id: uuid.UUID, reader: Writer | None = None) -> Enrolment | None:
        doc = await find_one(self.enrolments, {"_id": str(enrolment_id)}, reader)
        return _enrolment(doc) if doc else None

    def insert_enrolment(self, enrolment: Enrolment, tx: Transaction) -> None:
        tx.insert(self.enrolments, _enrolment_document(enrolment))

    def save_enrolment(self, enrolment: Enrolment, tx: Transaction) -> None:
        tx.replace(self.enrolments, str(enrolment.enrolment_id), _enrolment_document(enrolment))

    async def completed_enrolments(self) -> list[Enrolment]:
        docs = await find(self.enrolments, {"completed_on": {"$ne": None}}, sort=[("_id", ASCENDING)])
        return [_enrolment(doc) for doc in docs]

    # -- organizations (registration's, as this service sees them) -------------------------------------------

    async def organization(self, org_id: str, reader: Writer | None = None) -> OrganizationView | None:
        doc = await find_one(self.organizations, {"_id": org_id}, reader)
        return _organization(doc) if doc else None

    async def organizations_by_id(self, org_ids: Iterable[str]) -> dict[str, OrganizationView]:
        docs = await find(self.organizations, {"_id": {"$in": sorted(set(org_ids))}})
        return {doc["_id"]: _organization(doc) for doc in docs}

    def save_organization(self, organization: OrganizationView, tx: Transaction) -> None:
        doc = {"_id": organization.org_id, **organization.model_dump(mode="json", exclude={"org_id"})}
        tx.replace(self.organizations, organization.org_id, doc, upsert=True)

    # -- people (registration's, as this service sees them) ----------------------------------------------------

    async def person(self, person_id: uuid.UUID, reader: Writer | None = None) -> PersonView | None:
        doc = await find_one(self.people, {"_id": str(person_id)}, reader)
        return PersonView.model_validate({**doc, "person_id": doc["_id"]}) if doc else None

    def save_person(self, person: PersonView, tx: Transaction) -> None:
        doc = {"_id": str(person.person_id), **person.model_dump(mode="json", exclude={"person_id"})}
        tx.replace(self.people, str(person.person_id), doc, upsert=True)

    # -- grading records ---------------------------------------------------------------------------------------

    async def grading_record(self, org_id: str, reader: Writer | None = None) -> GradingRecord | None:
        doc = await find_one(self.grades, {"_id": org_id}, reader)
        return _grading_record(doc) if doc else None

    async def assessed(self, grade: str | None = None) -> list[GradingRecord]:
        """Every organization's grading record that holds an assessment (of `grade` only, if given), by org_id."""
        query: dict[str, Any] = {"current": {"$ne": None}}
        if grade is not None:
            query["current.grade"] = grade
        return [_grading_record(doc) for doc in await find(self.grades, query, sort=[("_id", ASCENDING)])]

    def save_grading_record(self, record: GradingRecord, tx: Transaction) -> None:
        tx.replace(self.grades, record.org_id, _grading_document(record), upsert=True)

    async def grades_past_validity(self, today: date, limit: int = 500) -> list[str]:
        """The organizations whose grade may have lapsed by `today` and is not yet marked expired (the domain's
        `expire` decides on each, inside its own transaction)."""
        query = {"current.expired": False, "current.grade": {"$ne": None},
                 "current.valid_until": {"$lt": today.isoformat()}}
        docs = await find(self.grades, query, projection={"_id": 1}, sort=[("current.valid_until", ASCENDING)],
                          limit=limit)
        return [doc["_id"] for doc in docs]


def _course_document(course: Course) -> Document:
    return {"_id": str(course.course_id), **course.model_dump(mode="json", exclude={"course_id", "seats_left"})}


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
