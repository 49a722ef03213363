"""The kernel's guard against citizen ID numbers outside the field meant for them: every shape a number is written
in is found, in any field of any intake, and refused naming the field without repeating it; ordinary values that
merely hold digits (credit codes, dates, amounts, phone numbers) are not."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from services.registration.domain import uscc
from services.registration.domain.identity import make_id_number
from shared.intake import read_intake
from shared.outcome import Emit
from shared.personal_data import REMOVED, RULE, holds_id_number, misplaced_id_numbers, redact, without_personal_data

NUMBER = make_id_number("510107", date(1980, 5, 17), 17)
X_NUMBER = "11010519491231002X"  # GB 11643's own example


@pytest.mark.parametrize("text", [
    NUMBER,
    X_NUMBER, X_NUMBER.lower(),
    NUMBER[:17] + ("1" if NUMBER[17] != "1" else "2"),  # a wrong check character
    NUMBER[:17],  # the check character left off
    "510107800517001",  # the old 15-digit form
    "510107 19800517 0017", "510107-1980-0517-0017", "5101.0719.8005.1700.17", "510107 - 19800517 - 0017",
    f"ID:{NUMBER}", f"身份证号{NUMBER}号", f"张三 {NUMBER}", f"No. 3 {NUMBER} (copy)",
    "５１０１０７１９８００５１７００１７",  # full-width digits
], ids=["18 digits", "check X", "check x", "wrong check", "17 digits", "15 digits", "spaces", "hyphens", "dots",
        "spaced hyphens", "ID: prefix", "inside Chinese text", "after a name", "amid other digits", "full width"])
def test_every_shape_of_an_id_number_is_found(text: str) -> None:
    assert holds_id_number(text)


@pytest.mark.parametrize("text", [
    uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, 0), "51510107MJ0000000X", "2015-06-01",
    "2014-11-19 2015-11-19", "20141119", "1000000000000000", "12000000", "13812345678", "028-85551234",
    "+86 138 1234 5678", "13812345678 13987654321", "WH-TR-fin-1-0001", "2015-1-007", "第2015年第3期",
    "5101071980051700179",  # 19 digits: no ID number's shape
    "990107198005170017",  # no province has code 99
    "510107198013170017",  # month 13
    "510107180005170017",  # born 1800
], ids=["credit code", "credit code with letters", "date", "two dates", "compact date", "16 digits", "amount",
        "mobile", "landline", "mobile +86", "two mobiles", "certificate", "project ref", "text", "19 digits",
        "no province", "no month 13", "before 1900"])
def test_ordinary_values_are_not_taken_for_an_id_number(text: str) -> None:
    assert not holds_id_number(text)


@given(st.sampled_from(sorted(uscc.LEGAL_FORM_CODES)), st.integers(0, uscc.ORG_CODE_SEEDS - 1))
def test_no_credit_code_of_the_district_is_taken_for_an_id_number(form: str, seed: int) -> None:
    assert not holds_id_number(uscc.make_uscc(form, uscc.WUHOU_REGION_CODE, seed))


def test_a_uuid_whose_digit_groups_read_as_an_old_form_number_is_not_taken_for_one() -> None:
    seen = "eea9e67c-99dd-4257-9378-0525488dea51"  # 4257-9378-0525488: province 42, born 1978-05-25
    assert not holds_id_number(seen) and not holds_id_number(f"registration.organization-applied:{seen}")
    assert redact(f"{seen} {NUMBER}") == f"{seen} {REMOVED}"  # a number beside an id is still removed


@given(st.uuids())
def test_no_uuid_is_taken_for_an_id_number(value: Any) -> None:
    assert not holds_id_number(str(value)) and not holds_id_number(json.dumps({"event_id": str(value)}))


@given(st.binary(min_size=12, max_size=32))
def test_no_database_id_or_digest_is_taken_for_an_id_number(raw: bytes) -> None:
    hexed = raw.hex()
    if any(c in "abcdef" for c in hexed):  # an all-digit run is read as digits, whatever made it
        assert not holds_id_number(f'"_id": "{hexed}"')


def test_numbers_one_after_another_in_one_run_of_digits_are_each_removed() -> None:
    assert redact(f"{NUMBER} {NUMBER.lower()}-{NUMBER[:17]}") == f"{REMOVED} {REMOVED}-{REMOVED}"


def test_a_removed_number_leaves_the_rest_of_the_text() -> None:
    assert redact(f"failed for {NUMBER} and 510107 19800517 0017") == f"failed for {REMOVED} and {REMOVED}"
    assert redact("nothing here: 028-85551234, 2015-06-01") == "nothing here: 028-85551234, 2015-06-01"


def test_the_fields_holding_a_number_are_named_and_the_field_meant_for_it_is_not() -> None:
    data = {"name": f"张三 {NUMBER}", "id_number": NUMBER, "phone": "13812345678",
            "members": [{"ref": int(NUMBER[:17])}], NUMBER: "a key", "notes": {"x": "ok"}}
    assert misplaced_id_numbers(data, ["id_number"]) == ["data", "members[0].ref", "name"]


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_ref: str
    name: str
    phone: str | None = None
    id_number: str | None = None
    amount_fen: int


def read(data: dict[str, Any], id_number_at: tuple[str, ...] = ()) -> Entry | Emit:
    return read_intake(Entry, data, rejected="test.entry.rejected", echo=("entry_ref",), id_number_at=id_number_at)


def valid(**changes: Any) -> dict[str, Any]:
    return {"entry_ref": "E-1", "name": "张三", "phone": "13812345678", "amount_fen": 100, **changes}


def test_an_id_number_in_a_field_not_meant_for_it_refuses_the_intake_naming_the_field() -> None:
    refused = read(valid(name=f"张三 ID:{NUMBER}"))
    assert isinstance(refused, Emit) and refused.type == "test.entry.rejected"
    [error] = refused.data["errors"]
    assert error["field"] == "name" and f"rule: {RULE}" in error["message"]


def test_the_refusal_also_names_every_other_bad_field_and_never_repeats_the_number() -> None:
    refused = read(valid(entry_ref=NUMBER, amount_fen="many", **{NUMBER[:17]: 1}))
    assert isinstance(refused, Emit)
    fields = {e["field"] for e in refused.data["errors"]}
    assert fields == {"entry_ref", "amount_fen", "data"}
    text = json.dumps(refused.data, ensure_ascii=False)
    assert NUMBER[:15] not in text and "entry_ref" not in refused.data


def test_the_field_meant_for_an_id_number_may_hold_one() -> None:
    read_in = read(valid(id_number=NUMBER), id_number_at=("id_number",))
    assert isinstance(read_in, Entry) and read_in.id_number == NUMBER


def test_a_phone_number_in_the_phone_field_and_ordinary_values_are_read() -> None:
    assert isinstance(read(valid(name="成都市武侯区玉林社区2015年第3期", phone="028-85551234")), Entry)


def test_a_model_message_that_repeats_the_input_has_the_number_removed() -> None:
    refused = read(valid(amount_fen=f"{NUMBER}"))  # pydantic's own message may quote an input
    assert isinstance(refused, Emit)
    assert NUMBER not in json.dumps(refused.data)


def test_a_dead_letter_body_keeps_nothing_personal_even_with_a_lone_surrogate_in_it() -> None:
    body = json.dumps({"type": "intake.person.added", "data": {"name": "张三", "org_id": "\ud800",
                                                               "note": f"ID {NUMBER}"}}).encode()
    kept, removed = without_personal_data(body, ["name"])
    assert removed == ["data.name", "data.note"]
    assert json.loads(kept)["data"] == {"name": None, "org_id": "\ud800", "note": f"ID {REMOVED}"}


def test_a_body_that_is_not_json_has_only_its_id_numbers_removed() -> None:
    assert without_personal_data(f"{{oops {NUMBER}".encode()) == (f"{{oops {REMOVED}".encode(), ["the body"])
    assert without_personal_data(b"{oops 028-85551234") == (b"{oops 028-85551234", [])


def test_a_number_written_with_json_escapes_is_found_in_a_dead_letter_too() -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in NUMBER)
    body = ('{"type": "intake.x.y", "data": {"note": "' + escaped + '"}}').encode()
    kept, removed = without_personal_data(body)
    assert removed == ["data.note"] and json.loads(kept)["data"]["note"] == REMOVED
