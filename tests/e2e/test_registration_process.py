"""Registration as its own process, driven only through `district.events` with plain aio-pika, its database
read afterwards as an auditor would."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.registration.domain import uscc
from services.registration.domain.identity import make_id_number
from services.registration.domain.organizations import org_id_for
from shared.outbox import SENT
from tests.support.bus import BusProbe, Event, envelope
from tests.support.processes import ROOT, ServiceProcess

pytestmark = pytest.mark.e2e

Start = Callable[..., ServiceProcess]
ID_NUMBER = make_id_number("510107", date(1980, 5, 17), 17)  # ends in X: sent lower case
TEST_KEY = "e2e-test-identity-hash-key-0f3a9c"
DEVELOPMENT_KEY_WARNING = "IDENTITY_HASH_KEY is not set"


def code(seed: int, legal_form: str = "social_group") -> str:
    return uscc.make_uscc(legal_form, uscc.WUHOU_REGION_CODE, seed)


def application(seed: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uscc": code(seed), "name": f"玉林社区邻里互助会{seed}", "legal_form": "social_group",
        "street": "浆洗街街道", "community": "黉门街社区", "domains": ["助老", "社区文化"], "full_time_staff": 6,
        "founded_on": "2011-04-02", "contact": {"phone": "13812345678", "email": "huzhu@example.cn"},
    }
    data.update(changes)
    return data


async def ask(bus: BusProbe, type_: str, data: dict[str, Any]) -> Event:
    return await bus.answer((await bus.send(type_, data))["event_id"])


async def registered(bus: BusProbe, seed: int, **changes: Any) -> str:
    answer = await ask(bus, "intake.organization.applied", application(seed, **changes))
    assert answer["type"] == "registration.organization.registered", answer
    return str(answer["data"]["org_id"])


async def test_an_application_is_registered_with_its_full_state_and_an_update_raises_its_version(
    start_service: Start, bus: BusProbe,
) -> None:
    service = start_service("registration")
    sent = await bus.send("intake.organization.applied", application(1))
    answer = await bus.answer(sent["event_id"])
    assert answer["type"] == "registration.organization.registered"
    assert answer["source"] == "registration"
    assert answer["_properties"] == {"message_id": answer["event_id"], "delivery_mode": 2,
                                     "content_type": "application/json"}
    state = answer["data"]
    assert state["org_id"] == str(org_id_for(code(1)))
    assert (state["uscc"], state["street"], state["community"], state["status"], state["version"]) == (
        code(1), "浆洗街街道", "黉门街社区", "active", 1)
    assert state["domains"] == ["社区文化", "助老"]  # in the catalog's order of categories
    assert state["contact"] == {"phone_masked": "*******5678", "email": "huzhu@example.cn"}

    updated = await ask(bus, "intake.organization.updated",
                        {"org_id": state["org_id"], "changes": {"full_time_staff": 9}})
    assert updated["type"] == "registration.organization.updated"
    assert (updated["data"]["full_time_staff"], updated["data"]["version"], updated["data"]["changed"]) == (
        9, 2, ["full_time_staff"])
    assert DEVELOPMENT_KEY_WARNING in service.log_path.read_text()


async def test_an_invalid_application_is_rejected_naming_each_field(start_service: Start, bus: BusProbe) -> None:
    start_service("registration")
    bad_check_digit = code(2)[:17] + ("0" if code(2)[17] != "0" else "1")
    answer = await ask(bus, "intake.organization.applied", application(
        2, uscc=bad_check_digit, street="玉林", domains=["园林"], full_time_staff=-1, founded_on="2999-01-01"))
    assert answer["type"] == "registration.organization.rejected"
    assert answer["data"]["uscc"] == bad_check_digit
    reasons = {e["field"]: e["message"] for e in answer["data"]["errors"]}
    assert set(reasons) == {"uscc", "street", "domains[0]", "full_time_staff", "founded_on"}
    assert "check digit should be" in reasons["uscc"]
    assert "did you mean 玉林街道?" in reasons["street"]


async def test_a_second_application_with_a_registered_code_is_refused_naming_the_existing_org_id(
    start_service: Start, bus: BusProbe,
) -> None:
    start_service("registration")
    org_id = await registered(bus, 3)
    again = await ask(bus, "intake.organization.applied", application(3, uscc=f"  {code(3).lower()} ",
                                                                      name="另一个名字"))
    assert again["type"] == "registration.organization.rejected"
    assert again["data"]["org_id"] == org_id
    assert again["data"]["errors"] == [{"field": "uscc", "message": f"is already registered, as organization "
                                                                    f"{org_id}"}]


async def test_a_suspension_then_a_reinstatement_publish_versions_2_and_3(start_service: Start, bus: BusProbe) -> None:
    start_service("registration")
    org_id = await registered(bus, 4)
    suspended = await ask(bus, "intake.organization.suspended", {"org_id": org_id, "reason": "年检不合格"})
    assert suspended["type"] == "registration.organization.suspended"
    assert (suspended["data"]["status"], suspended["data"]["version"], suspended["data"]["reason"]) == (
        "suspended", 2, "年检不合格")
    reinstated = await ask(bus, "intake.organization.reinstated", {"org_id": org_id, "reason": "整改完成"})
    assert reinstated["type"] == "registration.organization.reinstated"
    assert (reinstated["data"]["status"], reinstated["data"]["version"], reinstated["data"]["reason"]) == (
        "active", 3, "整改完成")
    assert reinstated["data"]["uscc"] == code(4) and reinstated["data"]["name"] == "玉林社区邻里互助会4"
    twice = await ask(bus, "intake.organization.reinstated", {"org_id": org_id, "reason": "再次"})
    assert twice["type"] == "registration.organization.rejected"
    assert twice["data"]["errors"] == [{"field": "org_id", "message": "organization is not suspended: it is active"}]


async def test_the_same_event_delivered_twice_is_answered_once(start_service: Start, bus: BusProbe) -> None:
    start_service("registration")
    event = envelope("intake.organization.applied", application(5))
    await bus.publish(event)
    await bus.publish(event)
    await bus.answer(event["event_id"])
    await bus.quiet(1.5)
    assert [e["type"] for e in bus.answers_to(event["event_id"])] == ["registration.organization.registered"]


async def test_a_body_that_is_not_json_goes_to_the_dead_letter_queue_and_the_service_stays_ready(
    start_service: Start, bus: BusProbe,
) -> None:
    service = start_service("registration")
    await bus.publish(b"{not json", routing_key="intake.organization.applied")
    dead: list[Any] = []
    for _ in range(100):
        dead += await bus.drain_queue("registration.dlq")
        if dead:
            break
        await asyncio.sleep(0.1)
    [letter] = dead
    assert str(letter.headers["x-error"]).startswith("body is not valid JSON")
    assert letter.headers["x-original-routing-key"] == "intake.organization.applied"
    assert letter.body == b"{not json"
    assert service.ready_status() == 200
    await registered(bus, 6)


async def test_an_id_number_is_never_stored_published_or_logged_in_clear(
    start_service: Start, bus: BusProbe, mongo_url: str, db_prefix: str,
) -> None:
    service = start_service("registration", IDENTITY_HASH_KEY=TEST_KEY)
    org_id = await registered(bus, 7)
    person = {"org_id": org_id, "person_ref": "HR-001", "name": "张三丰", "role": "finance",
              "id_number": ID_NUMBER.lower(), "phone": "13812345678"}
    added = await ask(bus, "intake.person.added", person)
    assert added["type"] == "registration.person.added"
    assert added["data"]["id_number_masked"] == "*" * 14 + ID_NUMBER[-4:]
    again = await ask(bus, "intake.person.added", {**person, "person_ref": "HR-002"})
    assert [e["field"] for e in again["data"]["errors"]] == ["id_number"]
    mistyped = ID_NUMBER[:16] + str((int(ID_NUMBER[16]) + 1) % 10) + ID_NUMBER[17]
    refused = await ask(bus, "intake.person.added", {**person, "person_ref": "HR-003", "id_number": mistyped})
    assert refused["type"] == "registration.person.rejected"
    assert [e["field"] for e in refused["data"]["errors"]] == ["id_number"]

    as_ref = await ask(bus, "intake.person.added", {**person, "person_ref": ID_NUMBER, "id_number": None})
    assert [e["field"] for e in as_ref["data"]["errors"]] == ["person_ref"]

    secrets = (ID_NUMBER, ID_NUMBER.lower(), ID_NUMBER[:17], mistyped[:17])
    documents = await every_document(mongo_url, f"{db_prefix}registration")
    assert {"organizations", "people", "inbox", SENT} <= set(documents)
    [stored] = documents["people"]
    assert len(stored["id_hash"]) == 64 and stored["id_masked"] == added["data"]["id_number_masked"]
    assert len(documents["inbox"]) == 5 and len(documents.get("outbox", [])) + len(documents[SENT]) == 5
    for collection, docs in documents.items():
        assert not leaked(json.dumps(docs, default=str, ensure_ascii=False), secrets), collection
    published = [e for e in bus.events if e.get("source") == "registration"]
    assert len(published) == 5
    assert not leaked(json.dumps(published, default=str, ensure_ascii=False), secrets)
    log = service.log_path.read_text()
    assert "startup complete" in log and DEVELOPMENT_KEY_WARNING not in log  # the log was captured
    assert not leaked(log, (*secrets, TEST_KEY))


async def test_after_the_key_is_rotated_a_person_added_before_is_still_recognised(
    start_service: Start, bus: BusProbe, mongo_url: str, db_prefix: str,
) -> None:
    rotated = "e2e-test-identity-hash-key-rotated-77b1"
    before = start_service("registration", IDENTITY_HASH_KEY=TEST_KEY)
    org_id = await registered(bus, 14)
    person = {"org_id": org_id, "person_ref": "HR-001", "name": "张三丰", "role": "finance", "id_number": ID_NUMBER}
    first = await ask(bus, "intake.person.added", person)
    assert first["type"] == "registration.person.added"
    before.stop()

    # The documented rotation: the new key as IDENTITY_HASH_KEY, the old one among IDENTITY_HASH_PREVIOUS_KEYS.
    after = start_service("registration", IDENTITY_HASH_KEY=rotated, IDENTITY_HASH_PREVIOUS_KEYS=json.dumps([TEST_KEY]))
    again = await ask(bus, "intake.person.added", {**person, "person_ref": "HR-002"})
    assert again["data"]["errors"] == [{"field": "id_number", "message": "this person is already recorded for the "
                                        f"organization, as person {first['data']['person_id']}"}]
    other = make_id_number("510107", date(1975, 3, 4), 88)
    added = await ask(bus, "intake.person.added", {**person, "person_ref": "HR-003", "id_number": other})
    assert added["type"] == "registration.person.added"

    status, keys = await get(after.url, "/identity-keys")
    assert status == 200
    assert [(k["current"], k["configured"], k["people"]) for k in keys] == [(True, True, 1), (False, True, 1)]
    stored = (await every_document(mongo_url, f"{db_prefix}registration"))["people"]
    assert {p["id_key_id"] for p in stored} == {k["key_id"] for k in keys}
    assert not leaked(json.dumps(keys), (TEST_KEY, rotated))


async def census_printed(service: ServiceProcess, service_env: dict[str, str]) -> str:
    env = {**os.environ, **service_env, "REGISTRATION_URL": service.url}
    report = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.registration.cli",
                                                  cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(report.communicate(), 15)
    assert report.returncode == 0
    return out.decode()


async def test_the_census_lists_every_community_of_the_district_even_empty_and_those_below_the_minimum(
    start_service: Start, bus: BusProbe, service_env: dict[str, str],
) -> None:
    # Issue 19, item 7: the census saw empty communities only with DISTRICT_COMMUNITIES set, which nothing set.
    service = start_service("registration")
    await registered(bus, 8)
    await registered(bus, 9)
    await registered(bus, 10, community="洗面桥社区")
    suspended = await registered(bus, 11, street="望江路街道", community="望江楼社区")
    await ask(bus, "intake.organization.suspended", {"org_id": suspended, "reason": "年检不合格"})
    printed = await census_printed(service, service_env)
    rows = [line.split() for line in printed.splitlines()]
    assert "3 active and 1 suspended organizations" in printed
    assert ["浆洗街街道", "3", "0"] in rows and ["黉门街社区", "2", "0"] in rows and ["洗面桥社区", "1", "0"] in rows
    assert ["望江路街道", "0", "1"] in rows and ["锦里社区", "0", "0"] in rows and ["红星社区", "0", "0"] in rows
    below = printed.split("Communities with fewer than 2 active organizations: 82\n")[1].splitlines()
    assert len(below) == 82 and "  浆洗街街道 / 黉门街社区: 2 active" not in below
    assert {"  望江路街道 / 望江楼社区: 0 active, 1 suspended", "  浆洗街街道 / 洗面桥社区: 1 active",
            "  华兴街道 / 红星社区: 0 active"} <= set(below)


async def test_a_community_the_district_does_not_know_is_refused_naming_the_nearest_known_one(
    start_service: Start, bus: BusProbe, service_env: dict[str, str],
) -> None:
    district = {"DISTRICT_STREETS": json.dumps(["浆洗街街道", "簇桥街道"]),
                "DISTRICT_COMMUNITIES": json.dumps({"浆洗街街道": ["黉门街社区"], "簇桥街道": ["七道堰社区"]})}
    service = start_service("registration", **district)
    refused = await ask(bus, "intake.organization.applied", application(15, community="黉门街"))
    assert refused["data"]["errors"] == [{"field": "community", "message": "is not one of the district's "
                                          "communities; the nearest known is 黉门街社区 (浆洗街街道) "
                                          "(rule: known_community)"}]
    await registered(bus, 15)
    rows = [line.split() for line in (await census_printed(service, service_env)).splitlines()]
    assert ["黉门街社区", "1", "0"] in rows and ["七道堰社区", "0", "0"] in rows


async def test_the_read_api_answers_what_the_bus_announced_with_people_masked(
    start_service: Start, bus: BusProbe,
) -> None:
    service = start_service("registration", IDENTITY_HASH_KEY=TEST_KEY)
    org_id = await registered(bus, 12)
    announced = (await ask(bus, "intake.organization.updated",
                           {"org_id": org_id, "changes": {"full_time_staff": 7}}))["data"]
    added = await ask(bus, "intake.person.added", {"org_id": org_id, "person_ref": "HR-001", "name": "张三丰",
                                                   "role": "finance", "id_number": ID_NUMBER, "phone": "13912345678"})
    assert added["type"] == "registration.person.added"

    status, organization = await get(service.url, f"/organizations/{org_id}")
    assert status == 200
    assert {k: organization[k] for k in announced if k != "changed"} == {k: v for k, v in announced.items()
                                                                         if k != "changed"}
    assert organization["contact"]["phone_masked"] == "*******5678" and organization["suspension_reason"] is None
    assert await get(service.url, f"/organizations/by-code/%20{code(12).lower()}") == (200, organization)
    status, page = await get(service.url, "/organizations?street=浆洗街街道&domain=助老&status=active&limit=1")
    assert status == 200 and (page["total"], page["limit"], page["items"]) == (1, 1, [organization])

    status, people = await get(service.url, f"/organizations/{org_id}/people")
    assert status == 200 and people["items"] == [added["data"]]
    answered = json.dumps([organization, people], ensure_ascii=False)
    assert not leaked(answered, (ID_NUMBER, ID_NUMBER[:17], "13912345678", "13812345678", "张三丰"))

    status, census = await get(service.url, "/census?minimum=3")
    assert status == 200 and (census["active"], census["suspended"], census["minimum"]) == (1, 0, 3)
    assert len(census["below_minimum"]) == 83  # every community of the district, the empty ones too
    assert census["below_minimum"][-1] == {"street": "浆洗街街道", "community": "黉门街社区", "active": 1,
                                           "suspended": 0}
    status, document = await get(service.url, "/openapi.json")
    assert status == 200 and "/organizations/by-code/{uscc}" in document["paths"]


async def test_the_read_api_answers_404_for_what_is_not_registered_and_422_naming_a_malformed_field(
    start_service: Start, bus: BusProbe,
) -> None:
    service = start_service("registration")
    unknown = uuid.uuid4()
    for path in (f"/organizations/{unknown}", f"/organizations/{unknown}/people",
                 f"/organizations/by-code/{code(13)}"):
        status, answer = await get(service.url, path)
        assert status == 404 and "no organization" in answer["error"], path
    bad_check_digit = code(13)[:17] + ("0" if code(13)[17] != "0" else "1")
    for path, field, message in [
        ("/organizations/not-a-uuid", "org_id", "valid UUID"),
        ("/organizations/not-a-uuid/people", "org_id", "valid UUID"),
        (f"/organizations/by-code/{bad_check_digit}", "uscc", "check digit should be"),
        ("/organizations?limit=0", "limit", "greater than or equal to 1"),
        ("/organizations?status=closed", "status", "'active' or 'suspended'"),
        ("/census?minimum=-1", "minimum", "greater than or equal to 0"),
    ]:
        status, answer = await get(service.url, path)
        assert status == 422, path
        [error] = answer["errors"]
        assert error["field"] == field and message in error["message"], (path, error)


async def get(base_url: str, path: str) -> tuple[int, Any]:
    """The status and JSON answer of a read query."""
    def fetch() -> tuple[int, Any]:
        url = base_url + urllib.parse.quote(path, safe="/?=&%")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    return await asyncio.to_thread(fetch)


async def every_document(mongo_url: str, database: str) -> dict[str, list[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        db = client[database]
        return {name: await db[name].find().to_list() for name in await db.list_collection_names()}
    finally:
        await client.close()


def leaked(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [secret for secret in secrets if secret in text]
