"""Catalog rules: which proposals are published, and how a project moves through its lifecycle.

Pure: values in, values out. Ids, dates and the district's purchasers are passed in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from shared.contracts.catalog import Period, ProjectProposed, ProjectStatus, ProjectWithdrawn
from shared.contracts.common import Purchaser
from shared.envelope import FieldError
from shared.outcome import Emit, rejected
from shared.validation import parse

MAX_TERM_YEARS = 3  # Ministry of Finance Order 102: a purchase normally runs one year, at most three
PROJECT_NAMESPACE = uuid.UUID("6f1c9a52-4a1e-4d7b-9a8e-2c0b5d3e7f10")

# A project only moves forward; withdrawal ends it. A stale or repeated event cannot move it back.
_RANK: dict[str, int] = {"published": 0, "awarded": 1, "evaluated": 2}


@dataclass(frozen=True)
class District:
    """The purchasers the district has: its sub-districts (streets) and departments."""

    streets: tuple[str, ...]
    departments: tuple[str, ...]

    def knows(self, purchaser: Purchaser) -> bool:
        return purchaser.name in (self.streets if purchaser.kind == "street" else self.departments)


@dataclass(frozen=True)
class Project:
    """A published project, as the catalog keeps it."""

    project_id: str
    proposal: ProjectProposed
    status: ProjectStatus
    version: int
    contract_id: str | None = None

    def published_data(self) -> dict[str, Any]:
        return {"project_id": self.project_id, **self.proposal.model_dump(mode="json"),
                "status": self.status, "version": self.version}


def project_id_for(purchaser: Purchaser, project_ref: str) -> str:
    """The same purchaser and reference always name the same project."""
    return str(uuid.uuid5(PROJECT_NAMESPACE, f"{purchaser.kind}:{purchaser.name}:{project_ref}"))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def period_errors(period: Period) -> list[FieldError]:
    if period.end < period.start:
        return [FieldError(field="period.end", message=f"ends {period.end} before it starts {period.start}")]
    if period.end > add_years(period.start, MAX_TERM_YEARS):
        return [FieldError(field="period.end", message=(
            f"a term from {period.start} to {period.end} is over {MAX_TERM_YEARS} years "
            "(Ministry of Finance Order 102: normally one year, at most three)"))]
    return []


def purchaser_errors(purchaser: Purchaser, district: District) -> list[FieldError]:
    if district.knows(purchaser):
        return []
    known = district.streets if purchaser.kind == "street" else district.departments
    kind = "sub-district" if purchaser.kind == "street" else "department"
    return [FieldError(field="purchaser.name",
                       message=f"{purchaser.name!r} is not one of the district's {len(known)} {kind}s")]


def validate_proposal(data: dict[str, Any], district: District) -> ProjectProposed | list[FieldError]:
    """The proposal, or every reason it cannot be published (all fields, not just the first bad one)."""
    parsed = parse(ProjectProposed, data)
    if isinstance(parsed, ProjectProposed):
        errors = purchaser_errors(parsed.purchaser, district) + period_errors(parsed.period)
        return errors or parsed
    errors = list(parsed)
    # The rest of the proposal is broken, but judge the parts that do parse, so one answer names everything.
    purchaser = parse(Purchaser, data.get("purchaser"))
    if isinstance(purchaser, Purchaser):
        errors += purchaser_errors(purchaser, district)
    period = parse(Period, data.get("period"))
    if isinstance(period, Period):
        errors += period_errors(period)
    return errors


def propose(data: dict[str, Any], district: District, existing: Project | None) -> tuple[Project | None, Emit]:
    """Publish a valid, new proposal; refuse an invalid one or a second one for the same purchaser and ref."""
    ref = data.get("project_ref") if isinstance(data.get("project_ref"), str) else None
    proposal = validate_proposal(data, district)
    if isinstance(proposal, list):
        return None, rejected("catalog.project.rejected", proposal, project_ref=ref)
    if existing is not None:
        error = FieldError(field="project_ref", message=(
            f"{proposal.purchaser.name} already proposed {proposal.project_ref!r}: project {existing.project_id}"))
        return None, rejected("catalog.project.rejected", [error], project_ref=ref, project_id=existing.project_id)
    project = Project(project_id=project_id_for(proposal.purchaser, proposal.project_ref), proposal=proposal,
                      status="published", version=1)
    return project, Emit("catalog.project.published", project.published_data())


def _status_changed(before: Project, after: Project, reason: str | None = None) -> Emit:
    data: dict[str, Any] = {"project_id": after.project_id, "status": after.status, "previous": before.status,
                            "version": after.version}
    if after.contract_id:
        data["contract_id"] = after.contract_id
    if reason:
        data["reason"] = reason
    return Emit("catalog.project.status_changed", data)


def advance(project: Project, status: ProjectStatus, contract_id: str) -> tuple[Project, list[Emit]]:
    """Move a project forward on an award or an evaluation; stale, repeated or late events change nothing."""
    if project.status == "withdrawn" or _RANK[status] <= _RANK[project.status]:
        return project, []
    if project.contract_id is not None and project.contract_id != contract_id:
        return project, []  # an event about another contract for this project cannot move it
    # One version per lifecycle step, even when a step is skipped (an evaluation arriving before its award):
    # the same history gives the same version whatever order its events came in.
    steps = _RANK[status] - _RANK[project.status]
    moved = replace(project, status=status, version=project.version + steps, contract_id=contract_id)
    return moved, [_status_changed(project, moved)]


def withdraw(data: dict[str, Any], project: Project | None) -> tuple[Project | None, Emit]:
    """A purchaser may withdraw a project that is published and not yet awarded."""
    request = parse(ProjectWithdrawn, data)
    pid = data.get("project_id") if isinstance(data.get("project_id"), str) else None
    if isinstance(request, list):
        return None, rejected("catalog.project.rejected", request, project_id=pid)
    if project is None:
        error = FieldError(field="project_id", message=f"no project {request.project_id} in the catalog")
        return None, rejected("catalog.project.rejected", [error], project_id=pid)
    if project.status != "published":
        error = FieldError(field="project_id", message=f"project is {project.status}; only a published one can "
                           "be withdrawn")
        return None, rejected("catalog.project.rejected", [error], project_id=pid)
    moved = replace(project, status="withdrawn", version=project.version + 1)
    return moved, _status_changed(project, moved, request.reason)
