"""The kernel's one way to read input: an intake becomes its model or a rejection naming every bad field and
echoing the ids it carried; another service's event becomes the consumer's model or is unprocessable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.consumer import Unprocessable
from shared.envelope import new_event
from shared.intake import echoed, read_event, read_intake
from shared.outcome import Emit


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_ref: str = Field(min_length=1)
    amount_fen: int = Field(gt=0)
    street: str

    @field_validator("street")
    @classmethod
    def _known_street(cls, street: str, info: ValidationInfo) -> str:
        streets = (info.context or {}).get("streets", ())
        if street not in streets:
            raise ValueError(f"must be one of the district's sub-districts: {', '.join(streets)}")
        return street


def read(data: Any) -> Request | Emit:
    return read_intake(Request, data, rejected="test.request.rejected", echo=("request_ref",),
                       context={"streets": ("玉林街道",)})


def test_a_valid_intake_becomes_its_model() -> None:
    request = read({"request_ref": "r-1", "amount_fen": 5, "street": "玉林街道"})
    assert isinstance(request, Request)
    assert request.model_dump() == {"request_ref": "r-1", "amount_fen": 5, "street": "玉林街道"}


def test_every_bad_field_is_named_once_with_the_district_rule_and_the_ref_echoed() -> None:
    refused = read({"request_ref": "r-1", "amount_fen": 0, "street": "火星街道", "colour": "red"})
    assert isinstance(refused, Emit) and refused.type == "test.request.rejected"
    assert refused.data["request_ref"] == "r-1"
    assert {e["field"] for e in refused.data["errors"]} == {"amount_fen", "street", "colour"}


@pytest.mark.parametrize("ref", [{"$ne": None}, 7, "", "   ", "x" * 101], ids=repr)
def test_only_a_plausible_text_id_is_echoed(ref: Any) -> None:
    refused = read({"request_ref": ref, "amount_fen": 0, "street": "玉林街道"})
    assert isinstance(refused, Emit) and "request_ref" not in refused.data


def test_echoed_ignores_input_that_is_not_an_object() -> None:
    assert echoed(["request_ref"], ["request_ref"]) == {}


def test_another_services_event_that_breaks_the_contract_is_unprocessable_naming_the_field() -> None:
    event = new_event("other.thing.happened", {"request_ref": "r-1"}, source="other")
    with pytest.raises(Unprocessable, match="amount_fen: is required"):
        read_event(Request, event, context={"streets": ("玉林街道",)})
