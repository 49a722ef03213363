"""The event envelope every message on `district.events` carries, and the field-level error shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$"


class FieldError(BaseModel):
    """One reason an input was refused, precise enough to fix it."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str


class Envelope(BaseModel):
    """The fixed outer shape of every event (CONTRACT.md, "Bus")."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    type: str = Field(pattern=EVENT_TYPE_PATTERN, max_length=200)
    version: int = Field(ge=1, le=1000)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=200)
    correlation_id: uuid.UUID | None = None
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def new_event(
    type_: str,
    data: dict[str, Any],
    *,
    source: str,
    correlation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    version: int = 1,
) -> Envelope:
    """An envelope for a new event; ids and time may be passed in to keep callers deterministic."""
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        type=type_,
        version=version,
        occurred_at=occurred_at or datetime.now(UTC),
        source=source,
        correlation_id=correlation_id,
        data=data,
    )
