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
from shared.operator import command, fetch, service_url
from shared.tables import pad

NAME_COLUMN = 36


def render_census(census: dict[str, Any], source: str) -> str:
    """The census (`GET /census`) as a table per street and community, then the communities below the minimum."""
    lines = [f"Registration census from {source}: {census['active']} active and {census['suspended']} suspended "
             "organizations", "", _row("Street / community", "active", "suspended")]
    for street in census["streets"]:
        lines.append(_row(street["street"], street["active"], street["suspended"]))
        lines.extend(_row(f"  {c['community']}", c["active"], c["suspended"]) for c in street["communities"])
    below = census["below_minimum"]
    lines += ["", f"Communities with fewer than {census['minimum']} active organizations: {len(below)}"]
    lines.extend(f"  {c['street']} / {c['community']}: {c['active']} active"
                 + (f", {c['suspended']} suspended" if c["suspended"] else "") for c in below)
    return "\n".join(lines) + "\n"


def _row(name: str, active: int | str, suspended: int | str) -> str:
    # At least one space between a long name and its figures.
    return f"{pad(name, NAME_COLUMN - 1)} {active:>7}{suspended:>11}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="census", description="Registered organizations per street and "
                                     "community, and the communities below the minimum, read from registration's "
                                     "read API.")
    parser.add_argument("--minimum", type=int, help="active organizations a community should have "
                                                    "(default: the service's CENSUS_COMMUNITY_MINIMUM, else 2)")
    args = parser.parse_args(argv)
    if args.minimum is not None and args.minimum < 0:
        parser.error(f"--minimum must not be negative, got {args.minimum}")
    url = service_url(NAME, RegistrationSettings().port)
    return command("census", lambda: render_census(fetch(url, "/census", {"minimum": args.minimum}), url))


if __name__ == "__main__":
    sys.exit(main())
