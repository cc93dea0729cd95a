"""出件 at the counter, as a clerk does it: C, the receipt's QR scanned, the documents
ticked, the collector's ID checked against the applicant's, Ctrl+S; the platform
goes down before the confirmation, so the hand-over is saved here, the 领取回执 prints
(decoded), and the platform records it exactly once when it is back."""

from __future__ import annotations

import time
from typing import Any

from printers.decoder import decode
from printers.fake import FakePrinter
from tests.casefactory import newborn_case
from tests.conftest import Hall
from tests.test_results import _backoffice, _certificate, _result
from tests.ui_helpers import make_app, noticed, scanner_types, screen_text, wait_for
from window_tui.central.auth import release_window
from window_tui.central.db import transaction
from window_tui.domain.masking import MaskPolicy


async def test_the_clerk_hands_results_over_offline_and_the_platform_records_them_once(make_hall: Any,
                                                                                        tmp_path: Any) -> None:
    from window_tui.ui.console import ConsoleScreen
    from window_tui.ui.handover import HandoverScreen

    hall: Hall = make_hall(windows=6, persons=300)
    case = newborn_case(3)
    with hall.client(hall.clerk_token(5)) as clerk:
        assert clerk.put(f"/cases/{case['case_id']}", json=case).status_code == 201
    with transaction(hall.platform.connection):
        release_window(hall.platform.connection, 5)  # the morning's intake ended; the console logs in
    with hall.client(_backoffice(hall)) as backoffice:
        for m in case["matters"]:
            backoffice.put(f"/cases/{case['case_id']}/matters/{m['code']}/result",
                           json=_certificate("出生医学证明") if m is case["matters"][0] else _result("completed"))
    applicant = case["values"]["applicant.name"]["value"]
    id_number = case["values"]["applicant.id_number"]["value"]
    with FakePrinter("online") as printer:
        app, session = make_app(hall.url, tmp_path, window=5, printer=printer.url)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
            await pilot.press("c")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TextDialog")
            receipt_qr = f"{hall.url}/p/{case['case_number']}?c={case['check_code']}"
            await pilot.press(*receipt_qr, "enter")  # the scanner types the receipt's QR
            await wait_for(pilot, lambda: isinstance(app.screen, HandoverScreen))
            text = screen_text(app)
            assert "待领取" in text and "出生医学证明" in text and MaskPolicy().name(applicant) in text
            hall.server.stop()  # the platform goes away while the applicant stands at the counter

            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "未核对勾选" in screen_text(app))
            await pilot.press("space")  # tick the one certificate
            app.screen.query_one("#handover-name").focus()
            await pilot.press(*applicant)
            app.screen.query_one("#handover-id").focus()
            await pilot.press(*"110101199003074514", "ctrl+s")  # someone else's card
            await wait_for(pilot, lambda: "与申请人不一致" in screen_text(app))
            app.screen.query_one("#handover-id").value = ""
            await pilot.press(*id_number, "ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
            await wait_for(pilot, lambda: noticed(app, "已出件"), timeout=15)
            assert noticed(app, "领取回执已打印")
            pending = [item for item in session.store.items() if item.kind == "handover"]
            assert len(pending) == 1 and pending[0].state != "done"

            hall.server.start()  # back: the hand-over reaches the platform by itself
            connection = hall.platform.connection
            await wait_for(pilot, lambda: connection.execute("SELECT COUNT(*) FROM handovers").fetchone()[0] == 1,
                           timeout=30)
            # …and the counter knows it arrived: acknowledged, out of its outbox, not sent again.
            await wait_for(pilot, lambda: not [i for i in session.store.items() if i.kind == "handover"], timeout=15)
            archived = [i for i in session.store.archived(session.clock.today().isoformat()) if i.kind == "handover"]
            assert len(archived) == 1 and archived[0].receipt_id == pending[0].id
        time.sleep(0.2)
        paper = decode(printer.jobs[-1], "gb18030").text
    joined = "\n".join(paper)
    assert "领取回执" in joined and case["case_number"] in joined and "N2026-0001" in joined
    assert MaskPolicy().name(applicant) in joined and MaskPolicy().id_number(id_number) in joined
    assert applicant not in joined and id_number not in joined and "领取人签字" in joined
    with hall.client(hall.clerk_token(6)) as other_window:
        state = other_window.get(f"/cases/{case['case_id']}/state").json()
    assert state["label"] == "已领取"


async def test_the_clerk_raises_a_report_online_and_offline_and_each_reaches_12345_once(make_hall: Any,
                                                                                       tmp_path: Any) -> None:
    """B at the console: the 办不成事 dialog, Ctrl+S; online the slip carries the platform's
    number; offline it says the number comes by SMS, and the report arrives once later."""
    from window_tui.ui.console import ConsoleScreen
    from window_tui.ui.report import ReportDialog

    hall: Hall = make_hall(windows=6, persons=300)

    async def report(pilot: Any, app: Any, wanted: str, routed: str = "") -> None:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportDialog))
        await pilot.pause(0.2)
        assert (routed in screen_text(app)) if routed else ("排队" not in screen_text(app))
        await pilot.press("down", "down", "down")  # 跨部门推诿
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "请写明申请人的诉求" in screen_text(app))
        assert "Ctrl+S 登记并打印回执" in screen_text(app)  # the dialog's last line is on screen
        app.screen.query_one("#report-wanted").focus()
        await pilot.press(*wanted)
        app.screen.query_one("#report-name").focus()
        await pilot.press(*"赵大明")
        app.screen.query_one("#report-phone").focus()
        await pilot.press(*"13912345678", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))

    with FakePrinter("online") as printer:
        app, session = make_app(hall.url, tmp_path, window=5, printer=printer.url)
        async with app.run_test(size=(80, 24)) as pilot:  # the smallest terminal: the dialog fits
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
            hall.platform.queue.issue("A", hall.clock.now())
            await pilot.press("n")
            await wait_for(pilot, lambda: "A001" in screen_text(app))
            await report(pilot, app, "外省社保关系转入无人受理", routed="登记后把 A001 转到“办不成事反映”排队")
            await wait_for(pilot, lambda: noticed(app, "已登记办不成事反映：BB20261120"), timeout=15)
            # The applicant goes on to the hall's 办不成事 window, keeping the place in the queue.
            await wait_for(pilot, lambda: noticed(app, "A001 转移到业务 F：5 秒后生效"))
            ticket = "SELECT service, status FROM tickets WHERE label = 'A001'"
            await wait_for(pilot, lambda: tuple(hall.platform.connection.execute(ticket).fetchone())
                           == ("F", "waiting"), timeout=15)
            hall.server.stop()
            await report(pilot, app, "电子证照系统故障无法调取")
            await wait_for(pilot, lambda: noticed(app, "编号上传后生成"), timeout=15)
            await pilot.press("s")  # the status screen asks for the open reports: the platform is away
            await wait_for(pilot, lambda: "无法查询" in screen_text(app) and "秒后重试" in screen_text(app))
            hall.server.start()
            connection = hall.platform.connection
            await wait_for(pilot, lambda: connection.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 2,
                           timeout=30)
            # Left open, the screen asks again by itself and shows both reports.
            await wait_for(pilot, lambda: "未办结 2 件" in screen_text(app), timeout=20)
            await pilot.press("escape")
            await wait_for(pilot, lambda: not [i for i in session.store.items() if i.kind == "report"], timeout=15)
        time.sleep(0.2)
        slips = ["\n".join(decode(job, "gb18030").text) for job in printer.jobs]
    assert "反映编号" in slips[0] and "BB202611200001" in slips[0] and "赵*明" in slips[0]
    assert "短信告知" in slips[1] and "13912345678" not in "".join(slips)
    rows = connection.execute("SELECT report_number, category FROM reports ORDER BY report_number").fetchall()
    assert [tuple(r) for r in rows] == [("BB202611200001", "跨部门推诿"), ("BB202611200002", "跨部门推诿")]
    kinds = sorted(r[0] for r in connection.execute("SELECT kind FROM notifications").fetchall())
    assert kinds == ["report_number", "report_number", "work_order", "work_order"]


