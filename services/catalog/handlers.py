"""The catalog's subscribers: proposals and withdrawals from outside, awards and evaluations from other services.

Each reads its input (the kernel's `intake`/`reads`), loads what the decision needs, lets `domain` decide, and
keeps the outcome; the kernel runs it in one transaction with the inbox claim and the outbox events.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.catalog.domain import (
    AwardState,
    District,
    Proposal,
    advance,
    note_award,
    project_id_for,
    propose,
    withdraw,
)
from services.catalog.projections import AwardRef, ContractAwardedRef, ContractEvaluatedRef
from services.catalog.store import ProjectStore
from shared.consumer import Unprocessable
from shared.contracts import catalog as events
from shared.contracts.catalog import ProjectStatus, ProjectWithdrawn
from shared.contracts.common import Purchaser
from shared.contracts.evaluation import CONTRACT_EVALUATED
from shared.contracts.matching import AWARD_CANCELLED, AWARD_PROPOSED, CONTRACT_AWARDED
from shared.i18n import _
from shared.subscriptions import LooksUp, Subscriptions, by_id
from shared.unit_of_work import Transaction


@dataclass(frozen=True)
class Catalog:
    """What the catalog's handlers need: its store and the district's purchasers."""

    store: ProjectStore
    district: District


subscriptions = Subscriptions[Catalog]()
# The project an event names by project_id, read with the batch's (`shared.subscriptions.LooksUp`).
PROJECT: LooksUp[Catalog] = by_id(lambda catalog: catalog.store.projects, "project_id")


@subscriptions.intake(events.PROJECT_PROPOSED, Proposal, rejects=events.PROJECT_REJECTED, echo=("project_ref",),
                      context=lambda catalog, tx: {"district": catalog.district}, document=events.ProjectProposed,
                      looks_up=lambda data, catalog: [(catalog.store.projects, project_id_for(
                          Purchaser.model_validate(data["purchaser"]), str(data["project_ref"])))],
                      description="A purchaser proposes a project: published, or rejected naming every bad field.")
async def project_proposed(proposal: Proposal, tx: Transaction, catalog: Catalog) -> None:
    existing = await catalog.store.get(project_id_for(proposal.purchaser, proposal.project_ref), tx)
    project, outcome = propose(proposal, existing)
    if project is not None:
        catalog.store.insert(project, tx)
    tx.emit(outcome)


@subscriptions.intake(events.PROJECT_WITHDRAWN, ProjectWithdrawn, rejects=events.PROJECT_REJECTED,
                      echo=("project_id",), looks_up=PROJECT,
                      description="A purchaser withdraws a published project that is not yet awarded.")
async def project_withdrawn(request: ProjectWithdrawn, tx: Transaction, catalog: Catalog) -> None:
    project, outcome = withdraw(request, await catalog.store.get(request.project_id, tx))
    if project is not None:
        catalog.store.save(project, tx)
    tx.emit(outcome)


@subscriptions.reads(AWARD_PROPOSED, AwardRef, looks_up=PROJECT,
                     description="An award standing still: its project stays published but cannot be withdrawn.")
async def award_proposed(award: AwardRef, tx: Transaction, catalog: Catalog) -> None:
    await _note(award, "proposed", tx, catalog)


@subscriptions.reads(AWARD_CANCELLED, AwardRef, looks_up=PROJECT,
                     description="A cancelled award: its project is on offer again (and may be withdrawn).")
async def award_cancelled(award: AwardRef, tx: Transaction, catalog: Catalog) -> None:
    await _note(award, "cancelled", tx, catalog)


async def _note(award: AwardRef, state: AwardState, tx: Transaction, catalog: Catalog) -> None:
    project = await catalog.store.get(award.project_id, tx)
    if project is None:
        raise Unprocessable(_("no project {project_id} in the catalog").format(project_id=award.project_id))
    noted = note_award(project, award.award_id, state)
    if noted is not project:
        catalog.store.save(noted, tx)


@subscriptions.reads(CONTRACT_AWARDED, ContractAwardedRef, looks_up=PROJECT,
                     description="A final award (after its standstill) moves its project to `awarded`.")
async def contract_awarded(award: ContractAwardedRef, tx: Transaction, catalog: Catalog) -> None:
    await _move(award.project_id, "awarded", award.contract_id, tx, catalog, award.award_id)


@subscriptions.reads(CONTRACT_EVALUATED, ContractEvaluatedRef, looks_up=PROJECT,
                     description="An evaluation moves its project to `evaluated`.")
async def contract_evaluated(evaluation: ContractEvaluatedRef, tx: Transaction, catalog: Catalog) -> None:
    await _move(evaluation.project_id, "evaluated", evaluation.contract_id, tx, catalog)


async def _move(project_id: str, status: ProjectStatus, contract_id: str, tx: Transaction, catalog: Catalog,
                award_id: str | None = None) -> None:
    project = await catalog.store.get(project_id, tx)
    if project is None:
        raise Unprocessable(_("no project {project_id} in the catalog").format(project_id=project_id))
    moved, outcomes = advance(project, status, contract_id, award_id)
    if moved is not project:
        catalog.store.save(moved, tx)
    tx.emit(*outcomes)


subscriptions.publishes(events.PROJECT_PUBLISHED, events.ProjectPublished, "A proposal became a project.")
subscriptions.publishes(events.PROJECT_REJECTED, events.ProjectRejected, "A proposal or withdrawal was refused.")
subscriptions.publishes(events.PROJECT_STATUS_CHANGED, events.ProjectStatusChanged,
                        "A project moved along its lifecycle.")
