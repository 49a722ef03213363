"""Citizen ID numbers (公民身份号码, GB 11643) wherever they are written: found in any text, and removed from it.

An ID number may be given only in the one field meant for it (registration's `intake.person.added` `id_number`),
and is kept there only hashed and masked. Anywhere else it is a leak: the kernel refuses an intake that holds one
in another field (`shared.intake.read_intake`), and removes one from anything it writes where no field is known
(dead letters, their reasons, log lines).

What counts is the shape, not validity, so a mistyped number is found too: 18 characters (17 digits and a digit
or X, the check character right or wrong), 17 digits (the check character left off) or a 15-digit number of the
old form; written whole or in groups with spaces, hyphens, dots or slashes between them, with or without a
prefix such as `ID:`, in full-width digits too. The first two digits must be a province's code and the birth date
a real one (1900-2099; 19xx in the old form), which keeps credit codes, dates, amounts and phone numbers out.
Machine identifiers are passed over whole: a UUID (`eea9e67c-99dd-4257-9378-0525488dea51` holds
`4257-9378-0525488`, which reads as an old-form number born 1978-05-25) and a run of 20 or more hex characters
with a letter in it (a database id, a digest), so that the ids every event carries are never taken for a person.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, Final

from shared.i18n import N_
from shared.validation import field_path

# GB/T 2260 province-level codes: the first two digits of every ID number.
PROVINCES: Final = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
REMOVED: Final = "[ID number removed]"
RULE: Final = "no_id_number_outside_its_field"
# Set on a dead letter whose personal data was taken out: replaying it would not be the message that was sent.
REPLAYABLE_HEADER: Final = "x-replayable"
NOT_REPLAYABLE_HEADER: Final = "x-not-replayable-because"
# Translated where it is used (`_(MISPLACED).format(rule=RULE)`).
MISPLACED: Final = N_("holds what looks like a citizen ID number; an ID number is accepted only in the field meant for "
                      "it, and is never stored, published or logged anywhere else (rule: {rule})")

# Between two digits of a number written in groups: at most three spaces, hyphens, dots, slashes or underscores.
_SEPARATOR = r"[ \t\u00a0\-./_·—–]{0,3}"
# What each position of a number may hold, loosely (the exact checks follow in `_plausible`): a province's first
# digit, then in the 18-character form a year 19xx or 20xx, a month, a day; in the old form the month and day.
_NEW_FORM = ("[1-8]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[12]", "[09]", "[0-9]", "[0-9]", "[01]", "[0-9]",
             "[0-3]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[0-9Xx]")
_OLD_FORM = ("[1-8]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[01]", "[0-9]", "[0-3]",
             "[0-9]", "[0-9]", "[0-9]", "[0-9]")


def _form(positions: tuple[str, ...]) -> re.Pattern[str]:
    # Starts and ends on whole groups of digits; a lookahead, so that overlapping candidates are all seen; matched
    # in C at every position, so even a megabyte of digits and separators is read in milliseconds.
    body = _SEPARATOR.join(positions)
    return re.compile(rf"(?<![0-9])(?=({body})(?![0-9Xx]))")


# The 18-character form (its check character right or wrong), the same without it (17 digits), the old 15.
_FORMS = (_form(_NEW_FORM), _form(_NEW_FORM[:17]), _form(_OLD_FORM))
_NOT_A_DIGIT = re.compile(r"[^0-9X]")
# A stretch of digits and separators long enough to hold a number: found first, so text without one (most text)
# is passed over at the speed of a plain search.
_STRETCH = re.compile(r"[0-9][0-9Xx \t\u00a0\-./_·—–]{13,}")
# A UUID, or a run of 20 or more hex characters holding a letter, standing alone: a machine's id, never a person's.
_MACHINE_ID = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                         r"|(?=[0-9]*[a-f])[0-9a-f]{20,})(?![0-9A-Za-z])", re.IGNORECASE)


def _without_machine_ids(text: str) -> str:
    """`text` with each machine id blanked out character for character, so that positions in it stay the same."""
    return _MACHINE_ID.sub(lambda m: "#" * len(m.group()), text) if _STRETCH.search(text) else text


def holds_id_number(text: str) -> bool:
    """Whether `text` holds anything shaped like a citizen ID number, anywhere in it (stops at the first)."""
    for stretch in _STRETCH.finditer(_without_machine_ids(unicodedata.normalize("NFKC", text))):
        for form in _FORMS:
            if any(_plausible(_NOT_A_DIGIT.sub("", m.group(1).upper())) for m in form.finditer(stretch.group())):
                return True
    return False


def redact(text: str) -> str:
    """`text` with everything shaped like an ID number replaced by a marker; unchanged when it holds none (where it
    holds one, full-width characters come back normalised)."""
    normal = unicodedata.normalize("NFKC", text)
    found = list(_spans(_without_machine_ids(normal)))
    if not found:
        return text
    out, at = [], 0
    for start, end in found:
        out += [normal[at:start], REMOVED]
        at = end
    return "".join(out) + normal[at:]


def misplaced_id_numbers(data: Any, allowed: Iterable[str] = ()) -> list[str]:
    """The fields of `data` (dotted paths, as rejections name them) holding an ID number, other than `allowed`.

    A key holding one is named by the object it is a key of, so the rejection never repeats it.
    """
    permitted = set(allowed)
    found: list[str] = []
    pending: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                hidden = isinstance(key, str) and holds_id_number(key)
                if hidden:
                    found.append(field_path(path))
                pending.append(((*path, "(hidden key)" if hidden else key), inner))
        elif isinstance(value, list):
            pending.extend(((*path, i), inner) for i, inner in enumerate(value))
        elif _shaped(value) and field_path(path) not in permitted:
            found.append(field_path(path))
    return sorted(set(found))


def _shaped(value: Any) -> bool:
    if isinstance(value, str):
        return holds_id_number(value)
    # An ID number sent as a JSON number: 15, 17 or 18 digits.
    return isinstance(value, int) and not isinstance(value, bool) and holds_id_number(str(value))


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of whole digit groups that reads as an ID number, left to right, none overlapping."""
    for stretch in _STRETCH.finditer(text):
        part, offset = stretch.group(), stretch.start()
        pending = {form: _next_number(form, part, 0) for form in _FORMS}
        while any(pending.values()):
            start, end = min((span for span in pending.values() if span), key=lambda span: (span[0], -span[1]))
            yield offset + start, offset + end
            # Each form searches again from where this number ends (one with nothing left has nothing further on):
            # a megabyte of digits is read once, not once for every number in it.
            pending = {form: span if span is None or span[0] >= end else _next_number(form, part, end)
                       for form, span in pending.items()}


