"""The open-data export's implementation part: a contract's milestones as delivered and one transaction per
payment released, from evaluation's read API as it answers, valid against the OCDS 1.1.5 schemas (kept in
tests/schemas: the test fails, never skips, without them)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.evaluation.api import view
from services.evaluation.domain.contract import MonitoredContract
from services.evaluation.domain.deadlines import on_day
from tests.support.schemas import OCDS, ocds_errors
from tests.unit.evaluation_examples import RULES, delivered, monitored, ok
from tools import ocds

PUBLISHED = "2027-02-01T00:00:00Z"
PROJECT = {"project_id": "P-1", "project_ref": "2015-1/WH-001", "batch": "2015-1", "title": "助老服务",
           "content": "为辖区老人提供助餐服务", "category": "助老", "purchaser": {"kind": "street", "name": "玉林街道"},
           "budget_fen": 1_200_000, "min_grade": "3A", "period": {"start": "2026-01-01", "end": "2026-12-31"},
           "status": "evaluated", "version": 3}
AWARD = {"award_id": "A-1", "contract_id": "C-1", "project_id": "P-1", "org_id": "O-1", "title": "助老服务",
         "status": "final", "amount_fen": 1_000_000, "fit_score": 81.5, "price_points": 1.0, "value_score": 82.5,
         "proposed_on": "2025-11-19", "standstill_ends": "2025-11-28", "days_left": None, "final_on": "2025-12-01",
         "cancelled_on": None, "reason": None, "period": PROJECT["period"]}
SUPPLIER = {"org_id": "O-1", "uscc": "51510107MJ0000000X", "name": "玉林社工服务中心", "street": "玉林街道",
            "community": "玉林北路社区"}


def answered(contract: MonitoredContract) -> dict[str, Any]:
    """The contract as evaluation's read API answers it."""
    return view(contract).model_dump(mode="json")


def implemented() -> MonitoredContract:
    """Start met, mid_term partially met and accepted late, final met; the final tranche paid after the window."""
    contract = ok(delivered(monitored(), "start"))
    contract = ok(delivered(contract, "mid_term", indicators={"a": 60}, reviewed=date(2026, 7, 10)))
    contract = ok(delivered(contract, "final"))
    assert contract.evaluation is not None
    return ok(on_day(contract, contract.evaluation.appeal_until + timedelta(days=1), RULES))


def released(contract: MonitoredContract | None = None) -> dict[str, Any]:
    monitoring = answered(contract or implemented())
    return ocds.release(PROJECT, [AWARD], monitoring, {SUPPLIER["org_id"]: SUPPLIER}, PUBLISHED, ocds.OCID_PREFIX)


def test_the_schemas_are_kept_with_the_tests() -> None:
    assert (OCDS / "release-schema.json").is_file()


def test_milestones_as_delivered_carry_their_ocds_status_and_the_day_they_were_met() -> None:
    milestones = released()["contracts"][0]["implementation"]["milestones"]

    assert [(m["title"], m["status"], m.get("dateMet")) for m in milestones] == [
        ("start", "met", "2026-01-20T00:00:00Z"), ("mid_term", "partiallyMet", None),
        ("final", "met", "2026-12-20T00:00:00Z")]
    assert milestones[1]["dateModified"] == "2026-07-10T00:00:00Z"
    assert "released 2,000.00, withheld 2,000.00 yuan on 2026-07-10" in milestones[1]["description"]


def test_each_released_payment_is_a_transaction_from_the_purchaser_to_the_organization() -> None:
    release = released()
    transactions = release["contracts"][0]["implementation"]["transactions"]

    assert [t["value"]["amount"] for t in transactions] == [3000.0, 2000.0, 3000.0]
    assert {(t["payer"]["name"], t["payee"]["id"]) for t in transactions} == {("玉林街道", SUPPLIER["uscc"])}
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert "payer" in roles["玉林街道"] and "payee" in roles[SUPPLIER["name"]]


def test_a_contract_not_yet_reported_is_scheduled_and_has_no_transaction() -> None:
    release = released(monitored())

    implementation = release["contracts"][0]["implementation"]
    assert {m["status"] for m in implementation["milestones"]} == {"scheduled"}
    assert implementation["transactions"] == []
    assert "implementation" not in release["tag"]


def test_the_export_of_a_delivered_contract_is_valid_ocds_1_1_5() -> None:
    document = ocds.package([released(), released(monitored())], PUBLISHED, "urn:test")

    assert ocds_errors(document) == []


def test_the_validator_catches_a_transaction_without_an_id() -> None:
    release = released()
    del release["contracts"][0]["implementation"]["transactions"][0]["id"]

    assert ocds_errors(ocds.package([release], PUBLISHED, "urn:test"))
