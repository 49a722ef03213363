"""Evaluation's store against the real database: contracts read back exactly as saved, a stale save is refused,
and the operator report reads them from the service's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.report import evaluation_report
from services.evaluation.settings import EvaluationSettings
from services.evaluation.store import ContractStore, StaleContract
from shared.mongo import Client
from shared.settings import StoreSettings
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database
from tests.unit.evaluation_examples import open_monitoring, submit_report

pytestmark = pytest.mark.integration

SETTINGS_RULES = EvaluationSettings().rules
TODAY = date(2026, 11, 28)


@pytest.fixture
async def stored(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, ContractStore]]:
    async with store_database(mongo_url, f"{db_prefix}evaluation") as (client, db):
        store = ContractStore(db)
        await store.ensure_indexes()
        yield client, store


def monitored(contract_id: str, street: str = "玉林街道", **changes: Any) -> MonitoredContract:
    award = {"contract_id": contract_id, "project_id": "P-1", "org_id": "O-1", "amount_fen": 1_000_001,
             "category": "助老", "org_street": street, "org_community": "黉门街", "title": "社区助老服务",
             "purchaser": {"kind": "street", "name": street}, "period": {"start": "2026-01-01", "end": "2026-10-31"},
             **changes}
    contract = open_monitoring(None, award, SETTINGS_RULES).contract
    assert contract is not None
    return contract


def reported(contract: MonitoredContract, *milestones: str) -> MonitoredContract:
    for milestone in milestones:
        data = {"contract_id": contract.contract_id, "milestone": milestone, "final": milestone == "final",
                "submitted_on": "2026-10-31" if milestone == "final" else "2026-01-25",
                "indicators": {"attendance_rate": 90, "home_visits_done": 80.5},
                "satisfaction": {"respondents": 50, "satisfied": 45}}
        decision = submit_report(contract, data, report_id=f"R-{milestone}", today=TODAY, rules=SETTINGS_RULES)
        assert decision.contract is not None and decision.contract.version > contract.version, decision.events
        contract = decision.contract
    return contract


async def insert(client: Client, store: ContractStore, *contracts: MonitoredContract) -> None:
    async def step(tx: Transaction) -> None:
        for contract in contracts:
            store.insert(contract, tx)

    await committed(client, store.contracts.database, step)


async def save(client: Client, store: ContractStore, contract: MonitoredContract, read_version: int) -> None:
    async def step(tx: Transaction) -> None:
        await store.save(contract, read_version, tx)

    await committed(client, store.contracts.database, step)


async def test_an_evaluated_contract_reads_back_exactly_as_saved(stored: tuple[Client, ContractStore]) -> None:
    client, store = stored
    contract = monitored("C-1")
    await insert(client, store, contract)
    done = reported(contract, "start", "mid_term", "final")
    await save(client, store, done, contract.version)
    back = await store.get("C-1")
    assert back == done
    assert back is not None and back.evaluation is not None and str(back.evaluation.score) == "88.63"


async def test_a_second_insert_of_the_same_contract_is_refused_by_the_database(
    stored: tuple[Client, ContractStore],
) -> None:
    client, store = stored
    await insert(client, store, monitored("C-2"))
    with pytest.raises(DuplicateKeyError):
        await insert(client, store, monitored("C-2"))


async def test_a_save_from_a_stale_read_is_refused_and_changes_nothing(stored: tuple[Client, ContractStore]) -> None:
    client, store = stored
    contract = monitored("C-3")
    await insert(client, store, contract)
    started = reported(contract, "start")
    await save(client, store, started, contract.version)
    with pytest.raises(StaleContract):
        await save(client, store, reported(contract, "mid_term"), contract.version)
    assert await store.get("C-3") == started


async def test_a_save_in_the_same_transaction_as_the_insert_is_seen_by_a_later_read(
    stored: tuple[Client, ContractStore],
) -> None:
    client, store = stored
    contract = monitored("C-4")

    async def step(tx: Transaction) -> MonitoredContract | None:
        store.insert(contract, tx)
        await store.save(reported(contract, "start"), contract.version, tx)
        return await store.get("C-4", tx)

    seen = await committed(client, store.contracts.database, step)
    assert seen is not None and [r.milestone for r in seen.reports] == ["start"]


async def test_the_operator_report_reads_the_services_database(
    stored: tuple[Client, ContractStore], mongo_url: str, db_prefix: str,
) -> None:
    client, store = stored
    settings = EvaluationSettings(store=StoreSettings(MONGO_URL=mongo_url, MONGO_DATABASE_PREFIX=db_prefix))
    await insert(client, store, reported(monitored("C-4"), "start", "mid_term", "final"),
                 reported(monitored("C-5", street="望江路街道"), "start"))
    printed = await evaluation_report(settings, TODAY)
    heading, monitoring, overdue, by_category, by_street = printed.split("\n\n")
    assert heading.startswith("Evaluation on 2026-11-28: 2 contracts in ")
    assert heading.endswith(f"/{settings.store.database_prefix}evaluation")
    assert [line.split()[0] for line in monitoring.splitlines()[3:]] == ["C-5"]
    assert [line.split()[3] for line in overdue.splitlines()[3:]] == ["mid_term", "final"]
    assert by_category.splitlines()[3].split() == ["助老", "1", "0", "1", "0", "0", "88.63"]
    assert by_street.splitlines()[3].split() == ["玉林街道", "1", "0", "1", "0", "0", "88.63"]
