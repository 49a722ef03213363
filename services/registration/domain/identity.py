"""A person's identifiers: the citizen ID number (公民身份号码, GB 11643-1999) and phone, checked, masked and hashed.

The ID number is never kept or published in clear: registration keeps a keyed HMAC-SHA256 of it (to recognise the
same person twice), the id of the key that made it, and a masked form (to show) with at most its last four
characters. Messages never repeat the number or its birth date, because a rejection is published.

Keys rotate: new hashes use the current key, and the same person is still recognised under any previous key still
configured (`IdentityKeys`). A key's id is derived from the key itself, so two different keys never share one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from shared.i18n import _

ID_LENGTH: Final = 18
# ISO 7064 MOD 11-2: weight of position i is 2**(17-i) mod 11.
ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS: Final = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH: Final = date(1900, 1, 1)
SHOWN: Final = 4  # characters of an ID number or a phone a mask shows: the last four
KEY_ID_LABEL: Final = b"district identity key id"
KEY_ID_LENGTH: Final = 12


def normalise_id_number(value: str) -> str:
    """The canonical spelling: surrounding whitespace removed, a check character x upper case."""
    return value.strip().upper()


def id_check_character(first17: str) -> str:
    """The 18th character for these 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


def id_number_problems(value: str, today: date) -> list[str]:
    """Every wrong part of an ID number, one message each; empty when it is valid."""
    if len(value) != ID_LENGTH:
        return [_("must be {ID_LENGTH} characters, got {count}").format(ID_LENGTH=ID_LENGTH, count=len(value))]
    body, check = value[:17], value[17]
    found: list[str] = []
    if not (body.isascii() and body.isdigit()):
        found.append(_("characters 1-17 must be digits"))
    if not (check.isascii() and (check.isdigit() or check == "X")):
        found.append(_("character 18 must be a digit or X"))
    if found:
        return found
    birth = birth_date(value)
    if birth is None:
        found.append(_("characters 7-14 must be a real birth date (YYYYMMDD)"))
    elif not EARLIEST_BIRTH <= birth <= today:
        found.append(_("characters 7-14 must be a birth date between {EARLIEST_BIRTH} and today").format(
            EARLIEST_BIRTH=EARLIEST_BIRTH))
    if id_check_character(body) != check:
        found.append(_("character 18 does not match the first 17 (ISO 7064 MOD 11-2): a digit is probably mistyped"))
    return found


def birth_date(value: str) -> date | None:
    """The birth date written in characters 7-14, or None when they are not a real date."""
    digits = value[6:14]
    if len(digits) != 8 or not (digits.isascii() and digits.isdigit()):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def make_id_number(region_code: str, born_on: date, sequence: int) -> str:
    """A valid ID number (for seeds, demos and tests): region, birth date, a 3-digit sequence, check character."""
    if len(region_code) != 6 or not (region_code.isascii() and region_code.isdigit()):
        raise ValueError(f"region code must be 6 digits, got {region_code!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be in [0, 999], got {sequence}")
    body = f"{region_code}{born_on:%Y%m%d}{sequence:03d}"
    return body + id_check_character(body)


def mask_id_number(value: str) -> str:
    """Only the last four characters shown: **************1234."""
    return _last_four(value)


def mask_phone(phone: str) -> str:
    """Only the last four characters shown: *******5678, ********1234."""
    return _last_four(phone)


def _last_four(value: str) -> str:
    # A value shorter than eight characters shows at most a quarter of it, not four.
    count = SHOWN if len(value) >= 2 * SHOWN else len(value) // 4
    shown = value[-count:] if count else ""
    return "*" * (len(value) - count) + shown


def mask_name(name: str) -> str:
    """The family name's first character kept: 张** for 张三丰."""
    return name[:1] + "*" * (len(name) - 1)


def id_hash(id_number: str, key: bytes) -> str:
    """A keyed HMAC-SHA256 (hex) of the normalised number: the same person gives the same hash under one key."""
    if not key:
        raise ValueError("the ID hashing key must not be empty")
    return hmac.new(key, normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A key's id, kept with every hash it made: derived from the key (one-way), so it tells nothing of it."""
    if not key:
        raise ValueError("the ID hashing key must not be empty")
    return hmac.new(key, KEY_ID_LABEL, hashlib.sha256).hexdigest()[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class IdentityKey:
    """One HMAC key for ID numbers, and its id."""

    secret: bytes = field(repr=False)

    @property
    def id(self) -> str:
        return key_id(self.secret)

    def hash(self, id_number: str) -> str:
        return id_hash(id_number, self.secret)


@dataclass(frozen=True)
class IdentityKeys:
    """The key new hashes are made with, and the previous keys still used to recognise people hashed under them."""

    current: IdentityKey
    previous: tuple[IdentityKey, ...] = ()

    def hashes(self, id_number: str) -> dict[str, str]:
        """The number's hash under every configured key, by key id."""
        return {key.id: key.hash(id_number) for key in (self.current, *self.previous)}
