"""The unified social credit code (统一社会信用代码, GB 32100-2015) of an organization registered by civil affairs.

Owns the code's alphabet and mod-31 check digit, one message per wrong part of a code, and a generator of valid
codes (for seeds, demos and tests). The check is strict: it does not upper-case; intake normalises first
(`normalise`), because the alphabet has no lower-case letters and upper case is the only canonical spelling.
"""

from __future__ import annotations

from typing import Final

from shared.i18n import _

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
LENGTH: Final = 18
# Weight of position i is 3**i mod 31 (GB 32100-2015, table 2).
WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CIVIL_AFFAIRS: Final = "5"
LEGAL_FORM_CODES: Final[dict[str, str]] = {"social_group": "1", "social_service_institution": "2", "foundation": "3"}
FORM_NAMES: Final[dict[str, str]] = {
    "1": "social group", "2": "social service institution", "3": "foundation", "9": "other",
}
WUHOU_REGION_CODE: Final = "510107"  # 成都市武侯区
ORG_CODE_LENGTH: Final = 9
ORG_CODE_SEEDS: Final = len(ALPHABET) ** ORG_CODE_LENGTH
# The letters left out of the alphabet because they read as digits.
LOOKALIKES: Final[dict[str, str]] = {"O": "0", "o": "0", "I": "1", "i": "1"}


def normalise(code: str) -> str:
    """The canonical spelling: surrounding whitespace removed, letters upper case."""
    return code.strip().upper()


def check_character(first17: str) -> str:
    """The 18th character for these 17 (each must be in ALPHABET)."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[-total % len(ALPHABET)]


def problems(code: str, legal_form: str | None = None) -> list[str]:
    """Every wrong part of `code`, one message each; empty when the code is valid (for `legal_form`, if given)."""
    found = _disallowed(code)
    if len(code) != LENGTH:
        return [_("must be {LENGTH} characters, got {count}").format(LENGTH=LENGTH, count=len(code)), *found]
    if code[0] != CIVIL_AFFAIRS:
        found.append(_("character 1 must be {CIVIL_AFFAIRS} (registered by civil affairs), got {value}").format(
            CIVIL_AFFAIRS=CIVIL_AFFAIRS, value=code[0]))
    found.extend(_form_problems(code[1], legal_form))
    region = code[2:8]
    if not (region.isascii() and region.isdigit()):
        found.append(_("characters 3-8 must be a 6-digit administrative division code, got {region}").format(
            region=region))
    if all(char in ALPHABET for char in code[:17]):
        expected = check_character(code[:17])
        if code[17] != expected:
            found.append(_("check digit should be {expected}, got {value}").format(expected=expected, value=code[17]))
    return found


def make_uscc(legal_form: str, region_code: str, org_code_seed: int) -> str:
    """A valid code for an organization of `legal_form` in `region_code`; distinct seeds give distinct codes.

    The seed numbers the organization within its region and is written in base 31 over the code's alphabet as
    the 9-character organization code (characters 9-17).
    """
    if legal_form not in LEGAL_FORM_CODES:
        raise ValueError(f"unknown legal form {legal_form!r}")
    if len(region_code) != 6 or not (region_code.isascii() and region_code.isdigit()):
        raise ValueError(f"region code must be 6 digits, got {region_code!r}")
    if not 0 <= org_code_seed < ORG_CODE_SEEDS:
        raise ValueError(f"org_code_seed must be in [0, {ORG_CODE_SEEDS}), got {org_code_seed}")
    first17 = CIVIL_AFFAIRS + LEGAL_FORM_CODES[legal_form] + region_code + _base31(org_code_seed)
    return first17 + check_character(first17)


def _disallowed(code: str) -> list[str]:
    return [
        f"contains {_shown(char)} at position {position}, not allowed in a credit code{_hint(char)}"
        for position, char in enumerate(code, start=1)
        if char not in ALPHABET
    ]


def _shown(char: str) -> str:
    return char if char.isprintable() and not char.isspace() else repr(char)


def _hint(char: str) -> str:
    if char in LOOKALIKES:
        return f" (did you mean {LOOKALIKES[char]}?)"
    return " (letters are upper case)" if char.upper() in ALPHABET else ""


def _form_problems(char: str, legal_form: str | None) -> list[str]:
    if legal_form in LEGAL_FORM_CODES:
        expected = LEGAL_FORM_CODES[legal_form]
        if char == expected:
            return []
        meaning = FORM_NAMES.get(char, "not an organization form")
        return [_("character 2 is {char} ({meaning}) but legal_form is {legal_form} ({expected})").format(
            char=char, meaning=meaning, legal_form=legal_form, expected=expected)]
    if char not in FORM_NAMES:
        forms = ", ".join(f"{code} ({name})" for code, name in FORM_NAMES.items())
        return [_("character 2 must be the organization form, one of {forms}; got {char}").format(
            forms=forms, char=char)]
    return []


def _base31(seed: int) -> str:
    digits = []
    for _place in range(ORG_CODE_LENGTH):
        seed, digit = divmod(seed, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))
