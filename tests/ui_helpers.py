"""Helpers for driving the console with Textual's Pilot against a real platform."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from offline.store import LocalStore
from tests.conftest import START, Hall
from window_tui.clock import Clock, FixedClock
from window_tui.config import Config
from window_tui.session import CounterSession
from window_tui.ui.app import CounterApp


def make_app(hall_url: str, tmp_path: Path, window: int = 5, printer: str = "preview",
             password: str = "", clock: Clock | None = None) -> tuple[CounterApp, CounterSession]:
    """The console against a platform; the counter reads the same hall day as the test
    platform (FixedClock at START) unless a clock is given."""
    config = Config()
    config.hall.progress_url = hall_url + "/p/"
    clock = clock or FixedClock(at=START)
    store = LocalStore(tmp_path / "store", tmp_path / "store.key", clock=clock)
    session = CounterSession(config=config, store=store, server=hall_url, window=window, printer_url=printer,
                             clock=clock)
    app = CounterApp(session, clerk=str(1000 + window), password=password or f"demo{1000 + window}")
    return app, session


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time; the screen read:\n{screen_text(pilot.app)}")
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


async def log_in_and_pick(pilot, app: CounterApp, initials: str) -> None:  # noqa: ANN001
    """Log in with the filled-in clerk, press I and choose a bundle by its pinyin initials."""
    from window_tui.ui.console import ConsoleScreen

    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
    await pilot.press("i")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
    await pilot.press(*initials, "enter")


def scanner_types(app: CounterApp, text: str, enter: bool = True) -> None:
    """Keys as a keyboard-wedge scanner delivers them: one burst, as the terminal driver
    posts a chunk it read (Pilot's press paces keys 40–60 ms apart, a person's pace)."""
    from textual import events
    from textual.keys import _character_to_key

    for char in text:
        app.post_message(events.Key(char if char.isalnum() else _character_to_key(char), char))
    if enter:
        app.post_message(events.Key("enter", "\r"))


def noticed(app: CounterApp, text: str) -> bool:
    """Whether a toast containing `text` was shown (Pilot runs without drawing toasts)."""
    return any(text in notice for notice in app.notices)


__all__ = ["Hall", "make_app", "wait_for", "screen_text", "noticed", "scanner_types", "log_in_and_pick"]
