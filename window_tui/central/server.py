"""Running the platform: `window-tui serve`, and an embedded server in a
background thread for the demo and the tests (a real uvicorn on loopback)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from window_tui.central.app import Platform, create_app, open_platform


class EmbeddedServer:
    """A real uvicorn server on 127.0.0.1 in a daemon thread.

    `stop()` ends it; `start()` brings it back on the same port (tests use that
    to simulate the platform going down and returning).
    """

    def __init__(self, platform: Platform, host: str = "127.0.0.1", port: int = 0) -> None:
        self.platform = platform
        self.host = host
        self.port = port or _free_port(host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedServer:
        config = uvicorn.Config(create_app(self.platform), host=self.host, port=self.port, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=1, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="central-platform", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"中心平台未能在 {self.url} 启动（端口被占用？）")
            if time.monotonic() > deadline:
                raise TimeoutError(f"中心平台 {timeout} 秒内未启动")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


SPEC_ENV = "WINDOW_TUI_SERVE_SPEC"


def _platform_from_spec(spec: dict[str, Any], *, poll_interval: float = 0.0) -> Platform:
    from window_tui.central.dialect import is_postgres_url
    from window_tui.central.seal import load_key_file
    from window_tui.clock import Clock, hall_zone
    from window_tui.domain.workdays import WorkCalendar

    calendar_file = Path(spec["calendar_file"]) if spec.get("calendar_file") else None
    db = spec["db"] if is_postgres_url(spec["db"]) else Path(spec["db"])
    sealer, _ = load_key_file(Path(spec["seal_key_file"]), create=False)  # `serve` made it before any worker
    return open_platform(db, hall_name=spec["hall_name"], hall_code=spec.get("hall_code", ""), sealer=sealer,
                         sms_url=spec.get("sms_url", ""), hotline_url=spec.get("hotline_url", ""),
                         report_workdays=spec.get("report_workdays", 5),
                         followup_workdays=spec["followup_workdays"],
                         calendar=WorkCalendar.load(calendar_file), clock=Clock(tz=hall_zone(spec["timezone"])),
                         poll_interval=poll_interval)


def worker_app() -> Any:
    """The app of one `serve --workers N` process (uvicorn imports this in each worker).
    Processes share the database; on SQLite event streams follow the events table, since
    a call made in another process does not wake this one's readers; on PostgreSQL they
    are woken by LISTEN/NOTIFY."""
    import json
    import os

    from window_tui.central.dialect import is_postgres_url

    spec = json.loads(os.environ[SPEC_ENV])
    # SQLite: the streams look at the events table every 50 ms; PostgreSQL wakes them (LISTEN).
    platform = _platform_from_spec(spec, poll_interval=0.0 if is_postgres_url(spec["db"]) else 0.05)
    return platform_app(platform)


def platform_app(platform: Platform) -> Any:
    """The app `serve` runs: on PostgreSQL the city's halls too (/halls/{code}), on SQLite one hall."""
    from window_tui.central.dialect import is_postgres

    if is_postgres(platform.connection):
        from window_tui.central.city_app import CityApp

        return CityApp(platform)
    return create_app(platform)


def serve(db: Path | str, host: str, port: int, *, seed_demo: bool, persons: int, windows: int, hall_name: str,
          followup_workdays: int, calendar_file: Path | None, timezone: str = "Asia/Shanghai",
          workers: int = 1, hall_code: str = "", sms_url: str = "", hotline_url: str = "",
          report_workdays: int = 5, seal_key_file: Path | None = None) -> None:
    import json
    import os

    from window_tui.central.dialect import redact
    from window_tui.central.seal import default_key_path, load_key_file
    from window_tui.central.seed import DEMO_DISPLAY_TOKEN, DEMO_KIOSK_TOKEN

    if isinstance(db, Path):
        db.parent.mkdir(parents=True, exist_ok=True)
    key_file = seal_key_file or default_key_path(db)
    _, made = load_key_file(key_file, create=True)
    if made:
        print(f"已生成联系方式加密密钥：{key_file}（请备份；同一平台的每台服务器须使用同一密钥文件）")
    spec = {"db": str(db), "seal_key_file": str(key_file), "hall_name": hall_name, "hall_code": hall_code, "sms_url": sms_url, "hotline_url": hotline_url,
            "report_workdays": report_workdays, "followup_workdays": followup_workdays,
            "calendar_file": str(calendar_file) if calendar_file else "", "timezone": timezone}
    platform = _platform_from_spec(spec)  # migrates the schema once, before any worker starts
    if seed_demo:
        from window_tui.central.seed import seed_demo as seed

        info = seed(platform.connection, platform.clock.now(), persons=persons, windows=windows)
        print(f"演示数据已载入：共享数据 {info['registry_rows']} 条；窗口 1-{windows}，"
              f"工号 1001-{1000 + windows}，密码 demo+工号；"
              f"显示屏令牌 {DEMO_DISPLAY_TOKEN}，取号机令牌 {DEMO_KIOSK_TOKEN}")
    processes = f"，{workers} 个进程" if workers > 1 else ""
    print(f"中心平台运行于 http://{host}:{port}  （数据库 {redact(str(db))}{processes}，OpenAPI: /openapi.json）", flush=True)
    if workers == 1:
        uvicorn.run(platform_app(platform), host=host, port=port, log_level="warning", access_log=False,
                    timeout_graceful_shutdown=3)
        return
    platform.connection.close()
    os.environ[SPEC_ENV] = json.dumps(spec)
    uvicorn.run("window_tui.central.server:worker_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, timeout_graceful_shutdown=3)
