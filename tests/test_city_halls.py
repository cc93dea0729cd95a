"""Many halls on one city platform (PostgreSQL): each hall is served at /halls/{code}
by the same `serve` processes, numbers its own tickets, and never sees another hall's
tokens, clerks, queue or events; halls do not wait for each other's writer lock; a
hall's SQLite data moves into the city as one hall; the city's statistics add up."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.platform_process import ServeProcess
from tests.test_city_platform import StreamReader
from window_tui.central.auth import add_device
from window_tui.central.city import HallError, add_hall, hall_connection, hall_schema, list_halls
from window_tui.central.db import connect, transaction
from window_tui.central.dialect import begin_write
from window_tui.central.queue import Queue
from window_tui.central.seed import demo_password, seed_demo
from window_tui.domain.queue_policy import QueuePolicy

XUANWU, QINHUAI = "3201", "3202"


def _halls(url: str, *codes: tuple[str, str, int]) -> None:
    """Register halls and load each one's demo data (services, windows, clerks, devices)."""
    base = connect(url)
    now = datetime.now().astimezone()
    for code, name, windows in codes:
        add_hall(base, code, name, now)
        seed_demo(hall_connection(base, code), now, persons=20, windows=windows)
    base.close()


@pytest.fixture
def city(pg_url: str, tmp_path: Path) -> Iterator[tuple[str, ServeProcess]]:
    _halls(pg_url, (XUANWU, "玄武区政务服务中心", 4), (QINHUAI, "秦淮区政务服务中心", 6))
    server = ServeProcess(pg_url, windows=2, persons=20, workdir=tmp_path).start()
    try:
        yield pg_url, server
    finally:
        server.stop()


def _client(server: ServeProcess, code: str | None, token: str = "") -> httpx.Client:
    prefix = f"/halls/{code}" if code else ""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{server.url}{prefix}/api/v1", headers=headers, timeout=10)


def _login(server: ServeProcess, code: str, clerk: str, window: int) -> httpx.Response:
    with _client(server, code) as client:
        return client.post("/auth/login", json={"clerk": clerk, "password": demo_password(clerk), "window": window})


def test_each_hall_has_its_own_address_numbers_tokens_clerks_and_queue(city: tuple[str, ServeProcess]) -> None:
    url, server = city
    listed = httpx.get(f"{server.url}/halls", timeout=5).json()
    assert [(h["code"], h["path"]) for h in listed] == [(XUANWU, "/halls/3201"), (QINHUAI, "/halls/3202")]
    with _client(server, XUANWU) as xuanwu, _client(server, QINHUAI) as qinhuai:
        assert xuanwu.get("/health").json()["hall_code"] == XUANWU
        assert qinhuai.get("/health").json()["hall"] == "秦淮区政务服务中心"
    unknown = httpx.get(f"{server.url}/halls/9999/api/v1/health", timeout=5)
    assert unknown.status_code == 404 and unknown.json()["detail"] == "没有大厅 9999"

    # A device token made for one hall opens that hall only.
    base = connect(url)
    xuanwu_db = hall_connection(base, XUANWU)
    with transaction(xuanwu_db):
        kiosk_token = add_device(xuanwu_db, "kiosk", "玄武取号机1", datetime.now().astimezone())
    base.close()
    for code, status in ((XUANWU, 201), (QINHUAI, 401), (None, 401)):
        with _client(server, code, kiosk_token) as kiosk:
            assert kiosk.post("/tickets", json={"service": "A"}).status_code == status, code

    # Each hall numbers its own tickets from 1 on the same day.
    with _client(server, QINHUAI, "demo-kiosk-token") as kiosk:
        labels = [kiosk.post("/tickets", json={"service": "A"}).json()["label"] for _ in range(2)]
    assert labels == ["A001", "A002"]

    # Clerks belong to their hall: 1006 exists in 秦淮 (6 windows), not in 玄武 (4).
    assert _login(server, XUANWU, "1006", 6).status_code == 401
    qinhuai_login = _login(server, QINHUAI, "1006", 6)
    assert qinhuai_login.status_code == 200
    xuanwu_token = _login(server, XUANWU, "1001", 1).json()["token"]
    with _client(server, QINHUAI, xuanwu_token) as wrong_hall:
        assert wrong_hall.post("/windows/1/call-next", json={}).status_code == 401
    with _client(server, XUANWU, xuanwu_token) as clerk:
        called = clerk.post("/windows/1/call-next", json={}).json()["ticket"]
    assert called["label"] == "A001"  # 玄武's own A001 (the kiosk's), not 秦淮's
    with _client(server, QINHUAI) as public:
        assert public.get("/tickets/A001/position").json()["status"] == "waiting"
    with _client(server, XUANWU) as public:
        assert public.get("/tickets/A001/position").json()["status"] != "waiting"
    with _client(server, QINHUAI, "demo-display-token") as display:
        qinhuai_screen = display.get("/display/snapshot").json()
    with _client(server, XUANWU, "demo-display-token") as display:
        xuanwu_screen = display.get("/display/snapshot").json()
    assert qinhuai_screen["recent_calls"] == [] and qinhuai_screen["waiting"]["A"] == 2
    assert [c["ticket"] for c in xuanwu_screen["recent_calls"]] == ["A001"]
    assert len(qinhuai_screen["windows"]) == 6 and len(xuanwu_screen["windows"]) == 4


