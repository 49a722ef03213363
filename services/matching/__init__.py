"""Matching: fairs (项目对接会), eligibility, fit scores, interests, the one-to-one meeting schedule and awards.

Rules in `domain` (start at `domain.fairs`, the decisions handlers call); other contexts' entities, as matching
keeps them, in `projections`; subscribers in `handlers`; collections in `store`; read queries in `api`.
"""
