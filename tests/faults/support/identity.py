"""The personal-data test's support: what counts as an ID number leaked, how many numbers a stored record and its
mask leave possible, the intakes that put ID numbers where they do not belong, and the scans of everything the
suite keeps or says (its databases, every queue on the broker, its events, its logs).

An ID number is leaked when any text holds it in clear (the 18 characters in either case, its first 17, its old
15-digit form, its birth date and sequence run together), holds anything at all shaped like an ID number (the
kernel's own recogniser: with separators, mistyped, another person's), or shows a mask of more than four of its
characters. A stored hash gives nothing back without the key, and the key is looked for too.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import aio_pika
from pymongo import AsyncMongoClient

from services.registration.domain.identity import ID_CHECK_CHARACTERS, ID_WEIGHTS, make_id_number
from shared.personal_data import PROVINCES, holds_id_number
from tests.support.endpoints import rabbitmqctl

MASK = re.compile(r"[0-9Xx*]{15,18}")
THRESHOLD = 10**8


# -- what counts as a leak -------------------------------------------------------------------------------------------


def clear_forms(number: str) -> tuple[str, ...]:
    """The ways an 18-character number can be written in clear: as is, lower case, without its check character, in
    its old 15-digit form, and its birth date with its sequence (the part a mask must never show)."""
    return (number, number.lower(), number[:17], number[:6] + number[8:17], number[6:17])


@dataclass
class Leaks:
    """What a scan found, for the ID numbers given and the secrets (the hashing key); every count must be 0."""

    numbers: Sequence[str]
    secrets: Sequence[str] = ()
    scanned: int = 0
    in_clear: Counter[str] = field(default_factory=Counter)
    shaped: Counter[str] = field(default_factory=Counter)
    long_masks: Counter[str] = field(default_factory=Counter)
    with_secret: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        forms = sorted({form for number in self.numbers for form in clear_forms(number)}, key=len, reverse=True)
        self._clear = re.compile("|".join(map(re.escape, forms))) if forms else None

    def scan(self, where: str, text: str) -> None:
        self.scanned += 1
        if self._clear is not None and self._clear.search(text):
            self.in_clear[where] += 1
        if holds_id_number(text):
            self.shaped[where] += 1
        if any(len(m.replace("*", "")) > 4 for m in MASK.findall(text) if "*" in m):
            self.long_masks[where] += 1
        if any(secret in text for secret in self.secrets):
            self.with_secret[where] += 1

    @property
    def found(self) -> int:
        return sum(map(sum, (self.in_clear.values(), self.shaped.values(), self.long_masks.values(),
                             self.with_secret.values())))

    def figures(self, unit: str) -> dict[str, Any]:
        return {f"{unit} scanned": self.scanned, "with an ID number in clear": sum(self.in_clear.values()),
                "with anything shaped like an ID number": sum(self.shaped.values()),
                "with a mask of more than 4 characters": sum(self.long_masks.values()),
                "with the hashing key": sum(self.with_secret.values())}

    def where(self) -> dict[str, Any]:
        return {k: dict(v) for k, v in (("in clear", self.in_clear), ("shaped", self.shaped),
                                        ("long masks", self.long_masks), ("key", self.with_secret)) if v}


# -- how much a stored record and its mask give away -----------------------------------------------------------------


def search_space(mask: str, added_on: date, earliest_birth: date = date(1900, 1, 1)) -> int:
    """How many ID numbers fit a mask (`*` hides a character), counted exactly under GB 11643's structure.

    A number is a region code (two digits of one of China's province-level codes, GB/T 2260, then any four), a
    birth date between `earliest_birth` and the day the record was added, a three-digit sequence and the check
    character those 17 digits give. Only what the mask shows narrows it: without the key the stored hash cannot
    tell one candidate from another. (An attacker who also knew the district's real county codes, or the person's
    birth date, would need fewer guesses; the key is what keeps the number.)
    """
    if len(mask) != 18:
        raise ValueError(f"an ID number's mask has 18 characters, got {len(mask)}")
    regions = _regions(mask[:6])
    births = _births(mask[6:14], earliest_birth, added_on)
    sequences = Counter(_residue(f"{n:03d}", 14) for n in range(1000) if _shows(mask[14:17], f"{n:03d}"))
    total = 0
    for a, regions_with_a in regions.items():
        for b, births_with_b in births.items():
            for c, sequences_with_c in sequences.items():
                check = ID_CHECK_CHARACTERS[(a + b + c) % 11]
                if mask[17] in ("*", check):
                    total += regions_with_a * births_with_b * sequences_with_c
    return total


@functools.cache
def _regions(shown: str) -> Counter[int]:
    """The region codes fitting what the mask shows of them, counted by their part of the check's sum."""
    codes = (f"{province}{rest:04d}" for province in sorted(PROVINCES) for rest in range(10_000))
    return Counter(_residue(code, 0) for code in codes if _shows(shown, code))


@functools.cache
def _births(shown: str, first: date, last: date) -> Counter[int]:
    """The birth dates fitting what the mask shows of them, counted by their part of the check's sum."""
    days = (f"{day:%Y%m%d}" for day in _days(first, last))
    return Counter(_residue(digits, 6) for digits in days if _shows(shown, digits))


def _shows(shown: str, digits: str) -> bool:
    return all(s in ("*", d) for s, d in zip(shown, digits, strict=True))


def _residue(digits: str, start: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[start:], strict=False)) % 11


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# -- intakes that put ID numbers where they do not belong ------------------------------------------------------------


