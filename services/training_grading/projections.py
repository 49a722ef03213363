"""Training and grading's copies of registration's organizations and people: only what it asks of them, kept at
the newest version seen. Pure.

- An organization: its street, whether it is active, when it was registered; from any
  `registration.organization.*` event (each carries the full state).
- A person: registration's `person_id`, the organization and the role; from `registration.person.added`. No name,
  no ID number: training needs to know who a person is, not what they are called.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints


def _calendar_day(value: Any) -> Any:
    # Tolerate a timestamp where a date is meant: the day it names is what counts.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value) > 10:
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return value
    return value


class OrganizationView(BaseModel):
    """An organization as training and grading see it. Any status but `active` (e.g. `suspended`) bars it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    street: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    status: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    # Order 39 counts the two years from the civil-affairs registration certificate (登记证书): that is the
    # organization's `founded_on` in the register, not the day it joined this system (`registered_on` there).
    registered_on: Annotated[date, BeforeValidator(_calendar_day)] = Field(
        validation_alias=AliasChoices("founded_on", "registered_on"))
    version: Annotated[StrictInt, Field(ge=1)]

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class PersonView(BaseModel):
    """A person as training sees one: who (registration's person_id), of which organization, in which role."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    person_id: uuid.UUID
    org_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    version: Annotated[StrictInt, Field(ge=1)]


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def newer(current: V | None, incoming: V) -> V | None:
    """The view to keep after `incoming`, or None when it is stale or a repeat (nothing to save).

    Events may arrive twice or out of order; the version decides, so every replica converges on the newest.
    """
    if current is not None and incoming.version <= current.version:
        return None
    return incoming
