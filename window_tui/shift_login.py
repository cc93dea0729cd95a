"""The clerk's login for one shift: the one owner of the credentials and the token.

The password is held in memory for the shift only (never written anywhere), so
the counter can log in online by itself after an offline login, and log in again
when the platform says a token expired or was revoked. Every PlatformClient of
the counter (the console's and the sync thread's, each on its own event loop)
asks this object for the token; it is shared across threads, so its state is
guarded by a lock and no await happens while the lock is held.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from window_tui.client import LoginRequired, PlatformRejected, PlatformUnavailable

if TYPE_CHECKING:
    from window_tui.client import PlatformClient


@dataclass
class ShiftLogin:
    clerk: str
    password: str = field(repr=False)
    window: int | None
    device: str = ""
    token: str = field(default="", repr=False)
    clerk_name: str = ""
    hall_code: str = ""  # the hall the platform says this login belongs to ("" when it does not say)
    refused: str = ""  # why the platform refused the credentials; the clerk must type them again
    logins: int = 0  # online logins this shift (the first, and every automatic one)
    on_change: Callable[[ShiftLogin, dict[str, Any] | None], None] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _in_flight: bool = field(default=False, repr=False)

    @property
    def online(self) -> bool:
        return bool(self.token)

    async def obtain(self, client: PlatformClient, stale: str) -> str:
        """A valid token: the current one if another client already replaced `stale`,
        else a new login through `client`. Raises PlatformUnavailable (try later) or
        LoginRequired (only the clerk can fix it)."""
        for _ in range(200):  # another client (the other thread's loop) may be logging in right now
            with self._lock:
                if self.token and self.token != stale:
                    return self.token
                if self.refused:
                    raise LoginRequired(self.refused, 401)
                if not self._in_flight:
                    self._in_flight = True
                    clerk, password, window, device = self.clerk, self.password, self.window, self.device
                    break
            await asyncio.sleep(0.05)
        else:
            raise PlatformUnavailable("登录超时，稍后重试")
        try:
            answer = await client.login(clerk, password, window, device)
        except LoginRequired:
            raise
        except PlatformRejected as exc:
            message = f"平台要求重新登录：{exc.message}"
            with self._lock:
                self.token = ""
                self.refused = message
            self._changed(None)
            raise LoginRequired(message, exc.status, exc.payload) from exc
        finally:
            with self._lock:
                self._in_flight = False
        with self._lock:
            self.token = answer["token"]
            self.clerk_name = answer.get("clerk", {}).get("name", self.clerk_name)
            self.hall_code = answer.get("hall_code") or ""
            self.logins += 1
            token = self.token
        self._changed(answer)
        return token

    def new_password(self, password: str) -> None:
        """The clerk typed the password again (after LoginRequired): the next request logs in."""
        with self._lock:
            self.password = password
            self.refused = ""
            self.token = ""

    def forget(self) -> None:
        """End of shift: drop the password and the token from memory."""
        with self._lock:
            self.password = ""
            self.token = ""

    def _changed(self, answer: dict[str, Any] | None) -> None:
        if self.on_change is not None:
            self.on_change(self, answer)
