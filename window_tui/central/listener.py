"""Wakes this process's event streams when any platform process, on any host,
commits an event to the PostgreSQL database (LISTEN/NOTIFY; the trigger is in
`dialect.after_migrate`). Supervised: a lost connection is logged, shown on
/health, and retried with backoff; meanwhile the streams poll once a second, so
a display is late by at most that, never missing a call. One listener serves every
hall of a process: a notification names the schema (the hall) whose events moved."""

from __future__ import annotations

import asyncio
import logging

import psycopg

from window_tui.central.dialect import EVENTS_CHANNEL, LISTENER_APPLICATION
from window_tui.central.hub import EventHub

log = logging.getLogger("window_tui.central.listener")
FALLBACK_POLL = 1.0  # seconds between a stream's own looks at the events table


class EventListener:
    def __init__(self, url: str, hubs: dict[str, EventHub], *, max_backoff: float = 30.0) -> None:
        self.url = url
        self.hubs = hubs  # schema -> the streams of that hall (halls join while serving)
        self.max_backoff = max_backoff
        self.state = "未启动"
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    def ensure_started(self) -> None:
        """Called from the serving loop (the first event stream starts it)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="event-listener")

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=5, application_name=LISTENER_APPLICATION)
                async with connection:
                    await connection.execute(f"LISTEN {EVENTS_CHANNEL}")
                    self.state = "监听中"
                    delay = 0.5
                    self._wake_all()  # whatever was committed while nobody listened
                    async for notice in connection.notifies():
                        hub = self.hubs.get(notice.payload)
                        if hub is None:
                            self._wake_all()  # a trigger from before halls named their schema
                        else:
                            hub.notify()
                reason = "连接已关闭"
            except Exception as exc:  # noqa: BLE001 (every failure is logged, shown and retried)
                reason = f"{type(exc).__name__}: {exc}"
            log.warning("event listener lost (%s); retrying in %g s", reason, delay)
            self.failures += 1
            self.state = f"未能监听（{reason.split(':')[0]}），每秒轮询；{delay:g} 秒后重试"
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    def _wake_all(self) -> None:
        for hub in list(self.hubs.values()):
            hub.notify()
