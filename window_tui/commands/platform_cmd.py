"""`window-tui serve` and `window-tui admin`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


def default_db() -> Path:
    from window_tui.config import data_dir

    return data_dir() / "central.db"


def run_serve(args: argparse.Namespace) -> int:
    from window_tui.central.server import serve
    from window_tui.config import load_config_or_exit

    config = load_config_or_exit()
    serve(args.db or default_db(), args.host, args.port, seed_demo=args.seed_demo, persons=args.persons,
          windows=args.windows, hall_name=args.hall_name or config.hall.name,
          followup_workdays=config.hall.rating_followup_workdays, calendar_file=config.calendar_path(),
          timezone=config.hall.timezone, workers=args.workers)
    return 0


def run_admin(args: argparse.Namespace) -> int:
    from datetime import datetime

    from window_tui.central.auth import add_clerk, add_device
    from window_tui.central.db import connect, transaction
    from window_tui.central.seed import add_service, add_window

    connection = connect(args.db or default_db())
    try:
        with transaction(connection):
            if args.admin_command == "add-service":
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
                add_clerk(connection, args.number, args.name, password, role=args.role)
                print(f"已添加{('管理员' if args.role == 'admin' else '窗口人员')} {args.number} {args.name}")
            elif args.admin_command == "add-device":
                token = add_device(connection, args.role, args.name, datetime.now().astimezone(), args.window)
                print(f"设备令牌（只显示这一次，请妥善保存）：{token}")
            elif args.admin_command == "list":
                for row in connection.execute("SELECT code, name, prefix FROM services ORDER BY sort"):
                    print(f"业务 {row['code']} {row['name']} 前缀 {row['prefix']}")
                for row in connection.execute("SELECT number, services, paused FROM windows ORDER BY number"):
                    print(f"窗口 {row['number']} 业务 {row['services']}{' 暂停中' if row['paused'] else ''}")
                for row in connection.execute("SELECT number, name, role FROM clerks ORDER BY number"):
                    print(f"人员 {row['number']} {row['name']} {row['role']}")
                for row in connection.execute("SELECT role, name, window FROM devices ORDER BY role"):
                    print(f"设备 {row['role']} {row['name']}")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0
