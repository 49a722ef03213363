"""Hostile deliveries for the intake fuzz: hypothesis strategies for bodies no service should choke on.

Every `Case` is invalid by construction and says what must become of it: a valid envelope whose `data` misses a
required field or has one of the wrong type is answered by a `*.rejected` event; a body that is not JSON, not an
object, or not a valid envelope (an escaped lone surrogate included: it has no UTF-8 form; so are a number past
Python's 4,300 digits and a body of more values than the kernel reads), or whose type does not match its routing
key, is dead-lettered. Data nested near the JSON reader's own limit may end either way, but must
end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from shared.consumer import MAX_BODY_VALUES

REJECTED = frozenset({"rejected"})
DEAD_LETTERED = frozenset({"dead_lettered"})
EITHER = REJECTED | DEAD_LETTERED

HUGE = 200_000  # characters in a "huge" string
OVERSIZED = 1_100_000  # bytes: past the kernel's 1 MB body limit
DEEPEST = 5_000  # nesting levels: past Python's recursion limit

ODD = ("\u202e", "\u200f", "\u200b", "\u200c", "\u200d", "\ufeff", "\u0000", "\u0301", "\U0001f468\u200d\U0001f469",
       "\U0001f525", "\u0645\u0631\u062d\u0628\u0627", "\ufffd", "\\", "\"", "\n", "$where", "a.b", "%s", "{0}")
SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")


@dataclass(frozen=True)
class Case:
    """One delivery: its body, the routing key it is published with, and the outcomes allowed for it."""

    kind: str
    routing_key: str
    body: bytes
    tag: str  # the AMQP message_id, and the envelope's event_id when it has a valid one
    expect: frozenset[str]


@dataclass(frozen=True)
class Intake:
    """One intake event a service consumes: a valid-looking `data` for it, and the fields it requires."""

    type: str
    base: dict[str, Any]
    required: tuple[str, ...]


# -- values ------------------------------------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(ODD), min_size=1, max_size=6).map("".join),
    st.builds(lambda a, b: a + b, st.text(max_size=10), st.sampled_from(ODD)),
)
surrogate_text = st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), st.sampled_from(SURROGATES),
                           st.text(max_size=5))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63),
                    st.floats(allow_nan=False, allow_infinity=False), odd_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(odd_text, inner, max_size=4)),
                           max_leaves=12)
# At most 4 UTF-8 bytes a character (a NUL is written as 6), so one huge string stays under the 1 MB body limit.
huge_text = st.sampled_from(("a", "社", "\u202e", "\U0001f525", "a\u0000b")).map(lambda piece: (piece * HUGE)[:HUGE])


def deep_json(depth: int) -> str:
    """`depth` levels of nesting (objects and arrays in turn), written directly: json.dumps would itself hit
    the recursion limit."""
    opening = "".join('{"x":' if i % 2 else "[" for i in range(depth))
    return opening + "1" + "".join("}" if i % 2 else "]" for i in reversed(range(depth)))


# -- envelopes ---------------------------------------------------------------------------------------------------


def envelope(type_: str, data: Any, event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or str(uuid.uuid4()), "type": type_, "version": 1,
            "occurred_at": datetime.now(UTC).isoformat(), "source": "fuzz", "correlation_id": None, "data": data}


def encode(document: Any, ascii_only: bool) -> bytes:
    # Lone surrogates can only travel escaped (`\ud800`): they have no UTF-8 form.
    return json.dumps(document, ensure_ascii=ascii_only, allow_nan=False).encode("utf-8")


def has_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and any("\ud800" <= c <= "\udfff" for c in item):
            return True
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False


def valid_envelope_case(kind: str, intake: Intake, data: Any, ascii_only: bool) -> Case:
    """Rejected; unless a string holds a lone surrogate, which makes the body unreadable: dead-lettered."""
    event = envelope(intake.type, data)
    odd = has_surrogate(data)
    return Case(kind, intake.type, encode(event, ascii_only or odd), event["event_id"],
                DEAD_LETTERED if odd else REJECTED)


def dead_letter_case(kind: str, routing_key: str, body: bytes) -> Case:
    return Case(kind, routing_key, body, str(uuid.uuid4()), DEAD_LETTERED)


# -- invalid data ------------------------------------------------------------------------------------------------


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every value below the top level (a leaf, or a dict or list with its own path)."""
    paths: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            paths += leaf_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            paths += leaf_paths(inner, (*prefix, index))
    return paths


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = replaced(copy[head], rest, new)
    return copy


