"""`make ocds`: the batch as Open Contracting Data Standard 1.1.5 releases, the district's open-data export.

One release per project, tagged by how far it has come: planning and tender (published), award and contract
(awarded), implementation (milestones reported, rating given). Read-only: it reads the catalog's projects,
registration's organizations, matching's contracts and evaluation's monitoring from their databases.
Personal data never appears: parties are organizations and purchasers only.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from shared.settings import StoreSettings

OCID_PREFIX = "ocds-wh2015"  # an OCDS publisher registers its own prefix; set --ocid-prefix to it
Doc = dict[str, Any]


def _datetime(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None


def _value(fen: int) -> Doc:
    return {"amount": round(fen / 100, 2), "currency": "CNY"}


def _party_id(kind: str, name: str) -> str:
    return f"CN-WUHOU-{kind.upper()}-{name}"


def release(project: Doc, contract: Doc | None, monitoring: Doc | None, supplier: Doc | None,
            published: str, prefix: str) -> Doc:
    """One project's release, from the services' own records."""
    buyer = {"id": _party_id(project["purchaser"]["kind"], project["purchaser"]["name"]),
             "name": project["purchaser"]["name"]}
    parties = [{**buyer, "roles": ["buyer", "procuringEntity"]}]
    tags = ["planning", "tender"]
    tender_status = {"published": "active", "withdrawn": "withdrawn"}.get(project["status"], "complete")
    doc: Doc = {
        "ocid": f"{prefix}-{project['_id']}", "id": f"{project['_id']}-{project['status']}-v{project['version']}",
        "date": published, "language": "zh", "initiationType": "tender", "buyer": buyer,
        "planning": {"budget": {"amount": _value(project["budget_fen"]),
                                "description": f"batch {project['batch']}, {project['category']}"}},
        "tender": {"id": project["project_ref"], "title": project["title"], "description": project["content"],
                   "status": tender_status, "value": _value(project["budget_fen"]),
                   "mainProcurementCategory": "services", "procuringEntity": buyer,
                   "contractPeriod": {"startDate": _datetime(project["period"]["start"]),
                                      "endDate": _datetime(project["period"]["end"])},
                   "eligibilityCriteria": f"minimum grade {project['min_grade']}" if project.get("min_grade")
                   else "registered, active social organization"},
    }
    if contract is not None and supplier is not None:
        tags += ["award", "contract"]
        org = {"id": supplier["uscc"], "name": supplier["name"]}
        parties.append({**org, "roles": ["supplier"], "identifier": {
            "scheme": "CN-USCC", "id": supplier["uscc"], "legalName": supplier["name"]},
            "address": {"region": supplier["street"], "locality": supplier["community"], "countryName": "中国"}})
        awarded_on = _datetime(contract["awarded_on"])
        doc["awards"] = [{"id": contract["_id"], "status": "active", "date": awarded_on,
                          "value": _value(contract["amount_fen"]), "suppliers": [org]}]
        doc["contracts"] = [_contract(contract, monitoring, project)]
        if monitoring and monitoring.get("reports"):
            tags.append("implementation")
    doc["tag"] = tags
    doc["parties"] = parties
    return doc


def _contract(contract: Doc, monitoring: Doc | None, project: Doc) -> Doc:
    evaluation = (monitoring or {}).get("evaluation")
    status = "terminated" if evaluation else "active"
    entry: Doc = {"id": contract["_id"], "awardID": contract["_id"], "title": project["title"], "status": status,
                  "value": _value(contract["amount_fen"]),
                  "period": {"startDate": _datetime(project["period"]["start"]),
                             "endDate": _datetime(project["period"]["end"])}}
    if monitoring is not None:
        reports = {r["milestone"]: r for r in monitoring.get("reports", [])}
        entry["milestones"] = [{
            "id": f"{contract['_id']}-{m['name']}", "title": m["name"], "type": "delivery",
            "dueDate": _datetime(m["due_on"]), "status": m["status"],
            **({"dateMet": _datetime(reports[m["name"]]["submitted_on"])}
               if m["name"] in reports and m["status"] == "met" else {}),
            "description": f"tranche {m['tranche_pct']} % ({m['amount_fen'] / 100:,.2f} yuan)",
        } for m in monitoring["milestones"]]
    if evaluation:
        entry["description"] = (f"evaluated {evaluation.get('evaluated_on', '')}: score {evaluation.get('score')}, "
                                f"rating {evaluation.get('rating')}")
    return entry


def package(releases: list[Doc], published: str, uri: str) -> Doc:
    return {"uri": uri, "version": "1.1", "publishedDate": published, "releases": releases,
            "publisher": {"name": "成都市武侯区 district purchasing of social services"},
            "license": "https://creativecommons.org/licenses/by/4.0/"}


def export(mongo_url: str, prefix: str, batch: str, ocid_prefix: str = OCID_PREFIX) -> Doc:
    """The batch's release package, read from the services' databases."""
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    client: MongoClient[Doc] = MongoClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000)
    with client:
        projects = list(client[f"{prefix}catalog"]["projects"].find({"batch": batch}).sort("project_ref", 1))
        contracts = {c["project_id"]: c for c in client[f"{prefix}matching"]["contracts"].find(
            {"project_id": {"$in": [p["_id"] for p in projects]}})}
        monitoring = {m["contract_id"]: m for m in client[f"{prefix}evaluation"]["contracts"].find(
            {"contract_id": {"$in": [c["_id"] for c in contracts.values()]}})}
        suppliers = {o["_id"]: o for o in client[f"{prefix}registration"]["organizations"].find(
            {"_id": {"$in": [c["org_id"] for c in contracts.values()]}})}
    releases = []
    for project in projects:
        contract = contracts.get(project["_id"])
        releases.append(release(project, contract, monitoring.get(contract["_id"]) if contract else None,
                                suppliers.get(contract["org_id"]) if contract else None, published, ocid_prefix))
    return package(releases, published, f"urn:{ocid_prefix}:{batch}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", default="2015-1")
    parser.add_argument("--out", default="reports/ocds-2015-1.json")
    parser.add_argument("--ocid-prefix", default=OCID_PREFIX)
    args = parser.parse_args()
    store = StoreSettings()
    try:
        doc = export(store.url, store.database_prefix, args.batch, args.ocid_prefix)
    except Exception as exc:  # an operator tool: say what failed, not a traceback
        print(f"ocds: cannot read the services' databases: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    tags: dict[str, int] = {}
    for r in doc["releases"]:
        tags[r["tag"][-1]] = tags.get(r["tag"][-1], 0) + 1
    print(f"{path}: {len(doc['releases'])} releases (latest stage: {tags})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
