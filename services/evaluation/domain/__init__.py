"""Evaluation's rules (监测评估), pure: typed values in, values out; dates and ids are passed in.

- `rules`: the configurable rules (milestones, tranches, thresholds, weights, rating bands), refused at start-up
  when they contradict each other.
- `contract`: a contract under monitoring, its accepted reports, and what a decision yields.
- `plan`: monitoring opened on an award: milestones, due dates, payment tranches.
- `reports`: milestone reports accepted (judged, marked late) or refused naming every reason.
- `scoring`: a report's achievement and status, the contract's score, rating and payment recommendation.
- `monitoring`: the overview an operator reads: contracts under monitoring, overdue milestones, ratings.
"""
