"""Training and grading's read-only queries: an organization's grade and whether it holds today, the grades,
the courses, and progress toward the district's training target. No personal data: people appear only as counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Query

from services.training_grading.domain.grading import Grade, GradingRecord, standing_grade
from services.training_grading.domain.progress import TrainingProgress, progress
from services.training_grading.domain.training import Course
from services.training_grading.store import TrainingGradingStore
from shared.api import Page, PageOf, not_found, page, paginate, read_api
from shared.contracts.common import GradeCode
from shared.contracts.training import Audience
from shared.i18n import _


class GradeView(Grade):
    """An organization's current grade (null below 1A) and whether it holds on `as_of`, the district's today."""

    org_id: str
    version: int
    valid: bool
    as_of: date


def grade_view(record: GradingRecord, today: date) -> GradeView | None:
    current = record.current
    if current is None:
        return None
    return GradeView(**current.model_dump(), org_id=record.org_id, version=record.version,
                     valid=standing_grade(record, today) is not None, as_of=today)


def build_api(store: TrainingGradingStore, today: Callable[[], date], *, target: int,
              streets: Sequence[str], roles: Sequence[Audience]) -> FastAPI:
    api = read_api("training-grading", "Organizations' grades and their validity, the courses, and how far the "
                                       "district is toward its training target.")

    @api.get("/organizations/{org_id}/grade", response_model=GradeView, summary="An organization's grade",
             responses={404: {"description": "the organization was never assessed"}})
    async def organization_grade(org_id: Annotated[str, Path(min_length=1, max_length=100)]) -> GradeView:
        record = await store.grading_record(org_id)
        view = grade_view(record, today()) if record is not None else None
        if view is None:
            raise not_found(f"organization {org_id} has no assessment")
        return view

    @api.get("/grades", response_model=PageOf[GradeView], summary="Organizations' grades, filtered and paginated")
    async def grades(
        at: Annotated[Page, Depends(page)],
        grade: Annotated[GradeCode | None, Query(description="only this grade")] = None,
        valid: Annotated[bool | None, Query(description="only grades that hold today (true) or not (false)")] = None,
    ) -> PageOf[GradeView]:
        day = today()
        views = [v for r in await store.assessed(grade) if (v := grade_view(r, day)) is not None]
        return paginate([v for v in views if valid is None or v.valid == valid], at)

    @api.get("/courses", response_model=PageOf[Course], summary="Courses, filtered and paginated")
    async def courses(at: Annotated[Page, Depends(page)], audience: Audience | None = None) -> PageOf[Course]:
        found, total = await store.courses_page({} if audience is None else {"audience": audience},
                                                limit=at.limit, offset=at.offset)
        return PageOf[Course](items=found, total=total, limit=at.limit, offset=at.offset)

    @api.get("/courses/{course_id}", response_model=Course, summary="One course and its seats",
             responses={404: {"description": "no such course"}})
    async def course(course_id: uuid.UUID) -> Course:
        found = await store.course(course_id)
        if found is None:
            raise not_found(_("no course {course_id}").format(course_id=course_id))
        return found

    @api.get("/progress", response_model=TrainingProgress, summary="Progress toward the training target")
    async def training_progress() -> TrainingProgress:
        completed = await store.completed_enrolments()
        organizations = await store.organizations_by_id(e.org_id for e in completed)
        return progress(completed, organizations, target=target, streets=streets, roles=roles)

    return api
