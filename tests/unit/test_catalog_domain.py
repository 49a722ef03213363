"""The catalog's rules, against the pure domain: no broker, no database."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from services.catalog import domain
from services.catalog.domain import District, Project, advance, note_award, project_id_for, read_proposal
from shared.contracts.catalog import PROJECT_REJECTED, ProjectWithdrawn
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS, Purchaser
from shared.intake import read_intake
from shared.outcome import Emit

DISTRICT = District(DEFAULT_STREETS, DEFAULT_DEPARTMENTS)


def propose(data: dict[str, Any], district: District, existing: Project | None) -> tuple[Project | None, Emit]:
    """The proposal read as the handler reads it, then decided."""
    read = read_proposal(data, district)
    return (None, read) if isinstance(read, Emit) else domain.propose(read, existing)


def validate_proposal(data: dict[str, Any], district: District) -> object:
    read = read_proposal(data, district)
    return read.data["errors"] if isinstance(read, Emit) else read


def withdraw(data: dict[str, Any], project: Project | None) -> tuple[Project | None, Emit]:
    read = read_intake(ProjectWithdrawn, data, rejected=PROJECT_REJECTED, echo=("project_id",))
    return (None, read) if isinstance(read, Emit) else domain.withdraw(read, project)


def proposal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project_ref": "2015-1-007", "batch": "2015-1", "title": "相亲沙龙", "category": "其他社区服务",
        "service_class": "public_welfare", "purchaser": {"kind": "street", "name": "望江路街道"},
        "budget_fen": 12_000_000, "content": "为辖区内单身人士扩大交友机会、提供择偶平台",
        "period": {"start": "2015-01-01", "end": "2015-12-31"},
    }
    data.update(changes)
    return data


def fields(outcome: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in outcome.data["errors"]}


def published(**changes: Any) -> Project:
    project, _ = propose(proposal(**changes), DISTRICT, None)
    assert project is not None
    return project


def test_a_valid_proposal_is_published_with_a_stable_project_id() -> None:
    project, outcome = propose(proposal(), DISTRICT, None)
    assert outcome.type == "catalog.project.published"
    assert project is not None and project.status == "published" and project.version == 1
    assert outcome.data["project_id"] == project_id_for(Purchaser(kind="street", name="望江路街道"), "2015-1-007")
    assert outcome.data["budget_fen"] == 12_000_000 and outcome.data["min_grade"] is None


@pytest.mark.parametrize("missing", ["title", "content"])
def test_a_missing_title_or_content_is_named(missing: str) -> None:
    data = proposal()
    del data[missing]
    _, outcome = propose(data, DISTRICT, None)
    assert outcome.type == "catalog.project.rejected"
    assert fields(outcome) == {missing: "is required"}


def test_a_blank_title_is_refused() -> None:
    _, outcome = propose(proposal(title="   "), DISTRICT, None)
    assert "title" in fields(outcome)


def test_a_category_outside_the_nine_is_refused_listing_them() -> None:
    _, outcome = propose(proposal(category="园林绿化"), DISTRICT, None)
    assert "助老" in fields(outcome)["category"]


@pytest.mark.parametrize("budget", [0, -1, 1.5, "1000", True, None, 10**15])
def test_a_budget_that_is_not_a_positive_integer_of_fen_is_refused(budget: Any) -> None:
    _, outcome = propose(proposal(budget_fen=budget), DISTRICT, None)
    assert list(fields(outcome)) == ["budget_fen"]


def test_a_purchaser_kind_other_than_street_or_department_is_refused() -> None:
    _, outcome = propose(proposal(purchaser={"kind": "company", "name": "望江路街道"}), DISTRICT, None)
    assert list(fields(outcome)) == ["purchaser.kind"]


@pytest.mark.parametrize(
    ("kind", "name"), [("street", "火星街道"), ("department", "望江路街道"), ("street", "区民政局")]
)
def test_a_purchaser_the_district_does_not_have_is_refused(kind: str, name: str) -> None:
    _, outcome = propose(proposal(purchaser={"kind": kind, "name": name}), DISTRICT, None)
    assert "is not one of the district's" in fields(outcome)["purchaser.name"]


def test_the_purchaser_list_is_configurable() -> None:
    small = District(("玉林街道",), ("区民政局",))
    _, outcome = propose(proposal(), small, None)
    assert "1 sub-districts" in fields(outcome)["purchaser.name"]


@pytest.mark.parametrize("grade", ["6A", "3a", "A3", "", 3])
def test_a_malformed_min_grade_is_refused(grade: Any) -> None:
    _, outcome = propose(proposal(min_grade=grade), DISTRICT, None)
    assert list(fields(outcome)) == ["min_grade"]


def test_a_period_ending_before_it_starts_is_refused() -> None:
    _, outcome = propose(proposal(period={"start": "2015-06-01", "end": "2015-05-31"}), DISTRICT, None)
    assert "before it starts" in fields(outcome)["period.end"]


@pytest.mark.parametrize("start", ["0001-01-01", "1949-12-31"])
def test_a_period_starting_before_the_districts_earliest_date_is_refused_naming_the_rule(start: str) -> None:
    _, outcome = propose(proposal(period={"start": start, "end": "1950-06-30"}), DISTRICT, None)
    assert "rule: earliest_date" in fields(outcome)["period.start"] and "1950-01-01" in fields(outcome)["period.start"]


def test_a_district_may_set_its_own_earliest_date() -> None:
    own = District(DEFAULT_STREETS, DEFAULT_DEPARTMENTS, earliest=date(2014, 1, 1))
    _, outcome = propose(proposal(period={"start": "2013-12-31", "end": "2014-12-31"}), own, None)
    assert "2014-01-01" in fields(outcome)["period.start"]
    ok, _ = propose(proposal(period={"start": "2014-01-01", "end": "2014-12-31"}), own, None)
    assert ok is not None


def test_a_term_of_exactly_three_years_is_allowed_and_a_day_more_is_not() -> None:
    ok, _ = propose(proposal(period={"start": "2015-01-01", "end": "2018-01-01"}), DISTRICT, None)
    assert ok is not None
    _, outcome = propose(proposal(period={"start": "2015-01-01", "end": "2018-01-02"}), DISTRICT, None)
    assert "Order 102" in fields(outcome)["period.end"]


def test_a_term_from_a_leap_day_is_measured_to_the_28th() -> None:
    ok = validate_proposal(proposal(period={"start": "2016-02-29", "end": "2019-02-28"}), DISTRICT)
    assert not isinstance(ok, list)
    bad = validate_proposal(proposal(period={"start": "2016-02-29", "end": "2019-03-01"}), DISTRICT)
    assert isinstance(bad, list)


def test_every_bad_field_is_named_in_one_rejection() -> None:
    data = proposal(title="", category="x", budget_fen=-1, min_grade="9A",
                    purchaser={"kind": "street", "name": "火星街道"},
                    period={"start": "2015-02-01", "end": "2015-01-01"})
    del data["content"]
    _, outcome = propose(data, DISTRICT, None)
    assert set(fields(outcome)) == {"title", "content", "category", "budget_fen", "min_grade", "purchaser.name",
                                    "period.end"}
    assert outcome.data["project_ref"] == "2015-1-007"


def test_unknown_fields_are_named_so_a_misspelling_is_not_silently_dropped() -> None:
    _, outcome = propose(proposal(min_grad="3A"), DISTRICT, None)
    assert fields(outcome) == {"min_grad": "is not a known field"}


def test_a_second_proposal_with_the_same_purchaser_and_ref_names_the_existing_project() -> None:
    first = published()
    again, outcome = propose(proposal(title="另一个标题"), DISTRICT, first)
    assert again is None
    assert outcome.type == "catalog.project.rejected"
    assert outcome.data["project_id"] == first.project_id
    assert first.project_id in fields(outcome)["project_ref"]


def test_an_award_moves_a_published_project_to_awarded_once() -> None:
    project = published()
    awarded, outcomes = advance(project, "awarded", "c-1")
    assert awarded.status == "awarded" and awarded.version == 2
    assert outcomes[0].data == {"project_id": project.project_id, "status": "awarded", "previous": "published",
                                "version": 2, "contract_id": "c-1"}
    again, repeat = advance(awarded, "awarded", "c-1")
    assert again == awarded and repeat == []


def test_an_evaluation_moves_an_awarded_project_to_evaluated() -> None:
    awarded, _ = advance(published(), "awarded", "c-1")
    evaluated, outcomes = advance(awarded, "evaluated", "c-1")
    assert evaluated.status == "evaluated" and outcomes[0].data["previous"] == "awarded"


def test_a_late_award_after_the_evaluation_changes_nothing() -> None:
    evaluated, _ = advance(published(), "evaluated", "c-1")
    late, outcomes = advance(evaluated, "awarded", "c-1")
    assert late.status == "evaluated" and outcomes == []


def test_an_event_about_another_contract_does_not_move_the_project() -> None:
    awarded, _ = advance(published(), "awarded", "c-1")
    same, outcomes = advance(awarded, "evaluated", "c-2")
    assert same.status == "awarded" and outcomes == []


def test_a_published_project_can_be_withdrawn_and_then_nothing_moves_it() -> None:
    project = published()
    withdrawn, outcome = withdraw({"project_id": project.project_id, "reason": "budget cut"}, project)
    assert withdrawn is not None and withdrawn.status == "withdrawn"
    assert outcome.data["reason"] == "budget cut" and outcome.data["previous"] == "published"
    same, outcomes = advance(withdrawn, "awarded", "c-1")
    assert same.status == "withdrawn" and outcomes == []


def test_an_awarded_project_cannot_be_withdrawn() -> None:
    awarded, _ = advance(published(), "awarded", "c-1")
    none, outcome = withdraw({"project_id": awarded.project_id, "reason": "x"}, awarded)
    assert none is None and "only a published one" in fields(outcome)["project_id"]


def test_a_project_whose_award_stands_still_stays_published_and_cannot_be_withdrawn() -> None:
    standing = note_award(published(), "a-1", "proposed")
    assert standing.status == "published" and standing.pending_award == "a-1"
    none, outcome = withdraw({"project_id": standing.project_id, "reason": "x"}, standing)
    assert none is None and fields(outcome)["project_id"] == (
        "award a-1 of the project stands still and may still become its contract; the project can be withdrawn "
        "only if that award is cancelled (rule: award_pending)")


def test_once_its_award_is_cancelled_the_project_is_on_offer_again_and_may_be_withdrawn() -> None:
    cancelled = note_award(note_award(published(), "a-1", "proposed"), "a-1", "cancelled")
    assert cancelled.status == "published" and cancelled.pending_award is None
    withdrawn, _ = withdraw({"project_id": cancelled.project_id, "reason": "x"}, cancelled)
    assert withdrawn is not None and withdrawn.status == "withdrawn"


def test_an_award_heard_of_late_cannot_bring_back_one_already_cancelled_or_final() -> None:
    cancelled = note_award(published(), "a-1", "cancelled")
    assert note_award(cancelled, "a-1", "proposed") is cancelled
    final, _ = advance(note_award(published(), "a-2", "proposed"), "awarded", "c-1", award_id="a-2")
    assert final.pending_award is None and note_award(final, "a-2", "proposed") is final


def test_withdrawing_an_unknown_project_is_refused() -> None:
    none, outcome = withdraw({"project_id": "nope", "reason": "x"}, None)
    assert none is None and fields(outcome) == {"project_id": "no project nope in the catalog"}


def test_the_proposal_is_not_changed_by_validation() -> None:
    data = proposal()
    before = copy.deepcopy(data)
    propose(data, DISTRICT, None)
    assert data == before and date.fromisoformat(data["period"]["start"]) == date(2015, 1, 1)


def test_an_evaluation_before_its_award_gives_the_same_version_as_the_usual_order() -> None:
    in_order, _ = advance(advance(published(), "awarded", "c-1")[0], "evaluated", "c-1")
    out_of_order, _ = advance(advance(published(), "evaluated", "c-1")[0], "awarded", "c-1")
    assert in_order.version == out_of_order.version == 3
