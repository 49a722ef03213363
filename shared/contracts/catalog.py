"""The catalog's events: what a purchaser proposes, and what the catalog publishes about its projects."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from shared.contracts.common import Category, GradeCode, Purchaser
from shared.envelope import FieldError

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ServiceClass = Literal["administrative", "self_governance", "public_welfare", "market"]
ProjectStatus = Literal["published", "awarded", "evaluated", "withdrawn"]
PROJECT_PROPOSED = "intake.project.proposed"
PROJECT_WITHDRAWN = "intake.project.withdrawn"
PROJECT_PUBLISHED = "catalog.project.published"
PROJECT_REJECTED = "catalog.project.rejected"
PROJECT_STATUS_CHANGED = "catalog.project.status_changed"

MAX_BUDGET_FEN = 100_000_000_000  # 1 billion yuan: far beyond any single district project


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date


class ProjectProposed(BaseModel):
    """`intake.project.proposed`: a sub-district or department proposes a service to buy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_ref: ShortText
    batch: ShortText
    title: ShortText
    category: Category
    service_class: ServiceClass
    purchaser: Purchaser
    community: ShortText | None = None
    budget_fen: Annotated[StrictInt, Field(gt=0, le=MAX_BUDGET_FEN)]
    content: Text
    requirements: Text | None = None
    standards: Text | None = None
    min_grade: GradeCode | None = None
    period: Period


class ProjectWithdrawn(BaseModel):
    """`intake.project.withdrawn`: the purchaser takes a published project off the catalog."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: ShortText
    reason: Text


class ProjectPublished(BaseModel):
    """`catalog.project.published`."""

    project_id: str
    project_ref: str
    batch: str
    title: str
    category: Category
    service_class: ServiceClass
    purchaser: Purchaser
    community: str | None
    budget_fen: int
    content: str
    requirements: str | None
    standards: str | None
    min_grade: GradeCode | None
    period: Period
    status: ProjectStatus
    version: int


class ProjectRejected(BaseModel):
    """`catalog.project.rejected`: every reason the proposal (or withdrawal) was refused."""

    project_ref: str | None = None
    project_id: str | None = None
    errors: list[FieldError]


class ProjectStatusChanged(BaseModel):
    """`catalog.project.status_changed`: a project moved along published → awarded → evaluated (or withdrawn)."""

    project_id: str
    status: ProjectStatus
    previous: ProjectStatus
    version: int
    contract_id: str | None = None
    reason: str | None = None
