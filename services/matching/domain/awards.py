"""Who gets which project of a fair: each project to at most one interested, eligible organization, each
organization within its contract capacity, for the greatest total fit (exact: see `solver`).

Eligibility and fit are judged again on the day of the award (a grade may have expired since the interest was
recorded, an organization may have been suspended). The amount is the interest's price, else the project's
budget. Ties go the same way every time: projects are taken by project_id and organizations by org_id before
solving, and among equally good answers the one with more awards wins. A project left without an award says why.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict

from services.matching.domain.eligibility import EligibilityRules, refusals
from services.matching.domain.fit import (
    FactorValues,
    FitRules,
    explain,
    organization_values,
    project_values,
    score_centipoints,
)
from services.matching.domain.solver import max_weight_b_matching
from services.matching.projections import OrganizationProfile, ProjectView
from shared.contracts.matching import ContractAwarded, InterestRecorded, ProjectUnawarded

CONTRACT_NAMESPACE = uuid.UUID("3b0f6a8e-5c21-4f0e-9d57-8a1c2e4b7d93")


class FairAwards(BaseModel):
    """A fair's award decision: the contracts, and the projects left without one."""

    model_config = ConfigDict(frozen=True)

    fair_id: str
    awards: list[ContractAwarded]
    unawarded: list[ProjectUnawarded]


@dataclass(frozen=True)
class Candidate:
    """An interested organization that is eligible for the project on the day of the award."""

    project: ProjectView
    profile: OrganizationProfile
    interest: InterestRecorded
    values: FactorValues
    weight: int


def contract_id_for(fair_id: str, project_id: str) -> str:
    """The same fair and project always name the same contract, so a repeated decision repeats its ids."""
    return str(uuid.uuid5(CONTRACT_NAMESPACE, f"{fair_id}:{project_id}"))


def candidates(
    projects: Sequence[ProjectView], profiles: Mapping[str, OrganizationProfile],
    interests: Mapping[str, Sequence[InterestRecorded]], today: date, eligibility: EligibilityRules,
    rules: FitRules,
) -> list[Candidate]:
    """Every (project, organization) pair with an interest and no refusal, projects then orgs in id order."""
    org_values: dict[str, tuple[FactorValues, int]] = {}
    found: list[Candidate] = []
    for project in projects:
        for interest in sorted(interests.get(project.project_id, ()), key=lambda i: i.org_id):
            profile = profiles.get(interest.org_id)
            if profile is None or refusals(
                profile.organization, project, profile.grade, profile.evaluations, interest.price_fen, today,
                eligibility,
            ):
                continue
            if interest.org_id not in org_values:
                values = organization_values(profile, today, rules)
                org_values[interest.org_id] = values, score_centipoints(values, rules.weights)
            values, points = org_values[interest.org_id]
            pair = project_values(profile.organization, project, rules)
            weight = points + score_centipoints(pair, rules.weights)
            found.append(Candidate(project, profile, interest, values | pair, weight))
    return found


def choose(
    found: Sequence[Candidate], projects: Sequence[ProjectView], rules: FitRules,
) -> list[Candidate]:
    """The candidates to award: the greatest total fit, one per project, each organization within capacity."""
    orgs = sorted({c.profile.org_id for c in found})
    org_index = {org_id: i for i, org_id in enumerate(orgs)}
    project_index = {p.project_id: i for i, p in enumerate(projects)}
    profiles = {c.profile.org_id: c.profile for c in found}
    capacity = np.array([capacity_left(profiles[org_id], rules) for org_id in orgs], np.int64)
    chosen = max_weight_b_matching(
        capacity, np.ones(len(projects), np.int64),
        np.array([org_index[c.profile.org_id] for c in found], np.int64),
        np.array([project_index[c.project.project_id] for c in found], np.int64),
        np.array([c.weight for c in found], np.int64),
    )
    return [c for c, yes in zip(found, chosen, strict=True) if yes]


def capacity_left(profile: OrganizationProfile, rules: FitRules) -> int:
    """How many more contracts the organization may take on now."""
    capacity = rules.capacity.contracts_for(profile.organization.full_time_staff)
    return max(0, capacity - profile.active_contracts)


def _award(fair_id: str, chosen: Candidate, rules: FitRules) -> ContractAwarded:
    project, org, interest = chosen.project, chosen.profile.organization, chosen.interest
    fit = explain(chosen.values, rules.weights)
    return ContractAwarded(
        contract_id=contract_id_for(fair_id, project.project_id), fair_id=fair_id, project_id=project.project_id,
        org_id=org.org_id, amount_fen=interest.price_fen or project.budget_fen, fit_score=fit.score,
        breakdown=fit.breakdown, title=project.title, category=project.category, purchaser=project.purchaser,
        org_street=org.street, org_community=org.community, period=project.period,
    )


def _unawarded_reason(interested: int, eligible: int, today: date) -> str:
    if interested == 0:
        return "no organization expressed interest"
    if eligible == 0:
        return f"no interested eligible organization ({interested} interested, none eligible on {today})"
    return f"every interested eligible organization is at capacity ({eligible} eligible)"


def decide_awards(
    fair_id: str, batch: str, projects: Iterable[ProjectView], profiles: Mapping[str, OrganizationProfile],
    interests: Iterable[InterestRecorded], today: date, eligibility: EligibilityRules, rules: FitRules,
) -> FairAwards:
    """Awards for the batch's published projects from the fair's interests, and why the rest go without."""
    open_projects = sorted(
        (p for p in projects if p.batch == batch and p.status == "published"), key=lambda p: p.project_id
    )
    by_project: dict[str, list[InterestRecorded]] = defaultdict(list)
    for interest in interests:
        if interest.fair_id == fair_id:
            by_project[interest.project_id].append(interest)
    found = candidates(open_projects, profiles, by_project, today, eligibility, rules)
    chosen = {c.project.project_id: c for c in choose(found, open_projects, rules)}
    eligible = Counter(c.project.project_id for c in found)
    return FairAwards(
        fair_id=fair_id,
        awards=[_award(fair_id, chosen[p.project_id], rules) for p in open_projects if p.project_id in chosen],
        unawarded=[
            ProjectUnawarded(fair_id=fair_id, project_id=p.project_id, reason=_unawarded_reason(
                len(by_project.get(p.project_id, ())), eligible[p.project_id], today))
            for p in open_projects if p.project_id not in chosen
        ],
    )

