"""Catalog rules: which proposals are published, and how a project moves through its lifecycle.

A project stays `published` until its award is final (`matching.contract.awarded`): while an award of it stands
still (proposed, or suspended by a complaint) it cannot be withdrawn, and once that award is cancelled it is on
offer again. The catalog notes each award it hears of (`note_award`); a stale or out-of-order event cannot
bring back an award already cancelled or final.

Pure: typed values in, values out. Ids, dates and the district's purchasers are passed in. The district's rules
on a proposal (a purchaser it has, a term of at most three years) are validators of `Proposal`, so one reading
names every bad field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator

from shared.calendar import DEFAULT_EARLIEST_DATE, add_years, before_earliest
from shared.contracts.catalog import (
    PROJECT_PUBLISHED,
    PROJECT_REJECTED,
    PROJECT_STATUS_CHANGED,
    Period,
    ProjectProposed,
    ProjectStatus,
    ProjectWithdrawn,
)
from shared.contracts.common import Purchaser
from shared.envelope import FieldError
from shared.i18n import _
from shared.intake import read_intake
from shared.labels import label
from shared.outcome import Emit, rejected

MAX_TERM_YEARS = 3  # Ministry of Finance Order 102: a purchase normally runs one year, at most three
PROJECT_NAMESPACE = uuid.UUID("6f1c9a52-4a1e-4d7b-9a8e-2c0b5d3e7f10")

# A project only moves forward; withdrawal ends it. A stale or repeated event cannot move it back.
_RANK: dict[str, int] = {"published": 0, "awarded": 1, "evaluated": 2}
AwardState = Literal["proposed", "cancelled", "final"]
_AWARD_RANK: dict[str, int] = {"proposed": 0, "cancelled": 1, "final": 1}


@dataclass(frozen=True)
class District:
    """The purchasers the district has (its sub-districts, or streets, and departments), and the earliest date an
    input may name."""

    streets: tuple[str, ...]
    departments: tuple[str, ...]
    earliest: date = DEFAULT_EARLIEST_DATE

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
    awards: dict[str, AwardState] = field(default_factory=dict)  # award_id -> what the catalog last heard of it

    @property
    def pending_award(self) -> str | None:
        """The award of the project standing still (it may still be challenged), if any."""
        return next((award_id for award_id, state in sorted(self.awards.items()) if state == "proposed"), None)

    def published_data(self) -> dict[str, Any]:
        return {"project_id": self.project_id, **self.proposal.model_dump(mode="json"),
                "status": self.status, "version": self.version}


def project_id_for(purchaser: Purchaser, project_ref: str) -> str:
    """The same purchaser and reference always name the same project."""
    return str(uuid.uuid5(PROJECT_NAMESPACE, f"{purchaser.kind}:{purchaser.name}:{project_ref}"))


def _district(info: ValidationInfo) -> District:
    district = info.context.get("district") if isinstance(info.context, dict) else None
    if not isinstance(district, District):
        raise TypeError("a proposal is read with the district as context: read_proposal(data, district)")
    return district


class DistrictPurchaser(Purchaser):
    """A purchaser the district has: one of its sub-districts or departments (configurable)."""

    @field_validator("name")
    @classmethod
    def _known(cls, name: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind not in ("street", "department"):
            return name  # the kind itself is refused; which list to check is unknown
        district = _district(info)
        known = district.streets if kind == "street" else district.departments
        if name not in known:
            refused = (_("{name!r} is not one of the district's {count} sub-districts") if kind == "street" else
                       _("{name!r} is not one of the district's {count} departments"))
            raise ValueError(refused.format(name=name, count=len(known)))
        return name


class Term(Period):
    """A project's period: it starts no earlier than the district's earliest date, ends after it starts, and runs
    at most three years (Order 102)."""

    @field_validator("start")
    @classmethod
    def _not_before_the_earliest_date(cls, start: date, info: ValidationInfo) -> date:
        reasons = before_earliest(start, _district(info).earliest)
        if reasons:
            raise ValueError(reasons[0])
        return start

    @field_validator("end")
    @classmethod
    def _within_term(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if not isinstance(start, date):
            return end
        if end < start:
            raise ValueError(_("ends {end} before it starts {start}").format(end=end, start=start))
        if end > add_years(start, MAX_TERM_YEARS):
            raise ValueError(_("a term from {start} to {end} is over {MAX_TERM_YEARS} years (Ministry of Finance "
                                "Order 102: normally one year, at most three)").format(
                                 start=start, end=end, MAX_TERM_YEARS=MAX_TERM_YEARS))
        return end


class Proposal(ProjectProposed):
    """A proposal that passes the district's rules too; read with `read_proposal`, every bad field named."""

    purchaser: DistrictPurchaser
    period: Term