@dataclass(frozen=True)
class Misplaced:
    """One intake with an ID number in a field not meant for it, and the field its refusal must name."""

    type: str
    data: dict[str, Any]
    field: str
    rejected: str


def misplaced_numbers(org_id: str, person_id: str, course_id: str, n: int) -> tuple[list[str], list[Misplaced]]:
    """`n` rounds of intakes, each putting a fresh ID number in a wrong field in another shape; the numbers."""
    numbers: list[str] = []
    cases: list[Misplaced] = []
    for i in range(n):
        number = make_id_number("510107", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), 100 + i)
        numbers.append(number)
        shapes = [number, f"ID:{number}", f"{number[:6]} {number[6:14]} {number[14:]}", number[:17],
                  number[:17] + ("0" if number[17] != "0" else "1"), number[:6] + number[8:17],
                  f"{number[:6]}-{number[6:10]}-{number[10:14]}-{number[14:]}"]
        shape = shapes[i % len(shapes)]
        person = {"org_id": org_id, "person_ref": f"P-{i}", "name": "张三", "role": "finance"}
        cases += [
            Misplaced("intake.person.added", {**person, "name": f"张三 {shape}"}, "name",
                      "registration.person.rejected"),
            Misplaced("intake.person.added", {**person, "person_ref": shape}, "person_ref",
                      "registration.person.rejected"),
            Misplaced("intake.person.added", {**person, "phone": shape}, "phone", "registration.person.rejected"),
            Misplaced("intake.enrolment.requested", {"course_id": course_id, "org_id": org_id,
                                                     "person_id": person_id,
                                                     "person": {"name": f"王芳（{shape}）", "role": "会计"}},
                      "person.name", "training.enrolment.rejected"),
            Misplaced("intake.assessment.submitted", {"org_id": org_id, "round": shape, "scores": {
                "basic_conditions": 90, "internal_governance": 300, "performance": 340, "social_evaluation": 120}},
                "round", "grading.assessment.rejected"),
            Misplaced("intake.course.offered", {"course_ref": f"PD-{i}", "title": f"财务（{shape}）", "topic": "财务",
                                                "audience": "finance", "capacity": 5, "sessions": 1},
                      "title", "training.course.rejected"),
        ]
    # A mistyped number in the field meant for it is refused by its check and never kept either.
    mistyped = numbers[0][:16] + str((int(numbers[0][16]) + 1) % 10) + numbers[0][17]
    cases.append(Misplaced("intake.person.added", {"org_id": org_id, "person_ref": "P-mistyped", "name": "李四",
                                                   "role": "leader", "id_number": mistyped}, "id_number",
                           "registration.person.rejected"))
    numbers.append(mistyped)
    return numbers, cases


# -- the scans ---------------------------------------------------------------------------------------------------


async def database_texts(mongo_url: str, prefix: str) -> dict[str, list[str]]:
    """Every document of every collection of every database the suite's services own, as JSON text."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        found: dict[str, list[str]] = {}
        for database in sorted(await client.list_database_names()):
            if not database.startswith(prefix):
                continue
            db = client[database]
            for collection in sorted(await db.list_collection_names()):
                docs = await db[collection].find().to_list()
                found[f"{database}.{collection}"] = [json.dumps(d, default=str, ensure_ascii=False) for d in docs]
        return found
    finally:
        await client.close()


def queue_names(rabbit_url: str) -> list[str]:
    """Every queue in the test's vhost, as the broker lists them (dead-letter queues included)."""
    vhost = unquote(urlsplit(rabbit_url).path.lstrip("/")) or "/"
    listed = rabbitmqctl("list_queues", "-p", vhost, "name", "--no-table-headers").stdout
    return sorted(line.strip() for line in listed.splitlines() if line.strip())


async def queue_texts(rabbit_url: str, names: Sequence[str]) -> dict[str, list[str]]:
    """Every message now in each queue (body and headers as text), read and then left where it was."""
    connection = await aio_pika.connect(rabbit_url)
    try:
        found: dict[str, list[str]] = {}
        for name in names:
            channel = await connection.channel()
            queue = await channel.get_queue(name, ensure=True)
            texts = []
            while (message := await queue.get(no_ack=False, fail=False, timeout=5)) is not None:
                headers = json.dumps(message.headers or {}, default=_header_text, ensure_ascii=False)
                texts.append(message.body.decode("utf-8", errors="replace") + "\n" + headers)
            found[name] = texts
            await channel.close()  # unacknowledged: every message goes back where it was
        return found
    finally:
        await connection.close()


def _header_text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
