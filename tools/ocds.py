"""`make ocds`: the batch as Open Contracting Data Standard 1.1.5 releases, the district's open-data export.

One release per project, tagged by how far it has come: planning and tender (published), award (an award
proposed: `pending` while it stands still or is challenged, `active` once final, `cancelled` when a complaint
was upheld), contract (only for the final award), implementation (milestones reported, payments made, rating
given). A contract's milestones as agreed are its `milestones`; as delivered, `implementation.milestones` (OCDS
status scheduled / met / partiallyMet / notMet, `dateMet` the day the purchaser accepted the report); each payment
released to the organization is an `implementation.transactions` entry, paid by the purchaser (payer) to the
organization (payee). Read-only, through the services' read APIs (never their databases): the catalog's projects,
matching's awards, evaluation's contracts under monitoring and registration's organizations. Personal data never
appears: parties are organizations and purchasers only.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.operator import Unreachable, fetch_all, service_url
from tools.suite import SUITE

OCID_PREFIX = "ocds-wh2015"  # an OCDS publisher registers its own prefix; set --ocid-prefix to it
Doc = dict[str, Any]


def _datetime(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None


def _value(fen: int) -> Doc:
    return {"amount": round(fen / 100, 2), "currency": "CNY"}


def _party_id(kind: str, name: str) -> str:
    return f"CN-WUHOU-{kind.upper()}-{name}"


AWARD_STATUS = {"proposed": "pending", "challenged": "pending", "final": "active", "cancelled": "cancelled"}


def _award(award: Doc, supplier: Doc | None) -> Doc:
    """One award in OCDS terms: pending while it stands still, active once final, or cancelled, with its dates."""
    status = AWARD_STATUS[award["status"]]
    if award["status"] == "final":
        note = f"final on {award['final_on']} after its standstill"
    elif award["status"] == "cancelled":
        note = f"cancelled on {award['cancelled_on']}: {award['reason']}"
    elif award["status"] == "challenged":
        note = f"standstill suspended by a complaint, {award['days_left']} working days left"
    else:
        note = f"standstill until {award['standstill_ends']}; a losing organization may challenge it until then"
    entry: Doc = {"id": award["award_id"], "title": award["title"], "status": status,
                  "date": _datetime(award["proposed_on"]), "value": _value(award["amount_fen"]),
                  "description": f"{note}; value {award['value_score']} = fit {award['fit_score']} + price "
                                 f"{award['price_points']}",
                  "contractPeriod": {"startDate": _datetime(award["period"]["start"]),
                                     "endDate": _datetime(award["period"]["end"])}}
    if supplier is not None:
        entry["suppliers"] = [{"id": supplier["uscc"], "name": supplier["name"]}]
    return entry


def _supplier_party(supplier: Doc) -> Doc:
    return {"id": supplier["uscc"], "name": supplier["name"], "roles": ["supplier"],
            "identifier": {"scheme": "CN-USCC", "id": supplier["uscc"], "legalName": supplier["name"]},
            "address": {"region": supplier["street"], "locality": supplier["community"], "countryName": "中国"}}


def release(project: Doc, awards: list[Doc], monitoring: Doc | None, suppliers: dict[str, Doc],
            published: str, prefix: str) -> Doc:
    """One project's release, from the services' own records; `awards` every award of the project, oldest
    first, and `suppliers` the organizations they went to, by org_id."""
    buyer = {"id": _party_id(project["purchaser"]["kind"], project["purchaser"]["name"]),
             "name": project["purchaser"]["name"]}
    parties = [{**buyer, "roles": ["buyer", "procuringEntity"]}]
    tags = ["planning", "tender"]
    tender_status = {"published": "active", "withdrawn": "withdrawn"}.get(project["status"], "complete")
    states = "".join(a["status"][0] for a in awards)
    doc: Doc = {
        "ocid": f"{prefix}-{project['project_id']}",
        "id": f"{project['project_id']}-{project['status']}-v{project['version']}" + (f"-a{states}" if awards else ""),
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
    if awards:
        tags.append("award")
        if any(a["status"] == "cancelled" for a in awards):
            tags.append("awardCancellation")
        doc["awards"] = [_award(a, suppliers.get(a["org_id"])) for a in awards]
        for org_id in dict.fromkeys(a["org_id"] for a in awards):
            if org_id in suppliers:
                parties.append(_supplier_party(suppliers[org_id]))
    final = next((a for a in awards if a["status"] == "final"), None)
    if final is not None:  # only a final award is a contract
        tags.append("contract")
        doc["contracts"] = [_contract(final, monitoring, project)]
        supplier = suppliers.get(final["org_id"])
        if monitoring is not None and supplier is not None:
            payee = {"id": supplier["uscc"], "name": supplier["name"]}
            doc["contracts"][0]["implementation"] = implementation(monitoring, buyer, payee)
            _payment_roles(parties, doc["contracts"][0]["implementation"])
        if monitoring and monitoring.get("reports"):
            tags.append("implementation")
    doc["tag"] = tags
    doc["parties"] = parties
    return doc


def _contract(contract: Doc, monitoring: Doc | None, project: Doc) -> Doc:
    evaluation = (monitoring or {}).get("evaluation")
    status = "terminated" if evaluation else "active"
    entry: Doc = {"id": contract["contract_id"], "awardID": contract["award_id"], "title": project["title"],
                  "status": status, "dateSigned": _datetime(contract["final_on"]),
                  "value": _value(contract["amount_fen"]),
                  "period": {"startDate": _datetime(project["period"]["start"]),
                             "endDate": _datetime(project["period"]["end"])}}
    if monitoring is not None:
        entry["milestones"] = [{
            "id": f"{contract['contract_id']}-{m['name']}", "title": m["name"], "type": "delivery",
            "dueDate": _datetime(m["due_on"]), "description": _tranche(m),
        } for m in monitoring["milestones"]]
    if evaluation:
        entry["description"] = (f"evaluated {evaluation.get('evaluated_on', '')}: score {evaluation.get('score')}, "
                                f"rating {evaluation.get('rating')}")
    return entry


def implementation(monitoring: Doc, payer: Doc, payee: Doc) -> Doc:
    """The contract as delivered: each milestone's OCDS status and the day it was met, and one transaction per
    payment released (money withheld moves nowhere, so it is stated on its milestone, not as a transaction)."""
    accepted = {r["milestone"]: r for r in monitoring.get("reports", []) if r.get("state") == "accepted"}
    tranches = {t["milestone"]: t for t in monitoring.get("tranches", [])}
    milestones = []
    for m in monitoring["milestones"]:
        review = (accepted.get(m["name"]) or {}).get("review") or {}
        entry: Doc = {"id": f"{monitoring['contract_id']}-{m['name']}", "title": m["name"], "type": "delivery",
                      "dueDate": _datetime(m["due_on"]), "status": m["status"],
                      "description": _tranche_text(m, tranches.get(m["name"]))}
        if review:
            entry["dateModified"] = _datetime(review["reviewed_on"])
            if m["status"] == "met":
                entry["dateMet"] = _datetime(review["reviewed_on"])
        milestones.append(entry)
    transactions = [{"id": p["payment_id"], "date": _datetime(t["decided_on"]), "value": _value(p["amount_fen"]),
                     "payer": payer, "payee": payee}
                    for t in monitoring.get("tranches", []) for p in t["payments"] if p["kind"] == "released"]
    return {"milestones": milestones, "transactions": transactions}


def _tranche(milestone: Doc) -> str:
    return f"tranche {milestone['tranche_pct']} % ({milestone['amount_fen'] / 100:,.2f} yuan)"


def _tranche_text(milestone: Doc, tranche: Doc | None) -> str:
    planned = _tranche(milestone)
    if tranche is None:
        return f"{planned}: not decided yet"
    paid = {p["kind"]: p["amount_fen"] for p in tranche["payments"]}
    return (f"{planned}: released {paid.get('released', 0) / 100:,.2f}, withheld {paid.get('withheld', 0) / 100:,.2f} "
            f"yuan on {tranche['decided_on']} ({tranche['reason']})")


def _payment_roles(parties: list[Doc], implemented: Doc) -> None:
    """The purchaser pays and the organization is paid once a transaction names them."""
    transactions = implemented["transactions"]
    for party in parties:
        for transaction in transactions:
            for role, reference in (("payer", transaction["payer"]), ("payee", transaction["payee"])):
                if party["id"] == reference["id"] and role not in party["roles"]:
                    party["roles"].append(role)


def package(releases: list[Doc], published: str, uri: str) -> Doc:
    return {"uri": uri, "version": "1.1", "publishedDate": published, "releases": releases,
            "publisher": {"name": "成都市武侯区 district purchasing of social services"},
            "license": "https://creativecommons.org/licenses/by/4.0/"}


@dataclass(frozen=True)
class Services:
    """Where the services' read APIs answer (`<SERVICE>_URL`, else each on this machine at its port)."""

    catalog: str
    matching: str
    evaluation: str
    registration: str

    @classmethod
    def from_environment(cls) -> Services:
        urls = {spec.name: service_url(spec.name, spec.port) for spec in SUITE}
        return cls(urls["catalog"], urls["matching"], urls["evaluation"], urls["registration"])


