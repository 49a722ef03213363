"""Money follows delivery, whatever arrives and in whatever order: for any reports, reviews, redeliveries and
appeals, released + withheld never exceeds the contract amount, each tranche is paid at most once, and the same
inputs delivered in any order (each milestone's own history kept in order: a review after its report, a report
again only after the one before was returned; the appeal after the evaluation) give the same payments."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.deadlines import on_day
from shared.contracts.evaluation import PAYMENT_RELEASED, PAYMENT_WITHHELD
from tests.unit.evaluation_examples import (
    EVIDENCE,
    RULES,
    decide_appeal,
    lodge_appeal,
    monitored,
    report,
    review,
    review_report,
    submit_report,
)

START, END = date(2026, 1, 1), date(2026, 12, 31)
REVIEW_DAY = END + timedelta(days=1)  # every review after the last report: the evaluation's day varies little
Step = Callable[[MonitoredContract], Decision]


@dataclass(frozen=True)
class Input:
    """One intake event, as the service would decide it whenever it is delivered."""

    name: str
    decide: Step


def submission(milestone: str, revision: int, achievement: int, received: date, respondents: int) -> Input:
    report_id = f"R-{milestone}-{revision}"
    data = report(milestone, indicators={"a": achievement}, evidence=EVIDENCE,
                  satisfaction={"respondents": respondents, "satisfied": respondents // 2})
    return Input(f"submit {report_id}",
                 lambda c: submit_report(c, data, report_id=report_id, today=received))


def reviewing(milestone: str, revision: int, accepted: bool, day: date, *, stranger: bool = False) -> Input:
    report_id = f"R-{milestone}-{revision}"
    reviewer = {"kind": "department", "name": "区民政局"} if stranger else {"kind": "street", "name": "玉林街道"}
    data = review(report_id, accepted=accepted, reviewer=reviewer)
    review_id = f"V-{report_id}{'-stranger' if stranger else ''}"
    return Input(f"review {review_id}", lambda c: review_report(c, data, review_id=review_id, today=day))


@st.composite
def milestone_history(draw: st.DrawFn, milestone: str, due: date) -> list[Input]:
    """A milestone's reports in order: some returned, the last accepted (or never reviewed, or never sent)."""
    returns = draw(st.integers(0, 2))
    ending = draw(st.sampled_from(["accepted", "accepted", "accepted", "pending", "nothing"]))
    history: list[Input] = []
    first_day = END - timedelta(days=30) if milestone == "final" else START
    for revision in range(1, returns + 2):
        if revision == returns + 1 and ending == "nothing":
            break
        received = draw(st.dates(first_day, END))
        history.append(submission(milestone, revision, draw(st.integers(0, 100)), received,
                                  draw(st.integers(0, 40))))
        if draw(st.booleans()):
            history.append(reviewing(milestone, revision, True, REVIEW_DAY, stranger=True))
        if revision <= returns:
            history.append(reviewing(milestone, revision, False, REVIEW_DAY + timedelta(days=revision % 3)))
        elif ending == "accepted":
            history.append(reviewing(milestone, revision, True, REVIEW_DAY + timedelta(days=draw(st.integers(0, 2)))))
    return history


@st.composite
def appeal(draw: st.DrawFn) -> list[Input]:
    choice = draw(st.sampled_from(["none", "dismissed", "upheld"]))
    if choice == "none":
        return []
    lodged = Input("appeal", lambda c: lodge_appeal(c, {"contract_id": "C-1", "grounds": "漏计"}, appeal_id="A-1",
                                                    today=REVIEW_DAY + timedelta(days=3)))
    ruling: dict[str, Any] = {"contract_id": "C-1", "upheld": choice == "upheld"}
    if choice == "upheld":
        ruling["new_scores"] = {"indicators": draw(st.integers(0, 100))}
    decided = Input("decision", lambda c: decide_appeal(c, ruling, today=REVIEW_DAY + timedelta(days=4)))
    return [lodged, decided]


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, list[list[Input]], list[Input]]:
    amount = draw(st.integers(1, 10**10))
    contract = monitored(amount_fen=amount)
    histories = [draw(milestone_history(m.name, m.due_on)) for m in contract.milestones]
    return amount, histories, draw(appeal())


def delivery_order(histories: list[list[Input]], appeal_inputs: list[Input], rng: random.Random) -> list[Input]:
    """Histories interleaved at random, each kept in its order; the appeal after them; redeliveries anywhere
    after their first delivery."""
    queues = [list(h) for h in histories if h]
    order: list[Input] = []
    while queues:
        queue = rng.choice(queues)
        order.append(queue.pop(0))
        queues = [q for q in queues if q]
    order += appeal_inputs
    for _ in range(rng.randint(0, len(order))):
        at = rng.randrange(len(order))
        order.insert(rng.randint(at + 1, len(order)), order[at])
    return order


def deliver(amount: int, order: list[Input]) -> tuple[MonitoredContract, list[tuple[str, str, int]]]:
    """Every input in turn, then the clock well after the appeal window; every payment announced."""
    contract = monitored(amount_fen=amount)
    payments: list[tuple[str, str, int]] = []
    steps: list[Step] = [i.decide for i in order] + [lambda c: on_day(c, REVIEW_DAY + timedelta(days=60), RULES)]
    for step in steps:
        decision = step(contract)
        assert decision.contract is not None
        contract = decision.contract
        payments += [(e.data["payment_id"], e.type, e.data["amount_fen"]) for e in decision.events
                     if e.type in (PAYMENT_RELEASED, PAYMENT_WITHHELD)]
        assert contract.fen("released") + contract.fen("withheld") <= amount
        assert sum(p[2] for p in payments) == contract.fen("released") + contract.fen("withheld")
    return contract, payments


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seeds=st.tuples(st.integers(0, 2**32), st.integers(0, 2**32)))
def test_payments_never_exceed_the_amount_are_made_once_and_do_not_depend_on_delivery_order(
    case: tuple[int, list[list[Input]], list[Input]], seeds: tuple[int, int]
) -> None:
    amount, histories, appeal_inputs = case

    outcomes = [deliver(amount, delivery_order(histories, appeal_inputs, random.Random(seed))) for seed in seeds]

    for contract, payments in outcomes:
        assert len({p[0] for p in payments}) == len(payments), "a payment announced twice"
        for milestone in contract.milestones:
            decided = contract.tranche(milestone.name)
            paid = decided.fen("released") + decided.fen("withheld") if decided else 0
            assert paid in (0, milestone.amount_fen)
        if contract.every_milestone_accepted:
            assert contract.due_fen == 0, "once every milestone is accepted and the evaluation stands, all is decided"
    assert sorted(outcomes[0][1]) == sorted(outcomes[1][1])
