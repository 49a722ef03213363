"""Money follows delivery (按效付费): what each milestone's tranche releases and withholds, decided once, in exact fen.

- shares of an amount are split by largest remainder: each share the floor of its exact part, then the fen left
  over go one each to the largest remainders (the earlier share first on a tie), so they add up exactly.
- an interim tranche is decided when the purchaser accepts its milestone's report: met releases all of it,
  partiallyMet the configured share (default 50 %), notMet none; the rest is withheld.
- the final tranche is decided when the evaluation stands (its appeal window passed, or an appeal decided), by the
  rating (`PaymentRules.final_tranche`): by default excellent and good as the final milestone's status releases,
  pass the share of the plan's milestones that were met, fail none of it.
- a tranche is decided at most once: its payments' ids come from the contract, the milestone and the kind, and a
  decision already taken is never taken again, so released + withheld never exceeds the contract amount.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.evaluation.domain.contract import MonitoredContract, Payment, PaymentKind, TrancheDecision
from services.evaluation.domain.rules import PaymentRules
from shared.contracts.evaluation import (
    PAYMENT_RELEASED,
    PAYMENT_WITHHELD,
    MilestoneStatus,
    PaymentLine,
    PaymentRecommendation,
    PaymentReleased,
    PaymentWithheld,
    Rating,
)
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit

PAYMENT_NAMESPACE = uuid.UUID("5d0a8f43-2b6e-4c1d-8e57-9a3f1c6b2d70")


def payment_id_for(contract_id: str, milestone: str, kind: PaymentKind) -> str:
    """The one id a tranche's released (or withheld) money can ever have."""
    return str(uuid.uuid5(PAYMENT_NAMESPACE, f"{contract_id}/{milestone}/{kind}"))


