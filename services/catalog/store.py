"""The catalog's MongoDB collection of projects; nothing else touches it."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from services.catalog.domain import Project
from shared.contracts.catalog import ProjectProposed
from shared.contracts.common import Purchaser
from shared.documents import Writer, count, find, find_one
from shared.mongo import Database
from shared.unit_of_work import Transaction


class ProjectStore:
    def __init__(self, db: Database) -> None:
        self.projects = db["projects"]

    async def ensure_indexes(self) -> None:
        await self.projects.create_index(
            [("purchaser.kind", ASCENDING), ("purchaser.name", ASCENDING), ("project_ref", ASCENDING)],
            unique=True, name="one_project_per_purchaser_ref",
        )
        await self.projects.create_index([("batch", ASCENDING), ("status", ASCENDING)], name="by_batch_status")

    async def get(self, project_id: str, reader: Writer | None = None) -> Project | None:
        doc = await find_one(self.projects, {"_id": project_id}, reader)
        return _project(doc) if doc else None

    def insert(self, project: Project, tx: Transaction) -> None:
        tx.insert(self.projects, _document(project))

    def save(self, project: Project, tx: Transaction) -> None:
        tx.replace(self.projects, project.project_id, _document(project))

    async def search(self, query: dict[str, Any], *, limit: int, offset: int) -> tuple[list[Project], int]:
        """One page of the projects matching `query` (by project_ref, then id), and how many match in all."""
        docs = await find(self.projects, query, sort=[("batch", ASCENDING), ("project_ref", ASCENDING),
                                                      ("_id", ASCENDING)], limit=limit, skip=offset)
        return [_project(d) for d in docs], await count(self.projects, query)


def _document(project: Project) -> dict[str, Any]:
    return {"_id": project.project_id, **project.proposal.model_dump(mode="json"), "status": project.status,
            "version": project.version, "contract_id": project.contract_id, "awards": project.awards}


def _project(doc: dict[str, Any]) -> Project:
    fields = {k: v for k, v in doc.items() if k in ProjectProposed.model_fields}
    fields["purchaser"] = Purchaser.model_validate(doc["purchaser"])
    return Project(project_id=doc["_id"], proposal=ProjectProposed.model_validate(fields), status=doc["status"],
                   version=doc["version"], contract_id=doc.get("contract_id"), awards=dict(doc.get("awards") or {}))
