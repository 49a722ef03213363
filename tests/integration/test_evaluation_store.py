"""Evaluation's store against the real database: contracts read back exactly as saved, a stale save is refused,
a contract is found by one of its reports, the clock's job finds the contracts still open, and the read queries
(filters, pages, one contract with its money, the overview the operator report prints) answer from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from pymongo.errors import DuplicateKeyError

from services.evaluation.api import build_api
from services.evaluation.cli import operator_report
from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.deadlines import on_day
from services.evaluation.domain.monitoring import Overview
from services.evaluation.settings import EvaluationSettings
from services.evaluation.store import ContractStore, StaleContract
from shared.mongo import Client
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database
from tests.unit.evaluation_examples import delivered, ok, open_monitoring, report, submit_report

pytestmark = pytest.mark.integration

SETTINGS_RULES = EvaluationSettings().rules
TODAY = date(2026, 11, 28)


@pytest.fixture
async def stored(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, ContractStore]]:
    async with store_database(mongo_url, f"{db_prefix}evaluation") as (client, db):
        store = ContractStore(db)
        await store.ensure_indexes()
        yield client, store


@pytest.fixture
async def api(stored: tuple[Client, ContractStore]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_api(stored[1], lambda: TODAY))
    async with httpx.AsyncClient(transport=transport, base_url="http://evaluation") as client:
        yield client


def monitored(contract_id: str, street: str = "玉林街道", **changes: Any) -> MonitoredContract:
    award = {"contract_id": contract_id, "project_id": "P-1", "org_id": "O-1", "amount_fen": 1_000_001,
             "category": "助老", "org_street": street, "org_community": "黉门街", "title": "社区助老服务",
             "purchaser": {"kind": "street", "name": street}, "period": {"start": "2026-01-01", "end": "2026-10-31"},
             **changes}
    contract = open_monitoring(None, award, SETTINGS_RULES).contract
    assert contract is not None
    return contract


RECEIVED = {"start": date(2026, 1, 25), "mid_term": date(2026, 5, 30), "final": date(2026, 10, 20)}


def reported(contract: MonitoredContract, *milestones: str) -> MonitoredContract:
    """Each milestone's report received on time and accepted by the purchaser."""
    for milestone in milestones:
        contract = ok(delivered(contract, milestone, received=RECEIVED[milestone], rules=SETTINGS_RULES))
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


async def test_the_contracts_query_filters_and_pages_in_contract_order(
    stored: tuple[Client, ContractStore], api: httpx.AsyncClient,
) -> None:
    client, store = stored
    await insert(client, store, *(monitored(f"C-{n}") for n in range(1, 5)),
                 reported(monitored("C-5", street="望江路街道", category="助残"), "start", "mid_term", "final"))
    page = (await api.get("/contracts", params={"street": "玉林街道", "limit": 2, "offset": 1})).json()
    assert (page["total"], [c["contract_id"] for c in page["items"]]) == (4, ["C-2", "C-3"])
    evaluated = (await api.get("/contracts", params={"state": "evaluated"})).json()
    assert [c["contract_id"] for c in evaluated["items"]] == ["C-5"]
    assert evaluated["items"][0]["evaluation"]["rating"] == "good"
    monitoring = (await api.get("/contracts", params={"state": "under_monitoring", "category": "助老"})).json()
    assert monitoring["total"] == 4
    assert (await api.get("/contracts", params={"rating": "good", "org_id": "O-1"})).json()["total"] == 1


async def test_one_contract_shows_its_plan_reports_tranches_and_evaluation(
    stored: tuple[Client, ContractStore], api: httpx.AsyncClient,
) -> None:
    client, store = stored
    await insert(client, store, reported(monitored("C-6"), "start", "mid_term", "final"))
    answer = await api.get("/contracts/C-6")
    assert answer.status_code == 200
    contract = answer.json()
    assert contract["state"] == "evaluated"
    assert [(m["name"], m["due_on"], m["status"]) for m in contract["milestones"]] == [
        ("start", "2026-01-31", "met"), ("mid_term", "2026-06-01", "met"), ("final", "2026-10-31", "met")]
    assert [t["amount_fen"] for t in contract["payment_plan"]] == [300_000, 400_001, 300_000]
    assert contract["reports"][0]["achievement"] == 85.25
    assert contract["reports"][0]["indicators"] == {"attendance_rate": 90.0, "home_visits_done": 80.5}
    assert contract["reports"][0]["state"] == "accepted"
    assert contract["reports"][0]["review"]["reviewer"] == {"kind": "street", "name": "玉林街道"}
    assert contract["evaluation"]["score"] == 88.63
    assert contract["measures"]["indicators"] == 85.25
    # the interim tranches released on acceptance; the final one waits for the appeal window
    assert contract["money"] == {"released_fen": 700_001, "withheld_fen": 0, "due_fen": 300_000}
    assert [(t["milestone"], t["payments"][0]["kind"]) for t in contract["tranches"]] == [
        ("start", "released"), ("mid_term", "released")]