def wrong_kind(value: Any) -> st.SearchStrategy[Any]:
    """Values of a kind no field typed like `value` accepts, even leniently (no container coerces to another):
    among them query operators, in case a handler looks something up before it validates."""
    if isinstance(value, dict):
        return st.sampled_from((["wrong", "type"], [value], []))
    return st.sampled_from(({"wrong": "type"}, {"$ne": None}, {"$gt": ""}, {"$regex": ".*"}, {"$where": "sleep(1000)"},
                            {}, *([] if isinstance(value, list) else [[value]])))


def text_paths(value: Any) -> list[tuple[Any, ...]]:
    return [p for p in leaf_paths(value) if isinstance(_at(value, p), str)]


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


@st.composite
def broken_data(draw: st.DrawFn, intake: Intake, odd_values: st.SearchStrategy[Any] = odd_text) -> Any:
    """The intake's valid-looking data made invalid: a required field dropped or a value of the wrong kind; then
    other strings made odd and unknown fields added (invalid either way)."""
    data: Any = dict(intake.base)
    if draw(st.booleans()) and intake.required:
        del data[draw(st.sampled_from(intake.required))]
    else:
        path = draw(st.sampled_from(leaf_paths(data)))
        data = replaced(data, path, draw(wrong_kind(_at(data, path))))
    for path in draw(st.lists(st.sampled_from(text_paths(data) or [()]), max_size=2, unique=True)):
        if path:
            data = replaced(data, path, draw(odd_values))
    extras = draw(st.dictionaries(odd_text.filter(lambda k: k not in intake.base), json_values, max_size=3))
    return {**data, **extras}


# -- the kinds of case -------------------------------------------------------------------------------------------

Kind = Callable[[st.DrawFn, Intake, list[Intake]], Case]


