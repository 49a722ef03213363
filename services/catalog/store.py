"""The catalog's MongoDB collection of projects; nothing else touches it."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from services.catalog.domain import Project
from shared.contracts.catalog import ProjectProposed, ShortText
from shared.contracts.common import Purchaser
from shared.mongo import Database

_REF: TypeAdapter[str] = TypeAdapter(ShortText)


class ProjectStore:
    def __init__(self, db: Database) -> None:
        self.projects = db["projects"]

    async def ensure_indexes(self) -> None:
        await self.projects.create_index(
            [("purchaser.kind", ASCENDING), ("purchaser.name", ASCENDING), ("project_ref", ASCENDING)],
            unique=True, name="one_project_per_purchaser_ref",
        )
        await self.projects.create_index([("batch", ASCENDING), ("status", ASCENDING)], name="by_batch_status")

    async def get(self, project_id: str, session: AsyncClientSession | None = None) -> Project | None:
        doc = await self.projects.find_one({"_id": project_id}, session=session)
        return _project(doc) if doc else None

    async def find_by_ref(self, purchaser: Any, project_ref: Any, session: AsyncClientSession) -> Project | None:
        # Called before the proposal is validated: only plain strings reach the query, so a value such as
        # {"$where": ...} or {"$ne": null} is never read as a query operator.
        kind, name = (purchaser.get("kind"), purchaser.get("name")) if isinstance(purchaser, dict) else (None, None)
        if not (isinstance(project_ref, str) and isinstance(kind, str) and isinstance(name, str)):
            return None
        try:  # the ref as validation will keep it (its notion of white space is not str.strip's)
            ref = _REF.validate_python(project_ref)
        except ValidationError:
            return None
        doc = await self.projects.find_one(
            {"purchaser.kind": kind, "purchaser.name": name, "project_ref": ref}, session=session)
        return _project(doc) if doc else None

    async def insert(self, project: Project, session: AsyncClientSession) -> None:
        await self.projects.insert_one(_document(project), session=session)

    async def save(self, project: Project, session: AsyncClientSession) -> None:
        await self.projects.replace_one({"_id": project.project_id}, _document(project), session=session)

    async def by_batch(self, batch: str | None = None) -> list[Project]:
        query = {"batch": batch} if batch else {}
        return [_project(d) async for d in self.projects.find(query).sort("_id", ASCENDING)]


def _document(project: Project) -> dict[str, Any]:
    return {"_id": project.project_id, **project.proposal.model_dump(mode="json"), "status": project.status,
            "version": project.version, "contract_id": project.contract_id}


def _project(doc: dict[str, Any]) -> Project:
    fields = {k: v for k, v in doc.items() if k in ProjectProposed.model_fields}
    fields["purchaser"] = Purchaser.model_validate(doc["purchaser"])
    return Project(project_id=doc["_id"], proposal=ProjectProposed.model_validate(fields), status=doc["status"],
                   version=doc["version"], contract_id=doc.get("contract_id"))