async def test_a_contract_is_found_by_one_of_its_reports(stored: tuple[Client, ContractStore]) -> None:
    client, store = stored
    waiting = ok(submit_report(monitored("C-7"), report("start", "C-7"), report_id="R-7", today=RECEIVED["start"]))
    await insert(client, store, monitored("C-6"), waiting)

    found = await store.by_report("R-7")

    assert found is not None and found.contract_id == "C-7"
    assert await store.by_report("R-nowhere") is None


async def test_the_clock_finds_only_the_contracts_it_still_has_something_to_check_on(
    stored: tuple[Client, ContractStore],
) -> None:
    client, store = stored
    done = reported(monitored("C-8"), "start", "mid_term", "final")
    assert done.evaluation is not None
    closed = ok(on_day_after_window(done))
    await insert(client, store, monitored("C-9"), done, closed.model_copy(update={"contract_id": "C-10"}))

    assert [c.contract_id async for c in store.open_contracts()] == ["C-8", "C-9"]


async def test_the_clock_reads_the_open_contracts_a_page_at_a_time_and_misses_none_between_pages(
    stored: tuple[Client, ContractStore],
) -> None:
    client, store = stored
    done = reported(monitored("C-8"), "start", "mid_term", "final")
    closed = ok(on_day_after_window(done))
    ids = [f"C-{n:02d}" for n in range(1, 8)]
    await insert(client, store, *(monitored(i) for i in ids), closed.model_copy(update={"contract_id": "C-04b"}))

    for page in (1, 2, 3, 7, 50):
        assert [c.contract_id async for c in store.open_contracts(page=page)] == ids


async def test_an_unknown_contract_is_404_and_a_malformed_query_names_the_field(api: httpx.AsyncClient) -> None:
    missing = await api.get("/contracts/C-nowhere")
    assert (missing.status_code, missing.json()) == (404, {"error": "no contract C-nowhere is under monitoring"})
    for path, params, field in [("/contracts", {"state": "lost"}, "state"), ("/contracts", {"category": "x"},
                                "category"), ("/contracts", {"limit": 0}, "limit"),
                                ("/overview", {"today": "28.11.2026"}, "today")]:
        answer = await api.get(path, params=params)
        assert answer.status_code == 422, (path, params)
        assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_the_operator_report_reads_the_services_overview(
    stored: tuple[Client, ContractStore], api: httpx.AsyncClient,
) -> None:
    client, store = stored
    await insert(client, store, reported(monitored("C-4"), "start", "mid_term", "final"),
                 reported(monitored("C-5", street="望江路街道"), "start"))
    answer = Overview.model_validate((await api.get("/overview")).json())
    assert (answer.today, answer.contracts) == (TODAY, 2)
    overdue, money, money_by_category, _, monitoring, by_category, by_street = operator_report(answer).split("\n\n")
    assert [line.split()[3] for line in overdue.splitlines()[3:]] == ["mid_term", "final"]
    assert [line.split()[0] for line in money.splitlines()[3:]] == ["C-5", "C-4"]
    assert money_by_category.splitlines()[3].split() == ["助老", "2", "20,000.02", "10,000.01", "0.00", "10,000.01"]
    assert [line.split()[0] for line in monitoring.splitlines()[3:]] == ["C-5"]
    assert by_category.splitlines()[3].split() == ["助老", "1", "0", "1", "0", "0", "88.63"]
    assert by_street.splitlines()[3].split() == ["玉林街道", "1", "0", "1", "0", "0", "88.63"]


def on_day_after_window(contract: MonitoredContract) -> Any:
    assert contract.evaluation is not None
    return on_day(contract, contract.evaluation.appeal_until + timedelta(days=1), SETTINGS_RULES)
