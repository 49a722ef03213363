"""The OCDS export of one project's awards: pending while an award stands still, cancelled on an upheld
complaint, active once final, and a contract only for the final award; valid OCDS 1.1.5 where the schemas are
beside the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.schemas import ocds_errors
from tools.ocds import package, release

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = "2015-04-01T00:00:00Z"

PROJECT = {"project_id": "p-1", "project_ref": "2015-1-007", "batch": "2015-1", "title": "老年人日间照料",
           "category": "助老", "purchaser": {"kind": "street", "name": "望江路街道"}, "budget_fen": 12_000_000,
           "content": "为辖区老人提供日间照料", "min_grade": "3A", "status": "awarded", "version": 2,
           "period": {"start": "2015-04-01", "end": "2016-03-31"}}
SUPPLIERS = {org: {"org_id": org, "uscc": uscc, "name": name, "street": "望江路街道", "community": "望江楼社区"}
             for org, uscc, name in (("o-1", "51510107MJ0000001X", "望江社工"),
                                     ("o-2", "51510107MJ0000002X", "玉林社工"))}


def award(award_id: str, org_id: str, status: str, **changes: Any) -> dict[str, Any]:
    return {"award_id": award_id, "contract_id": "c-1", "project_id": "p-1", "org_id": org_id,
            "title": "老年人日间照料", "status": status, "amount_fen": 11_400_000, "fit_score": 81.5,
            "price_points": 1.0, "value_score": 82.5,
            "proposed_on": "2015-03-02", "standstill_ends": "2015-03-11", "days_left": None, "final_on": None,
            "cancelled_on": None, "reason": None, "period": PROJECT["period"], **changes}


CANCELLED = award("a-1", "o-1", "cancelled", cancelled_on="2015-03-05", reason="complaint k-1 upheld: 评分有误")


def test_a_cancelled_award_and_its_final_replacement_give_one_contract_for_the_final_award() -> None:
    final = award("a-2", "o-2", "final", proposed_on="2015-03-05", standstill_ends="2015-03-16",
                  final_on="2015-03-17")
    doc = release(PROJECT, [CANCELLED, final], None, SUPPLIERS, PUBLISHED, "ocds-test")
    assert doc["tag"] == ["planning", "tender", "award", "awardCancellation", "contract"]
    assert [(a["id"], a["status"], a["date"]) for a in doc["awards"]] == [
        ("a-1", "cancelled", "2015-03-02T00:00:00Z"), ("a-2", "active", "2015-03-05T00:00:00Z")]
    assert "cancelled on 2015-03-05: complaint k-1 upheld" in doc["awards"][0]["description"]
    [contract] = doc["contracts"]
    assert (contract["id"], contract["awardID"], contract["dateSigned"]) == ("c-1", "a-2", "2015-03-17T00:00:00Z")
    assert {p["id"] for p in doc["parties"] if "supplier" in p["roles"]} == {"51510107MJ0000001X",
                                                                            "51510107MJ0000002X"}


def test_an_award_standing_still_is_pending_and_has_no_contract_yet() -> None:
    standing = award("a-1", "o-1", "proposed")
    challenged = {**standing, "status": "challenged", "days_left": 5}
    for kept, note in ((standing, "standstill until 2015-03-11"), (challenged, "5 working days left")):
        doc = release({**PROJECT, "status": "published", "version": 1}, [kept], None, SUPPLIERS, PUBLISHED, "x")
        assert [a["status"] for a in doc["awards"]] == ["pending"] and "contracts" not in doc
        assert note in doc["awards"][0]["description"] and doc["tag"] == ["planning", "tender", "award"]


def test_a_release_changes_its_id_when_its_awards_change() -> None:
    standing = release(PROJECT, [award("a-1", "o-1", "proposed")], None, SUPPLIERS, PUBLISHED, "x")
    cancelled = release(PROJECT, [CANCELLED], None, SUPPLIERS, PUBLISHED, "x")
    assert standing["id"] != cancelled["id"]


def test_the_releases_are_valid_ocds() -> None:
    final = award("a-2", "o-2", "final", final_on="2015-03-17")
    document = package([release(PROJECT, [CANCELLED, final], None, SUPPLIERS, PUBLISHED, "ocds-test"),
                        release(PROJECT, [award("a-3", "o-1", "proposed")], None, SUPPLIERS, PUBLISHED, "ocds-t2")],
                       PUBLISHED, "urn:test")
    assert ocds_errors(document) == []
