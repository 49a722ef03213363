"""Turn pydantic's validation errors into the contract's field-level errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.envelope import FieldError

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "data"


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """One FieldError per pydantic error, with a dotted path (`purchaser.kind`, `domains[2]`)."""
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        path = field_path(tuple(err["loc"]))
        out.append(FieldError(field=f"{prefix}{path}" if prefix else path, message=_message(err)))
    return out


def parse(model: type[M], data: Any, context: dict[str, Any] | None = None) -> M | list[FieldError]:
    """The model, or every field-level reason it could not be built."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        return field_errors(exc)
