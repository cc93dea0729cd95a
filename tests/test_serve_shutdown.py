"""`serve` stops within 5 s on SIGTERM even while displays and consoles hold event
streams open; the streams end, so the clients show 网络中断 and reconnect elsewhere."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.platform_process import ServeProcess


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_with_open_streams(tmp_path: Path, workers: int) -> None:
    server = ServeProcess(tmp_path / "central.db", persons=200, workers=workers).start()
    ended: list[float] = []
    how: list[str] = []

    def hold_stream() -> None:
        with httpx.stream("GET", server.url + "/api/v1/events/stream", timeout=30,
                          headers={"Authorization": "Bearer demo-display-token"}) as response:
            assert response.status_code == 200
            try:
                for _ in response.iter_lines():
                    continue
                how.append("closed")
            except httpx.HTTPError:  # a stream cut by the shutdown ends like one closed cleanly
                how.append("cut")
        ended.append(time.monotonic())

    streams = [threading.Thread(target=hold_stream, daemon=True) for _ in range(3)]
    for stream in streams:
        stream.start()
    time.sleep(1.0)
    assert server.process is not None
    started = time.monotonic()
    server.process.terminate()
    server.process.wait(timeout=10)
    took = time.monotonic() - started
    for stream in streams:
        stream.join(timeout=5)
    assert took < 5, f"serve took {took:.1f} s to stop"
    assert len(ended) == 3 and max(ended) - started < 6  # every client saw its stream end
