"""The unified social credit code (GB 32100-2015): generated codes pass, every wrong part is named."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registration.domain import uscc

LEGAL_FORMS = ("social_group", "social_service_institution", "foundation")
# Every character a mistyped code could hold: the alphabet, the five letters left out, lower case, punctuation.
ANY_CHARACTER = uscc.ALPHABET + "IOSVZ" + string.ascii_lowercase + "-_ .*"

legal_forms = st.sampled_from(LEGAL_FORMS)
region_codes = st.text(alphabet=string.digits, min_size=6, max_size=6)
seeds = st.integers(min_value=0, max_value=uscc.ORG_CODE_SEEDS - 1)


def code_with_check(check: str) -> str:
    """A generated valid code whose check digit is `check`."""
    return next(
        code for seed in range(10_000) if (code := uscc.make_uscc("foundation", "510107", seed))[17] == check
    )


@given(legal_forms, region_codes, seeds)
def test_every_generated_code_is_accepted_for_its_legal_form(legal_form: str, region: str, seed: int) -> None:
    code = uscc.make_uscc(legal_form, region, seed)

    assert uscc.problems(code, legal_form) == []
    assert uscc.problems(code) == []


@given(legal_forms, region_codes, seeds, st.integers(0, 17), st.sampled_from(ANY_CHARACTER))
def test_every_single_character_change_is_rejected(
    legal_form: str, region: str, seed: int, position: int, replacement: str
) -> None:
    code = uscc.make_uscc(legal_form, region, seed)
    if code[position] == replacement:
        replacement = "I"  # never in a valid code
    changed = code[:position] + replacement + code[position + 1:]

    assert uscc.problems(changed, legal_form) != []
    assert uscc.problems(changed) != []


def test_no_single_character_change_of_the_district_code_goes_unnoticed() -> None:
    code = uscc.make_uscc("social_service_institution", uscc.WUHOU_REGION_CODE, 123_456)
    for position in range(18):
        for replacement in ANY_CHARACTER.replace(code[position], ""):
            changed = code[:position] + replacement + code[position + 1:]
            assert uscc.problems(changed), changed


def test_distinct_seeds_give_distinct_codes() -> None:
    codes = {uscc.make_uscc("social_group", "510107", seed) for seed in range(500)}

    assert len(codes) == 500


def test_a_published_enterprise_code_has_a_correct_check_digit_but_is_not_civil_affairs() -> None:
    assert uscc.problems("91350100M000100Y43") == ["character 1 must be 5 (registered by civil affairs), got 9"]


def test_wrong_check_digit_names_the_right_one() -> None:
    code = code_with_check("Q")

    assert uscc.problems(code[:17] + "7") == ["check digit should be Q, got 7"]


def test_second_character_contradicting_the_legal_form_names_both() -> None:
    code = uscc.make_uscc("social_group", "510107", 77)

    assert uscc.problems(code, "foundation") == ["character 2 is 1 (social group) but legal_form is foundation (3)"]


def test_second_character_of_no_civil_affairs_form_is_refused() -> None:
    first17 = "5A510107" + "000000001"
    code = first17 + uscc.check_character(first17)

    assert uscc.problems(code) == [
        "character 2 must be the organization form, one of 1 (social group), 2 (social service institution), "
        "3 (foundation), 9 (other); got A"
    ]
    assert uscc.problems(code, "social_group") == [
        "character 2 is A (not an organization form) but legal_form is social_group (1)"
    ]


def test_letter_in_the_region_code_is_refused() -> None:
    first17 = "5151A107" + "000000001"
    code = first17 + uscc.check_character(first17)

    assert uscc.problems(code, "social_group") == [
        "characters 3-8 must be a 6-digit administrative division code, got 51A107"
    ]


def test_letter_o_is_named_with_its_position_and_the_digit_meant() -> None:
    code = uscc.make_uscc("social_group", "510107", 5)
    changed = code[:6] + "O" + code[7:]

    assert "contains O at position 7, not allowed in a credit code (did you mean 0?)" in uscc.problems(changed)


@pytest.mark.parametrize("length", [0, 17, 19])
def test_wrong_length_is_named_with_the_length_found(length: int) -> None:
    code = (uscc.make_uscc("social_group", "510107", 5) + "1")[:length]

    assert uscc.problems(code) == [f"must be 18 characters, got {length}"]


def test_lower_case_is_refused_by_the_strict_check_and_accepted_once_normalised() -> None:
    code = uscc.make_uscc("foundation", "510107", 31 * 20)  # organization code ends in letters
    lowered = code.lower()

    assert any("(letters are upper case)" in message for message in uscc.problems(lowered))
    assert uscc.normalise(f"  {lowered} ") == code


def test_every_wrong_part_gets_its_own_message() -> None:
    found = uscc.problems("9335O1000000000014", "social_group")

    assert found[0] == "contains O at position 5, not allowed in a credit code (did you mean 0?)"
    assert found[1:] == [
        "character 1 must be 5 (registered by civil affairs), got 9",
        "character 2 is 3 (foundation) but legal_form is social_group (1)",
        "characters 3-8 must be a 6-digit administrative division code, got 35O100",
    ]


def test_generator_refuses_what_cannot_make_a_code() -> None:
    with pytest.raises(ValueError, match="legal form"):
        uscc.make_uscc("company", "510107", 1)
    with pytest.raises(ValueError, match="6 digits"):
        uscc.make_uscc("foundation", "51010", 1)
    with pytest.raises(ValueError, match="org_code_seed"):
        uscc.make_uscc("foundation", "510107", uscc.ORG_CODE_SEEDS)
