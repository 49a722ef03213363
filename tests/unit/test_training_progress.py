"""Progress toward the 1,150-person target: people (registration's person_id) counted once, leaders and finance
staff by default, by audience and by street, and its table."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from services.training_grading.cli import progress_table
from services.training_grading.domain.progress import UNKNOWN_STREET, TrainingProgress, progress
from services.training_grading.domain.training import Enrolment
from services.training_grading.projections import OrganizationView
from shared.contracts.training import Audience
from shared.tables import render

ORGS = {
    "org-yulin": OrganizationView(
        org_id="org-yulin", street="玉林街道", status="active", registered_on=date(2010, 1, 1), version=1
    ),
    "org-cuqiao": OrganizationView(
        org_id="org-cuqiao", street="簇桥街道", status="suspended", registered_on=date(2011, 1, 1), version=3
    ),
}


def render_progress(report: TrainingProgress) -> str:
    """The table `make training-progress` prints, from the report as `GET /progress` answers it."""
    return render(progress_table(report.model_dump(mode="json")))


def completion(person: str, org_id: str, audience: Audience, completed: bool = True) -> Enrolment:
    """`person`'s enrolment on a course for `audience` (their role, as registration has it)."""
    return Enrolment(
        enrolment_id=uuid.uuid4(), course_id=uuid.uuid4(), course_ref=f"TR-{audience}", audience=audience,
        sessions=1, org_id=org_id, person_id=uuid.uuid5(uuid.NAMESPACE_OID, person), person_role=audience, seat_no=1,
        attended=(1,) if completed else (), completed_on=date(2015, 12, 1) if completed else None,
    )


def test_people_are_counted_by_audience_and_by_their_organizations_street() -> None:
    enrolments = [
        completion("a", "org-yulin", "leader"),
        completion("b", "org-yulin", "finance"),
        completion("c", "org-cuqiao", "finance"),
        completion("d", "org-cuqiao", "social_worker", completed=False),
    ]
    report = progress(enrolments, ORGS, target=10)
    assert report.people_completed == 3
    assert report.percent_of_target == Decimal("30.0")
    assert report.by_audience == {"leader": 1, "finance": 2, "social_worker": 0}
    assert report.by_street["玉林街道"] == 2
    assert report.by_street["簇桥街道"] == 1
    assert report.by_street["浆洗街街道"] == 0


def test_a_person_with_two_courses_counts_once_in_the_total() -> None:
    report = progress(
        [completion("a", "org-yulin", "finance"), completion("a", "org-yulin", "finance")], ORGS, target=1150
    )
    assert report.people_completed == 1
    assert report.by_audience == {"leader": 0, "finance": 1, "social_worker": 0}
    assert report.by_street["玉林街道"] == 1


def test_social_workers_are_shown_but_not_counted_toward_the_leaders_and_finance_target() -> None:
    # Issue 13: the target counted social workers too, though the source's is leaders and finance staff.
    report = progress([completion("a", "org-yulin", "leader"), completion("s", "org-yulin", "social_worker")], ORGS,
                      target=10)
    assert (report.people_completed, report.not_counted, report.counted_roles) == (1, 1, ["leader", "finance"])
    assert report.by_audience["social_worker"] == 1 and report.by_street["玉林街道"] == 1


def test_the_roles_counted_toward_the_target_are_the_districts_setting() -> None:
    done = [completion("a", "org-yulin", "leader"), completion("s", "org-yulin", "social_worker")]
    report = progress(done, ORGS, target=10, roles=("leader", "finance", "social_worker"))
    assert (report.people_completed, report.not_counted) == (2, 0)
    with pytest.raises(ValueError, match="at least one role"):
        progress(done, ORGS, roles=())


def test_an_organization_not_yet_known_counts_under_street_unknown() -> None:
    report = progress([completion("x", "org-new", "leader")], ORGS)
    assert report.by_street[UNKNOWN_STREET] == 1


def test_the_percentage_is_of_the_default_target_of_1150_rounded_to_a_tenth() -> None:
    people = [completion(str(i), "org-yulin", "leader") for i in range(575)]
    report = progress(people, ORGS)
    assert report.target == 1150
    assert report.percent_of_target == Decimal("50.0")
    assert progress(people[:1], ORGS).percent_of_target == Decimal("0.1")


def test_a_target_below_one_person_is_a_configuration_fault() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        progress([], ORGS, target=0)


def test_the_table_shows_target_completion_audiences_and_streets_aligned() -> None:
    table = render_progress(progress([completion("a", "org-yulin", "finance")], ORGS, target=1150))
    lines = table.splitlines()
    assert "1,150 people" in table
    assert "1 people (0.1%)" in table
    finance = next(line for line in lines if line.startswith("finance"))
    yulin = next(line for line in lines if line.startswith("玉林街道"))
    # 玉林街道 is four wide characters, eight columns: the numbers still start in the same column.
    assert finance.split()[-1] == "1"
    assert yulin.split()[-1] == "1"
    assert len(finance) == len(yulin) + 4