def export(services: Services, batch: str, ocid_prefix: str = OCID_PREFIX) -> Doc:
    """The batch's release package, read from the services' read APIs."""
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    projects = sorted(fetch_all(services.catalog, "/projects", {"batch": batch}), key=lambda p: p["project_ref"])
    awards: dict[str, list[Doc]] = {}
    for award in fetch_all(services.matching, "/awards", {"batch": batch}):
        awards.setdefault(award["project_id"], []).append(award)
    for each in awards.values():  # oldest first; of one day's, the cancelled award before the one replacing it
        each.sort(key=lambda a: (a["proposed_on"], a["status"] != "cancelled"))
    finals = {a["contract_id"] for each in awards.values() for a in each if a["status"] == "final"}
    monitoring = {m["contract_id"]: m for m in fetch_all(services.evaluation, "/contracts")
                  if m["contract_id"] in finals}
    needed = {a["org_id"] for each in awards.values() for a in each}
    suppliers = {o["org_id"]: o for o in fetch_all(services.registration, "/organizations") if o["org_id"] in needed}
    releases = []
    for project in projects:
        mine = awards.get(project["project_id"], [])
        final = next((a for a in mine if a["status"] == "final"), None)
        releases.append(release(project, mine, monitoring.get(final["contract_id"]) if final else None, suppliers,
                                published, ocid_prefix))
    return package(releases, published, f"urn:{ocid_prefix}:{batch}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", default="2015-1")
    parser.add_argument("--out", default="reports/ocds-2015-1.json")
    parser.add_argument("--ocid-prefix", default=OCID_PREFIX)
    args = parser.parse_args()
    try:
        doc = export(Services.from_environment(), args.batch, args.ocid_prefix)
    except Unreachable as exc:
        print(f"ocds: {exc}", file=sys.stderr)
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
