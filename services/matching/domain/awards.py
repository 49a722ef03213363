"""Who gets which project of a fair: each project to at most one interested, eligible organization, each
organization within its contract capacity, for the greatest total value (exact: see `solver`).

- Value for money: an award's value is its fit score plus the points its price earns, `price_weight` times the
  share of the budget it saves (a price of 90 % of the budget earns a tenth of the weight; an interest without a
  price is taken at the budget and earns none). The default weight, 20, sits in the 10-30 % band the Ministry of
  Finance's Order 87 gives price in scoring bids for services; at 0 the decision is by fit alone. Both parts are
  counted in exact hundredths of a point and both are announced.
- Eligibility and fit are judged again on the day of the award (a grade may have expired since the interest was
  recorded, an organization may have been suspended). The amount is the interest's price, else the budget.
- Ties: of several sets of awards of the same total value (and, among those, the same number of awards), the
  projects are taken in project_id order and each goes to the interested organization with the lowest org_id
  that still allows the best total (`solver.first_best_b_matching`). An organization has one interest in a
  project at a fair, so nothing finer is needed; the same input gives the same awards on any machine.
- A project left without an award says why.
- Re-award (`reaward`): when an award is cancelled, its project alone is decided again by the same optimisation
  among the fair's remaining interested organizations, every other award held where it is (its contract counts
  against its organization's capacity); organizations whose award of it was cancelled are out.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services.matching.domain.eligibility import EligibilityRules, refusals
from services.matching.domain.fit import (
    FactorValues,
    FitRules,
    explain,
    organization_values,
    project_values,
    score_centipoints,
)
from services.matching.domain.solver import first_best_b_matching
from services.matching.projections import OrganizationProfile, ProjectView
from shared.contracts.matching import AwardProposed, InterestRecorded, ProjectUnawarded
from shared.i18n import _
from shared.labels import label

CONTRACT_NAMESPACE = uuid.UUID("3b0f6a8e-5c21-4f0e-9d57-8a1c2e4b7d93")
AWARD_NAMESPACE = uuid.UUID("a7d2f4c1-8e3b-4b6a-9f05-1c2d3e4f5a6b")


class AwardRules(BaseModel):
    """The configurable part of awarding: value for money, and how long an award stands still."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    price_weight: float = Field(default=20, ge=0, le=100,
                                description="points a price of nothing would earn; 0: awards by fit alone")
    standstill_working_days: int = Field(default=7, ge=1, le=60,
                                         description="working days a losing organization has to challenge an award "
                                                     "(Government Procurement Law, Art. 52: seven)")


class FairAwards(BaseModel):
    """A fair's award decision: the awards proposed, and the projects left without one."""

    model_config = ConfigDict(frozen=True)

    fair_id: str
    awards: list[AwardProposed]
    unawarded: list[ProjectUnawarded]


@dataclass(frozen=True)
class Candidate:
    """An interested organization that is eligible for the project on the day of the award, and its value."""

    project: ProjectView
    profile: OrganizationProfile
    interest: InterestRecorded
    values: FactorValues
    fit_points: int  # hundredths of a point
    price_points: int  # hundredths of a point

    @property
    def weight(self) -> int:
        """What the decision maximises: the award's value in hundredths of a point."""
        return self.fit_points + self.price_points

    @property
    def amount_fen(self) -> int:
        return self.interest.price_fen or self.project.budget_fen


def contract_id_for(fair_id: str, project_id: str) -> str:
    """The same fair and project always name the same contract, so a repeated decision repeats its ids."""
    return str(uuid.uuid5(CONTRACT_NAMESPACE, f"{fair_id}:{project_id}"))


def award_id_for(fair_id: str, project_id: str, org_id: str) -> str:
    """An award is one project of one fair to one organization (a cancelled award is never made again)."""
    return str(uuid.uuid5(AWARD_NAMESPACE, f"{fair_id}:{project_id}:{org_id}"))


