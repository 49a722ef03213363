"""The operator's census: registered organizations per street and community, and the communities with too few.

The source counts every community as having at least 2 organizations, mature ones 10 or more; a community with
fewer active organizations than the configured minimum is one the district should cultivate organizations in.
Suspended organizations are counted apart: they cannot take part, so they do not count toward the minimum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

DEFAULT_COMMUNITY_MINIMUM: Final = 2


class Sited(Protocol):
    """What the census needs of an organization view (the domain's Organization, or a published state)."""

    @property
    def street(self) -> str: ...

    @property
    def community(self) -> str: ...

    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class Site:
    """Where an organization is, and its status: all the census reads of it."""

    street: str
    community: str
    status: str


@dataclass(frozen=True)
class CommunityCount:
    street: str
    community: str
    active: int
    suspended: int


@dataclass(frozen=True)
class StreetCount:
    street: str
    active: int
    suspended: int
    communities: tuple[CommunityCount, ...]


@dataclass(frozen=True)
class Census:
    streets: tuple[StreetCount, ...]
    below_minimum: tuple[CommunityCount, ...]  # fewest active first
    minimum: int

    @property
    def active(self) -> int:
        return sum(street.active for street in self.streets)

    @property
    def suspended(self) -> int:
        return sum(street.suspended for street in self.streets)


def take_census(
    organizations: Iterable[Sited],
    *,
    streets: Sequence[str],
    minimum: int = DEFAULT_COMMUNITY_MINIMUM,
    communities: Mapping[str, Iterable[str]] | None = None,
) -> Census:
    """Counts per street (in the configured order, then any other street) and community (by name).

    `communities` lists the communities known per street, so that one without any organization shows as 0;
    without it the census knows only the communities some organization names.
    """
    if minimum < 0:
        raise ValueError(f"minimum must not be negative, got {minimum}")
    counts: Counter[tuple[str, str, str]] = Counter((o.street, o.community, o.status) for o in organizations)
    sites = {(street, community) for street, community, _ in counts}
    sites |= {(street, community) for street, names in (communities or {}).items() for community in names}
    by_street: dict[str, list[CommunityCount]] = {street: [] for street in streets}
    for street, community in sorted(sites):
        count = CommunityCount(street, community, counts[street, community, "active"],
                               counts[street, community, "suspended"])
        by_street.setdefault(street, []).append(count)
    street_counts = tuple(
        StreetCount(street, sum(c.active for c in found), sum(c.suspended for c in found), tuple(found))
        for street, found in by_street.items()
    )
    below = [c for street in street_counts for c in street.communities if c.active < minimum]
    return Census(street_counts, tuple(sorted(below, key=lambda c: c.active)), minimum)