def test_a_hall_added_while_serving_is_served_without_a_restart(city: tuple[str, ServeProcess]) -> None:
    url, server = city
    _halls(url, ("3204", "建邺区政务服务中心", 2))
    with _client(server, "3204") as hall:
        assert hall.get("/health").json()["hall_code"] == "3204"
    assert [h["code"] for h in httpx.get(f"{server.url}/halls", timeout=5).json()] == [XUANWU, QINHUAI, "3204"]


@pytest.mark.slow
def test_a_call_in_one_hall_reaches_that_halls_displays_on_every_process_and_no_other(
        city: tuple[str, ServeProcess], tmp_path: Path) -> None:
    url, first = city
    second = ServeProcess(url, windows=2, persons=20, workdir=tmp_path / "second")
    (tmp_path / "second").mkdir()
    second.start(seed=False)
    try:
        readers = {code: StreamReader(f"{second.url}/halls/{code}") for code in (XUANWU, QINHUAI)}
        for reader in readers.values():
            reader.start()
            assert reader.open.wait(5)
        time.sleep(0.3)
        token = _login(first, QINHUAI, "1002", 2).json()["token"]
        with _client(first, QINHUAI, "demo-kiosk-token") as kiosk, _client(first, QINHUAI, token) as clerk:
            for _ in range(3):
                kiosk.post("/tickets", json={"service": "A"})
            delays = []
            for _ in range(3):
                at = time.monotonic()
                label = clerk.post("/windows/2/call-next", json={}).json()["ticket"]["label"]
                deadline = time.monotonic() + 3
                while label not in readers[QINHUAI].calls and time.monotonic() < deadline:
                    time.sleep(0.01)
                delays.append(readers[QINHUAI].calls[label] - at)
                clerk.post("/windows/2/finish", json={"case_numbers": []})
        assert sorted(delays)[1] < 0.5  # woken by the hall's NOTIFY, not the once-a-second look
        time.sleep(0.5)
        assert readers[XUANWU].calls == {}  # 玄武's displays never hear 秦淮's calls
    finally:
        second.stop()


def test_halls_never_wait_for_each_others_writer_lock(pg_url: str) -> None:
    _halls(pg_url, (XUANWU, "玄武", 1), (QINHUAI, "秦淮", 1))
    holder, waiter = connect(pg_url), connect(pg_url)
    xuanwu, qinhuai = hall_connection(waiter, XUANWU), hall_connection(waiter, QINHUAI)
    begin_write(hall_connection(holder, XUANWU))  # a long 玄武 transaction holds 玄武's lock
    try:
        waiter.execute("SET lock_timeout = '300ms'")
        started = time.monotonic()
        with transaction(qinhuai):
            qinhuai.execute("SELECT 1")
        assert time.monotonic() - started < 0.25  # 秦淮 writes at once
        with pytest.raises(psycopg.errors.LockNotAvailable):
            begin_write(xuanwu)  # 玄武's own second writer waits for the first
        xuanwu.execute("ROLLBACK")
    finally:
        holder.close()
        waiter.close()


