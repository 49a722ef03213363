"""The seed's catalog: the source's 21 items verbatim, then generated items up to the batch's size.

Pure and deterministic: the same arguments give the same proposals. About 90 % community services (the source's
share), the rest government affairs; community items spread over the eight community categories by fixed weights.
Budgets in integer fen: community projects 50,000–300,000 yuan; government-affairs services around 222,000 yuan,
the source's 30.85 million yuan for 139 services. Every period runs within 2015; 10 % of projects require 4A and
20 % 3A. Streets buy most items; a department buys an item of its own subject (vocabulary.DEPARTMENT_TOPICS).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final, TypeVar

from shared.contracts.catalog import Period, ProjectProposed, ServiceClass
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS, Category, Purchaser
from tools.seed.source_items import SOURCE_ITEMS
from tools.seed.vocabulary import (
    DEPARTMENT_TOPICS,
    PROJECT_REQUIREMENTS,
    PROJECT_STANDARDS,
    PROJECT_TEMPLATES,
)

T = TypeVar("T")
BATCH: Final = "2015-1"
COMMUNITY_SHARE: Final = 0.9
GOVERNMENT_AFFAIRS: Final = Category.GOVERNMENT_AFFAIRS.value
# How generated community items divide among the eight community categories.
COMMUNITY_WEIGHTS: Final[dict[str, float]] = {
    "社区文化": 0.14, "社区融合": 0.13, "青少年服务": 0.14, "培训评估": 0.08,
    "助老": 0.17, "助残": 0.10, "济困": 0.10, "其他社区服务": 0.14,
}
SERVICE_CLASSES: Final[dict[str, dict[ServiceClass, float]]] = {
    "社区文化": {"self_governance": 0.5, "public_welfare": 0.5},
    "社区融合": {"self_governance": 0.8, "public_welfare": 0.2},
    "青少年服务": {"public_welfare": 0.8, "market": 0.2},
    "培训评估": {"public_welfare": 0.7, "administrative": 0.3},
    "助老": {"public_welfare": 0.7, "market": 0.3},
    "助残": {"public_welfare": 1.0},
    "济困": {"public_welfare": 0.8, "administrative": 0.2},
    "其他社区服务": {"market": 0.5, "public_welfare": 0.3, "self_governance": 0.2},
    "政务服务": {"administrative": 1.0},
}
DEPARTMENT_SHARE: Final = 0.2  # of generated items whose category some department buys
COMMUNITY_PLACE_SHARE: Final = 0.6  # of street-bought generated items that serve one community
GRADE_SHARES: Final = (("4A", 0.1), ("3A", 0.2))
START_MONTHS: Final = (1, 1, 1, 1, 2, 3, 4)
PERIOD_END: Final = date(2015, 12, 31)
YUAN: Final = 100  # fen


def allocate(weights: Mapping[str, float], total: int) -> list[str]:
    """`total` labels split by `weights` exactly (largest remainder), in the weights' order."""
    scale = total / sum(weights.values())
    exact = {label: weight * scale for label, weight in weights.items()}
    counts = {label: int(share) for label, share in exact.items()}
    by_remainder = sorted(exact, key=lambda label: (counts[label] - exact[label], label))
    for label in by_remainder[: total - sum(counts.values())]:
        counts[label] += 1
    return [label for label, count in counts.items() for _ in range(count)]


def proposals(
    count: int, seed: int, ref_prefix: str, communities: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """`count` intake.project.proposed payloads: the source's items first, then generated ones, refs in order."""
    rng = random.Random(f"{seed}:projects")
    community_total = round(count * COMMUNITY_SHARE)
    categories = allocate(COMMUNITY_WEIGHTS, community_total - len(SOURCE_ITEMS))
    categories += [GOVERNMENT_AFFAIRS] * (count - community_total)
    rng.shuffle(categories)
    drafts = [_source_draft(i) for i in range(len(SOURCE_ITEMS))]
    used = {draft["title"] for draft in drafts}
    streets = _street_rotation(rng)
    for category in categories:
        drafts.append(_generated_draft(category, rng, streets, communities, used))
    grades = _grades(count, rng)
    return [
        _proposal(draft, f"{ref_prefix}{number:03d}", grade, rng)
        for number, (draft, grade) in enumerate(zip(drafts, grades, strict=True), start=1)
    ]


def _source_draft(index: int) -> dict[str, Any]:
    item = SOURCE_ITEMS[index]
    return {"title": item.title, "category": item.category, "content": item.content, "community": item.community,
            "purchaser": item.purchaser, "service_class": item.service_class}


def _street_rotation(rng: random.Random) -> list[str]:
    """The streets in turn from a drawn start, so street-bought items spread evenly."""
    start = rng.randrange(len(DEFAULT_STREETS))
    return list(DEFAULT_STREETS[start:] + DEFAULT_STREETS[:start])


def _generated_draft(
    category: str, rng: random.Random, streets: list[str], communities: Mapping[str, Sequence[str]], used: set[str]
) -> dict[str, Any]:
    for _ in range(100):
        purchaser, community, place = _purchaser_and_place(category, rng, streets, communities)
        suffix, content = rng.choice(PROJECT_TEMPLATES[category])
        title = f"{place}{suffix}"
        if title not in used:
            used.add(title)
            return {"title": title, "category": category, "content": content, "community": community,
                    "purchaser": purchaser, "service_class": _weighted(SERVICE_CLASSES[category], rng),
                    "requirements": PROJECT_REQUIREMENTS, "standards": PROJECT_STANDARDS}
    raise RuntimeError(f"no unused title left for {category}: add templates to tools/seed/vocabulary.py")


def _purchaser_and_place(
    category: str, rng: random.Random, streets: list[str], communities: Mapping[str, Sequence[str]]
) -> tuple[Purchaser, str | None, str]:
    """Who buys, the community served (if one), and the place the title names."""
    departments = [name for name in DEFAULT_DEPARTMENTS if category in DEPARTMENT_TOPICS.get(name, ())]
    if departments and rng.random() < DEPARTMENT_SHARE:
        return Purchaser(kind="department", name=rng.choice(departments)), None, "武侯区"
    street = streets.pop(0)
    streets.append(street)
    local = communities.get(street, ())
    if local and rng.random() < COMMUNITY_PLACE_SHARE:
        community = rng.choice(list(local))
        return Purchaser(kind="street", name=street), community, community
    return Purchaser(kind="street", name=street), None, street


def _grades(count: int, rng: random.Random) -> list[str | None]:
    grades: list[str | None] = []
    for grade, share in GRADE_SHARES:
        grades += [grade] * round(count * share)
    grades += [None] * (count - len(grades))
    rng.shuffle(grades)
    return grades


def _proposal(draft: dict[str, Any], ref: str, grade: str | None, rng: random.Random) -> dict[str, Any]:
    if draft["category"] == GOVERNMENT_AFFAIRS:
        thousands = round(rng.triangular(150, 300, 220))
    else:
        thousands = round(rng.triangular(50, 300, 120))
    start = date(2015, rng.choice(START_MONTHS), 1)
    proposal = ProjectProposed.model_validate({
        **draft, "project_ref": ref, "batch": BATCH, "budget_fen": thousands * 1000 * YUAN, "min_grade": grade,
        "period": Period(start=start, end=PERIOD_END),
    })
    return proposal.model_dump(mode="json", exclude_none=True)


def _weighted(weights: Mapping[T, float], rng: random.Random) -> T:
    labels = list(weights)
    return rng.choices(labels, weights=[weights[label] for label in labels])[0]
