"""Matching's subscribers to the fair's intake: open a fair, record an interest, schedule the talks, award the
projects. Each loads what the decision needs in a few bulk queries, lets `domain` decide, and keeps the outcome.

A fair's schedule and awards are decided once. A repeated schedule request (a new event) is answered with the
stored schedule, the same `matching.fair.scheduled` again. A repeated awards request is answered with one
`matching.fair.rejected` naming the contracts already awarded (`contract_ids`, rule `awards_once`), never with
the `matching.contract.awarded` events again: those were published once through the outbox (never lost), and
each starts work in other contexts, so the bus carries each contract's award exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.matching.domain.awards import FairAwards
from services.matching.domain.fairs import (
    MatchingRules,
    award_fair,
    express_interest,
    fair_id_for,
    interest_id_for,
    open_fair,
    schedule_fair,
)
from services.matching.store import FairRecord, MatchingStore
from shared.contracts.common import Purchaser
from shared.contracts.matching import (
    FAIR_REJECTED,
    FAIR_SCHEDULED,
    INTEREST_REJECTED,
    AwardsRequested,
    FairOpenRequested,
    InterestExpressed,
    ScheduleRequested,
)
from shared.envelope import Envelope, FieldError
from shared.outcome import Emit, rejected
from shared.unit_of_work import Transaction
from shared.validation import parse


def given(data: dict[str, Any], *names: str) -> dict[str, str]:
    """The ids a request named, where they are text: a rejection repeats them so the sender can match it."""
    return {n: data[n] for n in names if isinstance(data.get(n), str)}


def awards_already_decided(record: FairRecord, awards: FairAwards) -> Emit:
    """The answer to a second awards request: the contracts awarded the first time, not announced again."""
    contract_ids = [a.contract_id for a in awards.awards]
    error = FieldError(field="fair_id", message=(
        f"the fair's awards were decided on {record.awards_decided_on}: {len(contract_ids)} contracts awarded and "
        f"{len(awards.unawarded)} projects unawarded; they stand and are not announced again (rule: awards_once)"))
    return Emit(FAIR_REJECTED, {"fair_id": record.fair.fair_id, "fair_ref": record.fair.fair_ref,
                                "errors": [error.model_dump()], "contract_ids": contract_ids})


class FairHandlers:
    def __init__(self, store: MatchingStore, rules: MatchingRules, tables: Sequence[Purchaser]) -> None:
        self.store = store
        self.rules = rules
        self.tables = list(tables)

    async def fair_open_requested(self, event: Envelope, tx: Transaction) -> None:
        request = parse(FairOpenRequested, event.data)
        if isinstance(request, list):
            tx.emit(rejected(FAIR_REJECTED, request, **given(event.data, "fair_ref")))
            return
        existing = await self.store.fair(fair_id_for(request.fair_ref), tx.session)
        projects = await self.store.projects_of_batch(request.batch, tx.session)
        categories = {p.category for p in projects if p.status == "published"}
        profiles = await self.store.profiles(tx.session, active_in=categories) if categories else {}
        fair, outcomes = open_fair(request, existing=existing.fair if existing else None, projects=projects,
                                   profiles=profiles.values(), today=tx.today, rules=self.rules)
        if fair is not None:
            await self.store.insert_fair(fair, tx.session)
        tx.emit(*outcomes)

    async def interest_expressed(self, event: Envelope, tx: Transaction) -> None:
        request = parse(InterestExpressed, event.data)
        if isinstance(request, list):
            tx.emit(rejected(INTEREST_REJECTED, request, **given(event.data, "fair_id", "org_id", "project_id")))
            return
        record = await self.store.fair(request.fair_id, tx.session)
        profiles = await self.store.profiles(tx.session, org_ids=[request.org_id])
        earlier_id = interest_id_for(request.fair_id, request.org_id, request.project_id)
        interest, outcomes = express_interest(
            request, fair=record.fair if record else None,
            project=await self.store.project(request.project_id, tx.session),
            profile=profiles.get(request.org_id), earlier=await self.store.interest(earlier_id, tx.session),
            awards_decided=record is not None and record.awards is not None, today=tx.today,
            rules=self.rules)
        if interest is not None:
            await self.store.insert_interest(interest, tx.session)
        tx.emit(*outcomes)

    async def schedule_requested(self, event: Envelope, tx: Transaction) -> None:
        request = parse(ScheduleRequested, event.data)
        if isinstance(request, list):
            tx.emit(rejected(FAIR_REJECTED, request, **given(event.data, "fair_id")))
            return
        record = await self.store.fair(request.fair_id, tx.session)
        if record is not None and record.schedule is not None:
            tx.emit(Emit(FAIR_SCHEDULED, record.schedule.model_dump(mode="json")))
            return
        interests = await self.store.interests_of(request.fair_id, tx.session)
        schedule, outcomes = schedule_fair(request, fair=record.fair if record else None, interests=interests,
                                           tables=self.tables)
        if schedule is not None:
            await self.store.save_schedule(schedule, tx.session)
        tx.emit(*outcomes)

    async def awards_requested(self, event: Envelope, tx: Transaction) -> None:
        request = parse(AwardsRequested, event.data)
        if isinstance(request, list):
            tx.emit(rejected(FAIR_REJECTED, request, **given(event.data, "fair_id")))
            return
        record = await self.store.fair(request.fair_id, tx.session)
        if record is not None and record.awards is not None:
            tx.emit(awards_already_decided(record, record.awards))
            return
        interests = await self.store.interests_of(request.fair_id, tx.session)
        projects = await self.store.projects_of_batch(record.fair.batch, tx.session) if record else []
        # A project another fair of the batch awarded is not open, even before the catalog says it is awarded.
        taken = await self.store.projects_under_contract([p.project_id for p in projects], request.fair_id,
                                                         tx.session)
        decision, outcomes = award_fair(
            request, fair=record.fair if record else None,
            projects=[p for p in projects if p.project_id not in taken],
            profiles=await self.store.profiles(tx.session, org_ids={i.org_id for i in interests}),
            interests=interests, today=tx.today, rules=self.rules)
        if decision is not None:
            await self.store.save_awards(decision, tx.today, tx.session)
        tx.emit(*outcomes)
