"""Producer -> consumer contract checks: a consumer reads every foreign event it subscribes to, as its producer
publishes it (tests/contracts/examples.py), with the very model its handler reads it with."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from shared.envelope import new_event
from shared.intake import read_event
from shared.subscriptions import Subscriptions
from tests.contracts.examples import PUBLISHED, as_published


def cases(subscriptions: Subscriptions[Any]) -> list[Any]:
    """One case per foreign event the consumer reads, shown by its type; an event without an example fails."""
    return [pytest.param(event_type, reading, id=event_type)
            for event_type, reading in sorted(subscriptions.readings().items())]


def assert_reads(event_type: str, reading: type[BaseModel]) -> BaseModel:
    assert event_type in PUBLISHED, f"no example of {event_type} in tests/contracts/examples.py"
    producer = event_type.split(".", 1)[0]
    envelope = new_event(event_type, as_published(event_type), source=producer)
    return read_event(reading, envelope)
