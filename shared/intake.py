"""Reading input, the one way every service does it.

- An intake event (`intake.*`, from outside) becomes its typed model, or the service's `*.rejected` event naming
  every bad field, echoing the ids the input carried so the sender can match the answer to its request.
- Another service's event becomes the consumer's own reading of it, or is dead-lettered as unprocessable: it
  breaks the contract between two services, which no retry and no sender can fix, only an operator.

District rules that need more than the input (the configured streets, today's date) are pydantic validators on
the model, given what they need as the validation `context`, so one pass names every bad field.

Every intake of every service is also read for citizen ID numbers (`shared.personal_data`): one in any field but
the one meant for it (`id_number_at`) refuses the intake naming that field, and no rejection ever repeats it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.consumer import Unprocessable
from shared.envelope import Envelope, FieldError
from shared.i18n import _
from shared.outcome import Emit, rejected
from shared.personal_data import MISPLACED, RULE, holds_id_number, misplaced_id_numbers, redact
from shared.validation import parse

M = TypeVar("M", bound=BaseModel)

MAX_ECHOED_ID = 100


def echoed(data: Any, names: Iterable[str]) -> dict[str, str]:
    """The ids the input named, where they are plausible text: a rejection repeats them, never anything else (nor
    one that holds an ID number)."""
    if not isinstance(data, Mapping):
        return {}
    found: dict[str, str] = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_ECHOED_ID and not holds_id_number(value):
            found[name] = value.strip()
    return found


def refusal(rejected_type: str, errors: list[FieldError], data: Any, echo: Iterable[str] = (),
            **ids: Any) -> Emit:
    """A `*.rejected` event naming `errors`, with the ids `echo` names taken from the input, and `ids` given.

    A message or a field name that repeats an ID number from the input has it removed: a rejection is published.
    """
    scrubbed = [FieldError(field=redact(e.field), message=redact(e.message)) for e in errors]
    return rejected(rejected_type, scrubbed, **{**echoed(data, echo), **ids})


def read_intake(model: type[M], data: Any, *, rejected: str, echo: Iterable[str] = (),
                context: Mapping[str, Any] | None = None, id_number_at: Iterable[str] = ()) -> M | Emit:
    """The intake as `model`, or the `rejected` event naming every bad field and echoing the ids in `echo`.

    `id_number_at`: the field meant for a citizen ID number, if the intake has one; one anywhere else is refused.
    """
    meant_for = tuple(id_number_at)
    parsed = parse(model, data, dict(context) if context is not None else None)
    misplaced = misplaced_id_numbers(data, meant_for)
    if misplaced:
        message = _(MISPLACED).format(rule=RULE) + (_("; give it as {fields}").format(
            fields=_(" or ").join(meant_for)) if meant_for else "")
        # The guard's own error stands for the model's on that field (a key holding a number is named by its object).
        others = ([e for e in parsed if e.field not in misplaced and not holds_id_number(e.field)]
                  if isinstance(parsed, list) else [])
        return refusal(rejected, [*others, *(FieldError(field=f, message=message) for f in misplaced)], data, echo)
    if isinstance(parsed, list):
        return refusal(rejected, parsed, data, echo)
    return parsed


def read_event(model: type[M], event: Envelope, context: Mapping[str, Any] | None = None) -> M:
    """Another service's event as this consumer reads it; one that breaks the contract is unprocessable."""
    parsed = parse(model, event.data, dict(context) if context is not None else None)
    if isinstance(parsed, list):
        reasons = "; ".join(f"{e.field}: {e.message}" for e in parsed)
        raise Unprocessable(_("breaks the contract: {reasons}").format(reasons=reasons))
    return parsed
