"""The catalog's read queries on its running process: what the bus announced, paginated; 404 and 422 that say
what was wrong; and the kernel's `/handled`, which tells a caller the service has consumed its events."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.test_catalog_process import proposal
from tests.support.bus import BusProbe
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e


async def test_projects_announced_on_the_bus_are_found_filtered_and_paged(
    start_service: Callable[..., ServiceProcess], bus: BusProbe,
) -> None:
    catalog = start_service("catalog")
    sent = [await bus.send("intake.project.proposed", proposal(f"2015-1-{n:03d}")) for n in range(1, 4)]
    sent.append(await bus.send("intake.project.proposed", proposal("2015-1-100", category="济困")))
    answers = [await bus.answer(s["event_id"]) for s in sent]
    async with httpx.AsyncClient(base_url=catalog.url) as http:
        page = (await http.get("/projects", params={"batch": "2015-1", "limit": 2, "offset": 1})).json()
        assert page["total"] == 4 and [p["project_ref"] for p in page["items"]] == ["2015-1-002", "2015-1-003"]
        poverty = (await http.get("/projects", params={"category": "济困"})).json()
        assert [p["project_ref"] for p in poverty["items"]] == ["2015-1-100"]
        one = (await http.get(f"/projects/{answers[0]['data']['project_id']}")).json()
        assert one == {**answers[0]["data"], "contract_id": None, "pending_award": None}
        handled = (await http.get("/handled", params={"event_id": [s["event_id"] for s in sent]})).json()
        assert sorted(handled["handled"]) == sorted(s["event_id"] for s in sent) and handled["not_yet"] == []


async def test_unknown_ids_are_404_and_malformed_queries_422_naming_the_parameter(
    start_service: Callable[..., ServiceProcess],
) -> None:
    catalog = start_service("catalog")
    async with httpx.AsyncClient(base_url=catalog.url) as http:
        missing = await http.get("/projects/no-such-project")
        assert missing.status_code == 404 and "no project no-such-project" in missing.json()["error"]
        bad = await http.get("/projects", params={"limit": 0, "status": "lost", "category": "园林"})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {"limit", "status", "category"}
        unseen = (await http.get("/handled", params={"event_id": str(uuid.uuid4())})).json()
        assert unseen["handled"] == []
        assert (await http.get("/handled", params={"event_id": "not-a-uuid"})).status_code == 422
        spec = (await http.get("/openapi.json")).json()
        assert {"/projects", "/projects/{project_id}", "/handled"} <= set(spec["paths"])
