"""Personal data on the bus and in the logs: ID numbers and phone numbers never appear in clear in any event the
services publish, nor in their logs (at INFO, and at DEBUG: the most they ever write), whether the input is
accepted, refused as a duplicate, or refused as invalid.

Registration and training-and-grading run together, as in production: registration registers an organization
and a person who carries an ID number and a phone; training learns of the organization from registration's event
and enrols people by name (its contract's person has a name in clear; a sender may add ID number and phone too).
Registration's own end-to-end test already scans its database; this one looks at what leaves the services.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.registration.domain import uscc
from services.registration.domain.identity import make_id_number
from shared.contracts import registration, training
from tests.faults.support.results import record
from tests.support.bus import BusProbe, Event
from tests.support.processes import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

Start = Callable[..., ServiceProcess]
ID_NUMBER = make_id_number("510107", date(1980, 5, 17), 17)
SECOND_ID = make_id_number("510107", date(1991, 2, 3), 452)
PHONE = "13812345678"
SECOND_PHONE = "13987654321"
LANDLINE = "028-86613579"
SECRETS = (ID_NUMBER, ID_NUMBER.lower(), ID_NUMBER[:17], SECOND_ID, SECOND_ID[:17], PHONE, SECOND_PHONE, LANDLINE,
           LANDLINE.replace("-", ""))
NAMES = ("张三丰", "李秀英")
IDENTITY_HASH_KEY = "personal-data-test-hash-key-5c1e8a"
# At DEBUG, PyMongo's command log writes whole documents (the person's phone among them) and aiormq whole frames;
# the kernel's logging set-up holds those loggers at INFO, and the DEBUG case below shows it.


async def ask(bus: BusProbe, type_: str, data: dict[str, Any], expected: str) -> Event:
    answer = await bus.answer((await bus.send(type_, data))["event_id"], timeout=30)
    assert answer["type"] == expected, answer
    return answer


def leaked(text: str, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    return [secret for secret in secrets if secret in text]


def application() -> dict[str, Any]:
    return {"uscc": uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, 77), "name": "玉林社区邻里互助会",
            "legal_form": "social_group", "street": "玉林街道", "community": "黉门街社区", "domains": ["助老"],
            "full_time_staff": 6, "founded_on": "2011-04-02", "contact": {"phone": LANDLINE, "email": "a@example.cn"}}


async def registration_with_people(bus: BusProbe) -> str:
    """An organization, a person with ID number and phone, and each way of refusing such a person."""
    org_id = str((await ask(bus, registration.ORGANIZATION_APPLIED, application(),
                            registration.ORGANIZATION_REGISTERED))["data"]["org_id"])
    refused_application = {**application(), "full_time_staff": -1, "contact": {"phone": SECOND_PHONE}}
    await ask(bus, registration.ORGANIZATION_APPLIED, refused_application, registration.ORGANIZATION_REJECTED)
    await ask(bus, registration.ORGANIZATION_UPDATE_REQUESTED,
              {"org_id": org_id, "changes": {"contact": {"phone": SECOND_PHONE}}}, registration.ORGANIZATION_UPDATED)
    person: dict[str, Any] = {"org_id": org_id, "person_ref": "HR-001", "name": NAMES[0], "role": "finance",
                              "id_number": ID_NUMBER.lower(), "phone": PHONE}
    added = await ask(bus, registration.PERSON_ADDITION_REQUESTED, person, registration.PERSON_ADDED)
    assert added["data"]["id_number_masked"] and added["data"]["phone_masked"]
    refusals: list[dict[str, Any]] = [
        {**person, "person_ref": "HR-002"},  # the same ID number again
        {**person, "person_ref": "HR-003", "id_number": ID_NUMBER[:17] + "0"},  # a wrong check digit
        {**person, "person_ref": "HR-004", "id_number": SECOND_ID, "phone": PHONE + "9"},  # not a phone
        {**person, "person_ref": SECOND_ID, "id_number": None},  # an ID number used as the reference
        {**person, "person_ref": "HR-005", "id_number": SECOND_ID, "role": 7},  # invalid otherwise
    ]
    for refusal in refusals:
        await ask(bus, registration.PERSON_ADDITION_REQUESTED, refusal, registration.PERSON_REJECTED)
    return org_id


async def training_of_people(bus: BusProbe, org_id: str) -> None:
    """Enrolments by name, a sender adding ID number and phone; a repeat and an invalid one refused."""
    offer = {"course_ref": "TR-PD-1", "title": "财务管理", "topic": "财务制度", "audience": "finance", "capacity": 5,
             "sessions": 1}
    course_id = (await ask(bus, training.COURSE_OFFERED, offer, training.COURSE_OPENED))["data"]["course_id"]
    person = {"name": NAMES[1], "role": "会计", "id_number": SECOND_ID, "phone": SECOND_PHONE}
    request = {"course_id": course_id, "org_id": org_id, "person": person}
    confirmed = await enrolled(bus, request)
    attended = await bus.send(training.ATTENDANCE_RECORDED,
                              {"enrolment_id": confirmed["data"]["enrolment_id"], "session": 1})
    await bus.wait_for(lambda events: any(e["type"] == training.COURSE_COMPLETED
                                          for e in events if e.get("correlation_id") == attended["event_id"]))
    await ask(bus, training.ENROLMENT_REQUESTED, request, training.ENROLMENT_REJECTED)
    invalid = {**request, "person": {**person, "role": ""}, "course_id": "not-a-course"}
    await ask(bus, training.ENROLMENT_REQUESTED, invalid, training.ENROLMENT_REJECTED)


async def enrolled(bus: BusProbe, request: dict[str, Any]) -> Event:
    """Training learns of the organization from registration's event, on another queue: ask until it has."""
    for _ in range(50):
        answer = await bus.answer((await bus.send(training.ENROLMENT_REQUESTED, request))["event_id"], timeout=30)
        if answer["type"] == training.ENROLMENT_CONFIRMED:
            return answer
        await bus.quiet(0.2)
    raise AssertionError(f"the enrolment was never confirmed: {answer}")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_id_numbers_and_phones_never_leave_registration_or_training_in_clear(
    start_service: Start, bus: BusProbe, level: str,
) -> None:
    env = {"LOG_LEVEL": level, "IDENTITY_HASH_KEY": IDENTITY_HASH_KEY}
    services = [start_service("registration", **env), start_service("training_grading", **env)]
    org_id = await registration_with_people(bus)
    await training_of_people(bus, org_id)
    await bus.quiet(1.0)

    published = [e for e in bus.events if e.get("source") in {"registration", "training-grading"}]
    logs = {s.module: s.log_path.read_text(errors="replace") for s in services}
    record("personal data in events and logs", {"by LOG_LEVEL": {level: {
        "events scanned": len(published), "events with an ID number or phone": sum(
            bool(leaked(json.dumps(e, ensure_ascii=False))) for e in published),
        "log lines scanned": sum(len(log.splitlines()) for log in logs.values()),
        "log lines with an ID number or phone": sum(bool(leaked(line)) for log in logs.values()
                                                    for line in log.splitlines())}}})

    kinds = {e["type"] for e in published}
    assert {registration.PERSON_ADDED, registration.PERSON_REJECTED, registration.ORGANIZATION_UPDATED,
            training.ENROLMENT_CONFIRMED, training.COURSE_COMPLETED, training.ENROLMENT_REJECTED} <= kinds
    for event in published:
        assert not leaked(json.dumps(event, ensure_ascii=False)), json.dumps(event["data"], ensure_ascii=False)
    # Registration publishes a person's name only masked; training's confirmations and completions carry none.
    person_events = [e for e in published if e["type"].startswith(("registration.person", "training."))
                     and not e["type"].endswith(".rejected")]
    for event in person_events:
        assert not leaked(json.dumps(event, ensure_ascii=False), NAMES), event
    for module, log in logs.items():
        assert level in log, f"nothing logged at {level}: the test would prove less than it says"
        assert not leaked(log), f"{module} logged {leaked(log)}"
