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
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, Final

from shared.validation import field_path

# GB/T 2260 province-level codes: the first two digits of every ID number.
PROVINCES: Final = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
LENGTHS: Final = (15, 17, 18)
REMOVED: Final = "[ID number removed]"
RULE: Final = "no_id_number_outside_its_field"
# Set on a dead letter whose personal data was taken out: replaying it would not be the message that was sent.
REPLAYABLE_HEADER: Final = "x-replayable"
NOT_REPLAYABLE_HEADER: Final = "x-not-replayable-because"
MISPLACED: Final = ("holds what looks like a citizen ID number; an ID number is accepted only in the field meant "
                    "for it, and is never stored, published or logged anywhere else (rule: " + RULE + ")")

# Digit groups, each perhaps ending in the check character X, with at most three separators between two groups.
_GROUP = re.compile(r"[0-9]+[Xx]?")
_SEPARATORS = frozenset(" \t\u00a0-./_·—–")
_MAX_GAP = 3


def holds_id_number(text: str) -> bool:
    """Whether `text` holds anything shaped like a citizen ID number, anywhere in it."""
    return next(_id_numbers(text), None) is not None


def redact(text: str) -> str:
    """`text` with everything shaped like an ID number replaced by a marker; unchanged when it holds none (where it
    holds one, full-width characters come back normalised)."""
    normal = unicodedata.normalize("NFKC", text)
    found = list(_spans(normal))
    if not found:
        return text
    out, at = [], 0
    for start, end in found:
        if start < at:  # overlapping windows of one run: already removed
            at = max(at, end)
            continue
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


def _id_numbers(text: str) -> Iterator[str]:
    normal = unicodedata.normalize("NFKC", text)
    for start, end in _spans(normal):
        yield normal[start:end]


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of whole digit groups that reads as an ID number."""
    for run in _runs(text):
        for first in range(len(run)):
            digits = ""
            for last in range(first, len(run)):
                digits += run[last].group().upper()
                if len(digits) > max(LENGTHS):
                    break
                if len(digits) in LENGTHS and _plausible(digits):
                    yield run[first].start(), run[last].end()


def _runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Digit groups that follow each other with only a few separators between them."""
    run: list[re.Match[str]] = []
    for group in _GROUP.finditer(text):
        if run:
            gap = text[run[-1].end():group.start()]
            if len(gap) > _MAX_GAP or any(char not in _SEPARATORS for char in gap):
                yield run
                run = []
        run.append(group)
    if run:
        yield run


def _plausible(number: str) -> bool:
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
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        envelope = None
    if not isinstance(envelope, dict):
        text = body.decode("utf-8", errors="replace")
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
