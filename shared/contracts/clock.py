"""Drills: moving the district's day forward in every service (`DISTRICT_CLOCK=drill` only)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from shared.envelope import FieldError

CLOCK_SET_REQUESTED = "intake.clock.set"


def clock_set(prefix: str) -> str:
    """`<prefix>.clock.set`: the service has moved its day and run its time-driven jobs for it."""
    return f"{prefix}.clock.set"


def clock_rejected(prefix: str) -> str:
    return f"{prefix}.clock.rejected"


class ClockSetRequested(BaseModel):
    """`intake.clock.set`: the drill's new day in the district (never earlier than the current one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    today: date


class ClockSet(BaseModel):
    """`<prefix>.clock.set`: this service's day is now `today`, and its jobs for it have run."""

    today: date
    service: str


class ClockRejected(BaseModel):
    today: str | None = None
    errors: list[FieldError]
