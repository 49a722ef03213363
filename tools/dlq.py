"""`make dlq` and `make replay-dlq SERVICE=…`: what each service dead-lettered and why, and sending it back.

Listing leaves every message where it is, and then shows what each service's database keeps only to recognise
repeats (sent outbox events, inbox claims, receipt times) and for how long, from the service's /metrics.
Replaying sends each message once, unchanged (same `event_id`), to the queue it was dead-lettered from (or, when
that is unknown, to `district.events` under its original routing key), then removes it from the dead-letter
queue. A message replayed twice after a crash between the two steps
is dropped by the consumer's inbox, so its outcome still happens exactly once.

A dead letter keeps no personal data in clear: the kernel takes it out before dead-lettering (`shared.service`),
and such a letter is marked as not replayable, saying why; replay leaves it where it is and says so. Nothing
printed here ever shows a message's body, and anything shaped like an ID number is removed from what is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.request
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from prometheus_client.parser import text_string_to_metric_families

from shared.i18n import _, number
from shared.personal_data import NOT_REPLAYABLE_HEADER, REPLAYABLE_HEADER, redact
from shared.tables import pad
from shared.topology import EVENTS_EXCHANGE_NAME, dead_letter_queue_name
from tools.broker import operator_url
from tools.suite import SUITE, ServiceSpec


@dataclass(frozen=True)
class DeadLetter:
    service: str
    message_id: str | None
    routing_key: str
    queue: str
    reason: str
    deaths: int
    dead_lettered_at: str
    not_replayable: str | None = None  # why, when the kernel took personal data out of it


def _text(value: Any) -> str:
    return redact(value.decode(errors="replace") if isinstance(value, bytes) else str(value))


def describe(service: str, message: AbstractIncomingMessage) -> DeadLetter:
    """Read our own headers (kernel dead-lettering) or the broker's x-death (delivery limit, rejection)."""
    headers: dict[str, Any] = dict(message.headers or {})
    deaths = headers.get("x-death") or []
    first: dict[str, Any] = dict(deaths[0]) if isinstance(deaths, list) and deaths else {}
    routing_keys = first.get("routing-keys") or [message.routing_key or ""]
    if "x-error" in headers:
        reason = _text(headers["x-error"])
        count = int(headers.get("x-failed-deliveries", 1) or 1)
    else:
        reason = _("broker: {reason}").format(reason=_text(first.get("reason", "unknown")))
        count = int(first.get("count", 1) or 1)
    return DeadLetter(
        service=service,
        message_id=message.message_id,
        routing_key=_text(headers.get("x-original-routing-key") or routing_keys[0]),
        queue=_text(headers.get("x-original-queue") or first.get("queue") or ""),
        reason=reason,
        deaths=count,
        dead_lettered_at=_text(headers.get("x-dead-lettered-at") or first.get("time") or ""),
        not_replayable=(_text(headers.get(NOT_REPLAYABLE_HEADER) or _("personal data taken out"))
                        if headers.get(REPLAYABLE_HEADER) is False else None),
    )


async def _messages(channel: AbstractChannel, service: str) -> list[AbstractIncomingMessage]:
    """Every message now in the service's DLQ, taken unacknowledged (they return if the channel closes)."""
    try:
        queue = await channel.get_queue(dead_letter_queue_name(service), ensure=True)
    except aio_pika.exceptions.ChannelClosed:
        return []
    taken = []
    while (message := await queue.get(no_ack=False, fail=False, timeout=5)) is not None:
        taken.append(message)
    return taken


async def list_dead_letters(url: str, services: list[str]) -> list[DeadLetter]:
    connection = await aio_pika.connect(url)
    try:
        found: list[DeadLetter] = []
        for service in services:
            channel = await connection.channel()
            found += [describe(service, m) for m in await _messages(channel, service)]
            await channel.close()  # unacknowledged: every message goes back where it was
        return found
    finally:
        await connection.close()


