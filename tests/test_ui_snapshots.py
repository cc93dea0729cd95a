"""Text snapshots of the main screens at 120×40 and 100×30 (deterministic: the
hall's clock is fixed and the registry is generated from a seed). Chinese text
must stay aligned: every line fills the width exactly in terminal cells, and the
value and source columns start at the same cell on every field row.

Regenerate after a deliberate change with UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import httpx
import pytest
from rich.cells import cell_len

from tests.conftest import Hall
from tests.ui_helpers import make_app, screen_text, wait_for
from window_tui.ui.console import ConsoleScreen
from window_tui.ui.intake import IntakeScreen

SNAPSHOTS = Path(__file__).parent / "snapshots"
CLOCK = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
STAMP = re.compile(r"\d{2}:\d{2}:\d{2}")


async def settled_text(pilot, app) -> str:  # noqa: ANN001
    """The screen once it has stopped changing and the footer is drawn: on a loaded machine a
    capture taken after a fixed pause can catch the footer still blank."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    before = screen_text(app)
    while loop.time() < deadline:
        await pilot.pause(0.2)
        now = screen_text(app)
        if now == before and "^p 命令" in now:
            return now
        before = now
    return before


def check_snapshot(name: str, text: str, width: int) -> None:
    lines = text.rstrip("\n").split("\n")
    for line in lines:
        assert cell_len(line) <= width, line
    text = CLOCK.sub("YYYY-MM-DD HH:MM:SS", text)
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"snapshot {path.name} is missing: snapshots are committed files "
                    "(create it deliberately with UPDATE_SNAPSHOTS=1 and review it)")
    assert text == path.read_text(encoding="utf-8"), f"snapshot {name} changed (UPDATE_SNAPSHOTS=1 to accept)"


def test_a_missing_snapshot_fails_instead_of_being_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    global SNAPSHOTS
    saved, SNAPSHOTS = SNAPSHOTS, tmp_path
    try:
        with pytest.raises(pytest.fail.Exception, match="missing"):
            check_snapshot("never-made", "text", 80)
    finally:
        SNAPSHOTS = saved
    assert not (tmp_path / "never-made.txt").exists()


def cell_index(line: str, needle: str) -> int:
    return cell_len(line[: line.index(needle)])


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_console_and_intake_snapshots(make_hall, tmp_path: Path, size: tuple[int, int]) -> None:
    hall: Hall = make_hall(persons=1500)
    hall.platform.queue.issue("A", hall.clock.now())
    hall.platform.queue.issue("B", hall.clock.now())
    app, _ = make_app(hall.url, tmp_path)
    name = f"{size[0]}x{size[1]}"
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        check_snapshot(f"login-{name}", screen_text(app), size[0])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "A001" in screen_text(app) and "企业开办与注销：1" in screen_text(app))
        await pilot.pause(0.3)
        text = screen_text(app)
        check_snapshot(f"console-{name}", text, size[0])
        for key in ("n 叫号", "x 过号", "f 办结", "i 受理", "s 状态", "^q 退出"):  # every queue key shows
            assert key in text, key
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
        await pilot.press("x", "s", "e", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        screen: IntakeScreen = app.screen  # type: ignore[assignment]
        app.screen.query_one("#input-mother-id_number").focus()
        await pilot.press(*hall.samples["newborn"][0])
        await wait_for(pilot, lambda: not screen.data.lookups_needed() and screen.data.value("father.name").value != "")
        text = await settled_text(pilot, app)
        check_snapshot(f"intake-{name}", text, size[0])
        rows = [line for line in text.split("\n") if "公安人口库" in line and "*" in line]
        assert len(rows) >= 3
        assert len({cell_index(line, "公安人口库") for line in rows}) <= 2  # the source column lines up (🔒 first)
        # A long error on a narrow screen: the focus line shows all of it.
        card = app.screen.query_one("#input-bank-card_no")
        card.focus()
        await pilot.press(*"6222021234567890123")
        await pilot.press("tab")
        card.focus()
        text = await settled_text(pilot, app)
        check_snapshot(f"intake-error-{name}", text, size[0])
        error = screen.data.check("bank.card_no").error.split("：", 1)[1]  # without the label
        assert error and error in text.replace("\n", "")
        # The override dialog, with its keys.
        app.screen.query_one("#input-mother-name").focus()
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "OverrideDialog")
        await pilot.pause(0.2)
        check_snapshot(f"override-{name}", screen_text(app), size[0])
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "StatusScreen")
        await wait_for(pilot, lambda: "未办结 0 件" in screen_text(app), timeout=20)  # the platform's answer is in
        await pilot.pause(0.5)
        check_snapshot(f"status-{name}", STAMP.sub("HH:MM:SS", screen_text(app)), size[0])
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        app.load_drafts()
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DraftPicker")
        await pilot.pause(0.2)
        check_snapshot(f"drafts-{name}", screen_text(app), size[0])


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (240, 67)])
async def test_terminal_display_uses_the_space_it_has(hall: Hall, size: tuple[int, int]) -> None:
    """The called ticket grows with the terminal (80×24 and 240×67 are not the same picture),
    and any service letter is as large as the digits."""
    from window_tui.client import PlatformClient
    from window_tui.ui.bigtext import BigText
    from window_tui.ui.display import DisplayApp

    with hall.kiosk() as kiosk, hall.client(hall.clerk_token(3)) as clerk:
        kiosk.post("/tickets", json={"service": "A"}).raise_for_status()
        clerk.post("/windows/3/call-next").raise_for_status()
    app = DisplayApp(PlatformClient(hall.url, token="demo-display-token"))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.query_one("#latest-ticket", BigText).text == "A001")
        await pilot.pause(1.8)  # the flash is over
        rows = app.query_one("#latest-ticket", BigText).drawn_rows
        assert rows >= {80: 6, 100: 8, 120: 10, 240: 20}[size[0]], rows
        check_snapshot(f"display-{size[0]}x{size[1]}", screen_text(app), size[0])


