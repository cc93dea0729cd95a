"""A display's view of the queue: a snapshot for the first paint, then the
event stream, resumed by Last-Event-ID after any disconnect, so every call is
shown exactly once and in order."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.events import EventFollower

CALL_KINDS = ("called", "recalled")


@dataclass(frozen=True)
class Call:
    event_id: int
    ticket: str
    window: int
    kind: str  # called | recalled
    service_name: str = ""
    service: str = ""  # the service's code (a TV may show only some services)

    @property
    def announcement(self) -> str:
        from window_tui.hall.voice import call_sentence

        return call_sentence([(self.ticket, self.window)])


@dataclass
class HallState:
    hall: str = ""
    waiting: dict[str, int] = field(default_factory=dict)
    service_names: dict[str, str] = field(default_factory=dict)
    recent: deque[Call] = field(default_factory=lambda: deque(maxlen=12))
    online: bool = False
    last_event_id: int = 0
    problem: str = ""  # why the display is not connected (network, token), shown on screen


class DisplayFeed:
    """Yields ("call", Call) for each new call and ("state", HallState) on other changes."""

    def __init__(self, client: PlatformClient, *, retry_initial: float = 0.5, retry_cap: float = 10.0) -> None:
        self.client = client
        self.state = HallState()
        self.retry_initial, self.retry_cap = retry_initial, retry_cap

    async def first_paint(self) -> HallState:
        snapshot = await self.client.snapshot()
        self.state.hall = snapshot["hall"]
        self.state.waiting = snapshot["waiting"]
        self.state.service_names = {s["code"]: s["name"] for s in snapshot["services"]}
        self.state.last_event_id = snapshot["last_event_id"]
        self.state.recent.clear()
        for item in reversed(snapshot["recent_calls"]):
            self.state.recent.appendleft(Call(item["id"], item["ticket"], item["window"], item["kind"],
                                              item.get("service_name", ""), item.get("service") or ""))
        self.state.online = True
        return self.state

    async def follow(self) -> AsyncIterator[tuple[str, Any]]:
        follower = EventFollower(self.client, retry_initial=self.retry_initial, retry_cap=self.retry_cap)
        while True:  # the first paint, retried like the stream
            try:
                yield "state", await self.first_paint()
                break
            except (PlatformUnavailable, PlatformRejected) as exc:
                self.state.online = False
                self.state.problem = exc.message
                yield "state", self.state
                follower.failures += 1
                await asyncio.sleep(follower._delay())
        follower.last_event_id = self.state.last_event_id
        async for update in follower.follow():
            if update.kind == "online":
                if not self.state.online or self.state.problem:
                    self.state.online, self.state.problem = True, ""
                    yield "state", self.state
                continue
            if update.kind in ("offline", "auth"):
                if self.state.online or self.state.problem != update.detail:
                    self.state.online, self.state.problem = False, update.detail
                    yield "state", self.state
                continue
            event = update.event
            assert event is not None
            self.state.last_event_id = event.id
            self.state.online = True
            self.state.waiting = event.data.get("waiting", self.state.waiting)
            if event.kind in CALL_KINDS:
                call = Call(event.id, event.data["ticket"], event.data["window"], event.kind,
                            event.data.get("service_name", ""), event.data.get("service") or "")
                self.state.recent.appendleft(call)
                yield "call", call
            else:
                yield "state", self.state
