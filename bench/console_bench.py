"""Counter console: cold start to the first frame (a fresh interpreter each time)
and call-next keypress to the ticket on screen, against the real platform.

    .venv/bin/python -m bench.console_bench
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import Progress

from bench.common import bar_chart, console, median, pct, save

STARTS = 15
CALLS = 60


def cold_starts(progress: Progress) -> tuple[list[float], str]:
    task = progress.add_task("冷启动到首帧", total=STARTS)
    times, heavy = [], ""
    for _ in range(STARTS):
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "bench.startup_probe"], stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        times.append(time.perf_counter() - started)
        process.wait()
        heavy = line.split(" ", 1)[1].strip() if " " in line else ""
        progress.advance(task)
    return times, heavy


async def call_latency(progress: Progress) -> list[float]:
    from tests.platform_process import ServeProcess
    from tests.ui_helpers import make_app, screen_text
    from window_tui.ui.console import ConsoleScreen
    from window_tui.ui.widgets import QueuePanel

    tmp = Path(tempfile.mkdtemp())
    server = ServeProcess(tmp / "central.db", persons=300).start()  # its own process, as in a hall
    for _ in range(CALLS):
        server.post("/tickets", {"service": "A"}, token="demo-kiosk-token")
    app, session = make_app(server.url, tmp)
    task = progress.add_task("叫号按键到屏幕", total=CALLS)
    latencies = []
    # Pilot.press itself waits ~80 ms for the app to settle, so time the app, not the pilot:
    # from the key reaching the screen's action to the panel rendering the new ticket.
    marks: dict[str, float] = {}
    original_action, original_render = ConsoleScreen.action_queue, QueuePanel.render

    def timed_action(self, action):  # noqa: ANN001, ANN202
        marks["key"] = time.perf_counter()
        return original_action(self, action)

    def timed_render(self):  # noqa: ANN001, ANN202
        current = (self.state.get("current") or {}).get("label")
        if current and current == marks.get("want") and "frame" not in marks:
            marks["frame"] = time.perf_counter()
        return original_render(self)

    ConsoleScreen.action_queue = timed_action  # type: ignore[method-assign]
    QueuePanel.render = timed_render  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        while not isinstance(app.screen, ConsoleScreen):
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        panel = app.screen.query_one(QueuePanel)
        for n in range(1, CALLS + 1):
            label = f"A{n:03d}"
            marks.clear()
            marks["want"] = label  # type: ignore[assignment]
            await pilot.press("n")
            while "frame" not in marks:
                await asyncio.sleep(0.001)
            latencies.append((marks["frame"] - marks["key"]) * 1000)
            assert label in screen_text(app)
            await pilot.press("f")
            while panel.state.get("current"):
                await asyncio.sleep(0.001)
            progress.advance(task)
    ConsoleScreen.action_queue, QueuePanel.render = original_action, original_render  # type: ignore[method-assign]
    server.stop()
    session.store.close()
    return latencies


def main() -> None:
    with Progress(console=console, transient=True) as progress:
        starts, heavy = cold_starts(progress)
        latencies = asyncio.run(call_latency(progress))
    results = {"cold_start_median_s": median(starts), "cold_start_p95_s": pct(starts, 0.95),
               "heavy_modules_at_first_frame": heavy, "call_to_screen_p50_ms": median(latencies),
               "call_to_screen_p95_ms": pct(latencies, 0.95)}
    console.print(f"冷启动到首帧：中位数 {results['cold_start_median_s']:.3f} s（p95 {results['cold_start_p95_s']:.3f} s）；"
                  f"首帧时已加载的重模块：{heavy or '无'}")
    console.print(f"叫号按键到号码上屏：p50 {results['call_to_screen_p50_ms']:.1f} ms，"
                  f"p95 {results['call_to_screen_p95_ms']:.1f} ms")
    bar_chart("窗口终端（越短越好）", [("冷启动 中位数", results["cold_start_median_s"] * 1000), ("目标", 600.0),
                                     ("叫号上屏 p95", results["call_to_screen_p95_ms"]), ("目标 ", 100.0)], "ms")
    save("console", results)


if __name__ == "__main__":
    main()
