"""Personal data: no citizen ID number, in clear or recoverable without the key, anywhere the suite keeps or says
anything, after a whole year of the district in which people were given ID numbers in the right field and in
the wrong ones; what a stored record and its mask leave to guess; registration refusing the development key.

The whole year runs the five services as their own processes at LOG_LEVEL=DEBUG (the most they ever write) on a
vhost of the test's own, then scans every database of every service, every queue on the broker (dead-letter
queues included), every event the services published, every log line, and what `make dlq` prints. What counts
as a leak is in tests/faults/support/identity.py. The figures go to the fault results.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import aio_pika
import pytest

from services.registration.domain import uscc
from services.registration.domain.identity import IdentityKey, IdentityKeys, make_id_number
from services.registration.domain.organizations import Organization, org_id_for
from services.registration.domain.people import add_person, read_person
from services.registration.settings import LOCAL_DEVELOPMENT_KEY
from shared.contracts.common import Category
from shared.envelope import new_event
from tests.faults.support.identity import (
    THRESHOLD,
    Leaks,
    database_texts,
    queue_names,
    queue_texts,
    search_space,
)
from tests.faults.support.ledger import Databases, Ledger
from tests.faults.support.results import record
from tests.faults.support.whole_cycle import a_whole_year
from tests.support.processes import ROOT, ServiceProcess
from tools.suite import SUITE

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

Start = Callable[..., ServiceProcess]
SECTION = "personal data"
IDENTITY_HASH_KEY = "personal-data-test-hash-key-5c1e8a"
DEAD_LETTER_NUMBER = make_id_number("110105", date(1949, 12, 31), 2)


async def dead_letters_with_id_numbers(rabbit_url: str) -> list[str]:
    """Three messages that end in dead-letter queues carrying an ID number: a body that is not JSON, an envelope
    whose type is not its routing key (both registration's), another service's event that breaks the contract
    (training's). Their message ids."""
    number = DEAD_LETTER_NUMBER
    bodies = [
        ("intake.person.added", f'{{"not json": "{number}"'.encode()),
        ("intake.person.added", new_event("intake.other.thing", {"id_number": number, "name": "张三"},
                                          source="test").to_json()),
        ("registration.person.added", new_event("registration.person.added", {
            "person_id": "not-a-uuid", "note": f"ID {number[:6]} {number[6:14]} {number[14:]}"},
            source="registration").to_json()),
    ]
    sent = []
    connection = await aio_pika.connect(rabbit_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("district.events")
        for key, body in bodies:
            sent.append(json.loads(body)["event_id"] if body.startswith(b'{"event_id"') else str(uuid.uuid4()))
            await exchange.publish(aio_pika.Message(body, message_id=sent[-1]), routing_key=key)
    finally:
        await connection.close()
    return sent


def make_dlq(rabbit_url: str) -> str:
    """What an operator's `make dlq` prints."""
    done = subprocess.run([sys.executable, "-m", "tools.dlq", "list"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "RABBITMQ_URL": rabbit_url}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_whole_year_leaves_no_id_number_in_clear_or_recoverable_anywhere(
    start_service: Start, rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    env = {"LOG_LEVEL": "DEBUG", "IDENTITY_HASH_KEY": IDENTITY_HASH_KEY}
    processes = {spec.name: start_service(spec.module, **env) for spec in SUITE}
    dbs = Databases(mongo_url, db_prefix)
    try:
        async with Ledger(rabbit_url, queue="personal-data.ledger") as ledger:
            year = await a_whole_year(ledger, dbs, random.Random(13))
            letters = await dead_letters_with_id_numbers(rabbit_url)
            await until_dead_lettered(rabbit_url, len(letters))
            await ledger.quiet(2.0)
            # What the services published: the ledger also hears the test's own event posing as registration's.
            events = [e for event_id, e in ledger.events.items() if event_id not in letters]
        for process in processes.values():
            process.stop()
        stored_people = [doc async for doc in dbs.collection("registration", "people").find()]
    finally:
        await dbs.close()
    numbers = [*year.numbers, DEAD_LETTER_NUMBER]
    dlq_printed = make_dlq(rabbit_url)
    queues = queue_names(rabbit_url)
    in_queues = await queue_texts(rabbit_url, queues)
    in_databases = await database_texts(mongo_url, db_prefix)
    logs = {name: p.log_path.read_text(errors="replace").splitlines() for name, p in processes.items()}

    scans = {"databases": Leaks(numbers, [IDENTITY_HASH_KEY]), "queues": Leaks(numbers, [IDENTITY_HASH_KEY]),
             "events": Leaks(numbers, [IDENTITY_HASH_KEY]), "logs": Leaks(numbers, [IDENTITY_HASH_KEY]),
             "make dlq": Leaks(numbers, [IDENTITY_HASH_KEY])}
    for collection, docs in in_databases.items():
        for doc in docs:
            scans["databases"].scan(collection, doc)
    for queue, messages in in_queues.items():
        for message in messages:
            scans["queues"].scan(queue, message)
    for event in events:
        scans["events"].scan(str(event.get("type")), json.dumps(event, ensure_ascii=False))
    for name, lines in logs.items():
        for line in lines:
            scans["logs"].scan(name, line)
    for line in dlq_printed.splitlines():
        scans["make dlq"].scan("tools.dlq list", line)
    smallest = min(search_space(p["id_masked"], date.fromisoformat(p["added_on"])) for p in stored_people
                   if p.get("id_masked"))
    dead_letters = sum(len(m) for q, m in in_queues.items() if q.endswith(".dlq"))
    refused = sum(1 for case, answer in year.misplaced if answer["type"] == case.rejected
                  and [e["field"] for e in answer["data"]["errors"]] == [case.field])

    record(SECTION, {
        "whole year (LOG_LEVEL=DEBUG, the five services)": {
            "people added with an ID number": len(year.people), "people completing a course": len(year.completions),
            "contracts evaluated": len(year.evaluations),
            "intakes with an ID number in a field not meant for it": len(year.misplaced),
            "of them refused naming that field": refused, "dead letters sent with an ID number": len(letters),
            "ID numbers looked for": len(numbers)},
        "scanned, and what was found": {
            "databases": scans["databases"].figures("documents") | {"collections": len(in_databases)},
            "queues (dead-letter queues included)": scans["queues"].figures("messages") | {
                "queues": len(queues), "dead letters": dead_letters},
            "events the services published": scans["events"].figures("events"),
            "log lines": scans["logs"].figures("lines"),
            "make dlq": scans["make dlq"].figures("lines")},
        "stored records: the smallest number of candidates one record and its mask leave": smallest,
    })

    assert len(year.people) >= 100 and year.completions and year.evaluations
    assert refused == len(year.misplaced), [(c.field, a["data"]) for c, a in year.misplaced
                                           if [e["field"] for e in a["data"].get("errors", [])] != [c.field]][:5]
    assert dead_letters >= len(letters) and "not replayable" in dlq_printed
    assert {"registration.dlq", "training-grading.dlq", "personal-data.ledger"} <= set(queues)
    assert sum(len(docs) for docs in in_databases.values()) > 1000 and len(events) > 500
    assert all(any("DEBUG" in line for line in lines) for lines in logs.values()), "nothing logged at DEBUG"
    for name, scan in scans.items():
        assert scan.found == 0, f"{name}: {scan.where()}"
    assert smallest >= THRESHOLD
    assert all(p["id_key_id"] == IdentityKey(IDENTITY_HASH_KEY.encode()).id for p in stored_people)


async def until_dead_lettered(rabbit_url: str, count: int, timeout: float = 60.0) -> None:
    dead_letter_queues = [f"{spec.name}.dlq" for spec in SUITE]
    for _ in range(round(timeout / 0.5)):
        if sum(map(len, (await queue_texts(rabbit_url, dead_letter_queues)).values())) >= count:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"fewer than {count} dead letters within {timeout:.0f}s")


def stored_record(id_number: str) -> dict[str, Any]:
    """A person as registration keeps one: through its own rules, as its store writes it."""
    code = uscc.make_uscc("social_group", uscc.WUHOU_REGION_CODE, 5)
    organization = Organization(org_id=org_id_for(code), uscc=code, name="邻里互助会", legal_form="social_group",
                                street="浆洗街街道", community="黉门街社区", domains=(Category.ELDERLY,),
                                full_time_staff=3, founded_on=date(2010, 1, 1), registered_on=date(2012, 1, 1))
    read = read_person({"org_id": str(organization.org_id), "person_ref": "finance", "name": "张三丰",
                        "role": "finance", "id_number": id_number}, organization, date(2014, 11, 19))
    assert isinstance(read, tuple), read
    decision = add_person(*read, people=[], keys=IdentityKeys(IdentityKey(IDENTITY_HASH_KEY.encode())),
                          today=date(2014, 11, 19))
    assert decision.person is not None
    return decision.person.model_dump(mode="json")


@pytest.mark.parametrize("born", [date(1949, 12, 31), date(1980, 5, 17), date(2000, 2, 29)], ids=str)
def test_a_stored_record_and_its_mask_leave_at_least_10_8_candidates_without_the_key(born: date) -> None:
    number = make_id_number("510107", born, 17)
    stored = stored_record(number)
    left = search_space(stored["id_masked"], date.fromisoformat(stored["added_on"]))
    record(SECTION, {"a stored record and its mask, without the key": {
        f"born {born}": {"mask": stored["id_masked"], "candidates": left}}})
    assert stored["id_masked"] == "*" * 14 + number[-4:]
    assert number not in json.dumps(stored) and number[6:14] not in json.dumps(stored)
    assert left >= THRESHOLD
    # The mask this replaced (region and last four shown) left a few thousand: the number back in under a second.
    assert search_space(number[:6] + "*" * 8 + number[-4:], date(2014, 11, 19)) < 10_000


@pytest.mark.parametrize("given", [{}, {"IDENTITY_HASH_KEY": LOCAL_DEVELOPMENT_KEY}], ids=["unset", "set to it"])
def test_outside_development_registration_refuses_to_start_on_the_development_key(
    service_env: dict[str, str], given: dict[str, str],
) -> None:
    # The tests run the district's clock in drill mode, which production refuses on its own: the system clock here.
    production = {**service_env, "DISTRICT_ENV": "production", "DISTRICT_CLOCK": "system", **given}
    process = ServiceProcess("registration", production).start()
    assert process.process is not None
    assert process.process.wait(60) != 0
    log = process.log()
    assert "IDENTITY_HASH_KEY must be set to this district's own secret" in log, log
    assert "DISTRICT_ENV=production" in log and "startup complete" not in log
    record(SECTION, {"registration on the development key outside development": {
        f"IDENTITY_HASH_KEY {'unset' if not given else 'set to it'}": {
            "exit status": process.process.returncode, "names the setting": True}}})
