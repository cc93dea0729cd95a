"""The console's events, posted by workers and handled by screens and widgets."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class QueueChanged(Message):
    """The window's queue state changed (after an action, or from the event stream)."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__()
        self.state = state


class ConnectionChanged(Message):
    def __init__(self, online: bool, detail: str = "") -> None:
        super().__init__()
        self.online = online
        self.detail = detail


class SyncChanged(Message):
    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__()
        self.summary = summary


class LoginChanged(Message):
    """The shift's login changed in the background: online again after an offline login
    or an expired token (`automatic`), or refused so the clerk must type the password."""

    def __init__(self, refused: str, automatic: bool) -> None:
        super().__init__()
        self.refused = refused
        self.automatic = automatic
