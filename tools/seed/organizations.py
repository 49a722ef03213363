"""The seed's social organizations and their people: who applies to be registered, in which community.

Pure and deterministic: the same arguments give the same applications and people. Every community has at least
2 organizations; the flagship community (黉门街社区) has exactly its given number, more than any other; a few young
communities keep the minimum. Credit codes are valid GB 32100 codes for Wuhou (510107); ID numbers valid GB 11643
numbers born 1950–1990, the sequence's parity matching the person's sex as the standard has it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final, TypeVar

from services.registration.domain.identity import make_id_number
from services.registration.domain.organizations import org_id_for
from services.registration.domain.uscc import ORG_CODE_SEEDS, WUHOU_REGION_CODE, make_uscc
from shared.contracts.common import Category
from shared.contracts.registration import IntakeOrganizationApplied, IntakePersonAdded, LegalForm
from tools.seed.vocabulary import (
    BRANDS,
    FEMALE_GIVEN,
    FLAGSHIP_COMMUNITY,
    FOUNDATION_ENDINGS,
    MALE_GIVEN,
    ORGANIZATION_THEMES,
    SOURCE_ORGANIZATIONS,
    SURNAMES,
)

T = TypeVar("T")
MIN_PER_COMMUNITY: Final = 2
YOUNG_COMMUNITY_EVERY: Final = 20  # one community in twenty is young: it keeps the minimum
FOUNDATION_SHARE: Final = 0.01
NAME_PREFIX: Final = "成都市武侯区"
# An organization's first domain: community services mostly, government affairs for a few.
DOMAIN_WEIGHTS: Final[dict[str, float]] = {
    "社区文化": 0.13, "社区融合": 0.12, "青少年服务": 0.13, "培训评估": 0.06, "助老": 0.16, "助残": 0.09,
    "济困": 0.09, "其他社区服务": 0.14, "政务服务": 0.08,
}
DOMAIN_COUNTS: Final[dict[int, float]] = {1: 0.45, 2: 0.35, 3: 0.2}
FOUNDED_FROM: Final = date(2000, 1, 1)
FOUNDED_UNTIL: Final = date(2013, 12, 31)
BORN_FROM: Final = date(1950, 1, 1)
BORN_UNTIL: Final = date(1990, 12, 31)
ROLES: Final = ("leader", "finance")


def community_counts(
    total: int, flagship: int, communities: Mapping[str, Sequence[str]], seed: int
) -> dict[str, int]:
    """How many organizations each community has: `total` in all, the flagship `flagship`, every other fewer."""
    rng = random.Random(f"{seed}:communities")
    others = [name for names in communities.values() for name in names if name != FLAGSHIP_COMMUNITY]
    young = set(rng.sample(others, len(others) // YOUNG_COMMUNITY_EVERY))
    counts = dict.fromkeys(others, MIN_PER_COMMUNITY)
    weights = {name: 0.0 if name in young else rng.uniform(0.5, 1.5) for name in others}
    for _ in range(total - flagship - MIN_PER_COMMUNITY * len(others)):
        open_ = [name for name in others if counts[name] < flagship - 1 and weights[name] > 0]
        if not open_:
            raise ValueError(f"{total} organizations do not fit: no community but {FLAGSHIP_COMMUNITY} "
                             f"may have {flagship} or more")
        counts[_choose(open_, [weights[name] for name in open_], rng)] += 1
    return {name: flagship if name == FLAGSHIP_COMMUNITY else counts[name]
            for names in communities.values() for name in names}


def applications(
    total: int, flagship: int, communities: Mapping[str, Sequence[str]], seed: int
) -> list[dict[str, Any]]:
    """`total` intake.organization.applied payloads, community by community in the district's order."""
    rng = random.Random(f"{seed}:organizations")
    counts = community_counts(total, flagship, communities, seed)
    foundations = set(rng.sample(range(total), max(1, round(total * FOUNDATION_SHARE))))
    names: set[str] = set()
    codes: set[int] = set()
    found: list[dict[str, Any]] = []
    for street, local in communities.items():
        for community in local:
            named = [entry for entry in SOURCE_ORGANIZATIONS if entry[0] == community]
            for _, name, form, named_domains in named:
                names.add(name)
                found.append(_application(name, form, list(named_domains), street, community, rng, codes))
            for _ in range(counts[community] - len(named)):
                form, name, domains = _identity(community, len(found) in foundations, rng, names)
                found.append(_application(name, form, domains, street, community, rng, codes))
    return found


