"""Turn pydantic's validation errors into the contract's field-level errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.envelope import FieldError
from shared.i18n import N_, _, current

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "data"


# What pydantic's own checks say, for a person reading another language than English: by the error's type, with
# its context. In English pydantic's own wording is kept. A type not listed keeps pydantic's wording.
_BY_TYPE: dict[str, str] = {
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "string_too_short": N_("must have at least {min_length} characters"),
    "string_too_long": N_("must have at most {max_length} characters"),
    "too_short": N_("must have at least {min_length} items"),
    "too_long": N_("must have at most {max_length} items"),
    "string_type": N_("must be text"),
    "string_pattern_mismatch": N_("does not have the required form ({pattern})"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "decimal_type": N_("must be a number"),
    "decimal_parsing": N_("must be a number"),
    "decimal_max_digits": N_("must have at most {max_digits} digits"),
    "decimal_max_places": N_("must have at most {decimal_places} decimal places"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "date_type": N_("must be a date (YYYY-MM-DD)"),
    "date_parsing": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": N_("must be a date without a time of day"),
    "datetime_type": N_("must be a date and time (ISO 8601)"),
    "datetime_parsing": N_("must be a date and time (ISO 8601)"),
    "datetime_from_date_parsing": N_("must be a date and time (ISO 8601)"),
    "timezone_aware": N_("must carry its time zone"),
    "uuid_type": N_("must be a UUID"),
    "uuid_parsing": N_("must be a UUID"),
    "list_type": N_("must be a list"),
    "tuple_type": N_("must be a list"),
    "set_type": N_("must be a list"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "literal_error": N_("must be one of: {expected}"),
    "enum": N_("must be one of: {expected}"),
    "union_tag_invalid": N_("must be one of: {expected_tags}"),
    "url_parsing": N_("must be a web address"),
    "url_type": N_("must be a web address"),
    "multiple_of": N_("must be a multiple of {multiple_of}"),
}


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return _("is required")
    if kind == "extra_forbidden":
        return _("is not a known field")
    if kind in _BY_TYPE and current() != "en":
        try:
            return _(_BY_TYPE[kind]).format(**(err.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            pass
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
