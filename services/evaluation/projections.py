"""Evaluation's reading of another service's event: `matching.contract.awarded`, which opens monitoring.

It reads only what evaluation needs of the producer's event (`shared.contracts.matching`), so matching may add
fields freely; an award that lacks these is dead-lettered as breaking the contract.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from shared.contracts.common import Category, Fen, Purchaser
from shared.contracts.evaluation import ContractPeriod, EntityId


class AwardedContract(BaseModel):
    """`matching.contract.awarded` as evaluation reads it: what it needs is required, the rest is tolerated."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    contract_id: EntityId
    project_id: EntityId
    org_id: EntityId
    amount_fen: Fen
    category: Category
    org_street: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    period: ContractPeriod
    fair_id: EntityId | None = None
    title: str | None = None
    purchaser: Purchaser | None = None
    org_community: str | None = None
    fit_score: Decimal | None = None