def read_proposal(data: Any, district: District) -> Proposal | Emit:
    """The proposal, or the rejection naming every reason it cannot be published (all fields at once)."""
    return read_intake(Proposal, data, rejected=PROJECT_REJECTED, echo=("project_ref",),
                       context={"district": district})


def propose(proposal: ProjectProposed, existing: Project | None) -> tuple[Project | None, Emit]:
    """Publish a new proposal; refuse a second one for the same purchaser and ref, naming the first."""
    if existing is not None:
        error = FieldError(field="project_ref", message=(
            _("{name} already proposed {project_ref!r}: project {project_id}").format(
                name=proposal.purchaser.name, project_ref=proposal.project_ref, project_id=existing.project_id)))
        return None, rejected(PROJECT_REJECTED, [error], project_ref=proposal.project_ref,
                              project_id=existing.project_id)
    plain = ProjectProposed.model_validate(proposal.model_dump())  # kept without the district's validators
    project = Project(project_id=project_id_for(plain.purchaser, proposal.project_ref), proposal=plain,
                      status="published", version=1)
    return project, Emit(PROJECT_PUBLISHED, project.published_data())


def _status_changed(before: Project, after: Project, reason: str | None = None) -> Emit:
    data: dict[str, Any] = {"project_id": after.project_id, "status": after.status, "previous": before.status,
                            "version": after.version}
    if after.contract_id:
        data["contract_id"] = after.contract_id
    if reason:
        data["reason"] = reason
    return Emit(PROJECT_STATUS_CHANGED, data)


def note_award(project: Project, award_id: str, state: AwardState) -> Project:
    """The project with what the catalog now knows of one of its awards (the same project if nothing is new)."""
    known = project.awards.get(award_id)
    if known is not None and _AWARD_RANK[known] >= _AWARD_RANK[state]:
        return project
    return replace(project, awards={**project.awards, award_id: state})


def advance(project: Project, status: ProjectStatus, contract_id: str,
            award_id: str | None = None) -> tuple[Project, list[Emit]]:
    """Move a project forward on a final award (its contract) or an evaluation; stale, repeated or late events
    change nothing."""
    if award_id is not None:
        project = note_award(project, award_id, "final")
    if project.status == "withdrawn" or _RANK[status] <= _RANK[project.status]:
        return project, []
    if project.contract_id is not None and project.contract_id != contract_id:
        return project, []  # an event about another contract for this project cannot move it
    # One version per lifecycle step, even when a step is skipped (an evaluation arriving before its award):
    # the same history gives the same version whatever order its events came in.
    steps = _RANK[status] - _RANK[project.status]
    moved = replace(project, status=status, version=project.version + steps, contract_id=contract_id)
    return moved, [_status_changed(project, moved)]


def withdraw(request: ProjectWithdrawn, project: Project | None) -> tuple[Project | None, Emit]:
    """A purchaser may withdraw a project that is published and has no award standing still."""
    if project is None:
        error = FieldError(field="project_id", message=_("no project {project_id} in the catalog").format(
            project_id=request.project_id))
        return None, rejected(PROJECT_REJECTED, [error], project_id=request.project_id)
    if project.status != "published":
        error = FieldError(field="project_id", message=_("project is {status}; only a published one can be "
                                                          "withdrawn").format(status=label(project.status)))
        return None, rejected(PROJECT_REJECTED, [error], project_id=request.project_id)
    if project.pending_award is not None:
        error = FieldError(field="project_id", message=(
            _("award {pending_award} of the project stands still and may still become its contract; the project "
               "can be withdrawn only if that award is cancelled (rule: award_pending)").format(
                pending_award=project.pending_award)))
        return None, rejected(PROJECT_REJECTED, [error], project_id=request.project_id)
    moved = replace(project, status="withdrawn", version=project.version + 1)
    return moved, _status_changed(project, moved, request.reason)
