"""Guards in front of the routes: body size limits and simple per-key rate limits."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

KB = 1024


class BodyLimit:
    """Pure ASGI middleware: a body larger than its route's limit is a 413, read no further.
    Cases and records (a print record carries its case) get `case_limit`; a sync batch
    `batch_limit`; anything else `small_limit`."""

    def __init__(self, app: Any, *, case_limit: int = 256 * KB, batch_limit: int = 4096 * KB,
                 small_limit: int = 4 * KB) -> None:
        self.app = app
        self.case_limit, self.batch_limit, self.small_limit = case_limit, batch_limit, small_limit

    def limit_for(self, path: str) -> int:
        if path.startswith("/api/v1/sync/batch"):
            return self.batch_limit
        if path.startswith(("/api/v1/cases/", "/api/v1/records/")):
            return self.case_limit
        return self.small_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(route_path(scope))  # a hall's app sees its path after /halls/{code}
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)  # answered 413 by the app's exception handler
            return message

        await self.app(scope, counted, send)


def route_path(scope: Scope) -> str:
    """The path below the app's mount point (a hall of a city platform is mounted at
    /halls/{code}; ASGI keeps the full path and names the mount in root_path)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root + "/") else path


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"body over {limit} bytes")
        self.limit = limit
        self.message = f"请求内容过大（上限 {limit // KB} KB）"


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"请求内容过大（上限 {limit // KB} KB）"}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """At most `limit` events per `seconds` per key (sliding window, in this process)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            if len(self._events) > 10_000:  # forget idle keys
                for stale in [k for k, v in self._events.items() if not v]:
                    del self._events[stale]
            return True
