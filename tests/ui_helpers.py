"""Helpers for driving the console with Textual's Pilot against a real platform."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from offline.store import LocalStore
from tests.conftest import Hall
from window_tui.config import Config
from window_tui.session import CounterSession
from window_tui.ui.app import CounterApp


def make_app(hall_url: str, tmp_path: Path, window: int = 5, printer: str = "preview",
             password: str = "") -> tuple[CounterApp, CounterSession]:
    config = Config()
    config.hall.progress_url = hall_url + "/p/"
    store = LocalStore(tmp_path / "store", tmp_path / "store.key")
    session = CounterSession(config=config, store=store, server=hall_url, window=window, printer_url=printer)
    app = CounterApp(session, clerk=str(1000 + window), password=password or f"demo{1000 + window}")
    return app, session


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def screen_text(app: CounterApp) -> str:
    """The screen as plain text (what a person would read)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))  # noqa: SLF001 (as export_screenshot does)
    return console.export_text()


__all__ = ["Hall", "make_app", "wait_for", "screen_text"]