async def test_a_scan_at_the_console_presses_none_of_its_keys(make_hall: Any, tmp_path: Any) -> None:
    """A scanner fired at the console with no prompt open: its characters are not keys.
    The receipt QR (t, p, x in "http…/p/…") opens 出件 for its case; an ID card read is
    named and dropped; keys at a scanner's pace without their Enter are dropped with a
    toast; a person's n still calls."""
    from window_tui.ui.console import ConsoleScreen

    hall: Hall = make_hall(windows=6, persons=300)
    hall.platform.queue.issue("A", hall.clock.now())
    app, _session = make_app(hall.url, tmp_path, window=5)
    queue_kinds = "SELECT COUNT(*) FROM events WHERE kind NOT IN ('issued')"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        before = hall.platform.connection.execute(queue_kinds).fetchone()[0]
        scanner_types(app, "http://127.0.0.1:8700/p/370800-20261120-05-0001?c=tpx")
        await wait_for(pilot, lambda: noticed(app, "无法查询案件 370800-20261120-05-0001"))
        scanner_types(app, hall.samples["newborn"][0])  # the ID-card reader
        await wait_for(pilot, lambda: noticed(app, "扫描到身份证号"))
        scanner_types(app, "xpt", enter=False)  # a burst cut short: no Enter
        await wait_for(pilot, lambda: noticed(app, "3 个按键过快"))
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConsoleScreen)  # no transfer picker opened
        assert hall.platform.connection.execute(queue_kinds).fetchone()[0] == before  # no call, pause or skip
        await pilot.press("n")  # a person's key acts, after a hold a clerk does not feel
        await wait_for(pilot, lambda: "A001" in screen_text(app))


