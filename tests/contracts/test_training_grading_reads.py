"""Training and grading reads every other service's event it consumes, as the producer publishes it."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from services.training_grading.handlers import subscriptions
from services.training_grading.projections import OrganizationView, PersonView
from tests.contracts.examples import PUBLISHED
from tests.contracts.support import assert_reads, cases


@pytest.mark.parametrize(("event_type", "reading"), cases(subscriptions))
def test_training_grading_reads_the_producers_event(event_type: str, reading: type[BaseModel]) -> None:
    view = assert_reads(event_type, reading)
    published = PUBLISHED[event_type].model_dump()
    if isinstance(view, PersonView):
        # Who the person is, of which organization, in which role: nothing more (no name, no masked number).
        assert (view.person_id, view.org_id, view.role, view.version) == (
            published["person_id"], str(published["org_id"]), published["role"], published["version"])
        assert set(view.model_dump()) == {"person_id", "org_id", "role", "version"}
        return
    assert isinstance(view, OrganizationView)
    assert (view.status, view.version) == (published["status"], published["version"])
    # Order 39's two years count from the civil-affairs registration (`founded_on`), not from joining the register.
    assert view.registered_on == published["founded_on"]
