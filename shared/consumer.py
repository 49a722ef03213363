"""The path of one delivery: decode the envelope, handle it once, and settle the message.

- A body that is not JSON, or not a valid envelope: dead-lettered at once with the reason, then acked.
- A repeat (the inbox has it): acked, nothing else.
- A transient fault (database down): retried here with back-off for a while, then handed back to the broker.
- Any other fault: handed back for redelivery; on the last delivery the delivery limit allows, dead-lettered
  with the reason, so a poison message ends in the dead-letter queue instead of looping.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from faststream.exceptions import RejectMessage
from pydantic import ValidationError

from shared.envelope import Envelope
from shared.i18n import _
from shared.inbox import AlreadyHandled
from shared.mongo import is_transient
from shared.personal_data import redact
from shared.topology import EVENTS_EXCHANGE_NAME
from shared.validation import field_errors

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# A district event carries tens or hundreds of values. Tens of thousands (a 1 MB body can hold 300,000) would each
# earn a field error: a rejection several times the body's size, built while the event loop waits (ready stops
# answering). Each value takes 2 bytes or more, so only a body over twice the limit needs counting.
MAX_BODY_VALUES = 10_000


class Unprocessable(Exception):
    """A readable envelope whose content no retry will fix (another service's event that breaks the contract)."""


class InvalidEnvelope(Exception):
    """The body cannot be read as an envelope; it goes to the dead-letter queue with this reason."""


_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def unpaired_surrogate(value: Any) -> str | None:
    """The path of the first string (or key) holding a lone UTF-16 surrogate, if any; iterative, since a body
    may nest as deep as the JSON reader allows."""
    pending: list[tuple[str, Any]] = [("the body", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and not _encodable(item):
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not _encodable(key):
                    return f"a key of {path}"
                pending.append((f"{path}.{key[:40]}" if path != "the body" else key[:40], inner))
        elif isinstance(item, list):
            pending.extend((f"{path}[{i}]", inner) for i, inner in enumerate(item))
    return None


def values_in(value: Any, limit: int = MAX_BODY_VALUES) -> int:
    """How many entries the body's objects and arrays hold, counted until past `limit`; iterative, like the above."""
    count, pending = 0, [value]
    while pending and count <= limit:
        item = pending.pop()
        if isinstance(item, dict):
            count += len(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            count += len(item)
            pending.extend(item)
    return count


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_envelope(body: bytes, routing_key: str | None) -> Envelope:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEnvelope(_("body of {size} bytes exceeds the {limit}-byte limit").format(
            size=len(body), limit=MAX_BODY_BYTES))
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError, UnicodeDecodeError, and a number past Python's 4,300-digit int limit;
        # RecursionError, nesting deeper than the reader's stack.
        raise InvalidEnvelope(_("body is not valid JSON: {error}").format(error=str(exc)[:200])) from None
    if not isinstance(raw, dict):
        raise InvalidEnvelope(_("envelope must be a JSON object, got {kind}").format(kind=type(raw).__name__))
    if len(body) > 2 * MAX_BODY_VALUES and values_in(raw) > MAX_BODY_VALUES:
        raise InvalidEnvelope(_("body holds more than {limit} values in its objects and arrays").format(
            limit=MAX_BODY_VALUES))
    if _ESCAPED_SURROGATE.search(body) and (where := unpaired_surrogate(raw)) is not None:
        # Python reads an escaped lone surrogate (`"\ud800"`) into a str that has no UTF-8 form, so no event or
        # document could ever carry it (nor a rejection echoing it): refused here, once, not on every retry.
        raise InvalidEnvelope(_("body is not valid JSON: {where} holds an unpaired surrogate (RFC 8259 section "
                                "8.2)").format(where=where))
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        reasons = "; ".join(f"{e.field}: {e.message}" for e in field_errors(exc)[:10])
        raise InvalidEnvelope(_("not a valid envelope: {reasons}").format(reasons=reasons)) from None
    if routing_key is not None and envelope.type != routing_key:
        raise InvalidEnvelope(_("envelope type {type!r} does not match routing key {key!r}").format(
            type=envelope.type, key=routing_key))
    return envelope


@dataclass(frozen=True)
class DeliveryPolicy:
    delivery_limit: int
    transient_retry_seconds: float


DeadLetter = Callable[[AbstractIncomingMessage, str], Awaitable[None]]
Apply = Callable[[Envelope], Awaitable[Any]]


def deliveries_so_far(message: AbstractIncomingMessage) -> int:
    """How many times the broker has delivered this message before (quorum queues count it)."""
    count = (message.headers or {}).get("x-delivery-count", 0)
    return int(count) if isinstance(count, int) else 0


async def settle(
    message: AbstractIncomingMessage, apply: Apply, dead_letter: DeadLetter, policy: DeliveryPolicy,
    on_outcome: Callable[[str], None],
) -> None:
    """Process one delivery; return to ack it, raise RejectMessage(requeue=True) to have it redelivered."""
    try:
        # A replay from a dead-letter queue arrives straight to the queue (default exchange), named by queue.
        routed_by_type = message.exchange == EVENTS_EXCHANGE_NAME
        envelope = decode_envelope(message.body, message.routing_key if routed_by_type else None)
    except InvalidEnvelope as exc:
        await dead_letter(message, str(exc))
        on_outcome("dead_lettered")
        return
    started = time.monotonic()
    backoff = 0.1
    while True:
        try:
            await apply(envelope)
        except AlreadyHandled:
            on_outcome("duplicate")
            return
        except Unprocessable as exc:
            await dead_letter(message, f"unprocessable {envelope.type}: {exc}")
            on_outcome("dead_lettered")
            return
        except Exception as exc:
            if is_transient(exc) and time.monotonic() - started < policy.transient_retry_seconds:
                log.warning("%s %s: transient fault, retrying: %s", envelope.type, envelope.event_id,
                            redact(str(exc)))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            await _give_back(message, envelope, exc, dead_letter, policy, on_outcome)
            return
        on_outcome("handled")
        return


async def _give_back(
    message: AbstractIncomingMessage, envelope: Envelope, exc: Exception, dead_letter: DeadLetter,
    policy: DeliveryPolicy, on_outcome: Callable[[str], None],
) -> None:
    attempt = deliveries_so_far(message) + 1
    # A fault's text may quote the input (a duplicate key's value): no ID number goes into a log or a dead letter.
    reason = f"{type(exc).__name__}: {redact(str(exc))[:500]}"
    if not is_transient(exc) and attempt >= policy.delivery_limit:
        log.error("%s %s failed on delivery %d of %d, dead-lettering: %s",
                  envelope.type, envelope.event_id, attempt, policy.delivery_limit, reason)
        await dead_letter(message, _("failed on {attempts} deliveries: {reason}").format(attempts=attempt,
                                                                                         reason=reason))
        on_outcome("dead_lettered")
        return
    log.warning("%s %s failed on delivery %d, handing back: %s", envelope.type, envelope.event_id, attempt, reason)
    on_outcome("retried")
    await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
    raise RejectMessage(requeue=True)
