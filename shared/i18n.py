"""The operators' language: every text meant for a person comes from a message catalog (gettext, with Babel), in
Chinese by default and English beside it; numbers, amounts and dates are formatted for that language.

`DISTRICT_LANGUAGE` (`zh_CN` by default, or `en`) chooses for a whole process; an operator's command also honours
`LANG=en` for one run. Machine-readable parts never change with the language: event types, field names, codes,
each rejection's `field`, JSON keys. Messages are written in English in the code (the catalog's msgid); the
`zh_CN` catalog (shared/locales/zh_CN/LC_MESSAGES/district.po) translates every one, and a test fails when one is
missing. `make messages` extracts, updates and compiles the catalogs; `make install` compiles them.

    from shared.i18n import _
    message = _("grade {held} is below the project's minimum {minimum} (rule: min_grade)").format(...)
"""

from __future__ import annotations

import gettext
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "district"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def chosen_language(environment: dict[str, str] | None = None) -> str:
    """`DISTRICT_LANGUAGE`, else an English `LANG` (an operator's `LANG=en make census`), else Chinese."""
    env = os.environ if environment is None else environment
    asked = env.get("DISTRICT_LANGUAGE") or ""
    if not asked and (env.get("LANG") or "").lower().startswith("en"):
        asked = "en"
    return normalise(asked) if asked else DEFAULT_LANGUAGE


def normalise(language: str) -> str:
    """`zh`, `zh-CN`, `zh_CN.UTF-8` -> `zh_CN`; `en`, `en_US` -> `en`; anything else is refused, naming the choices."""
    base = language.split(".")[0].replace("-", "_")
    if base.lower().startswith("zh"):
        return "zh_CN"
    if base.lower().startswith("en"):
        return "en"
    raise ValueError(f"DISTRICT_LANGUAGE {language!r} is not one of {', '.join(LANGUAGES)}")


_current = chosen_language()


def use(language: str) -> None:
    """Speak `language` from now on in this process (a service at start-up, an operator command, a test)."""
    global _current
    _current = normalise(language)


def current() -> str:
    return _current


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALES, languages=[language], fallback=True)


def _(message: str) -> str:
    """`message` (its English text) in the current language."""
    if _current == "en":
        return message
    return _catalog(_current).gettext(message)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for translation, translate later"
    """Marks a message for the catalog where it is defined; `_()` translates it where it is used."""
    return message


def in_language(language: str, message: str) -> str:
    """`message` in `language`, whatever the process speaks."""
    return message if normalise(language) == "en" else _catalog(normalise(language)).gettext(message)


def number(value: int | float | Decimal, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=_current)


def amount(fen: int) -> str:
    """An amount in fen as yuan with two decimals, without its unit (a table whose heading names it)."""
    return format_decimal(Decimal(fen) / 100, "#,##0.00", locale=_current)


def yuan(fen: int) -> str:
    """An amount in fen as yuan with two decimals: `1,234.50 元` / `1,234.50 yuan`."""
    return f"{amount(fen)} 元" if _current == "zh_CN" else f"{amount(fen)} yuan"


def wan_yuan(fen: int) -> float:
    """An amount in fen in units of 10,000 yuan (万元), as the source's figures and charts use it."""
    return fen / 1_000_000


def wan_yuan_unit() -> str:
    return "万元" if _current == "zh_CN" else "10,000 yuan"


def percent(share: float, decimals: int = 1) -> str:
    """A share (0.25) as a percentage for the language: `25.0%`."""
    return format_percent(share, "#,##0" + ("." + "0" * decimals if decimals else "") + "%", locale=_current)


def day(value: date) -> str:
    """A date as a person reads it: `2015年3月2日` / `Mar 2, 2015`."""
    return format_date(value, "long" if _current == "zh_CN" else "medium", locale=_current)


def moment(value: datetime) -> str:
    """A moment in UTC as a person reads it: `2026年11月30日 15:40 UTC` / `Nov 30, 2026, 15:40 UTC`."""
    pattern = "yyyy年M月d日 HH:mm" if _current == "zh_CN" else "MMM d, yyyy, HH:mm"
    return format_datetime(value, pattern, tzinfo=UTC, locale=_current) + " UTC"
