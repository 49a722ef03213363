"""Matching's store against the real database: copies read back as kept, one organization's copies joined into its
profile, a fair's schedule and awards kept once (a competing writer's later decision is stale), an award's state
kept over the version it was read at, complaints, and the read queries' filters and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from pymongo.errors import DuplicateKeyError

from services.matching.domain.awards import FairAwards, decide_awards
from services.matching.domain.complaints import Complaint
from services.matching.domain.fairs import Fair
from services.matching.domain.schedule import plan_schedule
from services.matching.domain.standstill import cancel, standstill_over, suspend
from services.matching.projections import (
    EvaluationRecord,
    ProjectStatusChange,
    TrainingRecord,
)
from services.matching.store import MatchingStore, StaleAward, StaleFair
from shared.calendar import DistrictCalendar
from shared.contracts.common import Purchaser
from shared.contracts.matching import AvailabilityRecorded, MeetingDeclined, MeetingLocked, MeetingRequested
from shared.mongo import Client
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database
from tests.unit.matching_examples import RULES, TODAY, evaluation, grade, interest, organization, profile, project, talk

pytestmark = pytest.mark.integration

Stored = tuple[Client, MatchingStore]
STANDSTILL_ENDS = date(2026, 6, 10)


@pytest.fixture
async def stored(mongo_url: str, db_prefix: str) -> AsyncIterator[Stored]:
    async with store_database(mongo_url, f"{db_prefix}matching") as (client, db):
        store = MatchingStore(db)
        await store.ensure_indexes()
        yield client, store


def fair(fair_id: str = "fair-1", fair_ref: str = "wuhou-2014-11-19", batch: str = "2015-1") -> Fair:
    return Fair(fair_id=fair_id, fair_ref=fair_ref, batch=batch, date=date(2014, 11, 19), slots=4, slot_minutes=20,
                invited=["o-1"], invitations=[])


def awards_of(fair_id: str, *project_ids: str) -> FairAwards:
    who = profile("o-1")
    projects = [project(p) for p in project_ids]
    return decide_awards(fair_id, "2015-1", projects, {"o-1": who}, [interest(fair_id, who, p) for p in projects],
                         TODAY, RULES.eligibility, RULES.fit, RULES.award, standstill_ends=STANDSTILL_ENDS)


async def test_copies_read_back_as_kept_and_a_newer_one_replaces_the_older(stored: Stored) -> None:
    client, store = stored
    early = ProjectStatusChange(project_id="p-1", status="awarded", version=2)

    async def keep(tx: Transaction) -> None:
        store.save_project(early, tx)
        store.save_organization(organization(), tx)
        store.save_grade(grade(), tx)
        store.save_grade(grade(code="5A", version=2), tx)

    await committed(client, store.fairs.database, keep)
    assert await store.project("p-1") == early
    assert await store.organization("o-1") == organization()
    assert await store.grade("o-1") == grade(code="5A", version=2)

    async def publish(tx: Transaction) -> None:
        store.save_project(project("p-1"), tx)

    await committed(client, store.fairs.database, publish)
    assert await store.project("p-1") == project("p-1")
    assert [p.project_id for p in await store.projects_of_batch("2015-1")] == ["p-1"]


async def test_a_profile_joins_an_organizations_copies_and_counts_the_contracts_not_yet_evaluated(
    stored: Stored,
) -> None:
    client, store = stored
    closed = evaluation(date(2026, 1, 1), contract_id=awards_of("fair-0", "p-0").awards[0].contract_id)

    async def keep(tx: Transaction) -> None:
        store.save_organization(organization("o-1"), tx)
        store.save_organization(organization("o-2", domains=["济困"]), tx)
        store.save_organization(organization("o-3", status="suspended"), tx)
        store.save_grade(grade("o-1"), tx)
        store.save_training_record(TrainingRecord(org_id="o-1", finance_enrolments=("e-1",)), tx)
        store.save_evaluation_record(EvaluationRecord(org_id="o-1", results=(closed,)), tx)
        for fair_id in ("fair-0", "fair-1"):
            store.insert_fair(fair(fair_id, fair_id), tx)

    async def award(tx: Transaction) -> None:
        await store.save_awards(awards_of("fair-0", "p-0"), TODAY, tx)
        await store.save_awards(awards_of("fair-1", "p-1"), TODAY, tx)

    await committed(client, store.fairs.database, keep)
    await committed(client, store.fairs.database, award)
    [one] = (await store.profiles(org_ids=["o-1"])).values()
    assert (one.grade, one.finance_completions, one.evaluations) == (grade("o-1"), 1, (closed,))
    assert one.active_contracts == 1  # fair-1's; fair-0's contract has been evaluated
    assert sorted(await store.profiles(active_in=["助老"])) == ["o-1"]
    assert await store.names(["o-2", "o-9"]) == {"o-2": "机构o-2"}
    # One organization's profile, its copies looked up by id, is the same join.
    assert await store.profile("o-1") == one
    assert await store.profile("o-9") is None

    async def inside(tx: Transaction) -> object:
        return await store.profile("o-2", tx), await store.profile("o-1", tx)

    assert await committed(client, store.fairs.database, inside) == (
        (await store.profiles(org_ids=["o-2"]))["o-2"], one)


async def test_a_fair_reads_back_as_kept_and_a_second_with_the_same_id_is_refused(stored: Stored) -> None:
    client, store = stored

    async def open_(tx: Transaction) -> None:
        store.insert_fair(fair(), tx)

    await committed(client, store.fairs.database, open_)
    record = await store.fair("fair-1")
    assert record is not None and record.fair == fair() and record.schedule is None and record.awards is None
    with pytest.raises(DuplicateKeyError):
        await committed(client, store.fairs.database, open_)


async def test_a_schedule_is_kept_once_and_a_later_competing_one_is_stale(stored: Stored) -> None:
    client, store = stored
    first = plan_schedule("fair-1", 4, [talk("o-1", "t-a", 70.0)], [])
    other = plan_schedule("fair-1", 4, [talk("o-2", "t-b", 90.0)], [])

    async def open_(tx: Transaction) -> None:
        store.insert_fair(fair(), tx)

    async def schedule(tx: Transaction) -> None:
        await store.save_schedule(first, tx)

    async def competing(tx: Transaction) -> None:
        await store.save_schedule(other, tx)

    await committed(client, store.fairs.database, open_)
    await committed(client, store.fairs.database, schedule)
    with pytest.raises(StaleFair):
        await committed(client, store.fairs.database, competing)
    record = await store.fair("fair-1")
    assert record is not None and record.schedule == first


async def test_a_reschedule_replaces_the_revision_it_was_planned_from_and_a_competing_one_is_stale(
    stored: Stored,
) -> None:
    client, store = stored
    first = plan_schedule("fair-1", 4, [talk("o-1", "t-a", 70.0)], [])
    second = first.model_copy(update={"revision": 2})

    async def open_and_schedule(tx: Transaction) -> None:
        store.insert_fair(fair(), tx)
        await store.save_schedule(first, tx)

    async def reschedule(tx: Transaction) -> None:
        await store.replace_schedule(second, tx)

    await committed(client, store.fairs.database, open_and_schedule)
    await committed(client, store.fairs.database, reschedule)
    with pytest.raises(StaleFair):
        await committed(client, store.fairs.database, reschedule)
    record = await store.fair("fair-1")
    assert record is not None and record.schedule == second


async def test_both_sides_say_is_kept_per_table_pair_and_side_the_latest_replacing_the_earlier(
    stored: Stored,
) -> None:
    client, store = stored
    table = Purchaser(kind="street", name="t-a")

    async def say(tx: Transaction) -> None:
        store.save_said(AvailabilityRecorded(fair_id="fair-1", purchaser=table, unavailable_slots=[1, 2]), tx)
        store.save_said(MeetingDeclined(fair_id="fair-1", org_id="o-1", purchaser=table, reason="不需要"), tx)
        store.save_said(MeetingRequested(fair_id="fair-1", org_id="o-2", purchaser=table, priority="want",
                                         requested_by="organization"), tx)
        store.save_said(MeetingLocked(fair_id="fair-1", org_id="o-3", purchaser=table, slot=3, table=1), tx)
        store.save_said(MeetingLocked(fair_id="fair-2", org_id="o-3", purchaser=table, slot=4, table=1), tx)

    async def say_again(tx: Transaction) -> None:
        store.save_said(AvailabilityRecorded(fair_id="fair-1", purchaser=table, unavailable_slots=[4]), tx)
        store.save_said(MeetingRequested(fair_id="fair-1", org_id="o-2", purchaser=table, priority="must",
                                         requested_by="organization"), tx)

    await committed(client, store.fairs.database, say)
    await committed(client, store.fairs.database, say_again)
    sides = await store.fair_sides("fair-1")
    assert sides.away == {table: frozenset({4})} and sides.declined == {("o-1", table): "不需要"}
    assert sides.priority(("o-2", table)) == "must" and sides.locked == {("o-3", table): 3}


async def test_awards_are_kept_once_with_their_contracts_and_taken_for_other_fairs(stored: Stored) -> None:
    client, store = stored
    decided = awards_of("fair-1", "p-1")

    async def open_(tx: Transaction) -> None:
        store.insert_fair(fair(), tx)

    async def award(tx: Transaction) -> None:
        await store.save_awards(decided, TODAY, tx)

    await committed(client, store.fairs.database, open_)
    await committed(client, store.fairs.database, award)
    with pytest.raises(StaleFair):
        await committed(client, store.fairs.database, award)
    record = await store.fair("fair-1")
    assert record is not None and record.awards == decided and record.awards_decided_on == TODAY
    [kept] = await store.awards_of_project("fair-1", "p-1")
    assert kept.terms == decided.awards[0] and kept.status == "proposed"
    assert await store.projects_taken(["p-1", "p-2"], but_fair="fair-2") == {"p-1"}
    assert await store.projects_taken(["p-1", "p-2"], but_fair="fair-1") == set()
    held = await store.award_holding("p-1")
    assert held is not None and held.award_id == kept.award_id


async def test_an_award_changes_only_over_the_version_it_was_read_at_and_a_cancelled_one_frees_its_project(
    stored: Stored,
) -> None:
    client, store = stored
    [terms] = awards_of("fair-1", "p-1").awards

    async def decide(tx: Transaction) -> None:
        store.insert_fair(fair(), tx)
        await store.save_awards(awards_of("fair-1", "p-1"), TODAY, tx)

    await committed(client, store.fairs.database, decide)
    read = await store.award(terms.award_id)
    assert read is not None
    challenged = suspend(read, "k-1", date(2026, 6, 3), DistrictCalendar())
    complaint = Complaint(complaint_id="k-1", award_id=terms.award_id, fair_id="fair-1", project_id="p-1",
                          org_id="o-2", grounds="评分有误", filed_on=date(2026, 6, 3))

    async def challenge(tx: Transaction) -> None:
        store.insert_complaint(complaint, tx)
        await store.save_award(challenged, tx)

    async def stale_job(tx: Transaction) -> None:  # read before the complaint: its write must not land
        over = standstill_over(read, project("p-1"), date(2026, 6, 11))
        assert over is not None
        await store.save_award(over, tx)

    await committed(client, store.fairs.database, challenge)
    with pytest.raises(StaleAward):
        await committed(client, store.fairs.database, stale_job)
    assert await store.award(terms.award_id) == challenged
    assert await store.awards_due(date(2026, 7, 1)) == []  # challenged: never due
    assert await store.complaints_of([terms.award_id]) == [complaint]

    async def cancelled(tx: Transaction) -> None:
        await store.save_award(cancel(challenged, "complaint k-1 upheld", date(2026, 6, 5)), tx)

    await committed(client, store.fairs.database, cancelled)
    assert await store.projects_taken(["p-1"], but_fair="fair-2") == set()
    assert await store.award_holding("p-1") is None
    page, total = await store.search_awards({"status": "cancelled"}, limit=10, offset=0)
    assert total == 1 and page[0].reason == "complaint k-1 upheld"


async def test_awards_due_are_those_proposed_whose_standstill_ended_before_the_day(stored: Stored) -> None:
    client, store = stored

    decided = awards_of("fair-1", "p-1", "p-2")

    async def decide(tx: Transaction) -> None:
        store.insert_fair(fair(), tx)
        await store.save_awards(decided, TODAY, tx)

    await committed(client, store.fairs.database, decide)
    assert await store.awards_due(STANDSTILL_ENDS) == []
    assert sorted(await store.awards_due(date(2026, 6, 11))) == sorted(a.award_id for a in decided.awards)
    assert len(await store.awards_due(date(2026, 6, 11), limit=1)) == 1


async def test_fairs_and_interests_are_searched_and_paged_in_a_stable_order(stored: Stored) -> None:
    client, store = stored
    who = profile("o-1")

    async def keep(tx: Transaction) -> None:
        for n in range(3):
            store.insert_fair(fair(f"fair-{n}", f"ref-{n}"), tx)
        store.insert_fair(fair("fair-9", "ref-9", batch="2015-2"), tx)
        for n in range(5):
            store.insert_interest(interest("fair-1", who, project(f"p-{n}")), tx)

    await committed(client, store.fairs.database, keep)
    page, total = await store.search_fairs({"batch": "2015-1"}, limit=2, offset=1)
    assert total == 3 and [r.fair.fair_ref for r in page] == ["ref-1", "ref-2"]
    [only], total = await store.search_fairs({"fair_ref": "ref-9"}, limit=10, offset=0)
    assert total == 1 and only.fair.batch == "2015-2"
    interests = await store.interests_of("fair-1", limit=2, offset=2)
    assert [i.project_id for i in interests] == ["p-2", "p-3"] and await store.count_interests("fair-1") == 5
