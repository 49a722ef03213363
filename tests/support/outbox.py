"""What the outbox tests watch: the reads a client sends to the outbox."""

from __future__ import annotations

from collections.abc import Callable

from pymongo import monitoring

from shared.outbox import OUTBOX


class OutboxReads(monitoring.CommandListener):
    """The `find`s a client sends to the outbox: how often the relay reads it. Each of `during` runs (once) as the
    next read starts, for a commit that crosses it."""

    def __init__(self) -> None:
        self.reads = 0
        self.during: list[Callable[[], None]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == OUTBOX:
            self.reads += 1
            while self.during:
                self.during.pop(0)()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
