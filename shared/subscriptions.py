"""A service's subscribers, outcome events and time-driven jobs, declared with decorators where they are written
(FastStream's router is the model), then included into the running service by its `app.py`:

    subscriptions = Subscriptions[Catalog]()

    @subscriptions.intake(PROJECT_PROPOSED, ProjectProposed, rejects=PROJECT_REJECTED, echo=("project_ref",))
    async def project_proposed(proposal: ProjectProposed, tx: Transaction, catalog: Catalog) -> None: ...

- `intake`: an `intake.*` event read into its typed model (`shared.intake.read_intake`); a bad one is answered
  with the `rejects` event naming every bad field, and the handler never sees it.
- `reads`: another service's event read into this consumer's model (`shared.intake.read_event`); one that
  breaks the contract is dead-lettered as unprocessable.
- `subscriber`: the raw envelope, for the rare handler that must look at an input before it is read.
- `job`: a time-driven job, run every so often and at once when a drill moves the day (`shared.jobs`).

Every handler takes `(message, tx, deps)`: the typed message, the transaction (`shared.unit_of_work`), and the
service's dependencies (its store, its rules), given once to `Service.include`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared.documents import Collection as MongoCollection
from shared.envelope import Envelope
from shared.intake import read_event, read_intake
from shared.outcome import Emit
from shared.unit_of_work import Transaction

D = TypeVar("D")
M = TypeVar("M", bound=BaseModel)

Handle = Callable[[Envelope, Transaction, D], Awaitable[None]]
Context = Callable[[D, Transaction], Mapping[str, Any]]
# The documents a handler will look up, by `_id` (a key) or by a field's value (`shared.documents.ByField`, what
# `find_by` reads), from the event's `data` as it came (not yet validated: a key that is missing or not a string or
# integer is skipped) and the service's dependencies: a group commit reads those of all its events together before
# the first handler runs (`shared.documents.PendingWrites.look_up`, `look_up_by`).
LooksUp = Callable[[Mapping[str, Any], D], Iterable[tuple[MongoCollection, Any]]]


def by_id(collection: Callable[[D], MongoCollection], field: str) -> LooksUp[D]:
    """The look-up of one document of `collection` (from the dependencies) by the event's `field` as its `_id`."""
    def looks_up(data: Mapping[str, Any], deps: D) -> list[tuple[MongoCollection, Any]]:
        return [(collection(deps), data.get(field))]

    return looks_up


def purpose_of(binding: str) -> str:
    """The queue's purpose from the event type: `intake.project.proposed` -> `project-proposed`."""
    return "-".join(binding.split(".")[-2:]).replace("_", "-")


@dataclass(frozen=True)
class Subscription(Generic[D]):
    binding: str
    purpose: str
    document: type[BaseModel]
    description: str
    handle: Handle[D]
    reading: type[BaseModel] | None = None  # the consumer's own model of another service's event (`reads`)
    personal: tuple[str, ...] = ()  # fields of `data` a dead letter must not keep (shared.personal_data)
    looks_up: LooksUp[D] | None = None


@dataclass(frozen=True)
class Publication:
    event_type: str
    model: type[BaseModel]
    description: str


@dataclass(frozen=True)
class Job(Generic[D]):
    name: str
    run: Callable[[Any, D], Awaitable[None]]  # (shared.jobs.JobRun, deps)
    every: Callable[[D], float]


