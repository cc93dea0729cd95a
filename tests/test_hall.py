"""The hall: calling display (with a cut connection), voice queue, kiosk, rating pad, display-web."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from offline.store import LocalStore
from offline.sync import SyncEngine
from printers.decoder import decode
from printers.fake import FakePrinter
from printers.service import PrintService
from printers.templates import HallInfo
from tests.conftest import Hall
from tests.platform_process import free_port
from tests.tcpproxy import CuttableProxy
from tests.ui_helpers import wait_for
from window_tui.client import PlatformClient
from window_tui.hall.voice import Announcer
from window_tui.ui.display import DisplayApp
from window_tui.ui.kiosk import KioskApp
from window_tui.ui.rate import RateApp


def call_tickets(hall: Hall, token: str, count: int) -> list[int]:
    ids = []
    with hall.kiosk() as kiosk, hall.client(token) as clerk:
        for _ in range(count):
            kiosk.post("/tickets", json={"service": "A"})
            ids.append(clerk.post("/windows/3/call-next").json()["ticket"]["event_id"])
            clerk.post("/windows/3/finish", json={})
    return ids


async def test_display_catches_up_after_a_cut_without_missing_or_repeating(hall: Hall) -> None:
    proxy = CuttableProxy(hall.server.port)
    token = hall.clerk_token(3)
    app = DisplayApp(PlatformClient(proxy.url, token="demo-display-token"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.feed.state.online)
        first = await asyncio.to_thread(call_tickets, hall, token, 5)
        await wait_for(pilot, lambda: len(app.shown) == 5)
        proxy.cut(block_seconds=1.5)  # the display's network drops mid-stream
        second = await asyncio.to_thread(call_tickets, hall, token, 5)
        await wait_for(pilot, lambda: len(app.shown) >= 10, timeout=20)
        await pilot.pause(0.5)
        assert app.shown == first + second  # every call once, in order
        assert "A010" in str(app.query_one("#recent").render())
    proxy.close()


def test_voice_queue_speaks_each_call_once_in_order_without_cutting_off(tmp_path: Path) -> None:
    log = tmp_path / "speech.log"
    command = f"{sys.executable} {Path(__file__).parent / 'fake_speak.py'} {log} {{text}}"
    announcer = Announcer(command=command, chime=False).start()
    texts = [f"请 A{n:03d} 号到 {n % 5 + 1} 号窗口办理" for n in range(1, 11)]
    started = time.monotonic()
    for text in texts:  # ten calls within two seconds
        announcer.announce(text)
        time.sleep(0.15)
    assert time.monotonic() - started < 2
    announcer.stop()
    events = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]
    starts = [e for e in events if e[0] == "start"]
    assert [e[2] for e in starts] == texts
    for (kind_a, _, text_a), (kind_b, _, text_b) in zip(events[::2], events[1::2], strict=True):
        assert (kind_a, kind_b) == ("start", "end") and text_a == text_b  # none cut off or interleaved
    times = [float(e[1]) for e in events]
    assert times == sorted(times)


def test_voice_silent_and_missing_engine(monkeypatch) -> None:  # noqa: ANN001
    import window_tui.hall.voice as voice

    monkeypatch.setattr(voice, "default_command", lambda: None)
    announcer = Announcer()
    assert len(announcer.warnings) == 1 and "espeak-ng" in announcer.warnings[0]
    announcer.start()
    announcer.announce("请 A001 号到 1 号窗口办理")  # nothing to speak with: no error
    announcer.stop()
    assert Announcer(silent=True).warnings == []


async def test_kiosk_prints_or_shows_the_ticket(hall: Hall) -> None:
    with FakePrinter("online") as good, FakePrinter("paper_out") as empty:
        for printer, expect in ((good, "请取走号票"), (empty, "打印失败")):
            service = PrintService.from_config(printer.url, "58mm-gb18030", role="ticket",
                                               hall=HallInfo(queue_url=hall.url + "/q/"))
            app = KioskApp(PlatformClient(hall.url, token="demo-kiosk-token"), service)
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_for(pilot, lambda app=app: bool(app.query("#service-A")))
                await pilot.click("#green-0")
                await pilot.click("#service-A")
                await wait_for(pilot, lambda app=app, expect=expect: expect in str(app.query_one("#ticket-text").render()),
                               timeout=15)
                assert app.last_ticket is not None and app.last_ticket["priority"] == "green"
            if printer is good:
                time.sleep(0.2)
                printed = decode(good.jobs[-1], "gb18030").text
                assert app.last_ticket["label"] in printed and any("前面还有" in line for line in printed)
    with hall.kiosk() as k:
        assert k.get("/tickets/A001/position").json()["status"] == "waiting"
    page = urllib.request.urlopen(hall.url + "/q/A001").read().decode()
    assert "前面还有 0 人" in page


def finish_a_case_at_window_5(hall: Hall, case_number: str) -> None:
    """A ticket issued, called and finished with a case: what a rating pad waits for."""
    with hall.kiosk() as kiosk, hall.client(hall.clerk_token(5)) as clerk:
        kiosk.post("/tickets", json={"service": "A"})
        clerk.post("/windows/5/call-next")
        clerk.post("/windows/5/finish", json={"case_numbers": [case_number]})


async def test_rating_one_per_case_with_followup_for_bad_ones(hall: Hall, tmp_path: Path) -> None:
    finish_a_case_at_window_5(hall, "370800-20261120-05-0001")
    store = LocalStore(tmp_path / "rater", tmp_path / "k")
    app = RateApp(PlatformClient(hall.url, token="demo-rater-token"), store, 5, poll=0.3)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.case is not None)
        for _ in range(4):
            await pilot.press("4")  # 不满意 on each indicator
        await wait_for(pilot, lambda: bool(store.items()))
        await pilot.pause(1.0)
        assert app.case is None  # the same case is not offered again
    engine = SyncEngine(store, PlatformClient(hall.url, token="demo-rater-token"), verify=False)
    await engine.sync_once()
    assert store.items() == []
    with hall.client(hall.clerk_token(5)) as clerk:
        followups = clerk.get("/followups").json()
    assert followups[0]["case_number"] == "370800-20261120-05-0001" and followups[0]["level"] == "不满意"
    from datetime import date

    from window_tui.domain.workdays import WorkCalendar

    expected = WorkCalendar.load().add_workdays(date.today(), 5).date.isoformat()  # rated now, 5 working days
    assert followups[0]["due_date"] == expected
    store.close()


def test_display_web_serves_a_page(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "window_tui.cli", "display-web", "--server", "http://127.0.0.1:9",
                                "--token", "x", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "<html" in page.lower() and "叫号显示屏" in page
    finally:
        process.terminate()
        process.wait(10)


async def test_display_and_rating_pad_say_when_their_token_is_refused(hall: Hall, tmp_path: Path) -> None:
    """A wrong device token is a sentence on the screen, never a blank display or pad."""
    from tests.ui_helpers import screen_text

    display = DisplayApp(PlatformClient(hall.url, token="wrong-token"))
    async with display.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "令牌" in screen_text(display) or "未授权" in screen_text(display))
    pad = RateApp(PlatformClient(hall.url, token="wrong-token"), LocalStore(tmp_path / "r", tmp_path / "k"), 5,
                  poll=0.3)
    async with pad.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "评价器暂不可用" in screen_text(pad))
        assert "设备令牌" in screen_text(pad)


def test_tickets_are_read_one_by_one_and_queued_calls_merge(tmp_path: Path) -> None:
    """"A105" is read A 一 零 五 (never 一百零五, heard as 150); calls waiting behind a spoken one
    are merged, so a busy hall is not left behind."""
    from window_tui.hall.voice import MERGE_AT_MOST, call_sentence, spoken_number, spoken_ticket

    assert spoken_ticket("A105") == "A 一 零 五" and spoken_ticket("g023") == "G 零 二 三"
    assert [spoken_number(n) for n in (5, 10, 12, 20, 31)] == ["五", "十", "十二", "二十", "三十一"]
    assert call_sentence([("A105", 5), ("A106", 12)]) == "请 A 一 零 五号到五号窗口，A 一 零 六号到十二号窗口"
    log = tmp_path / "speech.log"
    command = f"{sys.executable} {Path(__file__).parent / 'fake_speak.py'} {log} {{text}}"
    announcer = Announcer(command=command, chime=False).start()
    for n in range(1, 10):  # nine calls at once: one spoken, the rest merged behind it
        announcer.announce_call(f"A{n:03d}", n)
    announcer.stop()
    spoken = [line.split("\t")[2] for line in log.read_text(encoding="utf-8").splitlines()
              if line.startswith("start")]
    assert len(spoken) == 3  # instead of nine sentences
    assert all(text.count("号窗口") <= MERGE_AT_MOST for text in spoken)
    heard = "".join(spoken)
    positions = [heard.index(f"{spoken_number(n)}号窗口") for n in range(1, 10)]
    assert positions == sorted(positions) and sum(t.count("号窗口") for t in spoken) == 9  # each once, in order


async def test_kiosk_for_applicants_keys_focus_and_clearing(hall: Hall) -> None:
    """Enter never takes the green channel; number keys choose a service; every service fits;
    a printed ticket clears for the next person, a failed one stays."""
    from textual.widgets import Button

    with FakePrinter("online") as good, FakePrinter("paper_out") as empty:
        for printer, stays in ((good, False), (empty, True)):
            service = PrintService.from_config(printer.url, "58mm-gb18030", role="ticket",
                                               hall=HallInfo(queue_url=hall.url + "/q/"))
            app = KioskApp(PlatformClient(hall.url, token="demo-kiosk-token"), service, clear_after=0.5)
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for(pilot, lambda app=app: isinstance(app.focused, Button) and app.focused.id == "service-A")
                buttons = list(app.query("#services Button"))
                assert all(b.region.bottom <= 24 and b.region.right <= 80 for b in buttons)  # all on screen
                await pilot.press("2")
                await wait_for(pilot, lambda app=app: app.last_ticket is not None, timeout=15)
                assert app.last_ticket["service"] == app.services[1]["code"] and app.last_ticket["priority"] == "normal"
                label = app.last_ticket["label"]
                await pilot.pause(1.5)
                shown = str(app.query_one("#ticket-text").render())
                assert (label in str(app.query_one("#ticket-number").value)) is stays
                assert ("打印失败" in shown) is stays


async def test_rating_pad_has_tappable_labelled_faces_best_on_the_left(hall: Hall, tmp_path: Path) -> None:
    from textual.widgets import Button

    finish_a_case_at_window_5(hall, "370800-20261120-05-0009")
    store = LocalStore(tmp_path / "pad", tmp_path / "k")
    app = RateApp(PlatformClient(hall.url, token="demo-rater-token"), store, 5, poll=0.3)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.case is not None)
        buttons = list(app.query("#levels Button"))
        labels = [str(b.label) for b in buttons]
        assert labels[0].startswith("😄 非常满意") and "按 1" in labels[0] and "非常不满意" in labels[-1]
        assert [b.region.x for b in buttons] == sorted(b.region.x for b in buttons)  # best on the left
        assert all(isinstance(b, Button) and not b.can_focus for b in buttons)
        await pilot.click("#level-1")  # tapped
        await wait_for(pilot, lambda: app.indicator == 1)
        await pilot.press("1", "1", "1")  # the other three indicators by key
        await wait_for(pilot, lambda: bool(store.items()))
    rating = store.body(store.items()[0])
    assert rating["level"] == "非常满意" and len(rating["indicators"]) == 4
