"""Evaluation's configurable rules: the monitoring plan (milestones, tranches) and how delivery is judged
(status thresholds, score weights, rating bands). Each refuses values that contradict each other."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.evaluation import MilestoneName, TranchePct


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


class EvaluationRules(BaseModel):
    """Evaluation's configurable rules; refuses a payment plan that does not fit its milestones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    milestones: tuple[MilestoneName, ...] = Field(default=("start", "mid_term", "final"), min_length=1)
    tranche_pcts: tuple[TranchePct, ...] = (30, 40, 30)
    first_due_after_days: int = Field(default=30, ge=0, le=3650)
    thresholds: StatusThresholds = StatusThresholds()
    weights: ScoreWeights = ScoreWeights()
    ratings: RatingBands = RatingBands()

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