class Subscriptions(Generic[D]):
    """What one service consumes, publishes and runs on its own clock; `Service.include` wires it."""

    def __init__(self) -> None:
        self.subscriptions: list[Subscription[D]] = []
        self.publications: list[Publication] = []
        self.jobs: list[Job[D]] = []

    def intake(
        self, binding: str, model: type[M], *, rejects: str, description: str, echo: Iterable[str] = (),
        purpose: str | None = None, context: Context[D] | None = None, document: type[BaseModel] | None = None,
        personal: Iterable[str] = (), looks_up: LooksUp[D] | None = None,
    ) -> Callable[[Callable[[M, Transaction, D], Awaitable[None]]], Callable[[M, Transaction, D], Awaitable[None]]]:
        """Subscribe to an intake event; the handler gets the typed model, a bad input gets `rejects`.
        `personal`: the fields of `data` holding personal data, which a dead letter of it does not keep;
        `looks_up`: the documents by `_id` the handler reads (`LooksUp`)."""
        echoed = tuple(echo)

        def register(handler: Callable[[M, Transaction, D], Awaitable[None]]) -> Callable[
                [M, Transaction, D], Awaitable[None]]:
            async def handle(event: Envelope, tx: Transaction, deps: D) -> None:
                given = context(deps, tx) if context is not None else None
                message = read_intake(model, event.data, rejected=rejects, echo=echoed, context=given)
                if isinstance(message, Emit):
                    tx.emit(message)
                    return
                await handler(message, tx, deps)

            self._add(binding, purpose, document or model, description, handle, personal=tuple(personal),
                      looks_up=looks_up)
            return handler

        return register

    def reads(
        self, binding: str, model: type[M], *, description: str, purpose: str | None = None,
        document: type[BaseModel] | None = None, looks_up: LooksUp[D] | None = None,
    ) -> Callable[[Callable[[M, Transaction, D], Awaitable[None]]], Callable[[M, Transaction, D], Awaitable[None]]]:
        """Subscribe to another service's event, read as this consumer's `model` (dead-lettered if it cannot be);
        `looks_up`: the documents by `_id` the handler reads (`LooksUp`)."""

        def register(handler: Callable[[M, Transaction, D], Awaitable[None]]) -> Callable[
                [M, Transaction, D], Awaitable[None]]:
            async def handle(event: Envelope, tx: Transaction, deps: D) -> None:
                await handler(read_event(model, event), tx, deps)

            self._add(binding, purpose, document or model, description, handle, reading=model, looks_up=looks_up)
            return handler

        return register

    def subscriber(
        self, binding: str, *, document: type[BaseModel], description: str, purpose: str | None = None,
        personal: Iterable[str] = (), looks_up: LooksUp[D] | None = None,
    ) -> Callable[[Handle[D]], Handle[D]]:
        """Subscribe with the raw envelope; the handler reads it itself, with `shared.intake`; `looks_up`: the
        documents by `_id` it reads (`LooksUp`)."""

        def register(handler: Handle[D]) -> Handle[D]:
            self._add(binding, purpose, document, description, handler, personal=tuple(personal),
                      looks_up=looks_up)
            return handler

        return register

    def publishes(self, type_: str, model: type[BaseModel], description: str) -> None:
        """An outcome event this service publishes (it appears in the AsyncAPI document)."""
        self.publications.append(Publication(type_, model, description))

    def job(self, name: str, *, every: Callable[[D], float]) -> Callable[
            [Callable[[Any, D], Awaitable[None]]], Callable[[Any, D], Awaitable[None]]]:
        """A time-driven job: `async def job(run: JobRun, deps)`, every `every(deps)` seconds and on every drill."""

        def register(run: Callable[[Any, D], Awaitable[None]]) -> Callable[[Any, D], Awaitable[None]]:
            self.jobs.append(Job(name, run, every))
            return run

        return register

    def _add(self, binding: str, purpose: str | None, document: type[BaseModel], description: str,
             handle: Handle[D], reading: type[BaseModel] | None = None, personal: tuple[str, ...] = (),
             looks_up: LooksUp[D] | None = None) -> None:
        self.subscriptions.append(Subscription(binding, purpose or purpose_of(binding), document, description,
                                               handle, reading, personal, looks_up))

    def readings(self) -> dict[str, type[BaseModel]]:
        """Each other service's event this one reads, and the model it reads it with (for contract tests)."""
        return {s.binding: s.reading for s in self.subscriptions if s.reading is not None}
