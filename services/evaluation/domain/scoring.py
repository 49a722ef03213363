"""How delivery is judged: a report's achievement and milestone status, a contract's score out of 100, its rating,
and the payment recommendation that follows from them; `evaluate` puts them together after the final report.
Every figure is an exact Decimal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.rules import EvaluationRules, RatingBands, ScoreWeights, StatusThresholds
from shared.contracts.evaluation import (
    ContractEvaluated,
    JudgedStatus,
    Measure,
    MilestoneStatus,
    PaymentLine,
    PaymentRecommendation,
    Rating,
    ScoreBreakdown,
)

HUNDRED = Decimal(100)
HUNDREDTH = Decimal("0.01")
ZERO = Decimal(0)


def to_hundredths(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals (59.995 -> 60.00), as scores are published."""
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def achievement(indicators: Mapping[str, Decimal]) -> Decimal:
    """A report's achievement: the mean of its indicators (each 0..100), to 2 decimals."""
    return to_hundredths(sum(indicators.values(), ZERO) / len(indicators))


def milestone_status(achieved: Decimal, thresholds: StatusThresholds) -> JudgedStatus:
    """The OCDS milestone status a report's achievement earns."""
    if achieved >= thresholds.met_from:
        return "met"
    if achieved >= thresholds.partially_met_from:
        return "partiallyMet"
    return "notMet"


class ReportFigures(Protocol):
    """What the score needs from one accepted report."""

    @property
    def achievement(self) -> Decimal: ...
    @property
    def respondents(self) -> int: ...
    @property
    def satisfied(self) -> int: ...
    @property
    def late(self) -> bool: ...


@dataclass(frozen=True)
class ContractScore:
    """The three measures (0..100, exact) and the total score, rounded half-up to 2 decimals."""

    indicators: Decimal
    satisfaction: Decimal
    timeliness: Decimal
    total: Decimal

    def breakdown(self, weights: ScoreWeights) -> ScoreBreakdown:
        def part(measure: Decimal, weight: int) -> Measure:
            points = to_hundredths(measure * weight / HUNDRED)
            return Measure(measure=to_hundredths(measure), weight=weight, points=points)

        return ScoreBreakdown(
            indicators=part(self.indicators, weights.indicators),
            satisfaction=part(self.satisfaction, weights.satisfaction),
            timeliness=part(self.timeliness, weights.timeliness),
        )


def score_contract(reports: Sequence[ReportFigures], milestone_count: int, weights: ScoreWeights) -> ContractScore:
    """Score out of 100 over all of a contract's reports.

    - indicators: the mean of the reports' achievements (each milestone counts the same);
    - satisfaction: satisfied / respondents summed over all reports, as a percentage; no respondents at all
      gives 0, since a contract must show that residents were asked;
    - timeliness: the share of the plan's milestones reported on or before their due date.
    """
    indicators = sum((r.achievement for r in reports), ZERO) / len(reports) if reports else ZERO
    respondents = sum(r.respondents for r in reports)
    satisfied = sum(r.satisfied for r in reports)
    satisfaction = Decimal(satisfied) * HUNDRED / respondents if respondents else ZERO
    on_time = sum(1 for r in reports if not r.late)
    timeliness = Decimal(on_time) * HUNDRED / milestone_count if milestone_count else ZERO
    weighted = indicators * weights.indicators + satisfaction * weights.satisfaction
    total = to_hundredths((weighted + timeliness * weights.timeliness) / HUNDRED)
    return ContractScore(indicators=indicators, satisfaction=satisfaction, timeliness=timeliness, total=total)


def rate(score: Decimal, bands: RatingBands) -> Rating:
    """The rating a (rounded) score earns."""
    if score >= bands.excellent_from:
        return "excellent"
    if score >= bands.good_from:
        return "good"
    if score >= bands.pass_from:
        return "pass"
    return "fail"


@dataclass(frozen=True)
class TrancheOutcome:
    """One tranche of the payment plan and the status its milestone ended with."""

    milestone: str
    pct: int
    amount_fen: int
    status: MilestoneStatus
    final: bool


def recommend_payment(tranches: Sequence[TrancheOutcome], rating: Rating, score: Decimal) -> PaymentRecommendation:
    """Excellent, good or pass: release every tranche. Fail: release only what was fully delivered, the tranches
    of non-final milestones that were met; withhold the final tranche and every tranche whose milestone was
    partiallyMet or notMet."""
    if rating != "fail":
        rule = f"rating {rating} (score {score}): every tranche is released"
        release = [_line(t, f"rating {rating}") for t in tranches]
        return _recommendation(rule, release, [])
    rule = (
        f"rating fail (score {score}): tranches of met milestones are released; the final tranche and "
        "tranches of partiallyMet or notMet milestones are withheld"
    )
    release, withhold = [], []
    for t in tranches:
        if t.final:
            withhold.append(_line(t, "final tranche of a failed contract"))
        elif t.status == "met":
            release.append(_line(t, f"milestone {t.milestone} met"))
        else:
            withhold.append(_line(t, f"milestone {t.milestone} {t.status}"))
    return _recommendation(rule, release, withhold)


def _line(tranche: TrancheOutcome, reason: str) -> PaymentLine:
    return PaymentLine(milestone=tranche.milestone, pct=tranche.pct, amount_fen=tranche.amount_fen, reason=reason)


def _recommendation(rule: str, release: list[PaymentLine], withhold: list[PaymentLine]) -> PaymentRecommendation:
    return PaymentRecommendation(
        rule=rule,
        release=release,
        withhold=withhold,
        release_fen=sum(line.amount_fen for line in release),
        withhold_fen=sum(line.amount_fen for line in withhold),
    )


def evaluate(contract: MonitoredContract, rules: EvaluationRules, *, evaluated_on: date) -> MonitoredContract:
    """The contract with its evaluation: score, rating, breakdown and payment recommendation."""
    score = score_contract(contract.reports, len(contract.milestones), rules.weights)
    rating = rate(score.total, rules.ratings)
    tranches = [
        TrancheOutcome(
            milestone=m.name,
            pct=m.tranche_pct,
            amount_fen=m.amount_fen,
            status=contract.status_of(m.name),
            final=m.name == contract.final_milestone,
        )
        for m in contract.milestones
    ]
    version = contract.version + 1
    evaluation = ContractEvaluated(
        contract_id=contract.contract_id,
        project_id=contract.project_id,
        org_id=contract.org_id,
        score=score.total,
        rating=rating,
        breakdown=score.breakdown(rules.weights),
        payment_recommendation=recommend_payment(tranches, rating, score.total),
        evaluated_on=evaluated_on,
        version=version,
    )
    return contract.model_copy(update={"evaluation": evaluation, "version": version})
