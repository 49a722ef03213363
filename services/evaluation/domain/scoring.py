"""How delivery is judged: a report's achievement and milestone status, a contract's score out of 100 and its
rating; `evaluate` puts them together, with the payment recommendation, once every milestone's report is accepted.
Every figure is an exact Decimal.

- the score weighs three measures (default indicators 50, satisfaction 40, timeliness 10);
- satisfaction is pooled over the accepted reports; below the minimum sample (default 30 respondents) it is
  recorded but not scored: the other two measures share its weight in proportion to theirs, and the rating is
  capped (default at good), so that leaving residents unasked never earns more;
- timeliness is the share of the plan's milestones whose accepted report the district received by its due date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from services.evaluation.domain.contract import Appeal, Measures, MonitoredContract
from services.evaluation.domain.payments import recommendation
from services.evaluation.domain.rules import EvaluationRules, RatingBands, ScoreWeights, StatusThresholds
from shared.calendar import DistrictCalendar
from shared.contracts.evaluation import (
    RATINGS,
    AppealOutcome,
    ContractEvaluated,
    JudgedStatus,
    Measure,
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
    """The three measures (0..100, exact), whether satisfaction counted, and the total score rounded half-up to
    2 decimals."""

    indicators: Decimal
    satisfaction: Decimal
    timeliness: Decimal
    satisfaction_scored: bool
    respondents: int
    total: Decimal

    @classmethod
    def of(cls, measures: Measures, weights: ScoreWeights) -> ContractScore:
        return weighted_score(measures.indicators, measures.satisfaction, measures.timeliness, weights,
                              satisfaction_scored=measures.satisfaction_scored, respondents=measures.respondents)

    @property
    def measures(self) -> Measures:
        return Measures(indicators=self.indicators, satisfaction=self.satisfaction, timeliness=self.timeliness,
                        satisfaction_scored=self.satisfaction_scored, respondents=self.respondents)

    def weights(self, weights: ScoreWeights) -> tuple[Decimal, Decimal, Decimal]:
        """The weights as applied: satisfaction's shared by the others in proportion when it is not scored."""
        if self.satisfaction_scored:
            return Decimal(weights.indicators), Decimal(weights.satisfaction), Decimal(weights.timeliness)
        rest = Decimal(weights.indicators + weights.timeliness)
        return weights.indicators * HUNDRED / rest, ZERO, weights.timeliness * HUNDRED / rest

    def breakdown(self, weights: ScoreWeights) -> ScoreBreakdown:
        w_indicators, w_satisfaction, w_timeliness = self.weights(weights)

        def part(measure: Decimal, weight: Decimal, scored: bool = True) -> Measure:
            return Measure(measure=to_hundredths(measure), weight=to_hundredths(weight),
                           points=to_hundredths(measure * weight / HUNDRED), scored=scored)

        return ScoreBreakdown(
            indicators=part(self.indicators, w_indicators),
            satisfaction=part(self.satisfaction, w_satisfaction, self.satisfaction_scored),
            timeliness=part(self.timeliness, w_timeliness),
        )


def weighted_score(indicators: Decimal, satisfaction: Decimal, timeliness: Decimal, weights: ScoreWeights,
                   *, satisfaction_scored: bool, respondents: int) -> ContractScore:
    """The total of the three measures under the weights (satisfaction's shared out when it is not scored)."""
    unrounded = ContractScore(indicators, satisfaction, timeliness, satisfaction_scored, respondents, ZERO)
    w_indicators, w_satisfaction, w_timeliness = unrounded.weights(weights)
    total = (indicators * w_indicators + satisfaction * w_satisfaction + timeliness * w_timeliness) / HUNDRED
    return ContractScore(indicators, satisfaction, timeliness, satisfaction_scored, respondents,
                         to_hundredths(total))


def score_contract(reports: Sequence[ReportFigures], milestone_count: int, weights: ScoreWeights,
                   min_respondents: int = 30) -> ContractScore:
    """Score out of 100 over a contract's accepted reports (rules in the module docstring)."""
    indicators = sum((r.achievement for r in reports), ZERO) / len(reports) if reports else ZERO
    respondents = sum(r.respondents for r in reports)
    satisfied = sum(r.satisfied for r in reports)
    satisfaction = Decimal(satisfied) * HUNDRED / respondents if respondents else ZERO
    on_time = sum(1 for r in reports if not r.late)
    timeliness = Decimal(on_time) * HUNDRED / milestone_count if milestone_count else ZERO
    return weighted_score(indicators, satisfaction, timeliness, weights,
                          satisfaction_scored=respondents >= min_respondents, respondents=respondents)


def rate(score: Decimal, bands: RatingBands) -> Rating:
    """The rating a (rounded) score earns."""
    if score >= bands.excellent_from:
        return "excellent"
    if score >= bands.good_from:
        return "good"
    if score >= bands.pass_from:
        return "pass"
    return "fail"


def capped(rating: Rating, cap: Rating) -> Rating:
    """The lower of the two ratings."""
    return rating if RATINGS.index(rating) >= RATINGS.index(cap) else cap


def rating_of(score: ContractScore, rules: EvaluationRules) -> Rating:
    """The rating the score earns, capped when satisfaction could not be scored."""
    earned = rate(score.total, rules.ratings)
    return earned if score.satisfaction_scored else capped(earned, rules.insufficient_sample_cap)


def evaluation_of(contract: MonitoredContract, score: ContractScore, rules: EvaluationRules, *, evaluated_on: date,
                  appeal_until: date, version: int, appeal: Appeal | None = None) -> ContractEvaluated:
    """The published evaluation of a score: rating, breakdown, sample, payment advice."""
    rating = rating_of(score, rules)
    outcome = None
    if appeal is not None and appeal.decided_on is not None and appeal.upheld is not None:
        outcome = AppealOutcome(appeal_id=appeal.appeal_id, upheld=appeal.upheld, lodged_on=appeal.lodged_on,
                                decided_on=appeal.decided_on, reasoning=appeal.reasoning)
    return ContractEvaluated(
        contract_id=contract.contract_id,
        project_id=contract.project_id,
        org_id=contract.org_id,
        score=score.total,
        rating=rating,
        breakdown=score.breakdown(rules.weights),
        respondents=score.respondents,
        insufficient_sample=not score.satisfaction_scored,
        payment_recommendation=recommendation(contract, rating, rules.payments),
        evaluated_on=evaluated_on,
        appeal_until=appeal_until,
        appeal=outcome,
        version=version,
    )


def evaluate(contract: MonitoredContract, rules: EvaluationRules, calendar: DistrictCalendar, *,
             evaluated_on: date) -> MonitoredContract:
    """The contract with its evaluation, once every milestone's report is accepted; it may be appealed until the
    configured number of working days after `evaluated_on`."""
    score = score_contract(contract.accepted_reports(), len(contract.milestones), rules.weights,
                           rules.min_respondents)
    version = contract.version + 1
    evaluation = evaluation_of(contract, score, rules, evaluated_on=evaluated_on, version=version,
                               appeal_until=calendar.add_working_days(evaluated_on, rules.appeal_working_days))
    return contract.model_copy(update={"evaluation": evaluation, "measures": score.measures, "version": version})