def missing_or_wrong(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    return valid_envelope_case("invalid data", intake, draw(broken_data(intake)), draw(st.booleans()))


def odd_unicode(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    odd_values = st.one_of(odd_text, surrogate_text)
    return valid_envelope_case("odd unicode", intake, draw(broken_data(intake, odd_values)), draw(st.booleans()))


def huge_strings(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    data, big = draw(broken_data(intake)), draw(huge_text)
    paths = text_paths(data)
    data = replaced(data, draw(st.sampled_from(paths)), big) if paths else {**data, "notes": big}
    return valid_envelope_case("huge string", intake, data, False)


def random_data(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    data = draw(st.dictionaries(odd_text, json_values, max_size=6).filter(
        lambda d: not set(intake.required) <= set(d)))
    return valid_envelope_case("random data", intake, data, draw(st.booleans()))


def nested_data(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    """A required field dropped, and a field (maybe that one) nested 50 to 900 levels deep."""
    depth = draw(st.sampled_from((50, 200, 900)))
    data = {k: v for k, v in intake.base.items() if k != intake.required[0]}
    data[draw(st.sampled_from(sorted(intake.base)))] = "PLACEHOLDER"
    event = envelope(intake.type, data)
    body = json.dumps(event, ensure_ascii=False).replace('"PLACEHOLDER"', deep_json(depth)).encode()
    return Case("deep data", intake.type, body, event["event_id"],
                REJECTED if depth <= 200 else EITHER)


def many_entries(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    """A required field dropped, and thousands of entries (unknown fields, or in a field holding a dict or a list),
    each of which could earn its own field error: rejected below the kernel's limit on values, dead-lettered above."""
    count = draw(st.one_of(st.integers(1_000, MAX_BODY_VALUES - 2_000), st.integers(MAX_BODY_VALUES + 2_000, 60_000)))
    value: Any = draw(st.sampled_from(("x", -1, None, [])))
    entries = {f"{i:x}": value for i in range(count)}
    data = {k: v for k, v in intake.base.items() if k != intake.required[0]}
    containers = sorted(k for k, v in data.items() if isinstance(v, (dict, list)))
    target = draw(st.sampled_from([None, *containers]))
    if target is None:
        data.update(entries)
    else:
        data[target] = entries if isinstance(data[target], dict) else list(entries.values())
    event = envelope(intake.type, data)
    return Case("thousands of entries", intake.type, encode(event, True), event["event_id"],
                REJECTED if count < MAX_BODY_VALUES else DEAD_LETTERED)


def deep_body(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    depth = draw(st.integers(min_value=DEEPEST, max_value=DEEPEST * 20))
    event = envelope(intake.type, {"x": "PLACEHOLDER"})
    body = json.dumps(event).replace('"PLACEHOLDER"', deep_json(depth))
    if draw(st.booleans()):
        body = "[" * depth + "]" * depth
    return dead_letter_case("deep nesting", intake.type, body.encode())


def huge_number(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    """A number of thousands of digits: valid JSON, but more than Python reads as an int (4,300 digits)."""
    digits = draw(st.integers(min_value=4_301, max_value=200_000))
    event = envelope(intake.type, {**intake.base, draw(st.sampled_from(sorted(intake.base))): "PLACEHOLDER"})
    number = draw(st.sampled_from(("1", "-9"))) + "7" * digits
    return dead_letter_case("number of thousands of digits", intake.type,
                            json.dumps(event).replace('"PLACEHOLDER"', number).encode())


def not_json(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    body = draw(st.one_of(
        st.binary(max_size=200),
        st.text(max_size=100).map(lambda t: ("{" + t).encode("utf-8", "surrogatepass")),
        st.just(b""), st.just(b"\xef\xbb\xbf{}"), st.just(b'{"event_id": NaN'),
        st.builds(lambda e: json.dumps(e)[:-1].encode(), st.just(envelope(intake.type, intake.base))),
    ).filter(lambda b: _not_json(b)))
    return dead_letter_case("not json", intake.type, body)


def _not_json(body: bytes) -> bool:
    try:
        return not isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return True


def not_an_object(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    value = draw(st.one_of(st.lists(json_values, max_size=3), scalars, st.just([envelope(intake.type, {})])))
    return dead_letter_case("not an object", intake.type, encode(value, True))


ENVELOPE_BREAKS: dict[str, Any] = {
    "event_id": ("not-a-uuid", "", 42, None, "123e4567-e89b-12d3-a456-42661417400", ["x"]),
    "type": ("", "intake", "Intake.Project.Proposed", "intake..x", 7, "intake." + "x" * 300),
    "version": (0, -1, 1001, "one", 1.5, None),
    "occurred_at": ("yesterday", "2026-11-28T06:00:00", "", None, "2026-13-45T00:00:00Z"),
    "source": ("", "s" * 201, 42, None),
    "data": ([], "text", None, 1, [{"a": 1}]),
    "correlation_id": ("not-a-uuid", 5, ["x"]),
}


def broken_envelope(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    event = envelope(intake.type, draw(broken_data(intake)))
    field = draw(st.sampled_from(sorted(ENVELOPE_BREAKS)))
    if field != "correlation_id" and draw(st.booleans()):
        del event[field]
    else:
        event[field] = draw(st.sampled_from(ENVELOPE_BREAKS[field]))
    return dead_letter_case("invalid envelope", intake.type, encode(event, True))


def wrong_routing_key(draw: st.DrawFn, intake: Intake, intakes: list[Intake]) -> Case:
    others = [i.type for i in intakes if i.type != intake.type] + ["intake.unknown.thing", "catalog.project.published"]
    event = envelope(draw(st.sampled_from(others)), intake.base)
    return dead_letter_case("type does not match routing key", intake.type, encode(event, True))


def oversized(draw: st.DrawFn, intake: Intake, _: list[Intake]) -> Case:
    data = {**intake.base, "padding": "p" * OVERSIZED}
    return dead_letter_case("body over 1 MB", intake.type, encode(envelope(intake.type, data), True))


# Each kind with its weight: the share of a service's cases it gets, spread evenly over the intake types.
KINDS: tuple[tuple[Kind, int], ...] = (
    (missing_or_wrong, 3), (odd_unicode, 2), (random_data, 2), (huge_strings, 1), (nested_data, 1),
    (many_entries, 1), (deep_body, 1),
    (huge_number, 1), (not_json, 1), (not_an_object, 1), (broken_envelope, 2), (wrong_routing_key, 1), (oversized, 1),
)


@st.composite
def hostile_case(draw: st.DrawFn, kind: Kind, intake: Intake, intakes: list[Intake]) -> Case:
    return kind(draw, intake, intakes)
