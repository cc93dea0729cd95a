"""The hall TV in a real browser: Debian's Chromium driven by Playwright (no browser
download: `executable_path`), a real `window-tui serve` and a real `window-tui
display-web`, each its own process so that either can be killed and restarted."""

from __future__ import annotations

import math
import os
import shutil
import struct
import subprocess
import sys
import time
import urllib.request
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.platform_process import ServeProcess, free_port
from window_tui.central.seed import DEMO_DISPLAY_TOKEN, DEMO_KIOSK_TOKEN
from window_tui.hall.speech import PACK_WORDS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
ARTIFACTS = Path(os.environ.get("WINDOW_TUI_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


def need_browser() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("未安装 playwright（pip install -e '.[test]'）：浏览器测试跳过")
    if CHROMIUM is None:
        pytest.skip("未找到 Chromium（apt install chromium；scripts/setup 以 root 运行时会安装）：浏览器测试跳过")


def make_tone_pack(folder: Path, seconds: float = 0.06, rate: int = 8000) -> Path:
    """A voice pack of generated clips: one short tone per word (a hall records real ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ['name = "测试音调语音包"', "[clips]"]
    for index, word in enumerate(PACK_WORDS):
        freq = 300 + 20 * index
        frames = b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * freq * i / rate)))
                          for i in range(int(seconds * rate)))
        name = f"{index:02d}.wav"
        with wave.open(str(folder / name), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(rate)
            handle.writeframes(frames)
        lines.append(f'"{word}" = "{name}"')
    (folder / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


class DisplayWeb:
    """`window-tui display-web` as a child process on a fixed port (restartable)."""

    def __init__(self, tmp: Path, server_url: str, token: str = DEMO_DISPLAY_TOKEN, pack: Path | None = None) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.token_file = tmp / "display.token"
        self.token_file.write_text(token + "\n", encoding="utf-8")
        self.config = tmp / "tv-config.toml"
        voice = f'[voice]\npack = "{pack}"\n' if pack else "[voice]\nenabled = false\n"
        self.config.write_text(f'[hall]\ntimezone = "Asia/Shanghai"\n{voice}', encoding="utf-8")
        self.server_url = server_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp / "display-web.log"

    def start(self) -> DisplayWeb:
        env = {**os.environ, "WINDOW_TUI_CONFIG": str(self.config)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "window_tui.cli", "display-web", "--server", self.server_url,
                 "--token-file", str(self.token_file), "--port", str(self.port)],
                stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text(encoding="utf-8", errors="replace"))
            try:
                urllib.request.urlopen(self.url + "health", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("display-web did not answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def browser_page(width: int, height: int) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
            page.outside_requests = outside  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()


def kill_platform(server: ServeProcess) -> None:
    assert server.process is not None
    server.process.kill()
    server.process.wait()


def issue_and_call(server: ServeProcess, clerk_token: str, window: int, service: str = "A") -> dict[str, Any]:
    import httpx

    with httpx.Client(base_url=server.url + "/api/v1", timeout=10) as http:
        ticket = http.post("/tickets", json={"service": service},
                           headers={"Authorization": f"Bearer {DEMO_KIOSK_TOKEN}"})
        ticket.raise_for_status()
        called = http.post(f"/windows/{window}/call-next", headers={"Authorization": f"Bearer {clerk_token}"})
        called.raise_for_status()
        return called.json()["ticket"]


def clerk_login(server: ServeProcess, window: int) -> str:
    import httpx

    body = {"clerk": str(1000 + window), "password": f"demo{1000 + window}", "window": window, "device": "tv-test"}
    response = httpx.post(server.url + "/api/v1/auth/login", json=body, timeout=10)
    response.raise_for_status()
    return str(response.json()["token"])


def finish(server: ServeProcess, clerk_token: str, window: int) -> None:
    import httpx

    httpx.post(f"{server.url}/api/v1/windows/{window}/finish", json={},
               headers={"Authorization": f"Bearer {clerk_token}"}, timeout=10).raise_for_status()


def ink_height(png: bytes) -> int:
    """Rows of a screenshot of the ticket element that hold the digits' ink."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    rows = [y for y in range(height)
            if any(_yellow(pixels[x, y]) for x in range(0, width, 2))]
    return (rows[-1] - rows[0] + 1) if rows else 0


def _yellow(pixel: tuple[int, int, int]) -> bool:
    """The digits' colour (#f6d55c), and not the red of the flash nor the blue background."""
    red, green, blue = pixel
    return red > 200 and green > 170 and blue < 140