async def test_a_message_from_the_manager_reaches_its_window_and_no_screen(make_hall: Any, tmp_path: Any) -> None:
    """The 值班长 writes to window 5: its console shows the line; the hall display's stream
    carries the event without the text; another window's console shows nothing."""
    import httpx

    from window_tui.ui.console import ConsoleScreen

    hall: Hall = make_hall(windows=6, persons=300)
    app, _session = make_app(hall.url, tmp_path, window=5)
    manager = hall.manager_token()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.pause(0.5)  # the console follows the stream
        with hall.client(manager) as m:
            assert m.post("/windows/6/message", json={"text": "6 号窗口请到值班台"}).status_code == 200
            assert m.post("/windows/5/message", json={"text": "A 类排队较长，请优先叫号"}).status_code == 200
            assert m.post("/windows/99/message", json={"text": "x"}).status_code in (404, 422)
        await wait_for(pilot, lambda: noticed(app, "值班长消息：A 类排队较长，请优先叫号"))
        assert not noticed(app, "6 号窗口请到值班台")
    with httpx.Client(base_url=hall.url, headers={"Authorization": "Bearer demo-display-token"}, timeout=5) as c, \
            c.stream("GET", "/api/v1/events/stream") as stream:
        seen = []
        for line in stream.iter_lines():
            if line.startswith("data:") and '"message"' in line:
                seen.append(line)
            if len(seen) == 2:
                break
    assert all("值班台" not in line and "优先叫号" not in line for line in seen)


async def test_the_counter_lists_todays_appointments_for_its_services(make_hall: Any, tmp_path: Any) -> None:
    """今日预约 from the command palette: the appointments of the services this window
    handles, with the one already checked in at the kiosk marked."""
    from window_tui.ui.console import ConsoleScreen

    hall: Hall = make_hall(windows=6, persons=300)
    with hall.kiosk() as kiosk:
        assert kiosk.post("/tickets", json={"service": "A", "appointment_code": "YY112001"}).status_code == 201
    app, _session = make_app(hall.url, tmp_path, window=6)  # window 6 handles B only: none of the six
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.state.get("services"))
        app.run_palette_action("appointments")
        await wait_for(pilot, lambda: "今日预约（本窗口业务）：共 0 个" in screen_text(app))
    app, _session = make_app(hall.url, tmp_path / "five", window=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.state.get("services"))
        app.run_palette_action("appointments")
        await wait_for(pilot, lambda: "共 6 个，未取号 5 个" in screen_text(app))
        assert "09:30-10:00  A  YY112001  已取号" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))