async def replay(url: str, service: str) -> int:
    """Send the service's dead letters back, each once; return how many. One that is not replayable stays."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange(EVENTS_EXCHANGE_NAME)
        replayed = 0
        for message in await _messages(channel, service):
            letter = describe(service, message)
            if letter.not_replayable:
                continue  # left unacknowledged: it stays in the dead-letter queue
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            headers["x-replayed-from"] = dead_letter_queue_name(service)
            copy = aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                                    content_type=message.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            if letter.queue:
                await channel.default_exchange.publish(copy, routing_key=letter.queue)
            else:
                await events.publish(copy, routing_key=letter.routing_key)
            await message.ack()
            replayed += 1
        return replayed
    finally:
        await connection.close()


def _print(letters: list[DeadLetter], services: list[str]) -> None:
    for service in services:
        mine = [x for x in letters if x.service == service]
        print(_("{queue}: {count} message(s)").format(queue=dead_letter_queue_name(service), count=number(len(mine))))
        for x in mine:
            deaths = _("deaths {count}").format(count=x.deaths)
            print(f"  {x.message_id or '-':<36}  {x.routing_key:<34} {pad(deaths, 10)} {x.dead_lettered_at}")
            print("      " + _("from {queue}: {reason}").format(queue=x.queue or "-", reason=x.reason))
            if x.not_replayable:
                print("      " + _("not replayable: {why}").format(why=x.not_replayable))


def retained(spec: ServiceSpec) -> dict[str, tuple[int, int]] | None:
    """What a service's database keeps for repeats: {collection: (documents, retention in seconds)}, from its
    /metrics; None if it does not answer."""
    try:
        with urllib.request.urlopen(f"{spec.url}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    kept: dict[str, int] = {}
    retention: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            target = {"district_retained_documents": kept, "district_retention_seconds": retention}.get(sample.name)
            if target is not None:
                target[sample.labels["collection"]] = int(sample.value)
    return {name: (kept.get(name, 0), seconds) for name, seconds in retention.items()}


def retention_lines(specs: list[ServiceSpec]) -> list[str]:
    lines = [_("kept only to recognise repeats, deleted by the service after the retention:")]
    for spec in specs:
        found = retained(spec)
        if found is None:
            lines.append(f"  {spec.name:<18} " + _("not answering at {url}").format(url=spec.url))
            continue
        lines.append(f"  {spec.name:<18} " + ", ".join(
            _("{collection} {count} ({days} days)").format(
                collection=name, count=number(count), days=number(seconds / 86_400, 0 if seconds % 86_400 == 0 else 1))
            for name, (count, seconds) in sorted(found.items())))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("--service", default=os.environ.get("SERVICE") or None)
    parser.add_argument("--json", action="store_true", help=_("list as JSON"))
    args = parser.parse_args()
    url = operator_url()
    names = [s.name for s in SUITE]
    if args.action == "replay":
        if args.service not in names:
            print(_("replay-dlq: say which service, SERVICE=one of {names}").format(names=", ".join(names)),
                  file=sys.stderr)
            return 2
        count = asyncio.run(replay(url, args.service))
        print(_("replayed {count} message(s) from {queue}").format(count=number(count),
                                                                  queue=dead_letter_queue_name(args.service)))
        kept = [x for x in asyncio.run(list_dead_letters(url, [args.service])) if x.not_replayable]
        for letter in kept:
            print("  " + _("left {message_id} ({routing_key}): {why}").format(
                message_id=letter.message_id or "-", routing_key=letter.routing_key, why=letter.not_replayable))
        return 0
    services = [args.service] if args.service else names
    letters = asyncio.run(list_dead_letters(url, services))
    if args.json:
        print(json.dumps([x.__dict__ for x in letters], ensure_ascii=False, indent=2))
    else:
        _print(letters, services)
        print("\n".join(retention_lines([s for s in SUITE if s.name in services])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
