"""What a domain decision yields: the events to publish, as plain values (the kernel wraps them in envelopes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.envelope import FieldError


@dataclass(frozen=True)
class Emit:
    """One event a decision causes: its type (= routing key) and its `data`."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


def rejected(type_: str, errors: list[FieldError], **ids: Any) -> Emit:
    """A `*.rejected` event naming every bad field, plus whatever ids the input carried."""
    return Emit(type_, {**{k: v for k, v in ids.items() if v is not None}, "errors": [e.model_dump() for e in errors]})
