"""How well an organization fits a project: a deterministic 0..100 score, explained factor by factor.

Each factor is a value in 0..1 times its weight (`MatchingWeights`, summing to 100):
- `domain`: the project's category is one of the organization's domains; a specialist (at most
  `specialist_domains` domains) scores 1, a generalist `specialist_domains / len(domains)`;
- `locality`: the organization is where the project is: 1 when it matches the project's finest place (its
  community, else its street, else the whole district); same street as a community project `street_locality`;
  elsewhere in the district `district_locality`;
- `grade`: the grade held / 5 (an expired grade counts as none);
- `past_evaluations`: the mean of the latest `evaluations_considered` scores / 100 (`unevaluated_value` if none);
- `finance_trained`: finance-staff completions / `finance_trained_target`, at most 1;
- `capacity_left`: the share of the organization's contract capacity not taken by its active contracts.
Points are value × weight rounded to 2 decimals; the score is their sum (exact: both are counted in hundredths).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.matching.projections import OrganizationProfile, OrganizationView, ProjectView
from shared.contracts.common import grade_rank
from shared.contracts.matching import FIT_FACTORS, Fit, FitFactor, FitFactorName

FactorValues = dict[FitFactorName, float]


class MatchingWeights(BaseModel):
    """The weight of each fit factor; together they make the 100 points a fit score can reach."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domain: float = Field(default=25, ge=0, le=100)
    locality: float = Field(default=20, ge=0, le=100)
    grade: float = Field(default=20, ge=0, le=100)
    past_evaluations: float = Field(default=15, ge=0, le=100)
    finance_trained: float = Field(default=10, ge=0, le=100)
    capacity_left: float = Field(default=10, ge=0, le=100)

    @model_validator(mode="after")
    def _sum_to_100(self) -> MatchingWeights:
        total = sum(self.of(name) for name in FIT_FACTORS)
        if abs(total - 100) > 1e-9:
            raise ValueError(f"the six weights must sum to 100, got {total:g}")
        return self

    def of(self, factor: FitFactorName) -> float:
        return float(getattr(self, factor))


class CapacityRule(BaseModel):
    """How many contracts an organization may run at once: one per `staff_per_contract` full-time staff."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    staff_per_contract: int = Field(default=5, ge=1, le=1000)
    min_contracts: int = Field(default=1, ge=0, le=1000)

    def contracts_for(self, full_time_staff: int) -> int:
        return max(self.min_contracts, full_time_staff // self.staff_per_contract)


class FitRules(BaseModel):
    """The configurable part of the fit score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: MatchingWeights = MatchingWeights()
    capacity: CapacityRule = CapacityRule()
    specialist_domains: int = Field(default=3, ge=1, le=9)
    street_locality: float = Field(default=0.6, ge=0, le=1)
    district_locality: float = Field(default=0.3, ge=0, le=1)
    evaluations_considered: int = Field(default=3, ge=1, le=100)
    unevaluated_value: float = Field(default=0.5, ge=0, le=1)
    finance_trained_target: int = Field(default=2, ge=1, le=100)


def domain_value(org: OrganizationView, project: ProjectView, rules: FitRules) -> float:
    if project.category not in org.domains:
        return 0.0
    return min(1.0, rules.specialist_domains / len(org.domains))


def locality_value(org: OrganizationView, project: ProjectView, rules: FitRules) -> float:
    return locality_of(org.street, org.community, project.locality_street, project.community, rules)


def locality_of(org_street: str, org_community: str | None, street: str | None, community: str | None,
                rules: FitRules) -> float:
    """`locality_value` from the places alone: the organization's street and community, the project's."""
    same_street = street is not None and org_street == street
    if community is not None:
        if org_community == community and (street is None or same_street):
            return 1.0
        return rules.street_locality if same_street else rules.district_locality
    if street is not None:
        return 1.0 if same_street else rules.district_locality
    return 1.0


def organization_values(profile: OrganizationProfile, today: date, rules: FitRules) -> FactorValues:
    """The factors that depend on the organization only (computed once per organization when ranking many)."""
    held = profile.grade.held_on(today) if profile.grade is not None else None
    latest = sorted(profile.evaluations, key=lambda e: (e.evaluated_on, e.contract_id))
    latest = latest[-rules.evaluations_considered:]
    past = sum(e.score for e in latest) / (100 * len(latest)) if latest else rules.unevaluated_value
    capacity = rules.capacity.contracts_for(profile.organization.full_time_staff)
    left = max(0, capacity - profile.active_contracts) / capacity if capacity else 0.0
    return {
        "grade": grade_rank(held) / 5,
        "past_evaluations": min(1.0, max(0.0, past)),
        "finance_trained": min(1.0, profile.finance_completions / rules.finance_trained_target),
        "capacity_left": left,
    }


def project_values(org: OrganizationView, project: ProjectView, rules: FitRules) -> FactorValues:
    """The factors that depend on the pair."""
    return {"domain": domain_value(org, project, rules), "locality": locality_value(org, project, rules)}


def factor_centipoints(value: float, weight: float) -> int:
    """A factor's points in hundredths: value × weight, rounded to 2 decimals, as an exact integer."""
    return round(value * weight * 100)


def score_centipoints(values: FactorValues, weights: MatchingWeights) -> int:
    """The points of the given factors in hundredths (exact); of all six, the fit score the solvers maximise.

    Each factor is rounded on its own, so the organization's factors may be counted once and added to each pair's.
    """
    return sum(factor_centipoints(value, weights.of(name)) for name, value in values.items())


def score(values: FactorValues, weights: MatchingWeights) -> float:
    """The fit score alone, as `explain` would give it, without building the breakdown."""
    return score_centipoints({name: values[name] for name in FIT_FACTORS}, weights) / 100


def explain(values: FactorValues, weights: MatchingWeights) -> Fit:
    breakdown: dict[FitFactorName, FitFactor] = {}
    for name in FIT_FACTORS:
        weight = weights.of(name)
        points = factor_centipoints(values[name], weight) / 100
        breakdown[name] = FitFactor(value=round(values[name], 4), weight=weight, points=points)
    return Fit(score=score(values, weights), breakdown=breakdown)


def fit(profile: OrganizationProfile, project: ProjectView, today: date, rules: FitRules) -> Fit:
    """The organization's fit for the project on `today`, with its breakdown."""
    values = organization_values(profile, today, rules) | project_values(profile.organization, project, rules)
    return explain(values, rules.weights)


def centipoints(fit_score: float) -> int:
    """A fit score as an exact integer (hundredths), for the solvers."""
    return round(fit_score * 100)
