"""The district's rules on what registration accepts, layered on the intake contracts.

Each model here is an intake contract plus the rules that need the credit-code algorithm, the configured
sub-districts or today's date, so that one validation pass names every bad field of an input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.registration import uscc
from services.registration.identity import id_number_problems, looks_like_id_number, normalise_id_number
from shared.contracts.registration import (
    IntakeOrganizationApplied,
    IntakeOrganizationUpdated,
    IntakePersonAdded,
    OrganizationChanges,
)
from shared.envelope import FieldError
from shared.validation import parse

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class IntakeRules:
    """What the rules need besides the input: today's date and the district's sub-districts."""

    today: date
    streets: tuple[str, ...] = ()


def read(model: type[M], data: Any, rules: IntakeRules | None = None) -> M | list[FieldError]:
    """The input as `model`, or every field-level reason it breaks the contract or the district's rules."""
    return parse(model, data, context={"rules": rules} if rules is not None else None)


def street_problems(street: str, streets: Sequence[str]) -> list[str]:
    if street in streets:
        return []
    if f"{street}街道" in streets:
        return [f"is not one of the district's sub-districts; did you mean {street}街道?"]
    return [f"must be one of the district's sub-districts: {', '.join(streets)}"]


class Application(IntakeOrganizationApplied):
    """An application that passes the district's rules; `uscc` is upper-cased."""

    @field_validator("uscc")
    @classmethod
    def _credit_code(cls, value: str, info: ValidationInfo) -> str:
        code = uscc.normalise(value)
        _refuse(uscc.problems(code, info.data.get("legal_form")), value)
        return code

    @field_validator("street")
    @classmethod
    def _district_street(cls, value: str, info: ValidationInfo) -> str:
        _refuse(street_problems(value, _rules(info).streets), value)
        return value

    @field_validator("founded_on")
    @classmethod
    def _not_in_future(cls, value: date, info: ValidationInfo) -> date:
        today = _rules(info).today
        _refuse([f"must not be after today ({today.isoformat()})"] if value > today else [], value.isoformat())
        return value


class Changes(OrganizationChanges):
    """Changes whose street, if any, is one of the district's."""

    @field_validator("street")
    @classmethod
    def _district_street(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            _refuse(street_problems(value, _rules(info).streets), value)
        return value


class Update(IntakeOrganizationUpdated):
    """An update request whose changes pass the district's rules."""

    changes: Changes


class PersonEntry(IntakePersonAdded):
    """A person whose ID number, if given, is a valid GB 11643 number (normalised: a trailing x upper-cased), and
    whose reference is not one."""

    @field_validator("person_ref")
    @classmethod
    def _not_an_id_number(cls, value: str) -> str:
        # The ref is kept and published in clear, so an ID number used as one would leak.
        if looks_like_id_number(value):
            _refuse(["must be the organization's own reference for the person, not an ID number "
                     "(give that as id_number: it is kept only hashed and masked)"], "(hidden)")
        return value

    @field_validator("id_number")
    @classmethod
    def _citizen_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        number = normalise_id_number(value)
        _refuse(id_number_problems(number, _rules(info).today), "(hidden)")
        return number


def _rules(info: ValidationInfo) -> IntakeRules:
    rules = info.context.get("rules") if isinstance(info.context, dict) else None
    if not isinstance(rules, IntakeRules):
        raise TypeError("registration intake must be read with intake.read(model, data, rules)")
    return rules


def _refuse(messages: list[str], shown_input: Any) -> None:
    """Raise one error per message, all on the field being validated."""
    if messages:
        raise ValidationError.from_exception_data(
            "registration rules",
            [
                InitErrorDetails(
                    type=PydanticCustomError("registration_rule", "{reason}", {"reason": message}),
                    loc=(),
                    input=shown_input,
                )
                for message in messages
            ],
        )
