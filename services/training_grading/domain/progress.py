"""How far the district is toward its training target (1,150 leaders and finance staff in the source): people who
completed a course, by audience and by their organization's street. Pure.

People, not completions, are counted, each by registration's `person_id`: someone who completed two courses counts
once in the total, and once in each audience they completed a course for. Only the roles the target is about count
toward it (by default leaders and finance staff, as the source has it); others who completed a course, social
workers by default, are shown apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from pydantic import BaseModel, ConfigDict

from services.training_grading.domain.training import Enrolment
from services.training_grading.projections import OrganizationView
from shared.contracts.common import DEFAULT_STREETS
from shared.contracts.training import AUDIENCES, Audience

DEFAULT_TARGET_PEOPLE: Final = 1150
DEFAULT_TARGET_ROLES: Final[tuple[Audience, ...]] = ("leader", "finance")
UNKNOWN_STREET: Final = "(street unknown)"


class TrainingProgress(BaseModel):
    """Completed people toward the target; `by_street` lists every configured street, zeros included."""

    model_config = ConfigDict(frozen=True)

    target: int
    counted_roles: list[Audience]
    people_completed: int
    percent_of_target: Decimal
    not_counted: int
    by_audience: dict[Audience, int]
    by_street: dict[str, int]


def progress(
    enrolments: Iterable[Enrolment],
    organizations: Mapping[str, OrganizationView],
    *,
    target: int = DEFAULT_TARGET_PEOPLE,
    streets: Sequence[str] = DEFAULT_STREETS,
    roles: Sequence[Audience] = DEFAULT_TARGET_ROLES,
) -> TrainingProgress:
    """Count the people whose enrolments are completed: toward the target those in `roles`, by street (an
    organization not (yet) known counts as street unknown); every one by audience."""
    if target < 1:
        raise ValueError(f"the training target must be at least 1 person, got {target}")
    if not roles:
        raise ValueError("the training target must count at least one role")
    counted: set[uuid.UUID] = set()
    others: set[uuid.UUID] = set()
    by_audience: dict[Audience, set[uuid.UUID]] = {audience: set() for audience in AUDIENCES}
    by_street: dict[str, set[uuid.UUID]] = {street: set() for street in streets}
    for enrolment in enrolments:
        if enrolment.completed_on is None:
            continue
        by_audience[enrolment.audience].add(enrolment.person_id)
        if enrolment.person_role not in roles:
            others.add(enrolment.person_id)
            continue
        organization = organizations.get(enrolment.org_id)
        counted.add(enrolment.person_id)
        by_street.setdefault(organization.street if organization else UNKNOWN_STREET, set()).add(enrolment.person_id)
    percent = (Decimal(100) * len(counted) / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return TrainingProgress(
        target=target,
        counted_roles=[audience for audience in AUDIENCES if audience in roles],
        people_completed=len(counted),
        percent_of_target=percent,
        not_counted=len(others - counted),
        by_audience={audience: len(people) for audience, people in by_audience.items()},
        by_street={street: len(people) for street, people in by_street.items()},
    )
