"""The seeded district: its size, its communities, and the intake events that bring it onto the bus.

Pure and deterministic: `build(size)` gives the same district every time (every draw comes from a
`random.Random` seeded from `size.seed`), and `seed_events(size)` the same events with the same event ids.
An event id is a uuid5 of a stable key (`seed:project:2015-1-001`, `seed:organization:<uscc>`,
`seed:person:<org_id>:leader`): publishing the seed twice publishes nothing new, because every service's inbox
drops an event id it has handled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final, Literal

from shared.contracts.registration import ORGANIZATION_APPLIED, PERSON_ADDITION_REQUESTED
from tools.seed.catalog_items import proposals
from tools.seed.organizations import MIN_PER_COMMUNITY, YOUNG_COMMUNITY_EVERY, applications, people
from tools.seed.source_items import SOURCE_ITEMS
from tools.seed.vocabulary import COMMUNITIES, FLAGSHIP_COMMUNITY, SOURCE_ORGANIZATIONS

PROJECT_PROPOSED: Final = "intake.project.proposed"
SEED_NAMESPACE: Final = uuid.UUID("9b2f3c4e-1d5a-5e6f-8a7b-0c1d2e3f4a5b")
SOURCE: Final = "wuhou-district-seed"
Part = Literal["projects", "organizations", "people"]
PARTS: Final[tuple[Part, ...]] = ("projects", "organizations", "people")
# Communities every size keeps: the source names them (the flagship, 晋阳社区's items, 玉林东路社区's fund).
REQUIRED_COMMUNITIES: Final = (FLAGSHIP_COMMUNITY, "晋阳社区", "玉林东路社区")


@dataclass(frozen=True)
class DistrictSize:
    """How big a district to seed, and the names that keep two sizes' events apart on one bus."""

    name: str
    projects: int
    organizations: int
    communities: int
    flagship_organizations: int
    seed: int
    ref_prefix: str
    key_prefix: str

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError(f"district size {self.name!r}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        total = sum(len(names) for names in COMMUNITIES.values())
        found = []
        if self.projects < len(SOURCE_ITEMS) / 0.9:
            found.append(f"projects must be at least {round(len(SOURCE_ITEMS) / 0.9)} (the source's items are 90 %)")
        if not len(REQUIRED_COMMUNITIES) <= self.communities <= total:
            found.append(f"communities must be between {len(REQUIRED_COMMUNITIES)} and {total}")
        if self.flagship_organizations < MIN_PER_COMMUNITY + len(SOURCE_ORGANIZATIONS):
            found.append(f"flagship_organizations must be at least {MIN_PER_COMMUNITY + len(SOURCE_ORGANIZATIONS)}")
        others = self.communities - 1
        young = others // YOUNG_COMMUNITY_EVERY
        least = self.flagship_organizations + MIN_PER_COMMUNITY * others
        most = self.flagship_organizations + MIN_PER_COMMUNITY * young + (self.flagship_organizations - 1) * (
            others - young)
        if not least <= self.organizations <= most:
            found.append(f"organizations must be between {least} and {most} for these communities")
        return found


# The district of the source: 240 projects, 1,177 organizations in 83 communities, 黉门街社区 with 18.
WUHOU: Final = DistrictSize("wuhou", projects=240, organizations=1177, communities=83, flagship_organizations=18,
                            seed=20141119, ref_prefix="2015-1-", key_prefix="seed")
# A small district for tests and the CI demo; its refs, codes and event ids never meet WUHOU's.
SAMPLE: Final = DistrictSize("sample", projects=24, organizations=60, communities=10, flagship_organizations=8,
                             seed=20141230, ref_prefix="2015-1-S", key_prefix="seed-sample")
SIZES: Final = {size.name: size for size in (WUHOU, SAMPLE)}


@dataclass(frozen=True)
class SeedEvent:
    """One intake event of the seed: its type, its data, and the stable key its event id derives from."""

    type: str
    data: dict[str, Any]
    key: str

    @property
    def event_id(self) -> str:
        return str(uuid.uuid5(SEED_NAMESPACE, self.key))


@dataclass(frozen=True)
class District:
    """Everything the seed generates for one size."""

    size: DistrictSize
    communities: dict[str, tuple[str, ...]]
    projects: list[dict[str, Any]]
    organizations: list[dict[str, Any]]
    people: list[dict[str, Any]]


def communities(count: int) -> dict[str, tuple[str, ...]]:
    """`count` communities by street: all 83 for the full district; else the required ones, then streets in turn."""
    chosen = list(REQUIRED_COMMUNITIES)
    depth = 0
    while len(chosen) < count:
        for names in COMMUNITIES.values():
            if depth < len(names) and names[depth] not in chosen and len(chosen) < count:
                chosen.append(names[depth])
        depth += 1
    return {street: kept for street, names in COMMUNITIES.items()
            if (kept := tuple(name for name in names if name in chosen))}


def build(size: DistrictSize = WUHOU) -> District:
    """The whole district of this size: communities, projects, organizations and their people."""
    local = communities(size.communities)
    organizations = applications(size.organizations, size.flagship_organizations, local, size.seed)
    return District(size=size, communities=local,
                    projects=proposals(size.projects, size.seed, size.ref_prefix, local),
                    organizations=organizations, people=people(organizations, size.seed))


def seed_events(size: DistrictSize = WUHOU, only: Part | None = None) -> list[SeedEvent]:
    """The district's intake events: projects, then organizations, then their people (or only one part)."""
    district = build(size)
    prefix = size.key_prefix
    parts: dict[Part, list[SeedEvent]] = {
        "projects": [SeedEvent(PROJECT_PROPOSED, data, f"{prefix}:project:{data['project_ref']}")
                     for data in district.projects],
        "organizations": [SeedEvent(ORGANIZATION_APPLIED, data, f"{prefix}:organization:{data['uscc']}")
                          for data in district.organizations],
        "people": [SeedEvent(PERSON_ADDITION_REQUESTED, data, f"{prefix}:person:{data['org_id']}:{data['person_ref']}")
                   for data in district.people],
    }
    return [event for part in PARTS if only in (None, part) for event in parts[part]]
