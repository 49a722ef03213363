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
from shared.i18n import _, number, percent, yuan
from shared.labels import label
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
    budget = sum(project["budget_fen"] for project in projects)
    grades = Counter(project.get("min_grade", "none") for project in projects)
    return [
        _("district {name!r}: batch {batch}, {projects} projects, budget {budget}; {services} community services "
          "({share})").format(name=district.size.name, batch=projects[0]["batch"], projects=number(len(projects)),
                              budget=yuan(budget), services=number(community_services),
                              share=percent(community_services / len(projects), 0)),
        _("projects per category: {counts}").format(counts=_listed(by_category, CATEGORIES)),
        _("projects per purchaser: {counts}").format(counts=_listed(
            Counter(project["purchaser"]["name"] for project in projects), DEFAULT_STREETS + DEFAULT_DEPARTMENTS)),
        _("minimum grade: {counts}").format(counts=_listed(grades, ("none", "3A", "4A"))),
    ]


def _organization_lines(district: District) -> list[str]:
    organizations = district.organizations
    by_community = Counter(organization["community"] for organization in organizations)
    street_of = {name: street for street, names in district.communities.items() for name in names}
    ordered = sorted(by_community.items(), key=lambda item: (item[1], item[0]))
    (smallest, least), (largest, most) = ordered[0], ordered[-1]
    return [
        _("{count} organizations: {counts}").format(count=number(len(organizations)), counts=_listed(
            Counter(o["legal_form"] for o in organizations), LEGAL_FORMS)),
        _("organizations per street: {counts}").format(counts=_listed(
            Counter(o["street"] for o in organizations), district.communities)),
        _("{count} communities; smallest {smallest} ({smallest_street}) {least}, largest {largest} ({largest_street}) "
          "{most}").format(count=number(len(by_community)), smallest=smallest, smallest_street=street_of[smallest],
                           least=number(least), largest=largest, largest_street=street_of[largest],
                           most=number(most)),
        _("people: {counts}").format(counts=_listed(Counter(person["role"] for person in district.people),
                                                    ("leader", "finance"))),
    ]


def _listed(counts: Counter[str], keys: Iterable[str]) -> str:
    return _(", ").join(f"{label(key)} {number(counts[key])}" for key in keys)


def report_lines(report: PublishReport) -> list[str]:
    """What the broker confirmed, and what it could not deliver, with what to do about it."""
    confirmed = _(", ").join(f"{type_} {number(len(ids))}" for type_, ids in report.routed.items()) or _("nothing")
    lines = [_("published in {seconds} s: {confirmed}").format(seconds=number(report.seconds, 1),
                                                               confirmed=confirmed)]
    applied = len(report.routed.get(ORGANIZATION_APPLIED, []))
    if report.applications_answered is not None:
        lines.append(_("registration answered {answered} of {applied} applications before people were sent").format(
            answered=number(report.applications_answered), applied=number(applied)))
        if report.applications_answered < applied:
            lines.append("  " + _("(none or few answered: on a repeat run every application is already handled and "
                                  "dropped; otherwise check `make health` and registration's log)"))
    for type_, count in report.unroutable.items():
        lines.append(_("NOT DELIVERED: {count} {type} reached no queue; start the services (make dev or make up) and "
                       "seed again").format(count=number(count), type=type_))
    for type_, failures in report.failed.items():
        lines.append(_("FAILED: {count} {type}, e.g. {example}").format(count=number(len(failures)), type=type_,
                                                                       example=failures[0]))
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
