"""`make census` (`python -m services.registration.census_report`): the operator's census, printed.

Reads registration's own database read-only (MONGO_URL, or the embedded server `make dev` starts, and
MONGO_DATABASE_PREFIX): active and suspended organizations per street and community, then the communities with
fewer active organizations than CENSUS_COMMUNITY_MINIMUM (default 2). The streets are DISTRICT_STREETS; the
communities known per street (listed even when empty) DISTRICT_COMMUNITIES.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import unicodedata
from urllib.parse import urlsplit

from pymongo.errors import PyMongoError

from services.registration.census import Census, take_census
from services.registration.settings import NAME, RegistrationSettings
from services.registration.store import RegistrationStore
from shared.mongo import make_client

NAME_COLUMN = 36


async def read_census(settings: RegistrationSettings, minimum: int) -> Census:
    client = make_client(settings.store, f"{NAME}-census")
    try:
        organizations = await RegistrationStore(client[settings.database]).all_organizations()
    finally:
        await client.close()
    return take_census(organizations, streets=settings.district.streets, minimum=minimum,
                       communities=settings.communities)


def where(settings: RegistrationSettings) -> str:
    """The database's host and name, without any credentials the URL carries."""
    parts = urlsplit(settings.store.url)
    return f"{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}/{settings.database}"


def render_census(census: Census, source: str) -> str:
    """The census as a table per street and community, then the communities below the minimum."""
    lines = [f"Registration census from {source}: {census.active} active and {census.suspended} suspended "
             "organizations", "", _row("Street / community", "active", "suspended")]
    for street in census.streets:
        lines.append(_row(street.street, street.active, street.suspended))
        lines.extend(_row(f"  {c.community}", c.active, c.suspended) for c in street.communities)
    lines += ["", f"Communities with fewer than {census.minimum} active organizations: {len(census.below_minimum)}"]
    lines.extend(f"  {c.street} / {c.community}: {c.active} active" + (f", {c.suspended} suspended"
                                                                        if c.suspended else "")
                 for c in census.below_minimum)
    return "\n".join(lines) + "\n"


def _row(name: str, active: int | str, suspended: int | str) -> str:
    return f"{name}{' ' * max(1, NAME_COLUMN - _display_width(name))}{active:>7}{suspended:>11}"


def _display_width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="census", description="Registered organizations per street and "
                                     "community, and the communities below the minimum, read from registration's "
                                     "database.")
    parser.add_argument("--minimum", type=int, help="active organizations a community should have "
                                                    "(default: CENSUS_COMMUNITY_MINIMUM, else 2)")
    args = parser.parse_args(argv)
    settings = RegistrationSettings()
    minimum = settings.census_minimum if args.minimum is None else args.minimum
    if minimum < 0:
        parser.error(f"--minimum must not be negative, got {minimum}")
    try:
        census = asyncio.run(read_census(settings, minimum))
    except PyMongoError as exc:
        print(f"census: cannot read {where(settings)} ({type(exc).__name__}: {str(exc)[:200]}); "
              "is the database running (`make dev`) or MONGO_URL set?", file=sys.stderr)
        return 1
    sys.stdout.write(render_census(census, where(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
