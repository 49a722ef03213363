"""Training and grading reads every other service's event it consumes, as the producer publishes it."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from services.training_grading.handlers import subscriptions
from services.training_grading.projections import OrganizationView
from tests.contracts.examples import PUBLISHED
from tests.contracts.support import assert_reads, cases


@pytest.mark.parametrize(("event_type", "reading"), cases(subscriptions))
def test_training_grading_reads_the_producers_event(event_type: str, reading: type[BaseModel]) -> None:
    view = assert_reads(event_type, reading)
    published = PUBLISHED[event_type].model_dump()
    assert isinstance(view, OrganizationView)
    assert (view.status, view.version) == (published["status"], published["version"])
    # Order 39's two years count from the civil-affairs registration (`founded_on`), not from joining the register.
    assert view.registered_on == published["founded_on"]
