"""The manager's screen in a real browser: a real `window-tui serve`, a real `window-tui
manager-web` (textual-serve) and Debian's Chromium driven by Playwright. The page draws
the terminal on a canvas, so the test reads what the browser received over the page's
websocket (the app's own terminal output, escapes removed) and checks the platform for
what the manager's keys did."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.platform_process import ServeProcess, free_port, stop_child
from tests.tv_browser import ARTIFACTS, browser_page, need_browser
from window_tui.central.seed import DEMO_KIOSK_TOKEN

ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>78]")


class ManagerWeb:
    """`window-tui manager-web` as a child process."""

    def __init__(self, tmp: Path, server_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tmp / "manager-web.log"
        # A password in the environment must not log every browser tab in.
        self.env = {**os.environ, "WINDOW_TUI_CONFIG": str(tmp / "config.toml"), "WINDOW_TUI_PASSWORD": "demo8000"}
        (tmp / "config.toml").write_text('[hall]\nname = "市民之家"\n', encoding="utf-8")
        self.server_url = server_url
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ManagerWeb:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "window_tui.cli", "manager-web", "--server", self.server_url,
                 "--port", str(self.port)], stdout=log, stderr=log, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(encoding="utf-8", errors="replace")
            try:
                urllib.request.urlopen(self.url, timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("manager-web did not answer")

    def __exit__(self, *exc: Any) -> None:
        assert self.process is not None
        stop_child(self.process)


class Received:
    """Everything the browser received on the page's websocket, as text."""

    def __init__(self) -> None:
        self.data = bytearray()

    def add(self, payload: str | bytes) -> None:
        self.data += payload if isinstance(payload, bytes) else payload.encode("utf-8")

    def text(self) -> str:
        return ESCAPES.sub("", self.data.decode("utf-8", errors="replace"))

    def wait_for(self, page: Any, ready: Callable[[str], bool], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not ready(self.text()):
            if time.monotonic() > deadline:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shot = ARTIFACTS / "manager-web-failure.png"
                page.screenshot(path=str(shot))
                words = re.sub(r"[▁▔▊▎ ]+", " ", self.text())[-1500:]
                raise AssertionError(f"not seen in the browser: {what} (screenshot {shot})\n{words}")
            page.wait_for_timeout(100)


def _overview(server: ServeProcess) -> dict[str, Any]:
    token = server.post("/auth/login", {"clerk": "8000", "password": "demo8000", "window": None})["token"]
    request = urllib.request.Request(server.url + "/api/v1/overview", headers={"Authorization": f"Bearer {token}"})
    return json.loads(urllib.request.urlopen(request, timeout=10).read())


def test_the_manager_logs_in_and_works_in_a_browser(tmp_path: Path) -> None:
    need_browser()
    with ServeProcess(tmp_path / "central.db", persons=300) as server, ManagerWeb(tmp_path, server.url) as web, \
            browser_page(1280, 800) as page:
        received = Received()
        page.on("websocket", lambda ws: ws.on("framereceived", received.add))
        page.goto(web.url)
        received.wait_for(page, lambda t: "值班长或管理员登录" in t, "the login form")
        page.locator(".xterm-screen").click()
        started = time.monotonic()

        def type_line(text: str) -> None:
            """At a person's pace: a key sent while the focus is still moving would land in the
            field being left (the terminal sends keys; Textual moves the focus after them)."""
            page.keyboard.type(text, delay=40)
            page.keyboard.press("Enter")
            page.wait_for_timeout(300)

        type_line("1006")  # a window clerk: refused
        type_line("demo1006")
        received.wait_for(page, lambda t: "工号 1006 不是值班长或管理员" in t, "the refusal of a window clerk")
        page.wait_for_timeout(800)  # a person reads the line before typing again
        type_line("8000")  # the form starts again from an empty clerk number
        type_line("demo8000")
        received.wait_for(page, lambda t: "已登录：8000" in t and "● 在线" in t, "the hall after the login")
        logged_in = time.monotonic() - started
        server.post("/tickets", {"service": "A"}, token=DEMO_KIOSK_TOKEN)
        received.wait_for(page, lambda t: "今日取号 1" in t, "a ticket issued at the kiosk")
        server.login(1)  # window 1 is staffed
        page.keyboard.press("p")  # the selected window (the first) stops calling
        received.wait_for(page, lambda t: "1 号窗口已暂停叫号" in t, "the pause")
        windows = {w["number"]: w["state"] for w in _overview(server)["windows"]}
        assert windows[1] == "paused", windows
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "manager-web-1280x800.png"))
        assert page.outside_requests == []  # type: ignore[attr-defined]
        assert logged_in < 20
