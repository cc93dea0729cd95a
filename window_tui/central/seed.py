"""Demo data: services, windows, clerks, device tokens, appointments and the
synthetic registries. Used by `window-tui serve --seed-demo`, the demo and tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from window_tui.central.auth import add_clerk, add_device, token_hash
from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.central.registry_store import load_registry
from window_tui.domain.synthetic import generate_registry

DEMO_SERVICES = [
    ("A", "一件事综合受理", "A"),
    ("B", "企业开办与注销", "B"),
    ("C", "社保医保公积金", "C"),
    ("D", "户政与出入境", "D"),
    ("F", "办不成事反映", "F"),  # the hall's 办不成事 反映窗口 ([hall] report_service)
]
DEMO_WINDOWS = {
    1: ["A", "B", "C", "D"], 2: ["A", "B"], 3: ["A", "C"], 4: ["A", "D"], 5: ["A", "B", "C", "D"],
    6: ["B"], 7: ["C"], 8: ["D", "F"],
}
DEMO_DISPLAY_TOKEN = "demo-display-token"
DEMO_KIOSK_TOKEN = "demo-kiosk-token"
DEMO_RATER_TOKEN = "demo-rater-token"


def demo_rater_token(window: int) -> str:
    return DEMO_RATER_TOKEN if window == 5 else f"{DEMO_RATER_TOKEN}-{window}"


def demo_password(clerk: str) -> str:
    return f"demo{clerk}"


def add_service(connection: Connection, code: str, name: str, prefix: str, sort: int) -> None:
    connection.execute(
        "INSERT INTO services (code, name, prefix, sort) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE"
        " SET name = excluded.name, prefix = excluded.prefix, sort = excluded.sort",
        (code, name, prefix, sort),
    )


def add_window(connection: Connection, number: int, services: list[str], name: str = "") -> None:
    known = {r[0] for r in connection.execute("SELECT code FROM services")}
    unknown = [s for s in services if s not in known]
    if unknown:
        raise ValueError(f"未知的业务类别：{'、'.join(unknown)}")
    connection.execute(
        "INSERT INTO windows (number, name, services) VALUES (?, ?, ?) ON CONFLICT (number) DO UPDATE"
        " SET name = excluded.name, services = excluded.services",
        (number, name or f"{number}号窗口", json.dumps(services)),
    )


def seed_demo(connection: Connection, now: datetime, *, persons: int = 10_000, windows: int = 8,
              seed: int = 20240101) -> dict[str, object]:
    """Idempotent: running it twice leaves one copy of everything."""
    registry = generate_registry(seed=seed, persons=persons, as_of=now.date())
    with transaction(connection):
        for sort, (code, name, prefix) in enumerate(DEMO_SERVICES):
            add_service(connection, code, name, prefix, sort)
        for number in range(1, windows + 1):
            add_window(connection, number, DEMO_WINDOWS.get(number, ["A", "B", "C", "D"]))
        for number in range(1, windows + 1):
            clerk = f"{1000 + number}"
            add_clerk(connection, clerk, _clerk_name(number), demo_password(clerk))
        add_clerk(connection, "9000", "管理员", "demo9000", role="admin")
        add_clerk(connection, "8000", "值班长", "demo8000", role="supervisor")  # the manager screen
        devices = [("display", DEMO_DISPLAY_TOKEN, None, "演示display"), ("kiosk", DEMO_KIOSK_TOKEN, None, "演示kiosk"),
                   ("rater", DEMO_RATER_TOKEN, 5, "演示rater")]
        # A rating pad belongs to one window: one demo pad per window (window 5's is the demo's).
        devices += [("rater", demo_rater_token(n), n, f"演示rater-{n}") for n in range(1, windows + 1) if n != 5]
        for role, token, window, name in devices:
            if not connection.execute("SELECT 1 FROM devices WHERE token_hash = ?", (token_hash(token),)).fetchone():
                add_device(connection, role, name, now, window=window, token=token, days=3650)
        day_start = now.replace(hour=9, minute=0, second=0, microsecond=0)
        for i in range(6):
            start = day_start + timedelta(minutes=30 * i)
            connection.execute(
                "INSERT INTO appointments (code, service, slot_start, slot_end) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (code) DO UPDATE SET slot_start = excluded.slot_start, slot_end = excluded.slot_end,"
                " used = 0",
                (f"YY{now:%m%d}{i:02d}", "A", start.isoformat(), (start + timedelta(minutes=30)).isoformat()),
            )
    rows = load_registry(connection, registry)
    return {"registry_rows": rows, "samples": {k: v[:3] for k, v in registry.samples.items()}}


def _clerk_name(number: int) -> str:
    names = ["王丽", "李强", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄娟", "周涛", "吴霞"]
    return names[(number - 1) % len(names)]