async def test_the_clerk_pauses_with_a_reason_the_manager_sees(make_hall: Any, tmp_path: Any) -> None:
    """The palette's 暂停叫号并说明原因: the platform keeps the clerk's words for the manager's
    screen; P alone pauses with 窗口暂停; the palette refuses while already paused."""
    from window_tui.ui.console import ConsoleScreen

    hall: Hall = make_hall(windows=6, persons=300)
    app, _session = make_app(hall.url, tmp_path, window=5)

    def stored() -> tuple[int, str]:
        row = hall.platform.connection.execute("SELECT paused, pause_reason FROM windows WHERE number = 5").fetchone()
        return row[0], row[1]

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.state.get("services"))
        app.run_palette_action("pause_with_reason")
        await wait_for(pilot, lambda: "暂停叫号：原因" in screen_text(app))
        await pilot.press(*"午休", "enter")
        await wait_for(pilot, lambda: stored() == (1, "午休") and app.screen.state.get("paused"))
        app.run_palette_action("pause_with_reason")
        await wait_for(pilot, lambda: noticed(app, "本窗口已暂停叫号：按 P 恢复"))
        await pilot.press("p")  # open again, then P alone
        await wait_for(pilot, lambda: stored() == (0, "") and not app.screen.state.get("paused"))
        await pilot.press("p")
        await wait_for(pilot, lambda: stored() == (1, "窗口暂停"))


async def test_the_manager_sees_what_waits_beyond_the_queue(make_hall: Any) -> None:
    """A 差评 past its call-back deadline, a certificate made and not collected, and a
    办不成事 report past its deadline show on the manager's screen, overdue in red."""
    from tests.test_reports import _report
    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp

    hall: Hall = make_hall(windows=6, persons=300)
    case = newborn_case(4)
    with hall.kiosk() as kiosk:
        kiosk.post("/tickets", json={"service": "A"}).raise_for_status()
    with hall.client(hall.clerk_token(5)) as clerk:
        assert clerk.put(f"/cases/{case['case_id']}", json=case).status_code == 201
        clerk.post("/windows/5/call-next").raise_for_status()
        clerk.post("/windows/5/finish", json={"case_numbers": [case["case_number"]]}).raise_for_status()
        assert clerk.put("/records/report/report-0301", json=_report(1)).status_code == 201
    with hall.client("demo-rater-token") as pad:
        rated = pad.put("/records/rating/rating-0301", json={
            "case_number": case["case_number"], "window": 5, "level": "不满意", "indicators": {"整体满意度": "不满意"},
            "rated_at": hall.clock.now().isoformat()})
        assert rated.status_code == 201, rated.text
    with hall.client(_backoffice(hall)) as backoffice:
        made = backoffice.put(f"/cases/{case['case_id']}/matters/{case['matters'][0]['code']}/result",
                              json=_certificate("出生医学证明"))
        assert made.status_code == 201
    hall.clock.advance(days=10)  # past the follow-up's and the report's deadlines
    app = ManagerApp(PlatformClient(hall.url, token=hall.manager_token()))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "待跟进：差评回访 1（逾期 1）  证照待领取 1  办不成事 1（逾期 1）"
                       in screen_text(app))


async def test_the_managers_screen_outlives_its_session(make_hall: Any) -> None:
    """Left open past the platform's 12-hour session, the manager's screen logs in again by
    itself (as `window-tui manager` builds it) and goes on showing the hall."""
    from window_tui.client import PlatformClient
    from window_tui.shift_login import ShiftLogin
    from window_tui.ui.manager import ManagerApp

    hall: Hall = make_hall(windows=6, persons=300)
    login = ShiftLogin("8000", "demo8000", None, device="manager", token=hall.manager_token())
    app = ManagerApp(PlatformClient(hall.url, auth=login))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "今日取号 0" in screen_text(app))
        hall.clock.advance(hours=13)
        with hall.kiosk() as kiosk:
            kiosk.post("/tickets", json={"service": "A"}).raise_for_status()
        await pilot.press("f5")
        await wait_for(pilot, lambda: "今日取号 1" in screen_text(app))
        assert login.logins == 1 and "过期" not in screen_text(app)
