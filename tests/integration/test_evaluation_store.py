"""Evaluation's store against the real database: contracts read back exactly as saved, a stale save is refused,
and the operator report reads them from the service's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from services.evaluation.domain import MonitoredContract, open_monitoring, submit_report
from services.evaluation.report import evaluation_report
from services.evaluation.settings import EvaluationSettings
from services.evaluation.store import ContractStore, StaleContract
from shared.mongo import Client, make_client
from shared.settings import StoreSettings

pytestmark = pytest.mark.integration

SETTINGS_RULES = EvaluationSettings().rules
TODAY = date(2026, 11, 28)


@pytest.fixture
def settings(mongo_url: str, db_prefix: str) -> EvaluationSettings:
    return EvaluationSettings(store=StoreSettings(MONGO_URL=mongo_url, MONGO_DATABASE_PREFIX=db_prefix))


@pytest.fixture
async def client(settings: EvaluationSettings) -> AsyncIterator[Client]:
    client = make_client(settings.store, "evaluation-test")
    yield client
    await client.drop_database(settings.store.database_prefix + "evaluation")
    await client.close()


@pytest.fixture
async def store(client: Client, settings: EvaluationSettings) -> ContractStore:
    store = ContractStore(client[settings.store.database_prefix + "evaluation"])
    await store.ensure_indexes()
    return store


@pytest.fixture
async def session(client: Client) -> AsyncIterator[AsyncClientSession]:
    async with client.start_session() as session:
        yield session


def monitored(contract_id: str, street: str = "玉林街道") -> MonitoredContract:
    award = {"contract_id": contract_id, "project_id": "P-1", "org_id": "O-1", "amount_fen": 1_000_001,
             "category": "助老", "org_street": street, "org_community": "黉门街", "title": "社区助老服务",
             "purchaser": {"kind": "street", "name": street}, "period": {"start": "2026-01-01", "end": "2026-10-31"}}
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


async def test_an_evaluated_contract_reads_back_exactly_as_saved(
    store: ContractStore, session: AsyncClientSession,
) -> None:
    contract = monitored("C-1")
    await store.insert(contract, session)
    done = reported(contract, "start", "mid_term", "final")
    await store.save(done, contract.version, session)
    back = await store.get("C-1")
    assert back == done
    assert back is not None and back.evaluation is not None and str(back.evaluation.score) == "88.63"


async def test_a_second_insert_of_the_same_contract_is_refused_by_the_database(
    store: ContractStore, session: AsyncClientSession,
) -> None:
    await store.insert(monitored("C-2"), session)
    with pytest.raises(DuplicateKeyError):
        await store.insert(monitored("C-2"), session)


async def test_a_save_from_a_stale_read_is_refused_and_changes_nothing(
    store: ContractStore, session: AsyncClientSession,
) -> None:
    contract = monitored("C-3")
    await store.insert(contract, session)
    started = reported(contract, "start")
    await store.save(started, contract.version, session)
    with pytest.raises(StaleContract):
        await store.save(reported(contract, "mid_term"), contract.version, session)
    assert await store.get("C-3") == started


async def test_the_operator_report_reads_the_services_database(
    store: ContractStore, session: AsyncClientSession, settings: EvaluationSettings,
) -> None:
    await store.insert(reported(monitored("C-4"), "start", "mid_term", "final"), session)
    await store.insert(reported(monitored("C-5", street="望江路街道"), "start"), session)
    printed = await evaluation_report(settings, TODAY)
    heading, monitoring, overdue, by_category, by_street = printed.split("\n\n")
    assert heading.startswith("Evaluation on 2026-11-28: 2 contracts in ")
    assert heading.endswith(f"/{settings.store.database_prefix}evaluation")
    assert [line.split()[0] for line in monitoring.splitlines()[3:]] == ["C-5"]
    assert [line.split()[3] for line in overdue.splitlines()[3:]] == ["mid_term", "final"]
    assert by_category.splitlines()[3].split() == ["助老", "1", "0", "1", "0", "0", "88.63"]
    assert by_street.splitlines()[3].split() == ["玉林街道", "1", "0", "1", "0", "0", "88.63"]
