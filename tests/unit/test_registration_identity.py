"""Citizen ID numbers (GB 11643-1999) and phones: checked, masked, hashed with a key."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registration.domain.identity import (
    IdentityKey,
    IdentityKeys,
    id_check_character,
    id_hash,
    id_number_problems,
    key_id,
    make_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
)

TODAY = date(2014, 11, 19)
# The worked example of GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"

births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
regions = st.text(alphabet="0123456789", min_size=6, max_size=6)
sequences = st.integers(0, 999)


def test_the_standards_own_example_is_valid() -> None:
    assert id_number_problems(STANDARD_EXAMPLE, TODAY) == []


@given(regions, births, sequences)
def test_every_generated_number_is_valid(region: str, born_on: date, sequence: int) -> None:
    assert id_number_problems(make_id_number(region, born_on, sequence), TODAY) == []


@given(regions, births, sequences, st.integers(0, 16), st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught(
    region: str, born_on: date, sequence: int, position: int, shift: int
) -> None:
    number = make_id_number(region, born_on, sequence)
    digit = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + digit + number[position + 1:]

    assert id_number_problems(mistyped, TODAY) != []


def test_wrong_check_character_is_refused_without_repeating_the_number() -> None:
    wrong = STANDARD_EXAMPLE[:17] + "3"

    [message] = id_number_problems(wrong, TODAY)

    assert message == "character 18 does not match the first 17 (ISO 7064 MOD 11-2): a digit is probably mistyped"
    assert "1949" not in message


def test_impossible_birth_date_is_refused() -> None:
    body = "51010719900230123"  # 30 February
    number = body + make_id_number("510107", date(1990, 1, 1), 123)[-1]

    assert "characters 7-14 must be a real birth date (YYYYMMDD)" in id_number_problems(number, TODAY)


def test_29_february_is_a_birth_date_only_in_a_leap_year() -> None:
    assert id_number_problems(make_id_number("510107", date(1988, 2, 29), 1), TODAY) == []
    body = "51010719890229001"
    assert id_number_problems(body + id_check_character(body), TODAY) == [
        "characters 7-14 must be a real birth date (YYYYMMDD)"
    ]


def test_birth_after_today_is_refused() -> None:
    number = make_id_number("510107", date(2015, 1, 1), 7)

    assert id_number_problems(number, TODAY) == ["characters 7-14 must be a birth date between 1900-01-01 and today"]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("51010719800517123", ["must be 18 characters, got 17"]),
        ("5101071980051712X6", ["characters 1-17 must be digits"]),
        ("51010719800517123Y", ["character 18 must be a digit or X"]),
    ],
)
def test_malformed_numbers_name_the_part_that_is_wrong(number: str, expected: list[str]) -> None:
    assert id_number_problems(number, TODAY) == expected


def test_masked_number_shows_its_last_four_characters_only() -> None:
    assert mask_id_number("510107198005171234") == "**************1234"
    assert mask_id_number("11010519491231002X") == "**************002X"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "*******5678"), ("028-85551234", "********1234"), ("8555123", "******3"), ("123", "***")],
)
def test_masked_phone_shows_at_most_its_last_four_and_a_short_one_less(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_masked_name_keeps_the_first_character() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"


def test_hash_is_stable_under_one_key_and_differs_under_another() -> None:
    first = id_hash(STANDARD_EXAMPLE, b"district-key-1")

    assert first == id_hash(STANDARD_EXAMPLE.lower(), b"district-key-1")
    assert first != id_hash(STANDARD_EXAMPLE, b"district-key-2")
    assert first != id_hash(make_id_number("110105", date(1949, 12, 31), 3), b"district-key-1")
    assert len(first) == 64 and STANDARD_EXAMPLE not in first


def test_a_key_id_is_fixed_by_the_key_and_tells_nothing_of_it() -> None:
    first, second = IdentityKey(b"district-key-1-abcdef"), IdentityKey(b"district-key-2-abcdef")
    assert first.id == key_id(b"district-key-1-abcdef") != second.id
    assert len(first.id) == 12 and "district" not in first.id
    assert "district-key-1" not in repr(first)


def test_a_number_is_hashed_under_every_configured_key_by_key_id() -> None:
    current, previous = IdentityKey(b"district-key-2-abcdef"), IdentityKey(b"district-key-1-abcdef")
    hashes = IdentityKeys(current, (previous,)).hashes(STANDARD_EXAMPLE)
    assert hashes == {current.id: id_hash(STANDARD_EXAMPLE, current.secret),
                      previous.id: id_hash(STANDARD_EXAMPLE, previous.secret)}


def test_hash_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="key"):
        id_hash(STANDARD_EXAMPLE, b"")
