"""The manager's screen stays responsive while the hall is busy: key → frame latency
(a cursor key in the windows table, from its arrival until the cursor has moved and
the screen has been repainted) with the hall quiet and with 30 windows calling
and finishing at full speed (from another process) against `window-tui serve` on
loopback, side by side, medians of 3 rounds.

    .venv/bin/python -m bench.manager_bench
"""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import bar_chart, console, median, pct, save
from tests.platform_process import ServeProcess

WINDOWS = 30
SECONDS = 8.0
ROUNDS = 3
TARGET_P95_MS = 100.0


def _post(connection: http.client.HTTPConnection, path: str, body: dict, token: str) -> dict:
    connection.request("POST", "/api/v1" + path, body=json.dumps(body),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    return json.loads(response.read())


def _load_process(host: str, port: int, tokens: dict[int, str], stop: Any, calls: Any) -> None:
    """In its own process (the manager's process must not share its interpreter with 31
    busy threads): a kiosk issuing and 30 windows calling and finishing, each as fast as
    it is answered."""

    def kiosk() -> None:
        connection = http.client.HTTPConnection(host, port)
        while not stop.is_set():
            _post(connection, "/tickets", {"service": "A"}, "demo-kiosk-token")

    def window(number: int) -> None:
        connection = http.client.HTTPConnection(host, port)
        while not stop.is_set():
            answer = _post(connection, f"/windows/{number}/call-next", {}, tokens[number])
            if answer.get("ticket"):
                _post(connection, f"/windows/{number}/finish", {"case_numbers": []}, tokens[number])
                with calls.get_lock():
                    calls.value += 1
            else:
                time.sleep(0.01)

    threads = [threading.Thread(target=kiosk, daemon=True)] + [
        threading.Thread(target=window, args=(w,), daemon=True) for w in tokens]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(5)


class Load:
    def __init__(self, server: ServeProcess, tokens: dict[int, str]) -> None:
        self.stop = multiprocessing.Event()
        self._calls = multiprocessing.Value("i", 0)
        self.process = multiprocessing.Process(target=_load_process, daemon=True,
                                               args=(server.host, server.port, tokens, self.stop, self._calls))

    @property
    def calls(self) -> int:
        return int(self._calls.value)

    def __enter__(self) -> Load:
        self.process.start()
        time.sleep(1.0)  # the windows are at full speed before the keys are measured
        self._calls.value = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.process.join(10)


async def key_to_frame(url: str, token: str, seconds: float) -> tuple[list[float], int]:
    """Latencies (ms) of cursor keys, one every 50 ms: from the key's arrival (posted as the
    terminal driver posts it) until the cursor has moved and the screen has been repainted
    after it; and how many overviews were shown meanwhile."""
    from textual import events
    from textual.widgets import DataTable

    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp

    app = ManagerApp(PlatformClient(url, token=token), wait_alert_minutes=60)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.overview:
            await pilot.pause(0.05)
        table = app.query_one("#windows", DataTable)
        table.focus()
        await pilot.pause(0.2)
        shown_before = app.overviews_shown
        end = time.perf_counter() + seconds
        down = True
        while time.perf_counter() < end:
            row = table.cursor_row
            started = time.perf_counter()
            app.post_message(events.Key("down" if down else "up", None))
            while table.cursor_row == row:
                await asyncio.sleep(0.002)
            painted = loop.create_future()
            app.call_after_refresh(painted.set_result, None)
            await painted
            latencies.append((time.perf_counter() - started) * 1000)
            down = not down
            await asyncio.sleep(0.05)
        return latencies, app.overviews_shown - shown_before


def main() -> None:
    results: dict[str, Any] = {"windows": WINDOWS, "seconds": SECONDS, "rounds": ROUNDS}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp, \
            ServeProcess(Path(tmp) / "central.db", windows=WINDOWS, persons=300, workdir=Path(tmp)) as server:
        tokens = {w: server.login(w) for w in range(1, WINDOWS + 1)}
        manager = server.post("/auth/login", {"clerk": "8000", "password": "demo8000"})["token"]
        for label in ("quiet", "busy"):
            p50s, p95s, refreshes, calls = [], [], [], []
            for round_ in range(ROUNDS):
                console.print(f"[bold]{label}[/] round {round_ + 1}/{ROUNDS} …")
                if label == "busy":
                    with Load(server, tokens) as load:
                        latencies, shown = asyncio.run(key_to_frame(server.url, manager, SECONDS))
                        calls.append(load.calls / SECONDS)
                else:
                    latencies, shown = asyncio.run(key_to_frame(server.url, manager, SECONDS))
                p50s.append(pct(latencies, 0.5))
                p95s.append(pct(latencies, 0.95))
                refreshes.append(shown / SECONDS)
            results[label] = {"key_to_frame_p50_ms": round(median(p50s), 1),
                              "key_to_frame_p95_ms": round(median(p95s), 1),
                              "overviews_per_s": round(median(refreshes), 2),
                              "calls_per_s": round(median(calls), 1) if calls else 0.0,
                              "rounds_p95_ms": [round(v, 1) for v in p95s]}
    quiet, busy = results["quiet"], results["busy"]
    results["busy_vs_quiet_p95"] = round(busy["key_to_frame_p95_ms"] / quiet["key_to_frame_p95_ms"], 2)
    results["target_p95_ms"] = TARGET_P95_MS
    results["met"] = busy["key_to_frame_p95_ms"] <= TARGET_P95_MS
    bar_chart("大厅管理：按键到画面 p95（毫秒，3 轮中位数）",
              [("空闲", quiet["key_to_frame_p95_ms"]), (f"{WINDOWS} 窗口全速叫号", busy["key_to_frame_p95_ms"])], "ms")
    console.print(f"全速时平台叫号+办结 {busy['calls_per_s']} 次/秒，画面刷新 {busy['overviews_per_s']} 次/秒；"
                  f"目标 p95 ≤ {TARGET_P95_MS:.0f} ms：{'达到' if results['met'] else '未达到'}")
    console.print(f"结果：{save('manager', results)}")


if __name__ == "__main__":
    main()
