"""`window-tui counter`, `window-tui demo`, `window-tui config show`, `window-tui sync`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from window_tui.config import Config
    from window_tui.session import CounterSession


def _session(config: Config, server: str, window: int, printer: str, data: Path | None) -> CounterSession:
    from offline.crypto import KeyFileError
    from offline.store import StoreLocked
    from window_tui.domain.workdays import CalendarFileError
    from window_tui.session import CounterSession, open_store

    try:
        store = open_store(config, data)
    except (StoreLocked, KeyFileError) as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(1) from exc
    try:
        calendar = config.load_calendar()
    except CalendarFileError as exc:
        store.close()
        print(str(exc), file=sys.stderr)
        raise SystemExit(1) from exc
    session = CounterSession(config=config, store=store, server=server, window=window, printer_url=printer,
                             calendar=calendar)
    return session


def run_counter(args: argparse.Namespace) -> int:
    from printers.connections import PrinterUrlError, open_connection
    from window_tui.config import load_config_or_exit
    from window_tui.ui.app import CounterApp

    config = load_config_or_exit()
    printer = args.printer or config.printer.receipt
    try:
        open_connection(printer)
    except PrinterUrlError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    session = _session(config, args.server or config.counter.server, args.window or config.counter.window,
                       printer, args.data)
    try:
        CounterApp(session, clerk=config.counter.clerk, keymap=config.keymap, theme=config.theme).run()
    finally:
        session.stop()
        session.store.close()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from window_tui.central.app import open_platform
    from window_tui.central.seed import DEMO_DISPLAY_TOKEN, seed_demo
    from window_tui.central.server import EmbeddedServer
    from window_tui.commands.ports import ensure_port_free
    from window_tui.config import data_dir, load_config_or_exit
    from window_tui.ui.app import CounterApp

    config = load_config_or_exit()
    ensure_port_free("127.0.0.1", args.port)  # before minutes of demo data, not after
    base = args.data or data_dir() / "demo"
    base.mkdir(parents=True, exist_ok=True)
    from window_tui.central.seal import default_key_path, load_key_file

    database = base / "central.db"
    sealer, _ = load_key_file(default_key_path(database), create=True)  # the demo's reports outlive a restart
    platform = open_platform(database, hall_name="市民之家政务服务大厅（演示）", sealer=sealer)
    marker = base / f"seeded-{date.today().isoformat()}"
    print("正在准备演示数据（嵌入式中心平台、合成共享数据）……", flush=True)
    if not marker.exists():
        info = seed_demo(platform.connection, platform.clock.now(), persons=args.persons)
        marker.write_text(json.dumps(info["samples"], ensure_ascii=False), encoding="utf-8")
    samples = json.loads(marker.read_text(encoding="utf-8"))
    _demo_tickets(platform)
    server = EmbeddedServer(platform, port=args.port).start()
    session = _session(config, server.url, 5, args.printer, base / "store")
    config.hall.progress_url = server.url + "/p/"
    hint = (f"演示：工号 1005，密码 demo1005（已填好，按回车登录）。\n"
            f"新生儿出生：母亲身份证号 {samples['newborn'][0]}\n"
            f"开办餐饮店：统一社会信用代码 {samples['restaurant'][0]}\n"
            f"退休：{samples['retirement'][0] if samples['retirement'] else '（今日无符合条件者）'}  "
            f"身后：逝者/申请人 {samples['posthumous'][0].replace(':', ' / ')}\n"
            f"平台 {server.url}（叫号屏：window-tui display --server {server.url} --token {DEMO_DISPLAY_TOKEN}；"
            f"大厅管理：window-tui manager --server {server.url} --clerk 8000，密码 demo8000）")
    session.demo_hint = hint
    try:
        CounterApp(session, login_hint=hint, clerk="1005", password="demo1005", keymap=config.keymap,
                   theme=config.theme).run()
    finally:
        session.stop()
        session.store.close()
        server.stop()
    return 0


def _demo_tickets(platform) -> None:  # noqa: ANN001
    """A few people waiting, so calling works at once."""
    now = platform.clock.now()
    waiting = platform.queue.waiting_counts(now.date().isoformat())
    if sum(waiting.values()) >= 5:
        return
    for service, priority, kind in (("A", "normal", ""), ("A", "normal", ""), ("A", "green", "老年人"),
                                    ("B", "normal", ""), ("A", "normal", ""), ("C", "normal", ""),
                                    ("A", "normal", ""), ("D", "normal", "")):
        platform.queue.issue(service, now, priority=priority, priority_kind=kind)


def run_config_show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.syntax import Syntax

    from window_tui.config import config_path, data_dir, load_config_or_exit

    config = load_config_or_exit()
    console = Console()
    console.print(f"配置文件：{config.source}")
    console.print(f"数据目录：{data_dir()}")
    console.print(f"节假日补充文件：{config.calendar_path()}")
    console.print(f"本地数据密钥：{config_path().parent / 'store.key'}")
    lines = []
    for section, values in config.to_dict().items():
        if section in ("source",):
            continue
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
            lines.append("")
        else:
            lines.append(f"{section} = {json.dumps(values, ensure_ascii=False)}")
    console.print(Syntax("\n".join(lines), "toml", background_color="default"))
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from rich.console import Console

    from offline.store import StoreLocked, read_status_without_lock
    from window_tui.config import data_dir, load_config_or_exit

    console = Console()
    directory = args.data or data_dir() / "store"
    if args.sync_command == "status":
        try:
            status = read_status_without_lock(directory)
        except FileNotFoundError as exc:
            print(f"{exc}（用 --data 指定，或先运行 window-tui counter）", file=sys.stderr)
            return 2
        sync = status["sync"]
        online = {True: "在线", False: "离线"}.get(sync.get("online"), "未知")
        console.print(f"待同步 {status['pending']} 条，需处理 {status['quarantined']} 条，最早待同步 "
                      f"{status['oldest_pending'] or '无'}；平台{online}；最近成功 {sync.get('last_success_at', '无')}；"
                      f"最近错误 {sync.get('last_error') or '无'}")
        for problem in status["problems"]:
            console.print(f"⚠ {problem}")
        for alert in status["alerts"]:
            console.print(f"核验提醒：{alert['case_number']} {alert['label']} 录入“{alert['typed']}”，"
                          f"共享数据为“{alert['registry']}”")
        return 0
    import asyncio
    import getpass

    from offline.crypto import KeyFileError
    from offline.sync import SyncEngine
    from window_tui.client import PlatformClient, PlatformError
    from window_tui.session import open_store

    config = load_config_or_exit()
    if not (directory / "pending").is_dir():
        print(f"数据目录 {directory} 不存在或不是本程序的数据目录（用 --data 指定）", file=sys.stderr)
        return 2
    try:
        store = open_store(config, directory)
    except StoreLocked as exc:
        print(f"{exc}\n窗口程序运行中：请在程序内按 Ctrl+P 选择“立即同步”。", file=sys.stderr)
        return 1
    except KeyFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    server = args.server or config.counter.server
    try:
        clerk = args.clerk or config.counter.clerk or input("工号：")
        password = getpass.getpass("密码：")
    except (EOFError, KeyboardInterrupt):
        print("未输入工号或密码，未同步", file=sys.stderr)
        store.close()
        return 2

    async def once() -> int:
        client = PlatformClient(server)
        try:
            await client.login(clerk, password, None)
            engine = SyncEngine(store, client, batch_size=config.sync.batch_size)
            while store.items("pending", "sent"):
                before = len(store.items("pending", "sent"))
                await engine.sync_once()
                if len(store.items("pending", "sent")) == before:
                    break
        except PlatformError as exc:
            print(f"同步失败：{exc.message}", file=sys.stderr)
            return 1
        finally:
            await client.aclose()
        left = len(store.items("pending", "sent"))
        console.print(f"同步完成：剩余待同步 {left} 条，需处理 {len(store.items('quarantined'))} 条")
        return 0 if left == 0 else 1

    try:
        return asyncio.run(once())
    finally:
        store.close()


def run_manager(args: argparse.Namespace) -> int:
    """`window-tui manager`: the hall manager (supervisor or admin) watches the hall. With
    --clerk and WINDOW_TUI_PASSWORD it logs in first (a refusal is one line here); otherwise
    the screen opens on its own login form — in a terminal, or in a browser under
    `window-tui manager-web` (textual-serve's driver)."""
    import asyncio
    import os

    from window_tui.client import PlatformClient
    from window_tui.config import load_config_or_exit
    from window_tui.manager_login import ManagerLoginRefused, manager_login
    from window_tui.ui.manager import ManagerApp

    config = load_config_or_exit()
    password = os.environ.get("WINDOW_TUI_PASSWORD", "")
    in_browser = "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")
    options = {"wait_alert_minutes": config.manager.wait_alert_minutes, "hall_name": config.hall.name}
    if password and args.clerk and not in_browser:
        try:
            login = asyncio.run(manager_login(args.server, args.clerk, password))
        except ManagerLoginRefused as exc:
            print(exc.message, file=sys.stderr)
            return 2
        # The screen may stay open past the platform's 12-hour session: it logs in again by itself.
        ManagerApp(PlatformClient(args.server, auth=login), **options).run()
        return 0
    if not in_browser and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("缺少密码：请在终端中运行（在登录界面输入密码），或设置环境变量 WINDOW_TUI_PASSWORD，"
              "或用 window-tui manager-web 在浏览器中打开", file=sys.stderr)
        return 2
    ManagerApp(None, server=args.server, clerk=args.clerk or "", **options).run()
    return 0
