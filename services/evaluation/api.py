"""Evaluation's read-only queries: contracts under delivery (filtered, paginated), one contract with its plan,
reports and reviews, tranches and payments, alerts, evaluation and appeal, and the monitoring overview
`make evaluation-report` prints.

Evaluation keeps no personal data: organizations are named by their `org_id`, residents only as counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Query
from pydantic import BaseModel

from services.evaluation.domain.contract import Measures, MilestoneReport, MonitoredContract
from services.evaluation.domain.monitoring import Overview, overview
from services.evaluation.domain.plan import payment_plan
from services.evaluation.store import ContractStore
from shared.api import Page, PageOf, not_found, page, read_api
from shared.contracts.common import Category
from shared.contracts.evaluation import Figure, Rating, Tranche
from shared.i18n import _

Text = Annotated[str | None, Query(min_length=1, max_length=200)]
State = Literal["under_monitoring", "evaluated"]


class ReportView(MilestoneReport):
    """A milestone report as received and judged, with the purchaser's review once made; its figures travel as
    JSON numbers."""

    indicators: dict[str, Figure]
    achievement: Figure


class MeasuresView(Measures):
    indicators: Figure
    satisfaction: Figure
    timeliness: Figure


class Money(BaseModel):
    """A contract's money so far: released + withheld + still due = its amount."""

    released_fen: int
    withheld_fen: int
    due_fen: int


class ContractView(MonitoredContract):
    """A contract under delivery: its plan (milestones with due dates and status, tranches), its reports and
    reviews, the money decided per tranche (released + withheld + still due = the amount), its overdue alerts,
    and its evaluation and appeal."""

    state: State
    payment_plan: list[Tranche]
    reports: tuple[ReportView, ...] = ()
    measures: MeasuresView | None = None
    money: Money


def view(contract: MonitoredContract) -> ContractView:
    state = "evaluated" if contract.evaluation is not None else "under_monitoring"
    money = Money(released_fen=contract.fen("released"), withheld_fen=contract.fen("withheld"),
                  due_fen=contract.due_fen)
    return ContractView.model_validate({**contract.model_dump(), "state": state, "money": money,
                                        "payment_plan": payment_plan(contract)})


def build_api(store: ContractStore, today: Callable[[], date]) -> FastAPI:
    api = read_api("evaluation", "Contracts under delivery: their milestones, reports, payments and evaluations, "
                                 "and the monitoring overview.")

    @api.get("/contracts", response_model=PageOf[ContractView], summary="Contracts, filtered and paginated")
    async def contracts(
        at: Annotated[Page, Depends(page)], org_id: Text = None, project_id: Text = None,
        category: Category | None = None, street: Text = None,
        state: Annotated[State | None, Query(description="under monitoring, or evaluated")] = None,
        rating: Rating | None = None,
    ) -> PageOf[ContractView]:
        query: dict[str, Any] = {"org_id": org_id, "project_id": project_id, "category": category,
                                 "street": street, "evaluation.rating": rating}
        query = {k: v for k, v in query.items() if v is not None}
        if state is not None:
            query["evaluation"] = None if state == "under_monitoring" else {"$ne": None}
        found, total = await store.search(query, limit=at.limit, offset=at.offset)
        return PageOf[ContractView](items=[view(c) for c in found], total=total, limit=at.limit, offset=at.offset)

    @api.get("/contracts/{contract_id}", response_model=ContractView, summary="One contract",
             responses={404: {"description": "no such contract under monitoring"}})
    async def contract(contract_id: Annotated[str, Path(max_length=200)]) -> ContractView:
        found = await store.get(contract_id)
        if found is None:
            raise not_found(_("no contract {contract_id} is under monitoring").format(contract_id=contract_id))
        return view(found)

    @api.get("/overview", response_model=Overview,
             summary="Overdue milestones, money per contract, category and purchaser, monitoring, ratings")
    async def monitoring_overview(
        on: Annotated[date | None, Query(alias="today", description="the day overdue milestones are counted to "
                                                                     "(default: the district's today)")] = None,
    ) -> Overview:
        return overview(await store.all(), on or today())

    return api
