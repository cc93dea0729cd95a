"""`window-tui display`, `display-web`, `kiosk` and `rate`."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys


def _token(args: argparse.Namespace) -> str:
    """The device token from --token-file (preferred: not visible in `ps`), the
    WINDOW_TUI_TOKEN environment variable, or --token."""
    token = ""
    token_file = getattr(args, "token_file", None)
    if token_file:
        try:
            token = open(token_file, encoding="utf-8").read().strip()  # noqa: SIM115 (read once)
        except OSError as exc:
            print(f"无法读取令牌文件 {token_file}：{exc.strerror or exc}", file=sys.stderr)
            raise SystemExit(2) from exc
    token = token or os.environ.get("WINDOW_TUI_TOKEN", "") or (args.token or "")
    if not token:
        print("缺少设备令牌：请用 --token-file 指定令牌文件（由 window-tui admin add-device 生成），"
              "或设置环境变量 WINDOW_TUI_TOKEN", file=sys.stderr)
        raise SystemExit(2)
    return token


def run_display(args: argparse.Namespace) -> int:
    from window_tui.client import PlatformClient
    from window_tui.config import load_config_or_exit
    from window_tui.hall.voice import Announcer
    from window_tui.ui.display import DisplayApp

    config = load_config_or_exit()
    announcer = None
    if config.voice.enabled and not args.silent:
        announcer = Announcer(command=config.voice.command or None, chime=config.voice.chime)
    DisplayApp(PlatformClient(args.server, token=_token(args)), announcer, recent=config.display.recent_calls).run()
    return 0


def run_display_web(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    # The token reaches each browser session's process through the environment, never its
    # command line (which any user of the machine can read with `ps`).
    os.environ["WINDOW_TUI_TOKEN"] = _token(args)
    command = f"{shlex.quote(sys.executable)} -m window_tui.cli display --server {shlex.quote(args.server)} --silent"
    from window_tui.commands.ports import ensure_port_free

    ensure_port_free(args.host, args.port)
    print(f"叫号屏网页：http://{args.host}:{args.port}/ （在电视浏览器中打开；语音请在本机的 display 模式播放）")
    Server(command, host=args.host, port=args.port, title="叫号显示屏").serve()
    return 0


def run_kiosk(args: argparse.Namespace) -> int:
    from printers.connections import PrinterUrlError
    from printers.profiles import ProfileError
    from printers.service import PrintService
    from window_tui.client import PlatformClient
    from window_tui.config import data_dir, load_config_or_exit
    from window_tui.ui.kiosk import KioskApp

    config = load_config_or_exit()
    log_dir = data_dir() / "kiosk"
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_dir / "kiosk.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    try:
        printer = PrintService.from_config(
            args.printer or config.printer.ticket, config.printer.ticket_profile, role="ticket",
            hall=config.hall_info(queue_url=args.server.rstrip("/") + "/q/"),
            connect_timeout=config.printer.connect_timeout, write_timeout=config.printer.write_timeout)
    except (PrinterUrlError, ProfileError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    KioskApp(PlatformClient(args.server, token=_token(args)), printer).run()
    return 0


def run_rate(args: argparse.Namespace) -> int:
    from offline.store import LocalStore, StoreLocked
    from offline.sync import SyncEngine, SyncThread
    from window_tui.client import PlatformClient
    from window_tui.config import config_path, data_dir
    from window_tui.ui.rate import RateApp

    token = _token(args)
    try:
        store = LocalStore(data_dir() / f"rater-{args.window}", config_path().parent / "store.key")
    except StoreLocked as exc:
        print(str(exc), file=sys.stderr)
        return 1
    sync = SyncThread(SyncEngine(store, PlatformClient(args.server, token=token), verify=False)).start()
    try:
        RateApp(PlatformClient(args.server, token=token), store, args.window).run()
    finally:
        sync.stop()
        store.close()
    return 0
