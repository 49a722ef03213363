"""The catalog's handlers against an in-memory store: what is loaded, kept and announced for each event."""

from __future__ import annotations

from typing import Any

import pytest

from services.catalog.domain import District, Project
from services.catalog.handlers import Catalog, subscriptions
from shared.consumer import Unprocessable
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.unit_of_work import Transaction
from tests.handlers.support import deliver


class InMemoryProjects:
    """The catalog's store, in a dict."""

    def __init__(self) -> None:
        self.projects: dict[str, Project] = {}

    async def get(self, project_id: str, reader: Any = None) -> Project | None:
        return self.projects.get(project_id)

    def insert(self, project: Project, tx: Transaction) -> None:
        assert project.project_id not in self.projects
        self.projects[project.project_id] = project

    def save(self, project: Project, tx: Transaction) -> None:
        self.projects[project.project_id] = project


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(InMemoryProjects(), District(DEFAULT_STREETS, DEFAULT_DEPARTMENTS))  # type: ignore[arg-type]


def proposal(**changes: Any) -> dict[str, Any]:
    return {"project_ref": "2015-1-007", "batch": "2015-1", "title": "相亲沙龙", "category": "其他社区服务",
            "service_class": "public_welfare", "purchaser": {"kind": "street", "name": "望江路街道"},
            "budget_fen": 12_000_000, "content": "为辖区内单身人士扩大交友机会",
            "period": {"start": "2015-01-01", "end": "2015-12-31"}} | changes


async def publish(catalog: Catalog, **changes: Any) -> str:
    emitted = await deliver(subscriptions, catalog, "intake.project.proposed", proposal(**changes))
    return str(emitted.one("catalog.project.published")["project_id"])


async def test_a_proposal_is_kept_and_published(catalog: Catalog) -> None:
    project_id = await publish(catalog)
    assert (await catalog.store.get(project_id)) is not None


async def test_the_same_purchaser_and_ref_again_is_refused_and_the_first_project_is_unchanged(catalog: Catalog) -> None:
    project_id = await publish(catalog)
    emitted = await deliver(subscriptions, catalog, "intake.project.proposed", proposal(title="另一个"))
    assert project_id in emitted.errors()["project_ref"]
    kept = await catalog.store.get(project_id)
    assert kept is not None and kept.proposal.title == "相亲沙龙"


async def test_an_invalid_proposal_keeps_nothing(catalog: Catalog) -> None:
    emitted = await deliver(subscriptions, catalog, "intake.project.proposed", proposal(budget_fen=0))
    assert list(emitted.errors()) == ["budget_fen"]
    assert catalog.store.projects == {}  # type: ignore[attr-defined]


async def test_an_award_moves_the_project_and_a_repeat_announces_nothing(catalog: Catalog) -> None:
    project_id = await publish(catalog)
    award = {"contract_id": "c-1", "project_id": project_id, "org_id": "o-1"}
    first = await deliver(subscriptions, catalog, "matching.contract.awarded", award)
    assert first.one("catalog.project.status_changed")["status"] == "awarded"
    assert await deliver(subscriptions, catalog, "matching.contract.awarded", award) == []


async def test_an_award_of_a_project_the_catalog_does_not_have_is_unprocessable(catalog: Catalog) -> None:
    with pytest.raises(Unprocessable, match="no project"):
        await deliver(subscriptions, catalog, "matching.contract.awarded",
                      {"contract_id": "c-1", "project_id": "nope", "org_id": "o-1"})


async def test_an_award_that_breaks_the_contract_is_unprocessable(catalog: Catalog) -> None:
    with pytest.raises(Unprocessable, match="project_id"):
        await deliver(subscriptions, catalog, "matching.contract.awarded", {"contract_id": "c-1"})


async def test_a_withdrawal_after_the_award_is_refused_and_the_project_stays_awarded(catalog: Catalog) -> None:
    project_id = await publish(catalog)
    await deliver(subscriptions, catalog, "matching.contract.awarded",
                  {"contract_id": "c-1", "project_id": project_id, "org_id": "o-1"})
    emitted = await deliver(subscriptions, catalog, "intake.project.withdrawn",
                            {"project_id": project_id, "reason": "budget cut"})
    assert "only a published one" in emitted.errors()["project_id"]
    kept = await catalog.store.get(project_id)
    assert kept is not None and kept.status == "awarded"


async def test_a_project_whose_award_stands_still_cannot_be_withdrawn_until_the_award_is_cancelled(
    catalog: Catalog,
) -> None:
    project_id = await publish(catalog)
    award = {"award_id": "a-1", "project_id": project_id, "org_id": "o-1", "standstill_ends": "2015-03-11"}
    assert await deliver(subscriptions, catalog, "matching.award.proposed", award) == []
    withdrawal = {"project_id": project_id, "reason": "budget cut"}
    refused = await deliver(subscriptions, catalog, "intake.project.withdrawn", withdrawal)
    assert "(rule: award_pending)" in refused.errors()["project_id"]
    kept = await catalog.store.get(project_id)
    assert kept is not None and (kept.status, kept.pending_award) == ("published", "a-1")
    assert await deliver(subscriptions, catalog, "matching.award.cancelled", {**award, "reason": "upheld"}) == []
    withdrawn = await deliver(subscriptions, catalog, "intake.project.withdrawn", withdrawal)
    assert withdrawn.one("catalog.project.status_changed")["status"] == "withdrawn"


async def test_the_final_award_moves_the_project_to_awarded_and_settles_the_award(catalog: Catalog) -> None:
    project_id = await publish(catalog)
    await deliver(subscriptions, catalog, "matching.award.proposed", {"award_id": "a-1", "project_id": project_id})
    moved = await deliver(subscriptions, catalog, "matching.contract.awarded",
                          {"award_id": "a-1", "contract_id": "c-1", "project_id": project_id, "org_id": "o-1"})
    assert moved.one("catalog.project.status_changed")["status"] == "awarded"
    kept = await catalog.store.get(project_id)
    assert kept is not None and kept.pending_award is None and kept.contract_id == "c-1"
