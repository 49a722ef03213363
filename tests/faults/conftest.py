"""Fault-test fixtures: the services as their own processes, as in the end-to-end tests."""

from __future__ import annotations

from tests.e2e.conftest import start_service

__all__ = ["start_service"]
