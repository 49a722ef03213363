"""Evaluation's configurable rules: the monitoring plan (milestones, tranches), how delivery is judged (status
thresholds, score weights, the minimum survey sample, rating bands), how money follows it (what each tranche
releases), and its time limits (the final report's margin, the appeal window). Each refuses values that contradict
each other."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.evaluation import RATINGS, MilestoneName, Rating, TranchePct

# What the final tranche releases for a rating: all of it; what the final milestone's status releases (as any
# tranche); the share of the plan's milestones that were met; none of it.
FinalTrancheRule = Literal["release", "milestone", "met_share", "withhold"]
DEFAULT_FINAL_TRANCHE: dict[Rating, FinalTrancheRule] = {
    "excellent": "milestone", "good": "milestone", "pass": "met_share", "fail": "withhold"}


class StatusThresholds(BaseModel):
    """Achievement from which a milestone counts as met / partially met; below the second it is notMet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    met_from: Decimal = Field(default=Decimal(80), ge=0, le=100)
    partially_met_from: Decimal = Field(default=Decimal(50), ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> StatusThresholds:
        if self.partially_met_from >= self.met_from:
            raise ValueError("partially_met_from must be below met_from")
        return self


class ScoreWeights(BaseModel):
    """Points out of 100 for each part of the score; they must add up to 100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicators: int = Field(default=50, ge=0, le=100)
    satisfaction: int = Field(default=40, ge=0, le=100)
    timeliness: int = Field(default=10, ge=0, le=100)

    @model_validator(mode="after")
    def _sum_to_100(self) -> ScoreWeights:
        total = self.indicators + self.satisfaction + self.timeliness
        if total != 100:
            raise ValueError(f"weights must add up to 100, they add up to {total}")
        if self.indicators + self.timeliness == 0:
            raise ValueError("indicators and timeliness must weigh something: without enough respondents "
                             "satisfaction is not scored, and nothing would be left to score")
        return self


class RatingBands(BaseModel):
    """Lowest score of each rating (DOMAIN.md: excellent >= 90, good 80-89.99, pass 60-79.99, fail below)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    excellent_from: Decimal = Field(default=Decimal(90), gt=0, le=100)
    good_from: Decimal = Field(default=Decimal(80), gt=0, le=100)
    pass_from: Decimal = Field(default=Decimal(60), gt=0, le=100)

    @model_validator(mode="after")
    def _descending(self) -> RatingBands:
        if not self.excellent_from > self.good_from > self.pass_from:
            raise ValueError("bands must descend: excellent_from > good_from > pass_from")
        return self


class PaymentRules(BaseModel):
    """What a tranche releases once its milestone is settled; the rest of it is withheld.

    - an interim tranche, when the purchaser accepts its milestone's report: met releases all of it,
      partiallyMet `partially_met_release_pct` % of it, notMet none of it;
    - the final tranche, once the evaluation stands, by rating (`final_tranche`): `release` all of it,
      `milestone` what the final milestone's status releases (as an interim tranche), `met_share` the share of
      the plan's milestones that were met, `withhold` none of it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    partially_met_release_pct: int = Field(default=50, ge=0, le=100)
    final_tranche: dict[Rating, FinalTrancheRule] = Field(default_factory=lambda: dict(DEFAULT_FINAL_TRANCHE))

    @model_validator(mode="after")
    def _every_rating(self) -> PaymentRules:
        missing = [r for r in RATINGS if r not in self.final_tranche]
        if missing:
            raise ValueError(f"final_tranche must say what every rating releases; missing: {', '.join(missing)}")
        return self


class EvaluationRules(BaseModel):
    """Evaluation's configurable rules; refuses a payment plan that does not fit its milestones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    milestones: tuple[MilestoneName, ...] = Field(default=("start", "mid_term", "final"), min_length=1)
    tranche_pcts: tuple[TranchePct, ...] = (30, 40, 30)
    first_due_after_days: int = Field(default=30, ge=0, le=3650)
    thresholds: StatusThresholds = StatusThresholds()
    weights: ScoreWeights = ScoreWeights()
    ratings: RatingBands = RatingBands()
    payments: PaymentRules = PaymentRules()
    # A final report is received from this many days before the contract ends (not earlier).
    final_report_margin_days: int = Field(default=30, ge=0, le=3650)
    # Below this many respondents over a contract's accepted reports, satisfaction is recorded but not scored.
    min_respondents: int = Field(default=30, ge=0, le=1_000_000)
    # ... and the rating is at most this (residents' word is needed for more).
    insufficient_sample_cap: Rating = "good"
    # Working days after the evaluation during which the organization may appeal it.
    appeal_working_days: int = Field(default=7, ge=0, le=250)

    @model_validator(mode="after")
    def _plan_fits_milestones(self) -> EvaluationRules:
        if len(set(self.milestones)) != len(self.milestones):
            raise ValueError(f"milestone names must be distinct: {', '.join(self.milestones)}")
        if len(self.tranche_pcts) != len(self.milestones):
            raise ValueError(
                f"{len(self.tranche_pcts)} tranches for {len(self.milestones)} milestones: one tranche per milestone"
            )
        if sum(self.tranche_pcts) != 100:
            raise ValueError(f"tranche percentages must add up to 100, they add up to {sum(self.tranche_pcts)}")
        return self