def _identity(
    community: str, foundation: bool, rng: random.Random, taken: set[str]
) -> tuple[LegalForm, str, list[str]]:
    """Legal form, an unused name and the domains of a generated organization."""
    domains = _domains(rng)
    for attempt in range(2200):
        if foundation:
            form: LegalForm = "foundation"
            ending = rng.choice(FOUNDATION_ENDINGS)
        else:
            ending, form = rng.choice(ORGANIZATION_THEMES[domains[0]])
        if attempt < 200:
            place = community if rng.random() < 0.55 else rng.choice(BRANDS)
        else:
            # A district many times the source's size runs out of names made of the community or a brand alone
            # (every community shares the brands): the community and a brand together, as many real names read.
            place = f"{community}{rng.choice(BRANDS)}"
        name = f"{NAME_PREFIX}{place}{ending}"
        if name not in taken:
            taken.add(name)
            return form, name, domains
    raise RuntimeError(f"no unused organization name left in {community}: add brands to tools/seed/vocabulary.py")


def _domains(rng: random.Random) -> list[str]:
    wanted = _choose(list(DOMAIN_COUNTS), list(DOMAIN_COUNTS.values()), rng)
    chosen: list[str] = []
    while len(chosen) < wanted:
        domain = _choose(list(DOMAIN_WEIGHTS), list(DOMAIN_WEIGHTS.values()), rng)
        if domain not in chosen:
            chosen.append(domain)
    return chosen


def _application(
    name: str, form: LegalForm, domains: list[str], street: str, community: str, rng: random.Random,
    codes: set[int],
) -> dict[str, Any]:
    code_seed = rng.randrange(ORG_CODE_SEEDS)
    while code_seed in codes:
        code_seed = rng.randrange(ORG_CODE_SEEDS)
    codes.add(code_seed)
    application = IntakeOrganizationApplied.model_validate({
        "legal_form": form, "uscc": make_uscc(form, WUHOU_REGION_CODE, code_seed), "name": name,
        "street": street, "community": community,
        "domains": [category for category in Category if category.value in domains],
        "full_time_staff": min(40, int(rng.triangular(1, 41, 4))),
        "founded_on": _day_between(FOUNDED_FROM, FOUNDED_UNTIL, rng, mode=0.85),
        "contact": {"phone": f"028-8{rng.randrange(10**7):07d}"},
    })
    return application.model_dump(mode="json", exclude_none=True)


def people(organizations: Sequence[Mapping[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Each organization's leader and finance staff, as intake.person.added payloads; ID numbers all distinct."""
    rng = random.Random(f"{seed}:people")
    numbers: set[str] = set()
    found: list[dict[str, Any]] = []
    for organization in organizations:
        org_id = str(org_id_for(organization["uscc"]))
        for role in ROLES:
            male = rng.random() < 0.5
            name = rng.choice(SURNAMES) + _given_name(MALE_GIVEN if male else FEMALE_GIVEN, rng)
            number = _id_number(male, rng, numbers)
            person = IntakePersonAdded.model_validate({
                "org_id": org_id, "person_ref": role, "name": name, "role": role, "id_number": number,
                "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            })
            found.append(person.model_dump(mode="json"))
    return found


def _given_name(characters: Sequence[str], rng: random.Random) -> str:
    return "".join(rng.choice(characters) for _ in range(1 if rng.random() < 0.3 else 2))


def _id_number(male: bool, rng: random.Random, taken: set[str]) -> str:
    while True:
        # GB 11643: the sequence's last digit is odd for a man, even for a woman.
        sequence = rng.randrange(500) * 2 + (1 if male else 0)
        number = make_id_number(WUHOU_REGION_CODE, _day_between(BORN_FROM, BORN_UNTIL, rng), sequence)
        if number not in taken:
            taken.add(number)
            return number


def _day_between(first: date, last: date, rng: random.Random, mode: float = 0.5) -> date:
    span = (last - first).days
    return first + timedelta(days=round(rng.triangular(0, span, span * mode)))


def _choose(options: Sequence[T], weights: Sequence[float], rng: random.Random) -> T:
    return rng.choices(options, weights=weights)[0]
