"""`make seed`: print what the seeded district holds, then publish it to the bus (unless --dry-run).

    python -m tools.seed [--only projects|organizations|people] [--dry-run] [--size wuhou|sample]

Running it twice publishes nothing new: the event ids are stable and every service's inbox drops repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Iterable, Sequence

from shared.contracts.common import CATEGORIES, DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.contracts.registration import LEGAL_FORMS, ORGANIZATION_APPLIED
from tools.broker import operator_url
from tools.seed.catalog_items import GOVERNMENT_AFFAIRS
from tools.seed.district import PARTS, SIZES, WUHOU, District, build, seed_events
from tools.seed.publish import PublishReport, publish


def summary(district: District) -> list[str]:
    """The district in figures: projects per category and purchaser, organizations per street, communities."""
    return _project_lines(district) + _organization_lines(district)


def _project_lines(district: District) -> list[str]:
    projects = district.projects
    by_category = Counter(project["category"] for project in projects)
    community_services = len(projects) - by_category[GOVERNMENT_AFFAIRS]
    budget = sum(project["budget_fen"] for project in projects) / 100
    grades = Counter(project.get("min_grade", "none") for project in projects)
    return [
        f"district {district.size.name!r}: batch {projects[0]['batch']}, {len(projects)} projects, budget "
        f"{budget:,.2f} yuan; {community_services} community services ({community_services / len(projects):.0%})",
        "projects per category: " + _listed(by_category, CATEGORIES),
        "projects per purchaser: " + _listed(Counter(project["purchaser"]["name"] for project in projects),
                                             DEFAULT_STREETS + DEFAULT_DEPARTMENTS),
        "minimum grade: " + _listed(grades, ("none", "3A", "4A")),
    ]


def _organization_lines(district: District) -> list[str]:
    organizations = district.organizations
    by_community = Counter(organization["community"] for organization in organizations)
    street_of = {name: street for street, names in district.communities.items() for name in names}
    ordered = sorted(by_community.items(), key=lambda item: (item[1], item[0]))
    (smallest, least), (largest, most) = ordered[0], ordered[-1]
    return [
        f"{len(organizations)} organizations: " + _listed(Counter(o["legal_form"] for o in organizations), LEGAL_FORMS),
        "organizations per street: " + _listed(Counter(o["street"] for o in organizations), district.communities),
        f"{len(by_community)} communities; smallest {smallest} ({street_of[smallest]}) {least}, "
        f"largest {largest} ({street_of[largest]}) {most}",
        "people: " + _listed(Counter(person["role"] for person in district.people), ("leader", "finance")),
    ]


def _listed(counts: Counter[str], keys: Iterable[str]) -> str:
    return ", ".join(f"{key} {counts[key]}" for key in keys)


def report_lines(report: PublishReport) -> list[str]:
    """What the broker confirmed, and what it could not deliver, with what to do about it."""
    confirmed = ", ".join(f"{type_} {len(ids)}" for type_, ids in report.routed.items()) or "nothing"
    lines = [f"published in {report.seconds:.1f} s: {confirmed}"]
    applied = len(report.routed.get(ORGANIZATION_APPLIED, []))
    if report.applications_answered is not None:
        lines.append(f"registration answered {report.applications_answered} of {applied} applications before "
                     "people were sent")
        if report.applications_answered < applied:
            lines.append("  (none or few answered: on a repeat run every application is already handled and "
                         "dropped; otherwise check `make health` and registration's log)")
    for type_, count in report.unroutable.items():
        lines.append(f"NOT DELIVERED: {count} {type_} reached no queue; start the services (make dev or make up) "
                     "and seed again")
    for type_, failures in report.failed.items():
        lines.append(f"FAILED: {len(failures)} {type_}, e.g. {failures[0]}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PARTS, help="publish only this part of the district")
    parser.add_argument("--dry-run", action="store_true", help="print the district without publishing it")
    parser.add_argument("--size", choices=sorted(SIZES), default=WUHOU.name,
                        help="wuhou: the source's district (default); sample: a small one for tests and demos")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    print("\n".join(summary(build(size))))
    if args.dry_run:
        return 0
    events = seed_events(size, only=args.only)
    report = asyncio.run(publish(events, operator_url()))
    print("\n".join(report_lines(report)))
    return 0 if report.complete else 1


if __name__ == "__main__":
    sys.exit(main())
