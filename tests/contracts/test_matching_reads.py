"""Matching reads every other service's event it consumes, as the producer publishes it."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from services.matching.handlers import subscriptions
from tests.contracts.support import assert_reads, cases


@pytest.mark.parametrize(("event_type", "reading"), cases(subscriptions))
def test_matching_reads_the_producers_event(event_type: str, reading: type[BaseModel]) -> None:
    assert_reads(event_type, reading)
