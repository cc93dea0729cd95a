"""Wakes event-stream readers when new events are committed.

Readers remember the version they last saw, query the database, and wait only
if the version has not moved since: a notification between the query and the
wait is never lost."""

from __future__ import annotations

import asyncio


class EventHub:
    def __init__(self) -> None:
        self.version = 0
        self._changed: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def notify(self) -> None:
        self.version += 1
        event = self._event()
        event.set()
        self._changed = asyncio.Event()  # later waiters wait for the next change

    async def wait(self, seen_version: int, timeout: float) -> bool:
        """True when the version moved past `seen_version` within `timeout` seconds."""
        if self.version != seen_version:
            return True
        event = self._event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
