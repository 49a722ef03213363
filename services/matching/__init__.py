"""Matching: fairs (项目对接会), eligibility, fit scores, interests, the one-to-one meeting schedule and awards.

Start at `domain` (the entry points handlers call); the rules live in `eligibility`, `fit`, `schedule`, `awards`
and `assignment` (the exact solver); other contexts' entities, as matching keeps them, in `projections`.
"""
