"""The one follower of the platform's event stream, for the console and the displays.

Any failure — refused connection, a 5xx from a proxy, a cut stream, a silent
connection (no keepalive within the read timeout) — is reported as "offline" and
retried with backoff, resuming by Last-Event-ID so no event is seen twice or
missed. Only a refused login is different: "auth" (the counter's ShiftLogin logs
in again by itself where it can; a device shows its token problem).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

from window_tui.client import (
    LoginRequired,
    PlatformClient,
    PlatformRejected,
    PlatformUnavailable,
    StreamEvent,
)

log = logging.getLogger("window_tui.events")


@dataclass(frozen=True)
class FollowerUpdate:
    kind: str  # "online" (stream open), "event", "offline", "auth"
    event: StreamEvent | None = None
    detail: str = ""


class EventFollower:
    def __init__(self, client: PlatformClient, *, last_event_id: int = 0, retry_initial: float = 0.5,
                 retry_cap: float = 15.0, read_timeout: float = 40.0) -> None:
        self.client = client
        self.last_event_id = last_event_id
        self.retry_initial, self.retry_cap, self.read_timeout = retry_initial, retry_cap, read_timeout
        self.failures = 0
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True

    def _delay(self) -> float:
        base = min(self.retry_cap, self.retry_initial * 2 ** min(self.failures, 16))
        return random.uniform(base / 2, base)

    async def follow(self) -> AsyncIterator[FollowerUpdate]:
        while not self._stopped:
            try:
                async for event in self.client.events(self.last_event_id, read_timeout=self.read_timeout,
                                                      announce_open=True):
                    if event.kind == "open":
                        self.failures = 0
                        yield FollowerUpdate("online")
                        continue
                    if event.id <= self.last_event_id:
                        continue  # never hand on an event twice, whatever the server sends
                    self.last_event_id = event.id
                    yield FollowerUpdate("event", event)
                detail = "事件流已结束，正在重新连接"
                kind = "offline"
            except LoginRequired as exc:
                kind, detail = "auth", exc.message
            except PlatformRejected as exc:
                kind = "auth" if exc.status == 401 else "offline"
                detail = exc.message if exc.status == 401 else f"事件流被拒绝：{exc.message}"
            except PlatformUnavailable as exc:
                kind, detail = "offline", exc.message
            except (ValueError, KeyError) as exc:  # a garbled event: reconnect and resume after the last good one
                log.warning("event stream garbled: %r", exc)
                kind, detail = "offline", f"事件流数据异常：{exc}"
            self.failures += 1
            yield FollowerUpdate(kind, detail=detail)
            await asyncio.sleep(self.retry_cap if kind == "auth" else self._delay())
