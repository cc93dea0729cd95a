"""The city platform's front door: /halls/{code}/… goes to that hall's API (the same
app every platform serves, on the hall's schema), anything else to the root hall.
Devices of a hall simply use the hall's address as their server URL
(`http://city:8700/halls/3201`); nothing else about them changes."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from typing import Any

from window_tui.central.app import Platform, create_app
from window_tui.central.city import Hall, find_hall, hall_connection, list_halls
from window_tui.central.dialect import DatabaseError
from window_tui.central.guards import Receive, Scope, Send
from window_tui.central.hub import EventHub

HALL_PATH = re.compile(r"^/halls/([0-9A-Za-z]{1,20})(?=/|$)")
log = logging.getLogger("window_tui.central")
UNKNOWN_FOR = 5.0  # seconds an unknown code is answered without asking the database again


class CityApp:
    def __init__(self, root: Platform) -> None:
        self.root = root
        self.root_app = create_app(root)
        self._halls: dict[str, Any] = {}  # lower-case code -> the hall's app
        self._unknown: dict[str, float] = {}

    def platform_for(self, hall: Hall) -> Platform:
        """A hall's platform: its own schema, queue and streams; the process's clock,
        catalog, calendar, policy and event listener."""
        return dataclasses.replace(self.root, connection=hall_connection(self.root.connection, hall.code),
                                   hall_name=hall.name, hall_code=hall.code, hub=EventHub())

    def _hall_app(self, code: str) -> Any | None:
        key = code.lower()
        app = self._halls.get(key)
        if app is not None:
            return app
        if time.monotonic() < self._unknown.get(key, 0.0):
            return None
        hall = find_hall(self.root.connection, code)
        if hall is None:
            self._unknown[key] = time.monotonic() + UNKNOWN_FOR
            return None
        app = self._halls[key] = create_app(self.platform_for(hall))
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = HALL_PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None and not (scope["type"] == "http" and scope["path"] == "/halls"):
            await self.root_app(scope, receive, send)
            return
        try:
            if match is None:
                await _json(send, 200, [{"code": h.code, "name": h.name, "path": f"/halls/{h.code}"}
                                        for h in list_halls(self.root.connection)])
                return
            app = self._hall_app(match.group(1))
        except DatabaseError as exc:
            log.error("database error finding a hall: %s", exc)
            await _json(send, 503, {"detail": "数据库暂时不可用，请稍后重试"})
            return
        if app is None:
            await _json(send, 404, {"detail": f"没有大厅 {match.group(1)}"})
            return
        await app({**scope, "root_path": scope.get("root_path", "") + match.group(0)}, receive, send)


async def _json(send: Send, status: int, body: Any) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
