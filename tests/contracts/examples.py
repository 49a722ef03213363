"""One example of every event another service reads, built with its producer's own model (`shared.contracts`) and
dumped to JSON as the producer's outbox publishes it. The consumers' contract tests read these."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from shared.contracts.catalog import Period, ProjectPublished, ProjectStatusChanged
from shared.contracts.common import Purchaser
from shared.contracts.evaluation import ContractEvaluated, Measure
from shared.contracts.grading import GradeAssigned, GradeExpired
from shared.contracts.matching import AwardCancelled, AwardProposed, ContractAwarded, FitFactor
from shared.contracts.registration import (
    OrganizationRegistered,
    OrganizationReinstated,
    OrganizationSuspended,
    OrganizationUpdated,
    PersonAdded,
)
from shared.contracts.training import CourseCompleted

ORG_ID = UUID("6a1f4a8e-6d0c-4f8e-9b1e-2f5d7c3a9e01")
PERSON_ID = UUID("0c5e2f7a-3b1d-5a9e-8f42-6d7c1b0e9a33")
PROJECT_ID = "3f0c2b7a-0a51-5d1e-9e55-0f7f0f8d2c11"
PURCHASER = Purchaser(kind="street", name="望江路街道")
PERIOD = Period(start=date(2015, 1, 1), end=date(2015, 12, 31))
SCORES = {"basic_conditions": 80, "internal_governance": 300, "performance": 350, "social_evaluation": 120}
MEASURE = Measure(measure=Decimal(80), weight=Decimal(50), points=Decimal(40))

_ORGANIZATION: dict[str, Any] = {
    "org_id": ORG_ID, "uscc": "51510107MJ0000000X", "name": "成都市武侯区望江社工服务中心",
    "legal_form": "social_group",
    "street": "望江路街道", "community": "望江楼社区", "domains": ["助老"], "full_time_staff": 6,
    "founded_on": date(2010, 1, 1), "registered_on": date(2014, 11, 1), "status": "active", "version": 1,
}

_AWARD: dict[str, Any] = {
    "award_id": "a-1", "contract_id": "c-1", "fair_id": "f-1", "project_id": PROJECT_ID, "org_id": str(ORG_ID),
    "amount_fen": 11_400_000, "budget_fen": 12_000_000, "fit_score": 81.5, "price_points": 1.0, "value_score": 82.5,
    "breakdown": {"domain": FitFactor(weight=30, value=1.0, points=30.0)}, "title": "老年人日间照料",
    "category": "助老", "purchaser": PURCHASER, "org_street": "望江路街道", "org_community": "望江楼社区",
    "period": PERIOD,
}

PUBLISHED: dict[str, BaseModel] = {
    "catalog.project.published": ProjectPublished(
        project_id=PROJECT_ID, project_ref="2015-1-007", batch="2015-1", title="老年人日间照料", category="助老",
        service_class="public_welfare", purchaser=PURCHASER, community="望江楼社区", budget_fen=12_000_000,
        content="为辖区老人提供日间照料", requirements=None, standards=None, min_grade="3A", period=PERIOD,
        status="published", version=1),
    "catalog.project.status_changed": ProjectStatusChanged(
        project_id=PROJECT_ID, status="awarded", previous="published", version=2, contract_id="c-1"),
    "registration.organization.registered": OrganizationRegistered(**_ORGANIZATION),
    "registration.organization.updated": OrganizationUpdated(**(_ORGANIZATION | {"version": 2}),
                                                             changed=["full_time_staff"]),
    "registration.organization.suspended": OrganizationSuspended(
        **(_ORGANIZATION | {"status": "suspended", "version": 3}), reason="年检不合格"),
    "registration.organization.reinstated": OrganizationReinstated(**(_ORGANIZATION | {"version": 4}),
                                                                   reason="整改完成"),
    "registration.person.added": PersonAdded(
        person_id=PERSON_ID, org_id=ORG_ID, person_ref="finance", role="finance", name_masked="张**",
        id_number_masked="**************017X", phone_masked="*******5678", added_on=date(2014, 11, 2), version=1),
    "grading.grade.assigned": GradeAssigned(
        org_id=str(ORG_ID), assessment_id=UUID(int=1), round="2015", grade="3A", total_score=Decimal(850),
        scores=SCORES, assessed_on=date(2015, 1, 1), valid_until=date(2020, 1, 1), version=1),
    "grading.grade.expired": GradeExpired(org_id=str(ORG_ID), assessment_id=UUID(int=1), grade="3A",
                                          valid_until=date(2020, 1, 1), version=2),
    "training.course.completed": CourseCompleted(
        enrolment_id=UUID(int=2), course_id=UUID(int=3), course_ref="fin-1", org_id=str(ORG_ID), person_id=PERSON_ID,
        audience="finance",
        certificate_no="WH-TR-fin-1-0001", completed_on=date(2015, 1, 1)),
    "matching.award.proposed": AwardProposed(
        **_AWARD, proposed_on=date(2015, 3, 2), standstill_ends=date(2015, 3, 11)),
    "matching.award.cancelled": AwardCancelled(
        award_id="a-1", fair_id="f-1", project_id=PROJECT_ID, org_id=str(ORG_ID), reason="complaint upheld",
        cancelled_on=date(2015, 3, 6), complaint_id="k-1"),
    "matching.contract.awarded": ContractAwarded(**_AWARD, awarded_on=date(2015, 3, 12)),
    "evaluation.contract.evaluated": ContractEvaluated(
        contract_id="c-1", project_id=PROJECT_ID, org_id=str(ORG_ID), score=Decimal("85.5"), rating="good",
        breakdown={"indicators": MEASURE, "satisfaction": MEASURE, "timeliness": MEASURE},
        respondents=120, insufficient_sample=False,
        payment_recommendation={"rule": "r", "release": [], "withhold": [], "release_fen": 0, "withhold_fen": 0},
        evaluated_on=date(2016, 1, 1), appeal_until=date(2016, 1, 12), version=1),
}


def as_published(event_type: str) -> dict[str, Any]:
    """The example's `data`, as JSON carries it."""
    data: dict[str, Any] = PUBLISHED[event_type].model_dump(mode="json")
    return data
