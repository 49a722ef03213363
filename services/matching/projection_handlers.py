"""Matching's subscribers to other contexts' events: each keeps matching's copy of a project, organization, grade,
training record or evaluation record (rules in `projections`). A stale, repeated or out-of-order event leaves the
copy as it is, so every delivery order converges; an event that breaks its contract is dead-lettered saying why."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from services.matching.projections import (
    CourseCompletion,
    EvaluationResult,
    GradeExpiry,
    GradeView,
    OrganizationView,
    ProjectStatusChange,
    ProjectView,
    apply_contract_evaluated,
    apply_course_completed,
    apply_grade_assigned,
    apply_grade_expired,
    apply_organization,
    apply_project_published,
    apply_project_status_changed,
)
from services.matching.store import MatchingStore
from shared.consumer import Unprocessable
from shared.envelope import Envelope
from shared.unit_of_work import Transaction
from shared.validation import parse

M = TypeVar("M", bound=BaseModel)


def read(model: type[M], event: Envelope) -> M:
    """The part of another context's event matching reads; one that breaks the contract no retry will fix."""
    value = parse(model, event.data)
    if isinstance(value, list):
        reasons = "; ".join(f"{e.field}: {e.message}" for e in value)
        raise Unprocessable(f"breaks the contract: {reasons}")
    return value


class ProjectionHandlers:
    def __init__(self, store: MatchingStore) -> None:
        self.store = store

    async def project_published(self, event: Envelope, tx: Transaction) -> None:
        project = read(ProjectView, event)
        state = await self.store.project(project.project_id, tx.session)
        new = apply_project_published(state, project)
        if new is not state:
            await self.store.save_project(new, tx.session)

    async def project_status_changed(self, event: Envelope, tx: Transaction) -> None:
        change = read(ProjectStatusChange, event)
        state = await self.store.project(change.project_id, tx.session)
        new = apply_project_status_changed(state, change)
        if new is not state:
            await self.store.save_project(new, tx.session)

    async def organization_changed(self, event: Envelope, tx: Transaction) -> None:
        """Any `registration.organization.*` event: each carries the organization's full state and version."""
        organization = read(OrganizationView, event)
        state = await self.store.organization(organization.org_id, tx.session)
        new = apply_organization(state, organization)
        if new is not state:
            await self.store.save_organization(new, tx.session)

    async def grade_assigned(self, event: Envelope, tx: Transaction) -> None:
        grade = read(GradeView, event)
        state = await self.store.grade(grade.org_id, tx.session)
        new = apply_grade_assigned(state, grade)
        if new is not state:
            await self.store.save_grade(new, tx.session)

    async def grade_expired(self, event: Envelope, tx: Transaction) -> None:
        expiry = read(GradeExpiry, event)
        state = await self.store.grade(expiry.org_id, tx.session)
        new = apply_grade_expired(state, expiry)
        if new is not state:
            await self.store.save_grade(new, tx.session)

    async def course_completed(self, event: Envelope, tx: Transaction) -> None:
        completion = read(CourseCompletion, event)
        state = await self.store.training_record(completion.org_id, tx.session)
        new = apply_course_completed(state, completion)
        if new is not state:
            await self.store.save_training_record(new, tx.session)

    async def contract_evaluated(self, event: Envelope, tx: Transaction) -> None:
        result = read(EvaluationResult, event)
        state = await self.store.evaluation_record(result.org_id, tx.session)
        new = apply_contract_evaluated(state, result)
        if new is not state:
            await self.store.save_evaluation_record(new, tx.session)
