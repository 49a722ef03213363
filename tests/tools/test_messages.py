"""The operators' language: every message in the code has its Chinese translation, the catalogs compile, and the
machine-readable parts of an answer do not change with the language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared import i18n
from shared.validation import field_errors, parse
from tools.messages import extracted, missing


@pytest.fixture
def chinese() -> Iterator[None]:
    before = i18n.current()
    i18n.use("zh_CN")
    yield
    i18n.use(before)


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    gaps = missing("zh_CN")
    assert gaps == [], f"{len(gaps)} untranslated (run `make messages`, then translate): {gaps[:10]}"
    assert len(extracted()) > 20


class Offer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: int = Field(gt=0)
    day: date


def errors_in(language: str) -> list[tuple[str, str]]:
    before = i18n.current()
    i18n.use(language)
    try:
        refused = parse(Offer, {"amount_fen": 0, "colour": "red"})
    finally:
        i18n.use(before)
    assert isinstance(refused, list)
    return [(e.field, e.message) for e in refused]


def test_a_rejection_names_the_same_fields_in_both_languages_with_messages_in_each() -> None:
    english, chinese = errors_in("en"), errors_in("zh_CN")
    assert [f for f, _ in english] == [f for f, _ in chinese] == ["amount_fen", "day", "colour"]
    assert dict(english) == {"amount_fen": "Input should be greater than 0", "day": "is required",
                             "colour": "is not a known field"}
    assert dict(chinese) == {"amount_fen": "必须大于 0", "day": "必填", "colour": "不是可识别的字段"}


def test_amounts_dates_and_numbers_are_formatted_for_the_language(chinese: None) -> None:
    assert i18n.yuan(123_456_789) == "1,234,567.89 元"
    assert i18n.day(date(2015, 3, 2)) == "2015年3月2日"
    i18n.use("en")
    assert i18n.yuan(123_456_789) == "1,234,567.89 yuan"
    assert i18n.day(date(2015, 3, 2)) == "Mar 2, 2015"


@pytest.mark.parametrize(("environment", "language"), [
    ({}, "zh_CN"), ({"LANG": "en_US.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"DISTRICT_LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"), ({"DISTRICT_LANGUAGE": "zh-CN"}, "zh_CN"),
], ids=["default", "LANG=en", "LANG=zh", "setting wins", "zh-CN spelled"])
def test_the_language_is_chinese_unless_told_otherwise(environment: dict[str, str], language: str) -> None:
    assert i18n.chosen_language(environment) == language


def test_an_unknown_language_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="zh_CN, en"):
        i18n.chosen_language({"DISTRICT_LANGUAGE": "fr"})


def test_a_date_that_does_not_parse_is_named_in_chinese(chinese: None) -> None:
    class Dated(BaseModel):
        when: date

    with pytest.raises(ValidationError) as refused:
        Dated.model_validate({"when": "soon"})
    [error] = field_errors(refused.value)
    assert error.field == "when" and error.message == "必须是日期（YYYY-MM-DD）"
