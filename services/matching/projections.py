"""Matching's own copies of other contexts' entities: projects, organizations, grades, training, evaluations.

Each view is read from the event that announces it (`shared.intake.read_event(<model>, envelope)`; unknown
fields are ignored) and keeps its source's version or identity. `apply_*(state, event)` returns the new view, or
the very same object when the event is stale or a repeat, so a caller can skip the write with `new is state`.
Any delivery order converges to the same view.

| event | read as | apply | keyed by |
|---|---|---|---|
| catalog.project.published | ProjectView | apply_project_published | project_id |
| catalog.project.status_changed | ProjectStatusChange | apply_project_status_changed | project_id |
| registration.organization.* (all four) | OrganizationView | apply_organization | org_id |
| grading.grade.assigned | GradeView | apply_grade_assigned | org_id |
| grading.grade.expired | GradeExpiry | apply_grade_expired | org_id |
| training.course.completed | CourseCompletion | apply_course_completed | org_id |
| evaluation.contract.evaluated | EvaluationResult | apply_contract_evaluated | org_id |

- projects: `published` is announced once per project (every later change is a status change), both versioned.
  A status change seen before its project is kept as a `ProjectStatusChange` until the project arrives, so the
  late `published` cannot undo it; `known_project(state)` is the project once its publication has been seen.
- organizations: every `registration.organization.*` event carries the full state and its version.
- grades: by grading's version; an expired grade counts as none.
- training: finance-audience completions, counted once per enrolment (the event has no version).
- evaluations: one result per contract; a newer version of the same contract's evaluation replaces it.
- `OrganizationProfile` bundles one organization's views for the rules (`organization_profile` builds it);
  `count_active_contracts` gives its `active_contracts` from the contracts matching awarded it and the
  evaluations that closed them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar import valid_on
from shared.contracts.catalog import Period, ProjectStatus
from shared.contracts.common import Category, GradeCode, Purchaser
from shared.contracts.evaluation import Rating
from shared.contracts.training import Audience


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ProjectView(_View):
    """A catalog project as matching reads `catalog.project.published`."""

    project_id: str
    project_ref: str
    batch: str
    title: str
    category: Category
    purchaser: Purchaser
    community: str | None = None
    street: str | None = Field(default=None, description="not in the contract; a street's project is in it")
    budget_fen: int = Field(gt=0)
    min_grade: GradeCode | None = None
    period: Period
    status: ProjectStatus
    version: int

    @property
    def locality_street(self) -> str | None:
        """The sub-district the project serves, if any: a street purchaser buys for its own street."""
        return self.street or (self.purchaser.name if self.purchaser.kind == "street" else None)


class ProjectStatusChange(_View):
    """The part of `catalog.project.status_changed` matching reads; also the state of a not-yet-seen project."""

    project_id: str
    status: ProjectStatus
    version: int


ProjectState = ProjectView | ProjectStatusChange


class OrganizationView(_View):
    """A registered social organization, from any `registration.organization.*` event (full state each time)."""

    org_id: str
    name: str
    street: str
    community: str | None = None
    domains: tuple[str, ...] = ()
    full_time_staff: int = Field(ge=0)
    status: Literal["active", "suspended"]
    version: int


class GradeView(_View):
    """An organization's grade (等级), from `grading.grade.assigned`; `expired` once `grading.grade.expired` says so."""

    org_id: str
    grade: GradeCode | None
    valid_until: date | None = None
    expired: bool = False
    version: int

    def lapsed_on(self, today: date) -> bool:
        """True when the grade no longer counts: announced expired, or past its validity (valid until D: holds on
        D, lapses on D + 1, as in every service)."""
        return self.expired or (self.valid_until is not None and not valid_on(self.valid_until, today))

    def held_on(self, today: date) -> GradeCode | None:
        """The grade that counts on `today`: none once it has expired."""
        return None if self.lapsed_on(today) else self.grade


class GradeExpiry(_View):
    """The part of `grading.grade.expired` matching reads."""

    org_id: str
    grade: GradeCode
    valid_until: date
    version: int


class CourseCompletion(_View):
    """The part of `training.course.completed` matching reads."""

    enrolment_id: str
    org_id: str
    audience: Audience


class TrainingRecord(_View):
    """The finance-staff course completions of one organization, one per enrolment."""

    org_id: str
    finance_enrolments: tuple[str, ...] = ()

    @property
    def finance_completions(self) -> int:
        return len(self.finance_enrolments)


