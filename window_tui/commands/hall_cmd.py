"""`window-tui display`, `display-web`, `kiosk` and `rate`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


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
    from window_tui.hall.speech import VoiceError, VoicePack
    from window_tui.hall.voice import Announcer
    from window_tui.ui.display import DisplayApp

    config = load_config_or_exit()
    announcer = None
    if config.voice.enabled and not args.silent:
        voice = None
        if config.voice.pack:
            try:
                voice = VoicePack.load(Path(config.voice.pack).expanduser())
            except VoiceError as exc:
                print(str(exc), file=sys.stderr)
                return 2
        announcer = Announcer(command=config.voice.command or None, voice=voice, player=config.voice.player or None,
                              chime=config.voice.chime)
    DisplayApp(PlatformClient(args.server, token=_token(args)), announcer, recent=config.display.recent_calls,
               clock=config.clock()).run()
    return 0


def run_display_web(args: argparse.Namespace) -> int:
    """The TV page and its voice on this machine's network (see window_tui.hall.tvserver)."""
    import uvicorn

    from window_tui.client import PlatformClient
    from window_tui.commands.ports import ensure_port_free
    from window_tui.config import load_config_or_exit
    from window_tui.hall.speech import VoiceError, open_voice
    from window_tui.hall.tvserver import TvRelay, create_tv_app

    config = load_config_or_exit()
    token = _token(args)
    voice, problem = None, ""
    if args.silent or not config.voice.enabled:
        problem = "本机已关闭语音（--silent 或 voice.enabled = false）"
    else:
        try:
            voice = open_voice(config.voice.pack, config.voice.speed)
        except VoiceError as exc:
            if config.voice.pack:  # a hall that configured its pack wants to hear it: refuse to start
                print(str(exc), file=sys.stderr)
                return 2
            problem = str(exc)
            print(f"注意：{problem}；电视页面只显示不播报", file=sys.stderr)
    ensure_port_free(args.host, args.port)
    relay = TvRelay(PlatformClient(args.server, token=token), voice=voice, voice_problem=problem,
                    clock=config.clock())
    print(f"叫号屏网页：http://{args.host}:{args.port}/ （在电视浏览器中以全屏模式打开；"
          f"可加 ?services=A,B&windows=1-8 只显示部分业务或窗口）", flush=True)
    uvicorn.run(create_tv_app(relay), host=args.host, port=args.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=1)
    return 0


def run_kiosk(args: argparse.Namespace) -> int:
    from printers.connections import PrinterUrlError
    from printers.profiles import ProfileError
    from printers.service import PrintService
    from window_tui.client import PlatformClient, server_urls
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
            hall=config.hall_info(queue_url=server_urls(args.server)[0] + "/q/"),
            connect_timeout=config.printer.connect_timeout, write_timeout=config.printer.write_timeout)
    except (PrinterUrlError, ProfileError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    clear_after = args.clear_after if args.clear_after is not None else config.kiosk.clear_after
    KioskApp(PlatformClient(args.server, token=_token(args)), printer, clear_after=clear_after).run()
    return 0


def run_rate(args: argparse.Namespace) -> int:
    from offline.store import LocalStore, StoreLocked
    from offline.sync import SyncEngine, SyncThread
    from window_tui.client import PlatformClient
    from window_tui.config import config_path, data_dir, load_config_or_exit
    from window_tui.ui.rate import RateApp

    config = load_config_or_exit()
    token = _token(args)
    try:
        store = LocalStore(data_dir() / f"rater-{args.window}", config_path().parent / "store.key")
    except StoreLocked as exc:
        print(str(exc), file=sys.stderr)
        return 1
    sync = SyncThread(SyncEngine(store, PlatformClient(args.server, token=token), verify=False)).start()
    try:
        RateApp(PlatformClient(args.server, token=token), store, args.window, clock=config.clock()).run()
    finally:
        sync.stop()
        store.close()
    return 0
