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
# Wuhou's 83 communities (社区) by sub-district, the source's count: five streets with 7, eight with 6. The source
# names only 黉门街, 晋阳 and 玉林东路 among them; the others are plausible local names placed in plausible streets,
# not a census: a district sets its own (registration's DISTRICT_COMMUNITIES).
DEFAULT_COMMUNITIES: dict[str, tuple[str, ...]] = {
    "浆洗街街道": ("黉门街社区", "洗面桥社区", "锦里社区", "南浦社区", "浆洗街社区", "万寿桥社区", "百花社区"),
    "望江路街道": ("望江楼社区", "新南门社区", "锦官新城社区", "桃蹊社区", "川大路社区", "磨子桥社区", "致民路社区"),
    "玉林街道": ("玉林东路社区", "玉林北路社区", "玉林南路社区", "玉林西路社区", "倪家桥社区", "新南社区",
                 "电信路社区"),
    "跳伞塔街道": ("跳伞塔社区", "紫荆社区", "科华中路社区", "体院社区", "人南四段社区", "领事馆路社区"),
    "火车南站街道": ("桐梓林社区", "火车南站社区", "丽都社区", "天府大道社区", "科华南路社区", "南站西路社区",
                     "高新南社区"),
    "芳草街街道": ("芳草社区", "芳草东街社区", "神仙树社区", "棕南社区", "棕北社区", "科华北路社区"),
    "红牌楼街道": ("红牌楼社区", "佳灵路社区", "太平园社区", "高升桥社区", "长城社区", "广福桥社区", "龙爪社区"),
    "簇桥街道": ("簇桥社区", "七里社区", "锦城社区", "高碑社区", "簇桥东社区", "双和社区"),
    "机投桥街道": ("机投社区", "双凤社区", "白佛社区", "金兴社区", "石兴社区", "清水河社区"),
    "金花桥街道": ("金花社区", "江安河社区", "普惠社区", "金履社区", "红豆社区", "金兴北社区"),
    "簇锦街道": ("簇锦社区", "铁佛社区", "果堰社区", "永兴社区", "天顺社区", "锦绣社区"),
    "晋阳街道": ("晋阳社区", "吉福社区", "双楠社区", "晋吉社区", "清江社区", "盛和社区"),
    "华兴街道": ("华兴社区", "永丰社区", "黄金社区", "武阳社区", "新益州社区", "红星社区"),
}
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
    "CATEGORIES", "DEFAULT_COMMUNITIES", "DEFAULT_DEPARTMENTS", "DEFAULT_STREETS", "GRADES", "Category", "Fen",
    "FieldError", "GradeCode", "Purchaser", "PurchaserKind", "Rejection", "grade_rank",
]