class EvaluationResult(_View):
    """The part of `evaluation.contract.evaluated` matching reads: one contract's score and rating."""

    contract_id: str
    org_id: str
    project_id: str | None = None
    score: float = Field(ge=0, le=100)
    rating: Rating
    evaluated_on: date
    version: int = 1


class EvaluationRecord(_View):
    """An organization's evaluation results, oldest first (by date, then contract)."""

    org_id: str
    results: tuple[EvaluationResult, ...] = ()


@dataclass(frozen=True)
class OrganizationProfile:
    """Everything matching knows about one organization when it judges eligibility and fit."""

    organization: OrganizationView
    grade: GradeView | None = None
    finance_completions: int = 0
    evaluations: tuple[EvaluationResult, ...] = ()
    active_contracts: int = 0

    @property
    def org_id(self) -> str:
        return self.organization.org_id


V = TypeVar("V", OrganizationView, GradeView)


def _newer(state: V | None, incoming: V) -> V:
    return incoming if state is None or incoming.version > state.version else state


def apply_project_published(state: ProjectState | None, project: ProjectView) -> ProjectState:
    """The project; a status change that arrived first keeps its status if it is the newer."""
    if isinstance(state, ProjectStatusChange):
        if project.version > state.version:
            return project
        return project.model_copy(update={"status": state.status, "version": state.version})
    return project if state is None or project.version > state.version else state


def apply_project_status_changed(state: ProjectState | None, change: ProjectStatusChange) -> ProjectState:
    """The project with its new status, unless the change is stale."""
    if state is None or isinstance(state, ProjectStatusChange):
        return change if state is None or change.version > state.version else state
    if change.version <= state.version:
        return state
    return state.model_copy(update={"status": change.status, "version": change.version})


def known_project(state: ProjectState | None) -> ProjectView | None:
    """The project if its publication has been seen, else None."""
    return state if isinstance(state, ProjectView) else None


def apply_organization(state: OrganizationView | None, organization: OrganizationView) -> OrganizationView:
    """Registered, updated, suspended or reinstated: the newest full state wins."""
    return _newer(state, organization)


def apply_grade_assigned(state: GradeView | None, grade: GradeView) -> GradeView:
    return _newer(state, grade)


def apply_grade_expired(state: GradeView | None, expiry: GradeExpiry) -> GradeView:
    expired = GradeView(
        org_id=expiry.org_id, grade=expiry.grade, valid_until=expiry.valid_until, expired=True,
        version=expiry.version,
    )
    return _newer(state, expired)


def apply_course_completed(state: TrainingRecord | None, completion: CourseCompletion) -> TrainingRecord:
    """Counts a finance-audience completion once; other audiences leave the record as it is."""
    record = state or TrainingRecord(org_id=completion.org_id)
    if completion.audience != "finance" or completion.enrolment_id in record.finance_enrolments:
        return record
    return record.model_copy(
        update={"finance_enrolments": tuple(sorted((*record.finance_enrolments, completion.enrolment_id)))}
    )


def apply_contract_evaluated(state: EvaluationRecord | None, result: EvaluationResult) -> EvaluationRecord:
    """Adds the contract's result, or replaces it with a newer version of the same contract's evaluation."""
    record = state or EvaluationRecord(org_id=result.org_id)
    earlier = next((r for r in record.results if r.contract_id == result.contract_id), None)
    if earlier is not None and result.version <= earlier.version:
        return record
    others = (r for r in record.results if r.contract_id != result.contract_id)
    results = tuple(sorted((*others, result), key=lambda r: (r.evaluated_on, r.contract_id)))
    return record.model_copy(update={"results": results})


def count_active_contracts(awarded_contract_ids: Iterable[str], evaluations: EvaluationRecord | None) -> int:
    """Contracts matching awarded to the organization that evaluation has not yet closed."""
    closed = {r.contract_id for r in evaluations.results} if evaluations else set()
    return sum(1 for contract_id in set(awarded_contract_ids) if contract_id not in closed)


def organization_profile(
    organization: OrganizationView, grade: GradeView | None, training: TrainingRecord | None,
    evaluations: EvaluationRecord | None, awarded_contract_ids: Iterable[str],
) -> OrganizationProfile:
    """One organization's views, as the rules read them."""
    return OrganizationProfile(
        organization=organization, grade=grade,
        finance_completions=training.finance_completions if training is not None else 0,
        evaluations=evaluations.results if evaluations is not None else (),
        active_contracts=count_active_contracts(awarded_contract_ids, evaluations),
    )
