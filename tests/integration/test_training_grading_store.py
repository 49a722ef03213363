"""Training and grading's store against the real database: entities read back as saved, the unique indexes that
settle races (one course per ref, one person per seat), and the queries behind the expiry job and the read API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.training_grading.domain.grading import Grade, GradingRecord
from services.training_grading.domain.training import Course, Enrolment, course_id_for
from services.training_grading.projections import OrganizationView, PersonView
from services.training_grading.store import TrainingGradingStore
from shared.contracts.training import Audience
from shared.mongo import Client
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database

pytestmark = pytest.mark.integration

Stored = tuple[Client, TrainingGradingStore]


@pytest.fixture
async def stored(mongo_url: str, db_prefix: str) -> AsyncIterator[Stored]:
    async with store_database(mongo_url, f"{db_prefix}training_grading") as (client, db):
        store = TrainingGradingStore(db)
        await store.ensure_indexes()
        yield client, store


def course(ref: str, audience: Audience = "finance", **changes: Any) -> Course:
    return Course(course_id=course_id_for(ref), course_ref=ref, title="财务管理实务", topic="财务制度",
                  audience=audience, capacity=30, sessions=2, **changes)


def enrolment(of: Course, seat_no: int, person: str = "王芳", completed_on: date | None = None,
              org_id: str = "org-1") -> Enrolment:
    return Enrolment(enrolment_id=uuid.uuid4(), course_id=of.course_id, course_ref=of.course_ref,
                     audience=of.audience, sessions=of.sessions, org_id=org_id,
                     person_id=uuid.uuid5(uuid.NAMESPACE_OID, person), person_role=of.audience, seat_no=seat_no,
                     attended=(1, 2) if completed_on else (), completed_on=completed_on,
                     certificate_no=f"WH-TR-{of.course_ref}-{seat_no:04d}" if completed_on else None)


def record(org_id: str, grade: str | None = "4A", valid_until: date | None = date(2020, 5, 1),
           expired: bool = False, round_: str = "2015.1$") -> GradingRecord:
    assessment_id = uuid.uuid5(uuid.NAMESPACE_URL, org_id)
    current = Grade(assessment_id=assessment_id, round=round_, grade=grade, total_score=Decimal("850.5"),
                    assessed_on=date(2015, 5, 1), valid_until=valid_until if grade else None, expired=expired)
    return GradingRecord(org_id=org_id, version=1, current=current, rounds={round_: assessment_id})


async def write(stored: Stored, *writes: Any) -> None:
    client, store = stored

    async def step(tx: Transaction) -> None:
        for save, entity in writes:
            save(entity, tx)

    await committed(client, store.courses.database, step)


async def test_each_entity_reads_back_exactly_as_saved(stored: Stored) -> None:
    _, store = stored
    first = course("TR-1", seats_taken=1)
    seat = enrolment(first, 1, completed_on=date(2015, 12, 10))
    yulin = OrganizationView(org_id="org-1", street="玉林街道", status="active", registered_on=date(2009, 5, 4),
                             version=3)
    graded = record("org-1")  # a round named with '.' and '$', which MongoDB field names would not take
    accountant = PersonView(person_id=seat.person_id, org_id="org-1", role="finance", version=1)
    await write(stored, (store.insert_course, first), (store.insert_enrolment, seat),
                (store.save_organization, yulin), (store.save_grading_record, graded), (store.save_person, accountant))

    assert await store.course(first.course_id) == first
    assert await store.course_by_ref("TR-1") == first
    assert await store.enrolment(seat.enrolment_id) == seat
    assert await store.organization("org-1") == yulin
    assert await store.grading_record("org-1") == graded
    assert await store.person(seat.person_id) == accountant and await store.person(uuid.uuid4()) is None


async def test_a_save_in_the_same_transaction_is_seen_by_a_later_read(stored: Stored) -> None:
    client, store = stored
    first = course("TR-1")

    async def step(tx: Transaction) -> Course | None:
        store.insert_course(first, tx)
        store.save_course(first.model_copy(update={"seats_taken": 5}), tx)
        return await store.course(first.course_id, tx)

    seen = await committed(client, store.courses.database, step)
    assert seen is not None and seen.seats_taken == 5 and seen.seats_left == 25


async def test_a_second_course_with_the_same_ref_is_refused_by_the_database(stored: Stored) -> None:
    _, store = stored
    await write(stored, (store.insert_course, course("TR-1")))
    with pytest.raises(DuplicateKeyError):
        await write(stored, (store.insert_course, course("TR-1").model_copy(update={"course_id": uuid.uuid4()})))


async def test_two_people_claiming_the_same_seat_are_refused_by_the_database(stored: Stored) -> None:
    _, store = stored
    first = course("TR-1")
    await write(stored, (store.insert_course, first), (store.insert_enrolment, enrolment(first, 1, "王芳")))
    with pytest.raises(DuplicateKeyError):
        await write(stored, (store.insert_enrolment, enrolment(first, 1, "李强")))


async def test_progress_reads_only_completed_enrolments_and_their_organizations(stored: Stored) -> None:
    _, store = stored
    first = course("TR-1")
    done = enrolment(first, 1, "王芳", completed_on=date(2015, 12, 10))
    await write(stored, (store.insert_course, first), (store.insert_enrolment, done),
                (store.insert_enrolment, enrolment(first, 2, "李强")),
                (store.save_organization, OrganizationView(org_id="org-1", street="玉林街道", status="active",
                                                           registered_on=date(2009, 5, 4), version=1)))
    assert await store.completed_enrolments() == [done]
    assert list(await store.organizations_by_id(["org-1", "org-1", "org-unknown"])) == ["org-1"]


async def test_the_expiry_query_finds_grades_past_their_last_valid_day_not_yet_expired(stored: Stored) -> None:
    _, store = stored
    await write(stored, *((store.save_grading_record, r) for r in (
        record("org-lapsed", valid_until=date(2020, 4, 30)),
        record("org-last-day", valid_until=date(2020, 5, 1)),
        record("org-done", valid_until=date(2020, 4, 30), expired=True),
        record("org-below-1a", grade=None),
    )))
    assert await store.grades_past_validity(date(2020, 5, 1)) == ["org-lapsed"]


async def test_assessed_records_are_filtered_by_grade_in_org_order(stored: Stored) -> None:
    _, store = stored
    await write(stored, *((store.save_grading_record, r) for r in (
        record("org-b"), record("org-a"), record("org-c", grade="3A"), GradingRecord(org_id="org-none"))))
    assert [r.org_id for r in await store.assessed()] == ["org-a", "org-b", "org-c"]
    assert [r.org_id for r in await store.assessed("4A")] == ["org-a", "org-b"]


async def test_courses_are_filtered_and_paged_by_ref(stored: Stored) -> None:
    _, store = stored
    await write(stored, *((store.insert_course, course(f"TR-{n}")) for n in range(1, 6)),
                (store.insert_course, course("LD-1", audience="leader")))
    page, total = await store.courses_page({"audience": "finance"}, limit=2, offset=2)
    assert total == 5 and [c.course_ref for c in page] == ["TR-3", "TR-4"]
    leaders, total = await store.courses_page({"audience": "leader"}, limit=10, offset=0)
    assert total == 1 and leaders[0].course_ref == "LD-1"
