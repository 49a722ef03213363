"""Evaluation's settings, read once at start-up: its port, the district's calendar, and the monitoring rules
(milestones, payment tranches, thresholds, weights, the survey's minimum sample, rating bands, what each tranche
releases, the final-report margin, the appeal window), each from the environment (lists and objects as JSON), and
how often its clock checks deadlines. A plan whose tranches do not add up to 100 stops the service at start-up,
saying why."""

from __future__ import annotations

from pydantic import Field, ValidationError, model_validator

from services.evaluation.domain.rules import (
    EvaluationRules,
    FinalTrancheRule,
    RatingBands,
    ScoreWeights,
    StatusThresholds,
)
from shared.contracts.evaluation import MilestoneName, Rating, TranchePct
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
    partially_met_release_pct: int = Field(default=DEFAULT_RULES.payments.partially_met_release_pct,
                                           validation_alias="EVALUATION_PARTIALLY_MET_RELEASE_PCT")
    final_tranche: dict[Rating, FinalTrancheRule] = Field(
        default_factory=lambda: dict(DEFAULT_RULES.payments.final_tranche), validation_alias="EVALUATION_FINAL_TRANCHE")
    final_report_margin_days: int = Field(default=DEFAULT_RULES.final_report_margin_days,
                                          validation_alias="EVALUATION_FINAL_REPORT_MARGIN_DAYS")
    min_respondents: int = Field(default=DEFAULT_RULES.min_respondents, validation_alias="EVALUATION_MIN_RESPONDENTS")
    insufficient_sample_cap: Rating = Field(default=DEFAULT_RULES.insufficient_sample_cap,
                                            validation_alias="EVALUATION_INSUFFICIENT_SAMPLE_CAP")
    appeal_working_days: int = Field(default=DEFAULT_RULES.appeal_working_days,
                                     validation_alias="EVALUATION_APPEAL_WORKING_DAYS")
    # How often the clock looks for overdue milestones and evaluations past their appeal window (and at once on
    # every drill).
    deadline_check_seconds: float = Field(default=60.0, gt=0, le=86_400,
                                          validation_alias="EVALUATION_DEADLINE_CHECK_SECONDS")

    @model_validator(mode="after")
    def _rules_hold_together(self) -> EvaluationSettings:
        self.rules  # noqa: B018 - building the rules is the check
        return self

    @property
    def rules(self) -> EvaluationRules:
        try:
            return EvaluationRules.model_validate({
                "milestones": self.milestones, "tranche_pcts": self.tranche_pcts,
                "first_due_after_days": self.first_due_after_days, "thresholds": self.thresholds,
                "weights": self.weights, "ratings": self.ratings,
                "payments": {"partially_met_release_pct": self.partially_met_release_pct,
                             "final_tranche": self.final_tranche},
                "final_report_margin_days": self.final_report_margin_days, "min_respondents": self.min_respondents,
                "insufficient_sample_cap": self.insufficient_sample_cap,
                "appeal_working_days": self.appeal_working_days})
        except ValidationError as exc:
            reasons = "; ".join(f"{e.field}: {e.message}" if e.field != "data" else e.message
                                for e in field_errors(exc))
            raise ValueError(f"evaluation rules (EVALUATION_*): {reasons}") from None
