"""Registration's subscribers: applications, updates, suspensions, reinstatements and people, from outside.

Each loads the state the decision concerns, lets the domain decide, and saves what it decided; the kernel runs it
in one transaction with the inbox claim and the outbox events. Invalid input is answered with a rejection event.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.registration.domain import (
    Decision,
    Organization,
    add_person,
    given_code,
    given_org_id,
    register,
    reinstate,
    suspend,
    update,
)
from services.registration.store import RegistrationStore
from shared.envelope import Envelope
from shared.unit_of_work import Transaction


class RegistrationHandlers:
    def __init__(self, store: RegistrationStore, streets: Sequence[str], id_key: bytes) -> None:
        self.store = store
        self.streets = tuple(streets)
        self.id_key = id_key

    async def organization_applied(self, event: Envelope, tx: Transaction) -> None:
        existing = await self.store.organization_by_code(given_code(event.data), tx.session)
        decision = register(event.data, existing=existing, streets=self.streets, today=tx.today)
        if decision.organization is not None:
            await self.store.insert_organization(decision.organization, tx.session)
        tx.emit(*decision.events)

    async def organization_updated(self, event: Envelope, tx: Transaction) -> None:
        existing = await self._named_organization(event, tx)
        await self._save(update(event.data, existing=existing, streets=self.streets, today=tx.today), tx)

    async def organization_suspended(self, event: Envelope, tx: Transaction) -> None:
        await self._save(suspend(event.data, existing=await self._named_organization(event, tx)), tx)

    async def organization_reinstated(self, event: Envelope, tx: Transaction) -> None:
        await self._save(reinstate(event.data, existing=await self._named_organization(event, tx)), tx)

    async def person_added(self, event: Envelope, tx: Transaction) -> None:
        organization = await self._named_organization(event, tx)
        people = await self.store.people_of(organization.org_id, tx.session) if organization else []
        decision = add_person(event.data, organization=organization, people=people, id_key=self.id_key,
                              today=tx.today)
        if decision.person is not None:
            await self.store.insert_person(decision.person, tx.session)
        tx.emit(*decision.events)

    async def _named_organization(self, event: Envelope, tx: Transaction) -> Organization | None:
        return await self.store.organization(given_org_id(event.data), tx.session)

    async def _save(self, decision: Decision, tx: Transaction) -> None:
        if decision.organization is not None:
            await self.store.save_organization(decision.organization, tx.session)
        tx.emit(*decision.events)
