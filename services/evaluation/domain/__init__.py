"""Evaluation's rules (监测评估), pure: typed values in, values out; dates and ids are passed in.

- `rules`: the configurable rules (milestones, tranches, thresholds, weights, sample, rating bands, payments,
  time limits), refused at start-up when they contradict each other.
- `contract`: a contract under monitoring, its reports and reviews, its money, alerts, evaluation and appeal.
- `plan`: monitoring opened on an award: milestones, due dates, payment tranches.
- `reports`: milestone reports received (judged, late by the district's receipt date) or refused naming every reason.
- `reviews`: the purchaser accepts a report (its tranche is decided; the last one evaluates) or returns it.
- `payments`: what each tranche releases and withholds, in exact fen, once.
- `scoring`: a report's achievement and status, the contract's score, rating and payment recommendation.
- `appeals`: an evaluation appealed within its window, and the appeal decided (a new version if it changes).
- `deadlines`: what the clock finds: overdue milestones, milestones met again, evaluations that stand.
- `monitoring`: the overview an operator reads: overdue milestones, money per contract, ratings.
"""
