"""Vocabulary every context shares: the nine categories, grades, purchaser kinds, the district's defaults."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.envelope import FieldError


class Category(StrEnum):
    """The nine sectors (板块): the source's eight community-service categories plus government affairs."""

    COMMUNITY_CULTURE = "社区文化"
    COMMUNITY_INTEGRATION = "社区融合"
    YOUTH = "青少年服务"
    TRAINING_EVALUATION = "培训评估"
    ELDERLY = "助老"
    DISABILITY = "助残"
    POVERTY_RELIEF = "济困"
    OTHER_COMMUNITY = "其他社区服务"
    GOVERNMENT_AFFAIRS = "政务服务"


CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)

GRADES: tuple[str, ...] = ("1A", "2A", "3A", "4A", "5A")
GradeCode = Literal["1A", "2A", "3A", "4A", "5A"]
PurchaserKind = Literal["street", "department"]

Fen = Annotated[StrictInt, Field(gt=0, description="an amount in integer fen (1/100 yuan)")]


def grade_rank(grade: str | None) -> int:
    """0 for no grade, 1..5 for 1A..5A."""
    return GRADES.index(grade) + 1 if grade in GRADES else 0


# Wuhou District's 13 sub-districts (街道) of 2014, from public records (DOMAIN.md).
DEFAULT_STREETS: tuple[str, ...] = (
    "浆洗街街道", "望江路街道", "玉林街道", "跳伞塔街道", "火车南站街道", "芳草街街道", "红牌楼街道",
    "簇桥街道", "机投桥街道", "金花桥街道", "簇锦街道", "晋阳街道", "华兴街道",
)
# The source does not name the five purchasing departments; these are plausible district bureaus.
DEFAULT_DEPARTMENTS: tuple[str, ...] = (
    "区民政局", "区司法局", "区人力资源和社会保障局", "区文化体育局", "区卫生和计划生育局",
)


class Purchaser(BaseModel):
    """A sub-district office or a district department buying a service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PurchaserKind
    name: str = Field(min_length=1, max_length=100)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


class Rejection(BaseModel):
    """Common body of every `*.rejected` event."""

    errors: list[FieldError]


__all__ = [
    "CATEGORIES", "DEFAULT_DEPARTMENTS", "DEFAULT_STREETS", "GRADES", "Category", "Fen", "FieldError",
    "GradeCode", "Purchaser", "PurchaserKind", "Rejection", "grade_rank",
]