def _next_number(form: re.Pattern[str], text: str, at: int) -> tuple[int, int] | None:
    found = form.search(text, at)
    while found is not None and not _plausible(_NOT_A_DIGIT.sub("", found.group(1).upper())):
        found = form.search(text, found.start() + 1)
    return (found.start(1), found.end(1)) if found is not None else None


def _plausible(number: str) -> bool:
    """Whether 15, 17 or 18 characters read as an ID number: a province's code and a real birth date."""
    body, last = (number[:17], number[17:]) if len(number) == 18 else (number, "")
    if not (body.isascii() and body.isdigit()) or (last and last not in "0123456789X"):
        return False
    if number[:2] not in PROVINCES:
        return False
    if len(number) == 15:
        return _real_date("19" + number[6:12])
    return _real_date(number[6:14])


def _real_date(digits: str) -> bool:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


# -- dead letters -------------------------------------------------------------------------------------------------


def without_personal_data(body: bytes, personal: Iterable[str] = ()) -> tuple[bytes, list[str]]:
    """A message body fit to keep in a dead-letter queue, and what was taken out of it (empty: the body as it was).

    In a readable envelope the `personal` fields of `data` (dotted paths: `id_number`, `person.name`) are set to
    null and any other value holding an ID number has it removed; a body that is not a JSON object has its ID
    numbers removed from its text. What was taken out cannot be put back, so such a dead letter cannot be replayed.
    """
    text = body.decode("utf-8", errors="replace")
    if not personal and "\\u" not in text and not holds_id_number(text):
        return body, []  # nothing personal to look for, no ID number even in the raw text: read no further
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        envelope = None
    if not isinstance(envelope, dict):
        return (redact(text).encode(), ["the body"]) if holds_id_number(text) else (body, [])
    removed: list[str] = []
    data = envelope.get("data")
    if isinstance(data, dict):
        for path in personal:
            if _clear(data, path.split(".")):
                removed.append(f"data.{path}")
    for path in _redact_in_place(envelope):
        removed.append(path)
    if not removed:
        return body, []
    try:
        return json.dumps(envelope, ensure_ascii=False).encode(), sorted(set(removed))
    except UnicodeEncodeError:  # a lone surrogate the body escaped: escaped again
        return json.dumps(envelope).encode(), sorted(set(removed))


def _clear(data: dict[str, Any], path: list[str]) -> bool:
    head, *rest = path
    if head not in data or data[head] is None:
        return False
    if rest:
        inner = data[head]
        return isinstance(inner, dict) and _clear(inner, rest)
    data[head] = None
    return True


def _redact_in_place(envelope: dict[str, Any]) -> list[str]:
    """Remove ID numbers from every value and key of the envelope, in place; the paths changed."""
    changed: list[str] = []
    pending: list[tuple[tuple[int | str, ...], Any]] = [((), envelope)]
    while pending:
        path, container = pending.pop()
        if isinstance(container, dict):
            for key in [k for k in container if isinstance(k, str) and holds_id_number(k)]:
                container[redact(key)] = container.pop(key)
                changed.append(field_path(path))
            slots: Iterable[tuple[int | str, Any]] = list(container.items())
        elif isinstance(container, list):
            slots = list(enumerate(container))
        else:
            continue
        for slot, value in slots:
            if _shaped(value):
                container[slot] = redact(value) if isinstance(value, str) else REMOVED
                changed.append(field_path((*path, slot)))
            else:
                pending.append(((*path, slot), value))
    return changed