def split_by_shares(amount_fen: int, shares: Sequence[int]) -> list[int]:
    """`amount_fen` split in proportion to `shares` by largest remainder; the parts add up to it exactly."""
    total = sum(shares)
    if total <= 0 or any(s < 0 for s in shares):
        raise ValueError(f"shares must be non-negative with a positive total, got {list(shares)}")
    parts = [amount_fen * s // total for s in shares]
    remainders = sorted(range(len(shares)), key=lambda i: (-(amount_fen * shares[i] % total), i))
    for i in remainders[:amount_fen - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class Split:
    """A tranche's money: released and withheld (together the tranche), and why."""

    released_fen: int
    withheld_fen: int
    reason: str


def _release_pct(tranche_fen: int, pct: int, reason: str) -> Split:
    released, withheld = split_by_shares(tranche_fen, (pct, 100 - pct))
    return Split(released, withheld, reason)


def interim_split(tranche_fen: int, milestone: str, status: MilestoneStatus, rules: PaymentRules) -> Split:
    """What a milestone's status releases of its tranche."""
    if status == "met":
        return _release_pct(tranche_fen, 100, _("milestone {milestone} met: the whole tranche is released").format(
            milestone=label(milestone)))
    if status == "partiallyMet":
        pct = rules.partially_met_release_pct
        reason = _("milestone {milestone} partiallyMet: {pct} % of the tranche is released, the rest "
                   "withheld").format(milestone=label(milestone), pct=pct)
        return _release_pct(tranche_fen, pct, reason)
    return _release_pct(tranche_fen, 0, _("milestone {milestone} {status}: the tranche is withheld").format(
        milestone=label(milestone), status=label(status)))


def final_split(contract: MonitoredContract, rating: Rating, rules: PaymentRules) -> Split:
    """What the final tranche releases under the evaluation's rating."""
    planned = contract.milestones[-1]
    rule = rules.final_tranche[rating]
    if rule == "release":
        return _release_pct(planned.amount_fen, 100, _("rating {rating}: the final tranche is released").format(
            rating=label(rating)))
    if rule == "withhold":
        return _release_pct(planned.amount_fen, 0, _("rating {rating}: the final tranche is withheld").format(
            rating=label(rating)))
    if rule == "milestone":
        split = interim_split(planned.amount_fen, planned.name, contract.status_of(planned.name), rules)
        return Split(split.released_fen, split.withheld_fen, _("rating {rating}; {reason}").format(
            rating=label(rating), reason=split.reason))
    met = sum(1 for m in contract.milestones if contract.status_of(m.name) == "met")
    count = len(contract.milestones)
    released, withheld = split_by_shares(planned.amount_fen, (met, count - met))
    return Split(released, withheld, _("rating {rating}: {met} of {count} milestones met, so {met}/{count} of the "
                                        "final tranche is released, the rest withheld").format(
                                         rating=label(rating), met=met, count=count))


def decide_tranche(contract: MonitoredContract, milestone: str, split: Split, today: date,
                   ) -> tuple[MonitoredContract, tuple[Emit, ...]]:
    """The tranche decided as `split` and announced, payment by payment; a tranche already decided stays as it
    was and nothing is announced."""
    planned = contract.milestone(milestone)
    if planned is None or contract.tranche(milestone) is not None:
        return contract, ()
    if split.released_fen + split.withheld_fen != planned.amount_fen or min(split.released_fen,
                                                                            split.withheld_fen) < 0:
        raise ValueError(f"a split of {split} does not make up the tranche of {planned.amount_fen} fen")
    parts: tuple[tuple[PaymentKind, int], ...] = (("released", split.released_fen), ("withheld", split.withheld_fen))
    payments = tuple(
        Payment(payment_id=payment_id_for(contract.contract_id, milestone, kind), kind=kind, amount_fen=amount)
        for kind, amount in parts if amount > 0)
    decision = TrancheDecision(milestone=milestone, tranche_fen=planned.amount_fen, payments=payments,
                               reason=split.reason, decided_on=today)
    decided = contract.model_copy(update={"tranches": (*contract.tranches, decision)})
    return decided, tuple(_announcement(decided, decision, p) for p in payments)


def _announcement(contract: MonitoredContract, decision: TrancheDecision, payment: Payment) -> Emit:
    common = {"payment_id": payment.payment_id, "contract_id": contract.contract_id,
              "project_id": contract.project_id, "org_id": contract.org_id, "purchaser": contract.purchaser,
              "category": contract.category, "milestone": decision.milestone, "amount_fen": payment.amount_fen,
              "tranche_fen": decision.tranche_fen, "reason": decision.reason}
    if payment.kind == "released":
        released = PaymentReleased(**common, released_on=decision.decided_on)
        return Emit(PAYMENT_RELEASED, released.model_dump(mode="json"))
    withheld = PaymentWithheld(**common, withheld_on=decision.decided_on)
    return Emit(PAYMENT_WITHHELD, withheld.model_dump(mode="json"))


def recommendation(contract: MonitoredContract, rating: Rating, rules: PaymentRules) -> PaymentRecommendation:
    """Every tranche's money: those decided as they were, the final one as the rating will release it."""
    release: list[PaymentLine] = []
    withhold: list[PaymentLine] = []
    for m in contract.milestones:
        decided = contract.tranche(m.name)
        if decided is not None:
            released, withheld, reason = decided.fen("released"), decided.fen("withheld"), decided.reason
        else:
            split = final_split(contract, rating, rules) if m.name == contract.final_milestone else \
                interim_split(m.amount_fen, m.name, contract.status_of(m.name), rules)
            released, withheld, reason = split.released_fen, split.withheld_fen, split.reason
        if released:
            release.append(PaymentLine(milestone=m.name, pct=m.tranche_pct, amount_fen=released, reason=reason))
        if withheld:
            withhold.append(PaymentLine(milestone=m.name, pct=m.tranche_pct, amount_fen=withheld, reason=reason))
    rule = (f"rating {rating}: interim tranches follow their milestones (met all, partiallyMet "
            f"{rules.partially_met_release_pct} %, notMet none); the final tranche: {rules.final_tranche[rating]}")
    return PaymentRecommendation(rule=rule, release=release, withhold=withhold,
                                 release_fen=sum(line.amount_fen for line in release),
                                 withhold_fen=sum(line.amount_fen for line in withhold))
