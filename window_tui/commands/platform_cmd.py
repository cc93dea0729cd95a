"""`window-tui serve` and `window-tui admin`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from window_tui.config import Config
from typing import Any


def default_db() -> Path:
    from window_tui.config import data_dir

    return data_dir() / "central.db"


def run_serve(args: argparse.Namespace) -> int:
    from window_tui.central.seal import SealError
    from window_tui.commands.ports import ensure_port_free
    from window_tui.config import load_config_or_exit
    from window_tui.domain.workdays import CalendarFileError

    config = load_config_or_exit()
    ensure_port_free(args.host, args.port)
    try:
        config.load_calendar()  # a broken or missing hall calendar stops the platform before it serves
    except CalendarFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        _serve(args, config)
    except SealError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def _serve(args: argparse.Namespace, config: Config) -> None:
    from window_tui.central.server import serve

    serve(args.db or default_db(), args.host, args.port, seed_demo=args.seed_demo, persons=args.persons,
          windows=args.windows, hall_name=args.hall_name or config.hall.name,
          followup_workdays=config.hall.rating_followup_workdays, calendar_file=config.calendar_path(),
          timezone=config.hall.timezone, workers=args.workers, hall_code=config.hall.code,
          sms_url=config.platform.sms_url, hotline_url=config.platform.hotline_url,
          report_workdays=config.platform.report_workdays,
          seal_key_file=Path(config.platform.seal_key_file).expanduser() if config.platform.seal_key_file else None)


def run_stats(args: argparse.Namespace) -> int:
    """`stats export`: the hall's figures for a range of days, with a progress bar."""
    from datetime import date

    from rich.progress import Progress

    from window_tui.central.city import HallError, list_halls, open_database
    from window_tui.central.export import build_city_sheets, build_sheets, write_csv, write_xlsx

    first, last = date.fromisoformat(args.first), date.fromisoformat(args.last)  # checked by the parser
    if last < first:
        print(f"结束日期 {last} 早于起始日期 {first}", file=sys.stderr)
        return 2
    if not args.out.parent.is_dir():
        print(f"输出目录不存在：{args.out.parent}", file=sys.stderr)
        return 2
    try:
        connection = open_database(args.db or default_db(), args.hall)
        halls = [(h.code, h.name, connection.in_schema(h.schema)) for h in list_halls(connection)] if args.city else []
        if args.city and not halls:
            raise HallError("城市平台中还没有大厅（window-tui admin add-hall）；单个大厅请不加 --city")
    except HallError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    with Progress(transient=True) as progress:
        task = progress.add_task("统计中", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        sheets = (build_city_sheets(halls, first, last, step) if args.city
                  else build_sheets(connection, first, last, step))
    connection.close()
    writer = write_xlsx if args.format == "xlsx" else write_csv
    for path in writer(sheets, args.out):
        print(f"已导出 {path}")
    return 0


def _hall_target(city: Any, code: str, name: str) -> Any:
    """The hall's schema in the city database, added first when it is new (then a name is needed)."""
    from datetime import datetime

    from window_tui.central.city import HallError, add_hall, find_hall, hall_connection

    if find_hall(city, code) is None:
        if not name:
            raise HallError(f"城市平台中还没有大厅 {code}：请加 --hall-name 名称，迁移时一并新建")
        add_hall(city, code, name, datetime.now().astimezone())
    return hall_connection(city, code)


def run_admin(args: argparse.Namespace) -> int:
    from datetime import datetime

    from window_tui.central.auth import (
        add_clerk,
        add_device,
        clear_failures,
        release_window,
        revoke_device,
        rotate_device,
    )
    from window_tui.central.auth import audit as security_audit
    from window_tui.central.city import HallError, open_database
    from window_tui.central.db import transaction
    from window_tui.central.seed import add_service, add_window

    if args.admin_command == "migrate":
        return run_migrate(args)
    now = datetime.now().astimezone()
    try:
        connection = open_database(args.db or default_db(), args.hall)
    except HallError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.admin_command in ("add-hall", "list-halls"):
        return _halls(args, connection, now)
    try:
        with transaction(connection):
            if args.admin_command == "add-service":
                existing = connection.execute("SELECT name, prefix FROM services WHERE code = ?",
                                              (args.code,)).fetchone()
                if existing is not None and not args.replace:
                    print(f"业务类别 {args.code} 已存在（{existing['name']}，前缀 {existing['prefix']}）："
                          f"未修改；确需修改请加 --replace", file=sys.stderr)
                    return 1
                sort = connection.execute("SELECT COUNT(*) FROM services").fetchone()[0]
                add_service(connection, args.code, args.name, args.prefix.upper(), sort)
                print(f"已添加业务类别 {args.code} {args.name}（号码前缀 {args.prefix.upper()}）")
            elif args.admin_command == "add-window":
                add_window(connection, args.number, [s.strip() for s in args.services.split(",") if s.strip()])
                print(f"已设置 {args.number} 号窗口，办理业务：{args.services}")
            elif args.admin_command == "add-clerk":
                password = args.password or getpass.getpass(f"为工号 {args.number} 设置密码：")
                if len(password) < 6:
                    print("密码至少6位", file=sys.stderr)
                    return 1
                windows = [int(w) for w in args.windows.split(",") if w.strip()] if args.windows else None
                add_clerk(connection, args.number, args.name, password, role=args.role, windows=windows)
                role_name = {"admin": "管理员", "supervisor": "值班长"}.get(args.role, "窗口人员")
                print(f"已添加{role_name} {args.number} {args.name}"
                      + (f"（可登录窗口：{args.windows}）" if args.windows else ""))
            elif args.admin_command == "add-device":
                token = add_device(connection, args.role, args.name, now, args.window, days=args.days)
                print(f"设备令牌（只显示这一次，请存入令牌文件，权限 0600）：{token}")
                security_audit(connection, now, "admin", "add_device", args.name)
            elif args.admin_command == "rotate-device":
                token = rotate_device(connection, args.name, now, days=args.days)
                print(f"新令牌（旧令牌已失效；只显示这一次）：{token}")
                security_audit(connection, now, "admin", "rotate_device", args.name)
            elif args.admin_command == "revoke-device":
                revoke_device(connection, args.name, now)
                print(f"已停用设备 {args.name} 的令牌")
                security_audit(connection, now, "admin", "revoke_device", args.name)
            elif args.admin_command == "unlock":
                clear_failures(connection, f"clerk:{args.number}")
                print(f"已解锁工号 {args.number}")
                security_audit(connection, now, "admin", "unlock", args.number)
            elif args.admin_command == "release-window":
                ended = release_window(connection, args.number)
                print(f"已释放 {args.number} 号窗口（结束登录 {ended} 个）")
                security_audit(connection, now, "admin", "release_window", str(args.number))
            elif args.admin_command == "audit":
                from window_tui.central.registry_store import audit_entries
                from window_tui.domain.masking import MaskPolicy

                entries = audit_entries(connection, subject=args.person)
                print(f"{MaskPolicy().id_number(args.person) if len(args.person) == 18 else args.person}"
                      f" 的共享数据查询记录 {len(entries)} 条：")
                for e in entries:
                    purpose = f"{e['purpose_bundle'] or '未登记'} 号码 {e['purpose_ticket'] or '无'}"
                    print(f"{e['at'][:19]}  工号 {e['clerk']}  {e['window']}号窗口  {e['registry']}  "
                          f"案件 {e['case_id'][:8]}（{purpose}）  {'查到' if e['found'] else '未查到'}")
            elif args.admin_command == "list":
                for row in connection.execute("SELECT code, name, prefix FROM services ORDER BY sort"):
                    print(f"业务 {row['code']} {row['name']} 前缀 {row['prefix']}")
                for row in connection.execute("SELECT number, services, paused FROM windows ORDER BY number"):
                    print(f"窗口 {row['number']} 业务 {row['services']}{' 暂停中' if row['paused'] else ''}")
                for row in connection.execute("SELECT number, name, role FROM clerks ORDER BY number"):
                    print(f"人员 {row['number']} {row['name']} {row['role']}")
                for row in connection.execute("SELECT role, name, window, expires_at, revoked_at FROM devices"
                                              " ORDER BY role, name"):
                    state = "已停用" if row["revoked_at"] else f"有效期至 {(row['expires_at'] or '不限')[:10]}"
                    bound = f" {row['window']}号窗口" if row["window"] else ""
                    print(f"设备 {row['role']} {row['name']}{bound} {state}")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0


def _halls(args: argparse.Namespace, connection: Any, now: Any) -> int:
    """`admin add-hall CODE --name N` and `admin list-halls` (a city platform on PostgreSQL)."""
    from window_tui.central.city import HallError, add_hall, list_halls

    try:
        if args.admin_command == "add-hall":
            hall = add_hall(connection, args.code, args.name, now)
            print(f"已添加大厅 {hall.code} {hall.name}：各设备的平台地址为 …/halls/{hall.code}"
                  f"（如 http://平台主机:8700/halls/{hall.code}）；用 admin --hall {hall.code} 设置其业务、窗口与人员")
            return 0
        halls = list_halls(connection)
        if not halls:
            print("城市平台中还没有大厅（数据库地址本身的大厅在根地址提供服务）")
        for hall in halls:
            print(f"大厅 {hall.code} {hall.name}  地址 /halls/{hall.code}  schema {hall.schema}")
        return 0
    except HallError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        connection.close()


def run_migrate(args: argparse.Namespace) -> int:
    """`admin migrate --from PATH.db --to postgresql://…`: copy, then compare table by table."""
    from rich.progress import Progress

    from window_tui.central.city import HallError
    from window_tui.central.db import connect
    from window_tui.central.dialect import is_postgres_url, redact
    from window_tui.central.relocate import copy_database

    if not args.source.is_file():
        print(f"源数据库文件不存在：{args.source}", file=sys.stderr)
        return 2
    if not is_postgres_url(args.target):
        print("目标应为 postgresql://… 地址", file=sys.stderr)
        return 2
    code = args.move_hall or args.hall
    source, target = connect(args.source), connect(args.target)
    try:
        if code:
            target = _hall_target(target, code, args.hall_name)
        with Progress(transient=True) as progress:
            task = progress.add_task("迁移中", total=None)

            def step(table: str, done: int, total: int) -> None:
                progress.update(task, description=f"迁移 {table}", completed=done - 1, total=total)

            checks = copy_database(source, target, step)
    except HallError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        source.close()
        target.close()
    for check in checks:
        verdict = "一致" if check.matches else "不一致"
        print(f"{check.table:<20} 源 {check.source_rows:>7} 行  目标 {check.target_rows:>7} 行  "
              f"本次复制 {check.copied:>7} 行  内容校验 {verdict}")
    different = [c.table for c in checks if not c.matches]
    if different:
        print(f"迁移后核对不一致的表：{'、'.join(different)}（目标库中已有不同内容；请核查后再迁移）", file=sys.stderr)
        return 1
    where = f"{redact(args.target)} 的大厅 {code}" if code else redact(args.target)
    print(f"已迁移 {args.source} → {where}：{len(checks)} 张表，"
          f"共 {sum(c.source_rows for c in checks)} 行，逐表核对一致")
    return 0


def run_message_sink(args: argparse.Namespace) -> int:
    """`window-tui message-sink`: a stand-in SMS gateway / 12345 intake for trying the outbox."""
    from window_tui.central.sink import MessageSink
    from window_tui.commands.ports import ensure_port_free

    ensure_port_free(args.host, args.port)
    if not args.out.parent.is_dir():
        print(f"记录文件所在目录不存在：{args.out.parent}", file=sys.stderr)
        return 2
    sink = MessageSink(args.out, args.host, args.port)
    print(f"测试消息端点：{sink.url}（把 [platform] sms_url 或 hotline_url 设为此地址）；记录写入 {args.out}；"
          "Ctrl+C 结束", flush=True)
    try:
        sink.serve_forever()
    except KeyboardInterrupt:  # Ctrl+C is how the person at the terminal ends it
        print(f"测试消息端点已结束：共收到 {sink.received} 次，记录 {len(sink.keys)} 条", flush=True)
    finally:
        sink.server.server_close()
    return 0
