"""The words a person reads for the suite's machine values (statuses, ratings, roles, milestones): the value itself
stays in every event, field and JSON key; tables and reports show `label(value)`, translated by the catalog.
In English a label is the value as the contract spells it, so an English table still names what a query takes."""

from __future__ import annotations

from shared.i18n import N_, _

LABELS: dict[str, str] = {
    # projects (catalog)
    "published": N_("published"),
    "awarded": N_("awarded"),
    "evaluated": N_("evaluated"),
    "withdrawn": N_("withdrawn"),
    # organizations (registration)
    "active": N_("active"),
    "suspended": N_("suspended"),
    # legal forms (registration)
    "social_group": N_("social_group"),
    "social_service_institution": N_("social_service_institution"),
    "foundation": N_("foundation"),
    # no grade
    "none": N_("none"),
    # people and training audiences
    "leader": N_("leader"),
    "finance": N_("finance"),
    "social_worker": N_("social_worker"),
    # ratings (evaluation)
    "excellent": N_("excellent"),
    "good": N_("good"),
    "pass": N_("pass"),
    "fail": N_("fail"),
    # milestones (evaluation)
    "start": N_("start"),
    "mid_term": N_("mid_term"),
    "final": N_("final"),
    # complaints (matching)
    "filed": N_("filed"),
    "upheld": N_("upheld"),
    "dismissed": N_("dismissed"),
    # milestone judgements (evaluation)
    "scheduled": N_("scheduled"),
    "met": N_("met"),
    "partiallyMet": N_("partiallyMet"),
    "notMet": N_("notMet"),
    # awards (matching)
    "proposed": N_("proposed"),
    "challenged": N_("challenged"),
    "cancelled": N_("cancelled"),
}


def label(value: str) -> str:
    """What a person reads for `value`; a value without a label is shown as it is."""
    known = LABELS.get(value)
    return _(known) if known else value


# The factors of an organization's fit for a project (matching's breakdown), as a person reads them.
FACTORS: dict[str, str] = {
    "domain": N_("domain"),
    "locality": N_("locality"),
    "grade": N_("grade"),
    "past_evaluations": N_("past evaluations"),
    "finance_trained": N_("finance staff trained"),
    "capacity_left": N_("capacity left"),
}


def factor_label(factor: str) -> str:
    """What a person reads for a fit factor; a factor without a label is shown as it is."""
    known = FACTORS.get(factor)
    return _(known) if known else factor
