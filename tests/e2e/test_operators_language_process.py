"""The operators' language through a real service (issue 22): registration run in Chinese and then in English
refuses the same application naming the same fields, its messages in each language."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.test_registration_process import application, ask
from tests.support.bus import BusProbe
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e


async def test_registration_refuses_in_its_language_and_names_the_same_fields_in_both(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    refused = application(91, community="黉门街", full_time_staff=-1, contact={"phone": "12"})
    answers = {}
    for language in ("zh_CN", "en"):
        service = start_service("registration", DISTRICT_LANGUAGE=language)
        answer = await ask(bus, "intake.organization.applied", refused)
        service.stop()
        assert answer["type"] == "registration.organization.rejected"
        answers[language] = {e["field"]: e["message"] for e in answer["data"]["errors"]}

    chinese, english = answers["zh_CN"], answers["en"]
    assert list(chinese) == list(english) and "community" in chinese and "full_time_staff" in chinese
    assert {f: (chinese[f], english[f]) for f in chinese if chinese[f] == english[f]} == {}
    assert chinese["community"] == ("不是本区的社区；最接近的已知社区是 黉门街社区（浆洗街街道）"
                                    "（规则：known_community）")
    assert english["community"] == ("is not one of the district's communities; the nearest known is 黉门街社区 "
                                    "(浆洗街街道) (rule: known_community)")
