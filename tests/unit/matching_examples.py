"""Example projects, organizations and interests for matching's unit tests: a valid default, changed per test."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.matching.domain.fairs import MatchingRules
from services.matching.domain.fit import fit
from services.matching.projections import (
    EvaluationResult,
    GradeView,
    OrganizationProfile,
    OrganizationView,
    ProjectView,
)
from shared.contracts.common import Purchaser
from shared.contracts.evaluation import Rating
from shared.contracts.matching import InterestRecorded

TODAY = date(2026, 6, 1)
RULES = MatchingRules()
STREET = "望江路街道"
COMMUNITY = "望江路社区"


def project(project_id: str = "p-1", **changes: Any) -> ProjectView:
    data: dict[str, Any] = {
        "project_id": project_id, "project_ref": f"ref-{project_id}", "batch": "2015-1", "title": "社区老人日间照料",
        "category": "助老", "service_class": "public_welfare",
        "purchaser": {"kind": "street", "name": STREET}, "community": COMMUNITY,
        "budget_fen": 100_000, "min_grade": "3A", "period": {"start": "2026-01-01", "end": "2026-12-31"},
        "status": "published", "version": 1,
    }
    return ProjectView.model_validate(data | changes)


def organization(org_id: str = "o-1", **changes: Any) -> OrganizationView:
    data: dict[str, Any] = {
        "org_id": org_id, "name": f"机构{org_id}", "street": STREET, "community": COMMUNITY,
        "domains": ["助老"], "full_time_staff": 10, "status": "active", "version": 1,
    }
    return OrganizationView.model_validate(data | changes)


def grade(org_id: str = "o-1", code: str | None = "4A", valid_until: date | None = date(2029, 1, 1),
          **changes: Any) -> GradeView:
    data: dict[str, Any] = {"org_id": org_id, "grade": code, "valid_until": valid_until, "version": 1}
    return GradeView.model_validate(data | changes)


def evaluation(on: date, rating: Rating = "good", score: float = 85.0, contract_id: str = "c-1",
               org_id: str = "o-1") -> EvaluationResult:
    return EvaluationResult(contract_id=contract_id, org_id=org_id, score=score, rating=rating, evaluated_on=on)


def profile(org_id: str = "o-1", *, org: dict[str, Any] | None = None, grade_code: str | None = "4A",
            **changes: Any) -> OrganizationProfile:
    return OrganizationProfile(
        organization=organization(org_id, **(org or {})),
        grade=grade(org_id, grade_code) if grade_code is not None else None,
        **changes,
    )


def interest(fair_id: str, who: OrganizationProfile, what: ProjectView, price_fen: int | None = None,
             fit_score: float | None = None) -> InterestRecorded:
    fitted = fit(who, what, TODAY, RULES.fit)
    return InterestRecorded(
        interest_id=f"{fair_id}:{who.org_id}:{what.project_id}", fair_id=fair_id, org_id=who.org_id,
        project_id=what.project_id, purchaser=what.purchaser, price_fen=price_fen,
        fit_score=fitted.score if fit_score is None else fit_score, breakdown=fitted.breakdown,
    )


def talk(org_id: str, purchaser: str, fit_score: float, project_id: str | None = None) -> InterestRecorded:
    """An interest reduced to what the schedule reads: who, which purchaser, how well."""
    return InterestRecorded(
        interest_id=f"{org_id}:{purchaser}:{project_id}", fair_id="fair-1", org_id=org_id,
        project_id=project_id or f"{purchaser}-project", purchaser=Purchaser(kind="street", name=purchaser),
        fit_score=fit_score, breakdown={},
    )
