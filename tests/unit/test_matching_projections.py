"""Matching's copies of other contexts' entities: stale and repeated events change nothing, any order converges."""

from __future__ import annotations

import itertools
from datetime import date
from functools import reduce
from typing import Any

from services.matching.projections import (
    CourseCompletion,
    EvaluationRecord,
    GradeExpiry,
    ProjectState,
    ProjectStatusChange,
    ProjectView,
    TrainingRecord,
    apply_contract_evaluated,
    apply_course_completed,
    apply_grade_assigned,
    apply_grade_expired,
    apply_organization,
    apply_project_published,
    apply_project_status_changed,
    count_active_contracts,
    known_project,
)
from tests.unit.matching_examples import evaluation, grade, organization, project


def test_a_newer_organization_state_replaces_the_older_and_a_stale_one_is_ignored() -> None:
    registered = organization(version=1)
    suspended = organization(status="suspended", version=2)
    state = apply_organization(apply_organization(None, registered), suspended)
    assert state.status == "suspended"
    assert apply_organization(state, registered) is state
    assert apply_organization(state, suspended) is state


def test_organization_events_in_any_order_end_in_the_newest_state() -> None:
    events = [organization(version=1), organization(status="suspended", version=2), organization(version=3)]
    for order in itertools.permutations(events):
        final = reduce(apply_organization, order, None)
        assert final is not None and final.version == 3 and final.status == "active"


def test_a_status_change_moves_the_project_and_a_repeat_changes_nothing() -> None:
    state = apply_project_published(None, project())
    awarded = ProjectStatusChange(project_id="p-1", status="awarded", version=2)
    state = apply_project_status_changed(state, awarded)
    assert state.status == "awarded" and state.version == 2
    assert apply_project_status_changed(state, awarded) is state
    assert apply_project_published(state, project()) is state


def test_a_status_change_seen_before_its_project_survives_the_late_publication() -> None:
    published = project()
    changes: list[ProjectView | ProjectStatusChange] = [
        ProjectStatusChange(project_id="p-1", status="awarded", version=2),
        ProjectStatusChange(project_id="p-1", status="evaluated", version=3),
    ]
    finals = set()
    for order in itertools.permutations([published, *changes]):
        state: ProjectState | None = None
        for event in order:
            state = (apply_project_published(state, event) if isinstance(event, ProjectView)
                     else apply_project_status_changed(state, event))
        seen = known_project(state)
        assert seen is not None
        finals.add((seen.status, seen.version, seen.title))
    assert finals == {("evaluated", 3, published.title)}


def test_a_project_known_only_by_a_status_change_is_not_yet_a_project() -> None:
    pending = apply_project_status_changed(None, ProjectStatusChange(project_id="p-1", status="withdrawn", version=2))
    assert known_project(pending) is None


def test_an_expired_grade_replaces_the_assigned_one_and_the_late_assignment_is_stale() -> None:
    assigned = grade(version=1)
    expiry = GradeExpiry(org_id="o-1", grade="4A", valid_until=date(2026, 1, 1), version=2)
    for first, second in ((assigned, expiry), (expiry, assigned)):
        state = None
        for event in (first, second):
            state = (apply_grade_expired(state, event) if isinstance(event, GradeExpiry)
                     else apply_grade_assigned(state, event))
        assert state is not None and state.expired and state.held_on(date(2025, 6, 1)) is None


def test_a_grade_counts_until_its_validity_ends() -> None:
    held = grade(valid_until=date(2026, 1, 1))
    assert held.held_on(date(2025, 12, 31)) == "4A"
    assert held.held_on(date(2026, 1, 1)) == "4A"


def test_a_grade_lapses_the_day_after_its_valid_until_day() -> None:
    assert grade(valid_until=date(2026, 1, 1)).held_on(date(2026, 1, 2)) is None


def _completed(enrolment_id: str, audience: Any = "finance") -> CourseCompletion:
    return CourseCompletion(enrolment_id=enrolment_id, org_id="o-1", audience=audience)


def test_finance_completions_are_counted_once_each_and_other_audiences_not_at_all() -> None:
    events = [_completed("e-1"), _completed("e-2"), _completed("e-1"), _completed("e-3", "leader")]
    record: TrainingRecord | None = None
    for event in events:
        record = apply_course_completed(record, event)
    assert record is not None and record.finance_completions == 2
    assert apply_course_completed(record, _completed("e-2")) is record


def test_finance_completions_converge_whatever_the_order() -> None:
    events = [_completed("e-1"), _completed("e-2"), _completed("e-3")]
    finals = {reduce(apply_course_completed, order, None) for order in itertools.permutations(events)}
    assert len(finals) == 1 and finals.pop().finance_completions == 3  # type: ignore[union-attr]


def test_evaluations_are_kept_one_per_contract_oldest_first_in_any_order() -> None:
    results = [evaluation(date(2025, 5, 1), contract_id="c-2"), evaluation(date(2024, 5, 1), contract_id="c-1"),
               evaluation(date(2025, 5, 1), contract_id="c-2")]
    finals: set[EvaluationRecord] = set()
    for order in itertools.permutations(results):
        record: EvaluationRecord | None = None
        for result in order:
            record = apply_contract_evaluated(record, result)
        assert record is not None
        finals.add(record)
    assert [r.contract_id for r in finals.pop().results] == ["c-1", "c-2"] and not finals


def test_a_re_evaluation_with_a_newer_version_replaces_the_contracts_result() -> None:
    first = evaluation(date(2025, 5, 1), rating="fail", score=50)
    again = first.model_copy(update={"rating": "pass", "score": 65.0, "version": 2})
    record = apply_contract_evaluated(apply_contract_evaluated(None, first), again)
    assert [(r.rating, r.score) for r in record.results] == [("pass", 65.0)]
    assert apply_contract_evaluated(record, first) is record


def test_active_contracts_are_the_awarded_ones_not_yet_evaluated() -> None:
    record = apply_contract_evaluated(None, evaluation(date(2025, 5, 1), contract_id="c-1"))
    assert count_active_contracts(["c-1", "c-2", "c-3", "c-2"], record) == 2
    assert count_active_contracts(["c-1"], None) == 1

