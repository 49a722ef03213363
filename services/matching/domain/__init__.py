"""Matching's rules, pure: typed values in, values out; no I/O, no clock (today is passed in), no randomness.

- `fairs`: the fair's decisions, the entry points handlers call (open a fair, record an interest, schedule the
  talks, award the projects) and the rules between them (decided once, `taken` by another fair);
- `eligibility`: who may take a project, each refusal naming its rule;
- `fit`: how well an organization fits a project, factor by factor;
- `schedule`: the one-to-one meetings by slot and table;
- `awards`: who gets which project (fit and value for money, the tie rule, the re-award of a cancelled award);
- `standstill`: an award's life after the decision: its standstill, suspended and resumed, final or cancelled;
- `complaints`: who may challenge an award and when, and the decisions on complaints;
- `solver`: the exact maximum-weight b-matching behind the schedule and the awards.
"""
