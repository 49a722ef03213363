"""How far the district is toward its training target (1,150 leaders and finance staff in the source): people who
completed a course, by audience and by their organization's street. Pure.

People, not completions, are counted: someone who completed two courses counts once in the total, and once in
each audience they completed a course for (so the audience rows may add up to more than the total).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from services.training_grading.domain.training import Enrolment
from services.training_grading.projections import OrganizationView
from shared.contracts.common import DEFAULT_STREETS
from shared.contracts.training import AUDIENCES, Audience

DEFAULT_TARGET_PEOPLE = 1150
UNKNOWN_STREET = "(street unknown)"


class TrainingProgress(BaseModel):
    """Completed people toward the target; `by_street` lists every configured street, zeros included."""

    model_config = ConfigDict(frozen=True)

    target: int
    people_completed: int
    percent_of_target: Decimal
    by_audience: dict[Audience, int]
    by_street: dict[str, int]


def progress(
    enrolments: Iterable[Enrolment],
    organizations: Mapping[str, OrganizationView],
    *,
    target: int = DEFAULT_TARGET_PEOPLE,
    streets: Sequence[str] = DEFAULT_STREETS,
) -> TrainingProgress:
    """Count the people whose enrolments are completed; an organization not (yet) known counts as street unknown."""
    if target < 1:
        raise ValueError(f"the training target must be at least 1 person, got {target}")
    people: set[str] = set()
    by_audience: dict[Audience, set[str]] = {audience: set() for audience in AUDIENCES}
    by_street: dict[str, set[str]] = {street: set() for street in streets}
    for enrolment in enrolments:
        if enrolment.completed_on is None:
            continue
        organization = organizations.get(enrolment.org_id)
        street = organization.street if organization else UNKNOWN_STREET
        people.add(enrolment.person_key)
        by_audience[enrolment.audience].add(enrolment.person_key)
        by_street.setdefault(street, set()).add(enrolment.person_key)
    percent = (Decimal(100) * len(people) / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return TrainingProgress(
        target=target,
        people_completed=len(people),
        percent_of_target=percent,
        by_audience={audience: len(keys) for audience, keys in by_audience.items()},
        by_street={street: len(keys) for street, keys in by_street.items()},
    )
