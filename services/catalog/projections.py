"""The catalog's readings of other services' events: an award proposed or cancelled (noted on its project), a
final award and an evaluation, each moving its project along.

Each reads only what the catalog needs of the producer's event (`shared.contracts`), so the producer may add
fields freely; one that lacks these is dead-lettered as breaking the contract.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ContractAwardedRef(BaseModel):
    """The part of `matching.contract.awarded` the catalog reads."""

    model_config = ConfigDict(extra="ignore")

    contract_id: str
    project_id: str
    org_id: str
    award_id: str | None = None


class AwardRef(BaseModel):
    """The part of `matching.award.proposed` and `matching.award.cancelled` the catalog reads."""

    model_config = ConfigDict(extra="ignore")

    award_id: str
    project_id: str


class ContractEvaluatedRef(BaseModel):
    """The part of `evaluation.contract.evaluated` the catalog reads."""

    model_config = ConfigDict(extra="ignore")

    contract_id: str
    project_id: str
    rating: str