def _a_call_at_window_3(hall: Hall) -> httpx.Client:
    """Tickets A001–A003 and B001; window 3's clerk has called A001 (the client is returned)."""
    with hall.kiosk() as kiosk:
        for service in "AAAB":
            kiosk.post("/tickets", json={"service": service}).raise_for_status()
    clerk = hall.client(hall.clerk_token(3))
    clerk.post("/windows/3/call-next").raise_for_status()
    return clerk


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_manager_screen_follows_the_hall(hall: Hall, size: tuple[int, int]) -> None:
    """The manager's screen: each queue with how long its first ticket has waited (past the
    limit: marked and told once), each window's state, ticket and clerk; a call at a
    window shows within a second through the event stream."""
    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp

    token = hall.manager_token()
    clerk = _a_call_at_window_3(hall)
    hall.clock.advance(minutes=25)
    app = ManagerApp(PlatformClient(hall.url, token=token), wait_alert_minutes=20, hall_name="市民之家")
    try:
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: "A001" in screen_text(app) and "⚠" in screen_text(app)
                           and "1号窗口  未登录" in screen_text(app))  # every row drawn at its column widths
            assert [n for n in app.notices if "首位已等" in n] == [
                "一件事综合受理：首位已等 25:00，超过 20 分钟，请考虑增开窗口",
                "企业开办与注销：首位已等 25:00，超过 20 分钟，请考虑增开窗口"]
            await pilot.pause(0.5)
            check_snapshot(f"manager-{size[0]}x{size[1]}", screen_text(app), size[0])
            clerk.post("/windows/3/finish", json={"case_numbers": []}).raise_for_status()
            clerk.post("/windows/3/call-next").raise_for_status()
            await wait_for(pilot, lambda: "A002" in screen_text(app), timeout=3)
            assert len([n for n in app.notices if "首位已等" in n]) == 2  # told once, not on every refresh
    finally:
        clerk.close()


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_the_manager_logs_in_on_the_screen(hall: Hall, size: tuple[int, int]) -> None:
    """Without a password from the command (a browser tab, a terminal without
    WINDOW_TUI_PASSWORD) the screen opens on its login form: a wrong password and a window
    clerk are refused in one line each, and nothing of the hall is asked before the login;
    a 值班长 gets the hall."""
    from textual.widgets import Input

    from window_tui.ui.manager import ManagerApp
    from window_tui.ui.manager_login import ManagerLoginScreen

    app = ManagerApp(None, server=hall.url, clerk="8000", hall_name="市民之家")
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerLoginScreen))
        port = hall.url.rsplit(":", 1)[1]  # the test platform's port changes from run to run
        check_snapshot(f"manager-login-{size[0]}x{size[1]}", screen_text(app).replace(f":{port}", ":" + "#" * len(port)),
                       size[0])
        await pilot.press("g", "a")  # the overview's keys do nothing under the form (they type)
        assert app.overviews_shown == 0 and isinstance(app.screen, ManagerLoginScreen)
        app.screen.query_one("#login-password", Input).value = ""
        await pilot.press(*"wrong", "enter")
        await wait_for(pilot, lambda: "登录失败" in screen_text(app))
        app.screen.query_one("#login-clerk", Input).value = "1006"
        await pilot.press(*"demo1006", "enter")
        await wait_for(pilot, lambda: "工号 1006 不是值班长或管理员，不能打开大厅管理" in screen_text(app))
        assert app.screen.query_one("#login-clerk", Input).has_focus  # another person: from the clerk number
        assert app.screen.query_one("#login-clerk", Input).value == ""
        await pilot.press(*"8000", "enter", *"demo8000", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ManagerLoginScreen) and "今日取号" in screen_text(app))
        assert "已登录：8000 值班长" in app.notices


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_manager_charts_show_the_day_the_test_made(hall: Hall, size: tuple[int, int]) -> None:
    """A short simulated morning (arrivals each hour, calls by three windows);
    G opens the charts; the platform's hourly figures equal the test's own count."""
    import random

    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp
    from window_tui.ui.manager_charts import ChartsScreen

    rng = random.Random(7)
    issued: dict[int, int] = {}
    called: dict[int, int] = {}
    token = hall.manager_token()
    clerks = {w: hall.client(hall.clerk_token(w)) for w in (1, 2, 3)}
    with hall.kiosk() as kiosk:
        for _hour in range(4):  # 09:00 … 12:59
            for _ in range(rng.randint(3, 8)):
                kiosk.post("/tickets", json={"service": rng.choice("AB")}).raise_for_status()
                issued[hall.clock.now().hour] = issued.get(hall.clock.now().hour, 0) + 1
                hall.clock.advance(minutes=rng.randint(1, 4))
            for window, clerk in clerks.items():
                answer = clerk.post(f"/windows/{window}/call-next").json()
                if answer.get("ticket"):
                    called[hall.clock.now().hour] = called.get(hall.clock.now().hour, 0) + 1
                    hall.clock.advance(minutes=2)
                    clerk.post(f"/windows/{window}/finish", json={"case_numbers": []}).raise_for_status()
            hall.clock.advance(minutes=max(0, 60 - hall.clock.now().minute))  # the next hour
    for clerk in clerks.values():
        clerk.close()
    stats = hall.client(token).get("/stats").json()
    assert {h["hour"]: h["issued"] for h in stats["by_hour"] if h["issued"]} == issued
    assert {h["hour"]: h["called"] for h in stats["by_hour"] if h["called"]} == called

    app = ManagerApp(PlatformClient(hall.url, token=token), wait_alert_minutes=200)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "今日取号" in screen_text(app) and app.overview)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartsScreen)
                       and f"取号 {sum(issued.values())}" in screen_text(app))
        await pilot.pause(0.5)
        check_snapshot(f"manager-charts-{size[0]}x{size[1]}", screen_text(app), size[0])
        await pilot.press("left")  # the day before: nothing
        await wait_for(pilot, lambda: "2026-11-19" in screen_text(app) and "取号 0" in screen_text(app))
        hall.clock.advance(days=-1)  # two tickets of the day before, as if issued then
        with hall.kiosk() as kiosk:
            for _ in range(2):
                kiosk.post("/tickets", json={"service": "A"}).raise_for_status()
        hall.clock.advance(days=1)
        await pilot.press("right", "left")
        await wait_for(pilot, lambda: "2026-11-19  取号 2 " in screen_text(app))
        await pilot.press("right", "w")  # the seven days up to the 20th, taken together
        await wait_for(pilot, lambda: f"2026-11-14 至 2026-11-20（7 天）  取号 {sum(issued.values()) + 2} "
                       in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ChartsScreen))


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_manager_charts_show_cases_and_ratings(hall: Hall, size: tuple[int, int]) -> None:
    """The second page: time at the counter by bundle (three newborn cases handled in 6, 10
    and 14 minutes: P50 10, P95 14), each indicator's mean score and 差评 (two ratings the
    test gives), and the open 差评 follow-up with its deadline; R takes any period."""
    from tests.casefactory import newborn_case
    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp
    from window_tui.ui.manager_charts import ChartsScreen

    clerk, pad = hall.client(hall.clerk_token(5)), hall.client("demo-rater-token")
    with hall.kiosk() as kiosk:
        for _ in range(3):
            kiosk.post("/tickets", json={"service": "A"}).raise_for_status()
    ratings = [{"整体满意度": "不满意", "服务效率": "非常不满意", "服务水平": "满意", "服务态度": "基本满意"},
               {"整体满意度": "非常满意", "服务效率": "非常满意", "服务水平": "非常满意", "服务态度": "非常满意"}]
    for seq, minutes in enumerate((6, 10, 14), start=1):
        assert clerk.post("/windows/5/call-next").json()["ticket"]
        case = newborn_case(seq)
        assert clerk.post("/sync/batch", json={"items": [{"kind": "case", "id": case["case_id"], "body": case}]}
                          ).json()["results"][0]["status"] == 201
        hall.clock.advance(minutes=minutes)
        clerk.post("/windows/5/finish", json={"case_numbers": [case["case_number"]]}).raise_for_status()
        if seq <= len(ratings):
            given = ratings[seq - 1]
            pad.put(f"/records/rating/rating-{seq:04d}", json={
                "case_number": case["case_number"], "window": 5, "level": given["整体满意度"], "indicators": given,
                "rated_at": hall.clock.now().isoformat()}).raise_for_status()
    clerk.close()
    pad.close()
    token = hall.manager_token()
    with hall.client(token) as manager:
        stats = manager.get("/stats").json()
        due = [f["due_date"] for f in manager.get("/followups", params={"open": "true"}).json()]
    assert [(b["key"], b["tickets"], b["handle_p50_min"], b["handle_p95_min"]) for b in stats["by_bundle"]] == [
        ("newborn", 3, 10.0, 14.0)]
    assert [(i["indicator"], i["rated"], i["mean_score"], i["bad"]) for i in stats["by_indicator"]] == [
        ("整体满意度", 2, 3.5, 1), ("服务效率", 2, 3.0, 1), ("服务水平", 2, 4.5, 0), ("服务态度", 2, 4.0, 0)]
    assert len(due) == 1  # the one 差评

    app = ManagerApp(PlatformClient(hall.url, token=token), wait_alert_minutes=200)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "今日取号" in screen_text(app) and app.overview)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartsScreen) and "取号 3" in screen_text(app))
        await pilot.press("2")
        await wait_for(pilot, lambda: "newborn" in screen_text(app) and due[0] in screen_text(app)
                       and "整体满意度 差评 1/2" in screen_text(app))
        await pilot.pause(0.5)
        check_snapshot(f"manager-charts-cases-{size[0]}x{size[1]}", screen_text(app), size[0])
        await pilot.press("d")  # the return visit is done: recorded, and the follow-up leaves the list
        await pilot.press(*"4 无", "enter")
        await wait_for(pilot, lambda: "回访结果请填 1–3 之一，再空一格写回访情况" in app.notices)
        await pilot.press("d")
        await pilot.press(*"2 已电话说明办理时限", "enter")
        await wait_for(pilot, lambda: any(n.startswith("回访已记录：") and n.endswith("已解释说明") for n in app.notices)
                       and due[0] not in screen_text(app))
        await pilot.press("r")
        await pilot.press(*"2026-11-01 2026-11-19", "enter")
        await wait_for(pilot, lambda: "2026-11-01 至 2026-11-19（19 天）  取号 0 " in screen_text(app))
        await pilot.press("r")
        await pilot.press(*"2026-11-19 2026-11-01", "enter")
        await wait_for(pilot, lambda: "结束日期不能早于开始日期" in app.notices)
        await pilot.press("1", "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ChartsScreen))


async def test_the_manager_pauses_and_opens_a_window_and_moves_waiting_tickets(hall: Hall) -> None:
    """P on a window: refused in one line while its ticket is open, then paused, then open
    again; M on a queue: its first two tickets go to another service in arrival order."""
    from textual.widgets import DataTable

    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp

    token = hall.manager_token()
    clerk = _a_call_at_window_3(hall)
    app = ManagerApp(PlatformClient(hall.url, token=token))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: "A001" in screen_text(app))
            windows = app.query_one("#windows", DataTable)
            windows.focus()
            windows.move_cursor(row=2)  # 3号窗口
            await pilot.press("p")
            await wait_for(pilot, lambda: any("3 号窗口暂停失败：当前号 A001 尚未办结" in n for n in app.notices))
            clerk.post("/windows/3/finish", json={"case_numbers": []}).raise_for_status()
            await pilot.press("p")
            await wait_for(pilot, lambda: "3 号窗口已暂停叫号" in app.notices)
            row = lambda: next(line for line in screen_text(app).splitlines() if "3号窗口" in line)  # noqa: E731
            await wait_for(pilot, lambda: "暂停" in row() and "值班长 8000 暂停" in row())  # who paused it
            assert clerk.post("/windows/3/call-next").status_code == 409  # the window calls no one
            await pilot.press("p")
            await wait_for(pilot, lambda: "3 号窗口已开放叫号" in app.notices and "空闲" in row()
                           and "值班长" not in row())
            clerk.post("/windows/3/pause", json={"reason": "午休"}).raise_for_status()  # the clerk says why
            hall.clock.advance(minutes=12)
            await pilot.press("f5")
            await wait_for(pilot, lambda: "午休" in row() and "12:00" in row())  # why, and for how long
            clerk.post("/windows/3/resume").raise_for_status()
            assert clerk.post("/windows/3/pause", json={"reason": "x" * 31}).status_code == 422

            services = app.query_one("#services", DataTable)
            services.focus()
            services.move_cursor(row=0)  # 一件事综合受理: A002, A003 waiting
            await pilot.press("m")
            await wait_for(pilot, lambda: "目标业务代码" in screen_text(app))
            await pilot.press(*"b 2", "enter")
            await wait_for(pilot, lambda: "已把 2 个号从 A 移到 B：A002、A003" in app.notices)
        rows = hall.platform.connection.execute(
            "SELECT label, service FROM tickets WHERE status = 'waiting' ORDER BY order_key, id").fetchall()
        assert [tuple(r) for r in rows] == [("A002", "B"), ("A003", "B"), ("B001", "B")]
    finally:
        clerk.close()


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_the_manager_books_and_cancels_appointments(hall: Hall, size: tuple[int, int]) -> None:
    """A lists the day's appointments (the demo's six for 一件事综合受理); N books one from a
    line the manager types; X cancels the selected one."""
    from textual.widgets import DataTable

    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp
    from window_tui.ui.manager_appointments import AppointmentsScreen

    token = hall.manager_token()
    app = ManagerApp(PlatformClient(hall.url, token=token))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: bool(app.overview))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AppointmentsScreen) and "共 6 个" in screen_text(app))
        await pilot.pause(0.3)
        check_snapshot(f"manager-appointments-{size[0]}x{size[1]}", screen_text(app), size[0])
        await pilot.press("n")
        await wait_for(pilot, lambda: "时段开始" in screen_text(app))
        await pilot.press(*"b 14:00 王五 13900000000", "enter")
        await wait_for(pilot, lambda: any(n.startswith("已预约：YY") for n in app.notices))
        await wait_for(pilot, lambda: "共 7 个" in screen_text(app) and "王*" in screen_text(app))
        assert "13900000000" not in screen_text(app)
        app.screen.query_one(DataTable).move_cursor(row=0)
        await pilot.press("x")
        await wait_for(pilot, lambda: any(n.startswith("已取消预约 YY") for n in app.notices))
        await wait_for(pilot, lambda: "已取消" in screen_text(app) and "共 7 个，待取号 6 个" in screen_text(app))
        await pilot.press("n")
        await wait_for(pilot, lambda: "时段开始" in screen_text(app))
        await pilot.press(*"b 25:00 王五 13900000000", "enter")
        await wait_for(pilot, lambda: any("时段开始应为" in n for n in app.notices))
