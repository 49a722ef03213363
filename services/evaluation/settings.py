"""Evaluation's settings, read once at start-up: its port, the district's time zone, and the monitoring rules
(milestones, payment tranches, thresholds, weights, rating bands), each from the environment (lists and objects
as JSON). A plan whose tranches do not add up to 100 stops the service at start-up, saying why."""

from __future__ import annotations

from pydantic import Field, ValidationError, model_validator

from services.evaluation.domain.rules import EvaluationRules, RatingBands, ScoreWeights, StatusThresholds
from shared.contracts.evaluation import MilestoneName, TranchePct
from shared.settings import ServiceSettings
from shared.validation import field_errors

NAME = "evaluation"
DEFAULT_RULES = EvaluationRules()


class EvaluationSettings(ServiceSettings):
    port: int = Field(default=8085, ge=1, le=65535, validation_alias="EVALUATION_PORT")
    milestones: tuple[MilestoneName, ...] = Field(default=DEFAULT_RULES.milestones,
                                                  validation_alias="EVALUATION_MILESTONES")
    tranche_pcts: tuple[TranchePct, ...] = Field(default=DEFAULT_RULES.tranche_pcts,
                                                 validation_alias="EVALUATION_TRANCHE_PCTS")
    first_due_after_days: int = Field(default=DEFAULT_RULES.first_due_after_days,
                                      validation_alias="EVALUATION_FIRST_DUE_AFTER_DAYS")
    thresholds: StatusThresholds = Field(default=DEFAULT_RULES.thresholds,
                                         validation_alias="EVALUATION_STATUS_THRESHOLDS")
    weights: ScoreWeights = Field(default=DEFAULT_RULES.weights, validation_alias="EVALUATION_SCORE_WEIGHTS")
    ratings: RatingBands = Field(default=DEFAULT_RULES.ratings, validation_alias="EVALUATION_RATING_BANDS")

    @model_validator(mode="after")
    def _rules_hold_together(self) -> EvaluationSettings:
        self.rules  # noqa: B018 - building the rules is the check
        return self

    @property
    def rules(self) -> EvaluationRules:
        try:
            return EvaluationRules(milestones=self.milestones, tranche_pcts=self.tranche_pcts,
                                   first_due_after_days=self.first_due_after_days, thresholds=self.thresholds,
                                   weights=self.weights, ratings=self.ratings)
        except ValidationError as exc:
            reasons = "; ".join(f"{e.field}: {e.message}" if e.field != "data" else e.message
                                for e in field_errors(exc))
            raise ValueError(f"evaluation rules (EVALUATION_*): {reasons}") from None
