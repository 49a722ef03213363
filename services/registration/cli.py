"""`make census` (`python -m services.registration.cli`): the operator's census, printed, read from registration's
own read API (`REGISTRATION_URL`, else the service on this machine).

Active and suspended organizations per street and community, then the communities with fewer active
organizations than the minimum: `--minimum`, else the service's CENSUS_COMMUNITY_MINIMUM (default 2). Every street
and community of the district is listed, the empty ones too: the service's DISTRICT_STREETS and DISTRICT_COMMUNITIES
(by default Wuhou's 13 streets and 83 communities).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.registration.settings import NAME, RegistrationSettings
from shared.i18n import _, number
from shared.operator import command, fetch, service_url
from shared.tables import pad

NAME_COLUMN = 36


def render_census(census: dict[str, Any], source: str) -> str:
    """The census (`GET /census`) as a table per street and community, then the communities below the minimum."""
    lines = [_("Registration census from {source}: {active} active and {suspended} suspended organizations").format(
        source=source, active=number(census["active"]), suspended=number(census["suspended"])),
             "", _row(_("Street / community"), _("active"), _("suspended"))]
    for street in census["streets"]:
        lines.append(_row(street["street"], number(street["active"]), number(street["suspended"])))
        lines.extend(_row(f"  {c['community']}", number(c["active"]), number(c["suspended"]))
                     for c in street["communities"])
    below = census["below_minimum"]
    lines += ["", _("Communities with fewer than {minimum} active organizations: {count}").format(
        minimum=number(census["minimum"]), count=number(len(below)))]
    lines.extend("  " + _("{place}: {active} active").format(place=f"{c['street']} / {c['community']}",
                                                            active=number(c["active"]))
                 + (_(", {suspended} suspended").format(suspended=number(c["suspended"])) if c["suspended"] else "")
                 for c in below)
    return "\n".join(lines) + "\n"


def _row(name: str, active: str, suspended: str) -> str:
    # At least one space between a long name and its figures; figures right-aligned by their display width.
    return f"{pad(name, NAME_COLUMN - 1)} {pad(active, 7, 'right')}{pad(suspended, 11, 'right')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="census", description=_(
        "Registered organizations per street and community, and the communities below the minimum, read from "
        "registration's read API."))
    parser.add_argument("--minimum", type=int, help=_(
        "active organizations a community should have (default: the service's CENSUS_COMMUNITY_MINIMUM, else 2)"))
    args = parser.parse_args(argv)
    if args.minimum is not None and args.minimum < 0:
        parser.error(_("--minimum must not be negative, got {minimum}").format(minimum=args.minimum))
    url = service_url(NAME, RegistrationSettings().port)
    return command("census", lambda: render_census(fetch(url, "/census", {"minimum": args.minimum}), url))


if __name__ == "__main__":
    sys.exit(main())
