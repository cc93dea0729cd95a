"""The counter's promises on the paths a clerk really walks (issue: the real path).

Each test drives the real console (Pilot) or the real CounterSession / SyncThread
against the real platform on loopback; each failed on the first landing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.casefactory import RECEIVED, newborn_case, newborn_form
from tests.conftest import Hall
from tests.ui_helpers import make_app, noticed, screen_text, wait_for
from window_tui.central.auth import add_clerk
from window_tui.central.db import transaction
from window_tui.domain.case import new_case_id
from window_tui.ui.console import ConsoleScreen
from window_tui.ui.intake import IntakeScreen
from window_tui.ui.receipt import ReceiptScreen


async def _login(pilot, app) -> None:  # noqa: ANN001
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))


async def _take(session, n: int) -> list:  # noqa: ANN001
    return [await asyncio.to_thread(session.take_case, newborn_form(i), case_id=new_case_id(), received=set(RECEIVED))
            for i in range(n)]


def _on_platform(hall: Hall) -> dict[str, str]:
    return {r[0]: r[1] for r in hall.platform.connection.execute("SELECT case_id, case_number FROM cases")}


async def test_offline_login_delivers_within_30_s_of_the_platform_returning(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)  # once online: the offline verifier and the number blocks are kept
        await app.action_quit()
    session.store.close()
    hall.server.stop()
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)
        assert session.clerk is not None and session.clerk.offline
        cases = await _take(session, 20)
        await pilot.pause(3)  # the counter keeps trying while the platform is down
        assert len(session.store.items("pending")) == 20
        hall.server.start()
        back = time.monotonic()
        await wait_for(pilot, lambda: not session.store.items(), timeout=30)
        delivered_after = time.monotonic() - back
        assert not session.clerk.offline and session.auth is not None and session.auth.logins == 1
        await wait_for(pilot, lambda: noticed(app, "已自动联网登录"))
    stored = _on_platform(hall)
    assert {c.case_id: c.case_number for c in cases}.items() <= stored.items()
    assert delivered_after < 30


async def test_a_token_expiring_mid_shift_still_delivers(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)
        with transaction(hall.platform.connection):  # twelve hours later: every token has expired
            hall.platform.connection.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00+08:00'")
        cases = await _take(session, 3)
        await wait_for(pilot, lambda: not session.store.items(), timeout=20)
        assert session.auth is not None and session.auth.logins == 2  # logged in again, once, by itself
    assert {c.case_id for c in cases} <= set(_on_platform(hall))


async def test_a_refused_login_asks_the_clerk_and_then_delivers(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _login(pilot, app)
        with transaction(hall.platform.connection):  # the password was changed at the admin desk
            add_clerk(hall.platform.connection, "1005", "陈静", "new-secret")
            hall.platform.connection.execute("DELETE FROM sessions")
        cases = await _take(session, 2)
        await wait_for(pilot, lambda: "平台要求重新登录" in screen_text(app) and "2 件待上传" in screen_text(app),
                       timeout=20)
        assert len(session.store.items("pending")) == 2  # kept, never lost
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TextDialog")
        await pilot.press(*"new-secret", "enter")
        await wait_for(pilot, lambda: not session.store.items(), timeout=20)
        await wait_for(pilot, lambda: "平台要求重新登录" not in screen_text(app))
    assert {c.case_id for c in cases} <= set(_on_platform(hall))


async def test_three_cases_in_a_row_each_handled_once_and_linked_to_its_ticket(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=1500)
    hall.platform.queue.issue("A", hall.clock.now())
    hall.platform.queue.issue("A", hall.clock.now())
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _login(pilot, app)
        console: ConsoleScreen = app.screen  # type: ignore[assignment]
        await pilot.press("n")
        await wait_for(pilot, lambda: "A001" in screen_text(app))
        for i in range(3):
            await pilot.press("i")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
            await pilot.press("x", "s", "e", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
            intake: IntakeScreen = app.screen  # type: ignore[assignment]
            intake.data = newborn_form(i)  # the clerk's typing, as in the form tests; submit is the real one
            intake.received = set(RECEIVED)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen), timeout=15)
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        assert len(console.cases_taken) == 3 == len(set(console.cases_taken))  # each handled exactly once
        assert console.cases_for_ticket == console.cases_taken
        await pilot.pause(0.5)
        assert len(console.cases_taken) == 3  # and nothing echoes afterwards
        await pilot.press("f")
        await wait_for(pilot, lambda: hall.platform.connection.execute(
            "SELECT status FROM tickets WHERE label = 'A001'").fetchone()[0] == "done", timeout=10)
        await pilot.press("n")  # the next applicant: a new ticket has none of the earlier cases
        await wait_for(pilot, lambda: "A002" in screen_text(app))
        assert console.cases_for_ticket == []
    row = hall.platform.connection.execute("SELECT case_numbers FROM tickets WHERE label = 'A001'").fetchone()
    import json

    assert json.loads(row[0]) == console.cases_taken


async def test_ctrl_s_and_p_pressed_twice_take_one_case_and_print_one_original(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=1500)
    app, session = make_app(hall.url, tmp_path, printer="dummy")
    async with app.run_test(size=(120, 40)) as pilot:
        await _login(pilot, app)
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
        await pilot.press("x", "s", "e", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        intake: IntakeScreen = app.screen  # type: ignore[assignment]
        intake.data = newborn_form(1)
        intake.received = set(RECEIVED)
        await pilot.press("ctrl+s", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen), timeout=15)
        receipt: ReceiptScreen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.3)
        refs = session.store.case_refs(session.clock.today())  # pending and archived alike
        assert refs == [receipt.case["case_number"]]
        await pilot.press("p", "p")
        await wait_for(pilot, lambda: bool(session.store.all_jobs()) and not receipt.printing)
        await pilot.pause(0.3)
        jobs = session.store.all_jobs()
        originals = [j for j in jobs if not j["reprint_of"]]
        assert len(originals) == 1, jobs  # a second press is a hint or a marked 补打, never a second original
        assert all(j["reprint_of"] for j in jobs if j is not originals[0])
        await wait_for(pilot, lambda: not session.store.items(), timeout=15)
    assert list(_on_platform(hall).values()) == [receipt.case["case_number"]]


async def test_take_case_is_idempotent_by_case_id(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)
        case_id = new_case_id()
        first, second = await asyncio.gather(
            asyncio.to_thread(session.take_case, newborn_form(2), case_id=case_id, received=set(RECEIVED)),
            asyncio.to_thread(session.take_case, newborn_form(2), case_id=case_id, received=set(RECEIVED)))
        assert first.case_number == second.case_number
        assert [i.id for i in session.store.items()] == [case_id]
        third = await _take(session, 1)
        assert third[0].case_number != first.case_number


def test_one_malformed_record_in_a_batch_is_answered_alone(hall: Hall) -> None:
    good = [newborn_case(i) for i in range(1, 50)]
    broken = [  # the first two made the first landing answer 500 for the whole batch
        {**newborn_case(60), "form": {"entries": "x"}},
        {**newborn_case(61), "optional_matters": [[1]]},
        {**newborn_case(62), "window": [5]},
        {**newborn_case(63), "accepted_at": "garbage"},
    ]
    items = [{"kind": "case", "id": c["case_id"], "body": c} for c in good + broken]
    with hall.client(hall.clerk_token(5)) as c:
        response = c.post("/sync/batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = {r["id"]: r["status"] for r in response.json()["results"]}
    assert all(results[c["case_id"]] == 201 for c in good)
    assert all(400 <= results[c["case_id"]] < 500 for c in broken), results


def test_a_counter_on_a_utc_host_at_2330_utc_numbers_and_dates_by_beijing_time(tmp_path: Path) -> None:
    """The host clock says 23:30 UTC on 2026-11-26; in the hall it is 07:30 on 2026-11-27."""
    import os
    import subprocess
    import sys

    script = f"""