def test_a_hall_connection_refuses_to_change_schema_inside_a_transaction(pg_url: str) -> None:
    _halls(pg_url, (XUANWU, "玄武", 1), (QINHUAI, "秦淮", 1))
    base = connect(pg_url)
    xuanwu, qinhuai = hall_connection(base, XUANWU), hall_connection(base, QINHUAI)
    begin_write(xuanwu)
    with pytest.raises(RuntimeError, match="事务进行中"):
        qinhuai.execute("SELECT 1")
    xuanwu.execute("ROLLBACK")
    assert qinhuai.execute("SELECT current_schema()").fetchone()[0] == hall_schema(base.home_schema, QINHUAI)
    base.close()


def test_hall_codes_are_checked_and_sqlite_has_one_hall(tmp_path: Path, pg_url: str) -> None:
    sqlite = connect(tmp_path / "hall.db")
    with pytest.raises(HallError, match="需要 PostgreSQL"):
        add_hall(sqlite, XUANWU, "玄武", datetime.now().astimezone())
    with pytest.raises(HallError, match="需要 PostgreSQL"):
        list_halls(sqlite)
    base = connect(pg_url)
    with pytest.raises(HallError, match="字母或数字"):
        add_hall(base, "32-01; DROP", "x", datetime.now().astimezone())
    add_hall(base, "XW", "玄武", datetime.now().astimezone())
    with pytest.raises(HallError, match="只差大小写"):
        add_hall(base, "xw", "玄武", datetime.now().astimezone())
    with pytest.raises(HallError, match="没有大厅 9"):
        hall_connection(base, "9")
    base.close()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_file = cwd / "no-config.toml"
    return subprocess.run([sys.executable, "-m", "window_tui.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**__import__("os").environ, "WINDOW_TUI_CONFIG": str(env_file)})


def _finish_tickets(connection: object, window: int, count: int, day: datetime) -> None:
    queue = Queue(connection, QueuePolicy())  # type: ignore[arg-type]
    for n in range(count):
        at = day + timedelta(minutes=3 * n)
        queue.issue("A", at)
        queue.call_next(window, at + timedelta(minutes=1))
        queue.finish(window, at + timedelta(minutes=2), [])


@pytest.mark.slow
def test_admin_moves_a_sqlite_hall_into_the_city_and_the_city_statistics_add_up(pg_url: str, tmp_path: Path) -> None:
    # The hall's own SQLite platform, with a morning's work.
    day = datetime(2026, 11, 20, 9, 0).astimezone()
    source = connect(tmp_path / "gulou.db")
    seed_demo(source, day, persons=20, windows=2)
    _finish_tickets(source, 1, 7, day)
    source.close()

    added = _cli("admin", "--db", pg_url, "add-hall", XUANWU, "--name", "玄武区政务服务中心", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "/halls/3201" in added.stdout
    assert _cli("admin", "--db", pg_url, "--hall", XUANWU, "add-service", "A", "综合业务", "A",
                cwd=tmp_path).returncode == 0
    assert _cli("admin", "--db", pg_url, "--hall", XUANWU, "add-window", "1", "--services", "A",
                cwd=tmp_path).returncode == 0
    base = connect(pg_url)
    _finish_tickets(hall_connection(base, XUANWU), 1, 4, day)

    refused = _cli("admin", "migrate", "--from", str(tmp_path / "gulou.db"), "--to", pg_url, "--hall", "3206",
                   cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0
    assert "--hall-name" in refused.stderr
    for run in range(2):  # re-running copies nothing new and still checks every table
        moved = _cli("admin", "migrate", "--from", str(tmp_path / "gulou.db"), "--to", pg_url, "--hall", "3206",
                     "--hall-name", "鼓楼区政务服务中心", cwd=tmp_path)
        assert moved.returncode == 0, moved.stderr
        assert "大厅 3206" in moved.stdout and "不一致" not in moved.stdout
        tickets = next(line for line in moved.stdout.splitlines() if line.startswith("tickets "))
        assert tickets.split()[8] == ("7" if run == 0 else "0")  # 本次复制
    gulou = hall_connection(base, "3206")
    assert gulou.execute("SELECT COUNT(*) FROM tickets WHERE status = 'done'").fetchone()[0] == 7
    listed = _cli("admin", "--db", pg_url, "list-halls", cwd=tmp_path)
    assert "3201 玄武区政务服务中心" in listed.stdout and "3206 鼓楼区政务服务中心" in listed.stdout
    base.close()

    out = tmp_path / "city.csv"
    exported = _cli("stats", "export", "--db", pg_url, "--city", "--from", "2026-11-20", "--to", "2026-11-20",
                    "--format", "csv", "--out", str(out), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    with (tmp_path / "city-按大厅.csv").open(encoding="utf-8-sig") as handle:
        rows = {row["大厅代码"]: row for row in csv.DictReader(handle)}
    assert {code: int(row["叫号办结数"]) for code, row in rows.items()} == {XUANWU: 4, "3206": 7, "合计": 11}
    assert rows["合计"]["平均等候（分钟）"] == "1.0"  # every ticket waited one minute
    with (tmp_path / "city-按窗口.csv").open(encoding="utf-8-sig") as handle:
        windows = [(row["大厅代码"], row["窗口"], row["叫号办结数"]) for row in csv.DictReader(handle)]
    assert windows == [(XUANWU, "1", "4"), ("3206", "1", "7")]

    one = _cli("stats", "export", "--db", pg_url, "--hall", "3206", "--from", "2026-11-20", "--to", "2026-11-20",
               "--format", "csv", "--out", str(tmp_path / "gulou.csv"), cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    with (tmp_path / "gulou-按窗口.csv").open(encoding="utf-8-sig") as handle:
        assert [row["叫号办结数"] for row in csv.DictReader(handle)] == ["7"]

    for args in (["admin", "--db", str(tmp_path / "gulou.db"), "add-hall", "1", "--name", "x"],
                 ["admin", "--db", pg_url, "--hall", "9999", "list"],
                 ["stats", "export", "--db", str(tmp_path / "gulou.db"), "--city", "--from", "2026-11-20",
                  "--to", "2026-11-20", "--out", str(tmp_path / "x.xlsx")]):
        failed = _cli(*args, cwd=tmp_path)
        assert failed.returncode == 2 and failed.stderr.strip() and "\n" not in failed.stderr.strip(), failed.stderr


async def test_a_console_works_at_its_halls_address_and_refuses_another_hall(city: tuple[str, ServeProcess],
                                                                             tmp_path: Path) -> None:
    """The counter's server is the hall's address; its case numbers begin with its configured
    hall code, so a console configured for another hall is refused at login, in one line."""
    from tests.ui_helpers import make_app, screen_text, wait_for
    from window_tui.clock import Clock
    from window_tui.ui.console import ConsoleScreen

    _url, server = city
    with _client(server, XUANWU, "demo-kiosk-token") as kiosk:
        kiosk.post("/tickets", json={"service": "A"})
    app, session = make_app(f"{server.url}/halls/{XUANWU}", tmp_path / "xuanwu", window=2, clock=Clock())
    session.config.hall.code = XUANWU
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "A001" in screen_text(app))
    assert session.client.active_url == f"{server.url}/halls/{XUANWU}"
    base = connect(_url)
    leased = hall_connection(base, XUANWU).execute("SELECT COUNT(*) FROM case_number_leases").fetchone()[0]
    assert leased > 0  # the console's case-number blocks came from its own hall
    assert base.execute("SELECT COUNT(*) FROM case_number_leases").fetchone()[0] == 0
    base.close()

    app, session = make_app(f"{server.url}/halls/{QINHUAI}", tmp_path / "other", window=2, clock=Clock())
    session.config.hall.code = XUANWU  # a 玄武 console pointed at 秦淮's address
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: "大厅代码 3201 与中心平台的大厅 3202" in screen_text(app))
        assert "hall.code" in screen_text(app)
        assert not isinstance(app.screen, ConsoleScreen)
