"""The catalog's read-only queries: projects by batch, status, purchaser and category, and one project by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query

from services.catalog.domain import Project
from services.catalog.store import ProjectStore
from shared.api import Page, PageOf, not_found, page, read_api
from shared.contracts.catalog import ProjectPublished, ProjectStatus
from shared.contracts.common import Category, PurchaserKind
from shared.i18n import _

Text = Annotated[str | None, Query(min_length=1, max_length=200)]


class ProjectView(ProjectPublished):
    """A project as the catalog keeps it: what was published, its status now, the award standing still (it stays
    published until that award is final), and its contract once awarded."""

    pending_award: str | None = None
    contract_id: str | None = None


def view(project: Project) -> ProjectView:
    return ProjectView.model_validate({**project.published_data(), "contract_id": project.contract_id,
                                       "pending_award": project.pending_award})


def build_api(store: ProjectStore) -> FastAPI:
    api = read_api("catalog", "What the district buys: its projects, for whom, for how much, and their status.")

    @api.get("/projects", response_model=PageOf[ProjectView], summary="Projects, filtered and paginated")
    async def projects(
        at: Annotated[Page, Depends(page)], batch: Text = None, status: ProjectStatus | None = None,
        purchaser_kind: PurchaserKind | None = None, purchaser: Text = None, category: Category | None = None,
    ) -> PageOf[ProjectView]:
        query: dict[str, Any] = {"batch": batch, "status": status, "purchaser.kind": purchaser_kind,
                                 "purchaser.name": purchaser, "category": category}
        found, total = await store.search({k: v for k, v in query.items() if v is not None}, limit=at.limit,
                                          offset=at.offset)
        return PageOf[ProjectView](items=[view(p) for p in found], total=total, limit=at.limit, offset=at.offset)

    @api.get("/projects/{project_id}", response_model=ProjectView, summary="One project",
             responses={404: {"description": "no such project"}})
    async def project(project_id: Annotated[str, Path(max_length=200)]) -> ProjectView:
        found = await store.get(project_id)
        if found is None:
            raise not_found(_("no project {project_id} in the catalog").format(project_id=project_id))
        return view(found)

    return api