import time
from datetime import datetime, timezone, timedelta
from pathlib import Path
from offline.numbers import CaseNumbers
from offline.store import LocalStore
from tests.casefactory import RECEIVED, newborn_form
from window_tui.clock import Clock
from window_tui.config import Config
from window_tui.domain.case import new_case_id
from window_tui.session import Clerk, CounterSession
assert time.strftime("%Z") == "UTC"
utc_now = datetime.now(timezone.utc)
clock = Clock(offset=datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc) - utc_now)
store = LocalStore(Path({str(tmp_path / 'data')!r}), Path({str(tmp_path / 'store.key')!r}), clock=clock)
session = CounterSession(config=Config(), store=store, server="http://127.0.0.1:9", window=5, clock=clock)
session.clerk = Clerk("1005", "陈静")
CaseNumbers(store, 5).add_blocks([{{"day": "2026-11-27", "first": 1, "last": 5}}], clock.today())
case = session.take_case(newborn_form(1), case_id=new_case_id(), received=set(RECEIVED))
print(case.case_number, case.accepted_at, case.promised_date, datetime.now().date())
"""
    env = {**os.environ, "TZ": "UTC", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    number, accepted, promised, _host_day = out.stdout.split()
    assert number == "370800-20261127-05-0001"
    assert accepted.startswith("2026-11-27T07:30") and accepted.endswith("+08:00")
    assert promised > "2026-11-27"


async def test_the_event_follower_recovers_from_a_502_and_resumes_by_event_id(hall: Hall) -> None:
    from tests.tcpproxy import CuttableProxy
    from window_tui.client import PlatformClient
    from window_tui.events import EventFollower

    proxy = CuttableProxy(hall.server.port)
    proxy.bad_gateway = 3  # a proxy in front of the platform answers 502 three times
    client = PlatformClient(proxy.url, token=hall.clerk_token(5))
    follower = EventFollower(client, retry_initial=0.05, retry_cap=0.2)
    kinds: list[str] = []
    events: list[int] = []

    async def follow() -> None:
        async for update in follower.follow():
            kinds.append(update.kind)
            if update.event is not None:
                events.append(update.event.id)
                if len(events) == 4:
                    return

    task = asyncio.create_task(follow())
    try:
        for _ in range(2):
            hall.platform.queue.issue("A", hall.clock.now())
        hall.platform.hub.notify()
        await asyncio.sleep(1.0)
        proxy.cut(0.3)  # and then the stream is cut in the middle
        for _ in range(2):
            hall.platform.queue.issue("A", hall.clock.now())
        hall.platform.hub.notify()
        await asyncio.wait_for(task, 10)
    finally:
        task.cancel()
        await client.aclose()
        proxy.close()
    assert kinds[:3] == ["offline"] * 3 and "online" in kinds
    assert events == sorted(set(events)) and len(events) == 4  # each event once, in order


async def test_a_quarantined_case_is_corrected_and_resubmitted_or_set_aside(make_hall, tmp_path: Path) -> None:
    from window_tui.ui.status import StatusScreen

    hall: Hall = make_hall(persons=1500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _login(pilot, app)
        good, other = await _take(session, 2)
        await wait_for(pilot, lambda: not session.store.items(), timeout=15)
        # Two records the platform refuses (as a counter of an older version might send them).
        broken = newborn_case(900)
        broken["form"]["entries"]["bank.card_no"]["value"] = "123"
        session.store.enqueue("case", broken["case_id"], broken, ref=broken["case_number"])
        junk = newborn_case(901)
        junk["form"]["entries"]["bank.card_no"]["value"] = "456"
        session.store.enqueue("case", junk["case_id"], junk, ref=junk["case_number"])
        session.wake_sync()
        await wait_for(pilot, lambda: len(session.store.items("quarantined")) == 2, timeout=15)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusScreen))
        await wait_for(pilot, lambda: broken["case_number"] in screen_text(app) and "校验" in screen_text(app))
        status: StatusScreen = app.screen  # type: ignore[assignment]
        table = status.query_one("#quarantine")
        table.focus()
        row = [str(k.value) for k in table.rows].index(broken["case_id"])
        table.move_cursor(row=row)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        intake: IntakeScreen = app.screen  # type: ignore[assignment]
        assert "更正退回案件" in screen_text(app) and broken["case_number"] in screen_text(app)
        intake.query_one("#input-bank-card_no").focus()
        await pilot.pause()
        intake.query_one("#input-bank-card_no").value = "6222020000000000000"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusScreen), timeout=15)
        await wait_for(pilot, lambda: broken["case_id"] not in {i.id for i in session.store.items()}, timeout=15)
        table = status.query_one("#quarantine")
        await wait_for(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TextDialog")
        app.screen.query_one("Input").value = "重复录入，已另行受理"
        await pilot.press("enter")
        await wait_for(pilot, lambda: hall.platform.connection.execute(
            "SELECT COUNT(*) FROM records WHERE kind = 'audit'").fetchone()[0] == 2, timeout=15)
        await wait_for(pilot, lambda: not session.store.items(), timeout=15)
    stored = hall.platform.connection.execute("SELECT case_number, body FROM cases WHERE case_id = ?",
                                              (broken["case_id"],)).fetchone()
    assert stored[0] == broken["case_number"]  # same id, same number, corrected content
    audits = [r[0] for r in hall.platform.connection.execute("SELECT body FROM records WHERE kind = 'audit'")]
    assert any("correct_quarantined_case" in a and "bank.card_no" in a for a in audits)
    assert any("set_aside_quarantined" in a and "重复录入" in a for a in audits)
    assert hall.platform.connection.execute("SELECT COUNT(*) FROM cases WHERE case_id = ?",
                                            (junk["case_id"],)).fetchone()[0] == 0
    assert {good.case_id, other.case_id} <= set(_on_platform(hall))


async def test_a_failing_background_worker_reaches_the_clerk(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _login(pilot, app)
        real = session.sync_status

        def broken() -> dict:
            raise RuntimeError("磁盘读取错误")

        session.sync_status = broken  # type: ignore[method-assign]
        app.console_screen.refresh_sync()  # type: ignore[union-attr]
        await wait_for(pilot, lambda: noticed(app, "后台任务出错"))
        assert any("磁盘读取错误" in e for e in app.worker_errors)
        session.sync_status = real  # type: ignore[method-assign]
        await pilot.press("s")
        await wait_for(pilot, lambda: "磁盘读取错误" in screen_text(app))


async def test_losing_state_json_never_reuses_a_number(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)
        before = await _take(session, 3)
        await wait_for(pilot, lambda: not session.store.items(), timeout=15)
        await app.action_quit()
    session.store.close()
    (tmp_path / "store" / "state.json").write_bytes(b"")  # truncated, as the issue found it
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)  # the same counter (device.id survives): logs in online again
        after = await _take(session, 3)
        await wait_for(pilot, lambda: not session.store.items(), timeout=15)
    numbers = [c.case_number for c in before + after]
    assert len(set(numbers)) == 6, numbers
    assert set(_on_platform(hall).values()) >= set(numbers)  # all six stored: no 409, no quarantine


async def test_a_second_pc_configured_as_the_same_window_is_refused(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path / "pc-a")
    async with app.run_test(size=(100, 30)) as pilot:
        await _login(pilot, app)
        other, _ = make_app(hall.url, tmp_path / "pc-b")
        from window_tui.session import LoginError

        try:
            await other.session.login("1005", "demo1005")
            raise AssertionError("a second PC took the window")
        except LoginError as exc:
            assert "5 号窗口已由 1005" in str(exc)
        other.session.store.close()


def test_a_printer_that_never_answers_status_is_sent_but_not_confirmed() -> None:
    from printers.fake import FakePrinter
    from printers.samples import sample_case
    from printers.service import PrintService
    from printers.templates import HallInfo

    with FakePrinter(mode="silent") as printer:
        service = PrintService.from_config(printer.url, "80mm-gb18030", role="receipt", hall=HallInfo())
        job = service.print("receipt", sample_case(), "370800-20261120-05-0001")
    assert job.state == "unconfirmed" and "未确认" in job.warning
    assert printer.jobs  # it did get the bytes