def price_centipoints(price_fen: int | None, budget_fen: int, weight: float) -> int:
    """The points a price earns, in hundredths, rounded half up exactly: weight x (budget - price) / budget."""
    saved = budget_fen - (price_fen if price_fen is not None else budget_fen)
    weight_centi = round(weight * 100)
    return max(0, (2 * weight_centi * saved + budget_fen) // (2 * budget_fen))


def candidates(
    projects: Sequence[ProjectView], profiles: Mapping[str, OrganizationProfile],
    interests: Mapping[str, Sequence[InterestRecorded]], today: date, eligibility: EligibilityRules,
    rules: FitRules, award_rules: AwardRules,
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
            found.append(Candidate(
                project, profile, interest, values | pair, points + score_centipoints(pair, rules.weights),
                price_centipoints(interest.price_fen, project.budget_fen, award_rules.price_weight)))
    return found


def choose(found: Sequence[Candidate], projects: Sequence[ProjectView], rules: FitRules) -> list[Candidate]:
    """The candidates to award: the greatest total value, one per project, each organization within capacity;
    of equally valuable choices, projects in project_id order each to the lowest org_id possible."""
    orgs = sorted({c.profile.org_id for c in found})
    org_index = {org_id: i for i, org_id in enumerate(orgs)}
    ordered = sorted(projects, key=lambda p: p.project_id)
    project_index = {p.project_id: i for i, p in enumerate(ordered)}
    # The tie rule is the solver's edge order: by project, then by organization.
    edges = sorted(found, key=lambda c: (project_index[c.project.project_id], org_index[c.profile.org_id]))
    profiles = {c.profile.org_id: c.profile for c in found}
    capacity = np.array([capacity_left(profiles[org_id], rules) for org_id in orgs], np.int64)
    chosen = first_best_b_matching(
        capacity, np.ones(len(ordered), np.int64),
        np.array([org_index[c.profile.org_id] for c in edges], np.int64),
        np.array([project_index[c.project.project_id] for c in edges], np.int64),
        np.array([c.weight for c in edges], np.int64),
    )
    return [c for c, yes in zip(edges, chosen, strict=True) if yes]


def capacity_left(profile: OrganizationProfile, rules: FitRules) -> int:
    """How many more awards the organization may take on now (its live awards and contracts count)."""
    capacity = rules.capacity.contracts_for(profile.organization.full_time_staff)
    return max(0, capacity - profile.active_contracts)


def _proposal(fair_id: str, chosen: Candidate, rules: FitRules, today: date, standstill_ends: date,
              replaces: str | None = None) -> AwardProposed:
    project, org = chosen.project, chosen.profile.organization
    fit = explain(chosen.values, rules.weights)
    return AwardProposed(
        award_id=award_id_for(fair_id, project.project_id, org.org_id),
        contract_id=contract_id_for(fair_id, project.project_id), fair_id=fair_id, project_id=project.project_id,
        org_id=org.org_id, amount_fen=chosen.amount_fen, budget_fen=project.budget_fen, fit_score=fit.score,
        price_points=chosen.price_points / 100, value_score=chosen.weight / 100,
        breakdown=fit.breakdown, title=project.title, category=project.category, purchaser=project.purchaser,
        org_street=org.street, org_community=org.community, period=project.period, proposed_on=today,
        standstill_ends=standstill_ends, replaces=replaces,
    )


def _unawarded_reason(interested: int, eligible: int, today: date) -> str:
    if interested == 0:
        return _("no organization expressed interest")
    if eligible == 0:
        return _("no interested eligible organization ({interested} interested, none eligible on {today})").format(
            interested=interested, today=today)
    return _("every interested eligible organization is at capacity ({eligible} eligible)").format(eligible=eligible)


def open_projects(projects: Iterable[ProjectView], batch: str, taken: Collection[str] = ()) -> list[ProjectView]:
    """The batch's projects a fair may award, by project_id: published, and held by no award of another fair."""
    return sorted((p for p in projects if p.batch == batch and p.status == "published" and p.project_id not in taken),
                  key=lambda p: p.project_id)


def decide_awards(
    fair_id: str, batch: str, projects: Iterable[ProjectView], profiles: Mapping[str, OrganizationProfile],
    interests: Iterable[InterestRecorded], today: date, eligibility: EligibilityRules, rules: FitRules,
    award_rules: AwardRules, *, standstill_ends: date,
) -> FairAwards:
    """Awards for the batch's published projects from the fair's interests, and why the rest go without."""
    offered = open_projects(projects, batch)
    by_project: dict[str, list[InterestRecorded]] = defaultdict(list)
    for interest in interests:
        if interest.fair_id == fair_id:
            by_project[interest.project_id].append(interest)
    found = candidates(offered, profiles, by_project, today, eligibility, rules, award_rules)
    chosen = {c.project.project_id: c for c in choose(found, offered, rules)}
    eligible = Counter(c.project.project_id for c in found)
    return FairAwards(
        fair_id=fair_id,
        awards=[_proposal(fair_id, chosen[p.project_id], rules, today, standstill_ends)
                for p in offered if p.project_id in chosen],
        unawarded=[
            ProjectUnawarded(fair_id=fair_id, project_id=p.project_id, reason=_unawarded_reason(
                len(by_project.get(p.project_id, ())), eligible[p.project_id], today))
            for p in offered if p.project_id not in chosen
        ],
    )


def reaward(
    cancelled: AwardProposed, project: ProjectView | None, profiles: Mapping[str, OrganizationProfile],
    interests: Iterable[InterestRecorded], excluded: Collection[str], today: date, eligibility: EligibilityRules,
    rules: FitRules, award_rules: AwardRules, *, standstill_ends: date,
) -> AwardProposed | ProjectUnawarded:
    """The cancelled award's project decided again, alone, among the fair's other interested organizations (not
    those in `excluded`, whose award of it was cancelled); every other award holds its organization's capacity."""
    fair_id, project_id = cancelled.fair_id, cancelled.project_id
    if project is None or project.status != "published":
        status = project.status if project is not None else "unknown"
        return ProjectUnawarded(fair_id=fair_id, project_id=project_id, award_id=cancelled.award_id, reason=(
            _("award {award_id} was cancelled and the project is {status}, not published").format(
                award_id=cancelled.award_id, status=label(status))))
    remaining = [i for i in interests
                 if i.fair_id == fair_id and i.project_id == project_id and i.org_id not in excluded]
    found = candidates([project], profiles, {project_id: remaining}, today, eligibility, rules, award_rules)
    chosen = choose(found, [project], rules)
    if chosen:
        return _proposal(fair_id, chosen[0], rules, today, standstill_ends, replaces=cancelled.award_id)
    return ProjectUnawarded(fair_id=fair_id, project_id=project_id, award_id=cancelled.award_id, reason=(
        _("award {award_id} was cancelled, and of the others: {why}").format(
            award_id=cancelled.award_id, why=_unawarded_reason(len(remaining), len(found), today) if remaining
            else _("no other organization expressed interest"))))
