"""Expiry: a grade holds through its last valid day, expires the day after, and is announced expired once."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from services.training_grading.domain.grading import Grade, GradingRecord, expire, standing_grade
from shared.outcome import Emit

ASSESSMENT = uuid.UUID("00000000-0000-4000-8000-00000000000a")
VALID_UNTIL = date(2020, 6, 1)


def expire_due(records: list[GradingRecord], today: date) -> list[tuple[GradingRecord, Emit]]:
    """Each record's expiry as the grade-expiry job decides it, one record at a time."""
    return [due for r in records if (due := expire(r, today)) is not None]


def due_expiries(records: list[GradingRecord], today: date) -> list[Emit]:
    return [event for _, event in expire_due(records, today)]


def record(
    grade: str | None = "4A", version: int = 1, org_id: str = "org-1", valid_until: date = VALID_UNTIL
) -> GradingRecord:
    return GradingRecord(
        org_id=org_id, version=version, rounds={"2015": ASSESSMENT},
        current=Grade(
            assessment_id=ASSESSMENT, round="2015", grade=grade,
            total_score=Decimal(850), assessed_on=date(2015, 6, 1),
            valid_until=valid_until if grade else None,
        ),
    )


def test_a_grade_is_not_expired_on_its_last_valid_day() -> None:
    assert due_expiries([record()], VALID_UNTIL) == []
    assert standing_grade(record(), VALID_UNTIL) == "4A"


def test_a_grade_expires_the_day_after_its_validity_with_the_next_version() -> None:
    events = due_expiries([record(version=3)], date(2020, 6, 2))
    assert [(e.type, e.data) for e in events] == [
        ("grading.grade.expired", {
            "org_id": "org-1", "assessment_id": str(ASSESSMENT), "grade": "4A", "valid_until": "2020-06-01",
            "version": 4,
        })
    ]
    assert standing_grade(record(), date(2020, 6, 2)) is None


def test_an_expired_grade_is_announced_once() -> None:
    [(expired, _)] = expire_due([record()], date(2020, 6, 2))
    assert expired.version == 2
    assert standing_grade(expired, date(2020, 6, 1)) is None
    assert due_expiries([expired], date(2020, 6, 2)) == []
    assert due_expiries([expired], date(2030, 1, 1)) == []


def test_no_grade_and_no_record_have_nothing_to_expire() -> None:
    assert due_expiries([record(grade=None), GradingRecord(org_id="org-2")], date(2030, 1, 1)) == []
    assert standing_grade(None, date(2030, 1, 1)) is None


def test_only_the_due_grades_among_many_expire() -> None:
    records = [record(org_id="org-1"), record(org_id="org-2", valid_until=date(2021, 1, 1))]
    assert [e.data["org_id"] for e in due_expiries(records, date(2020, 12, 31))] == ["org-1"]
