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
from tests.ui_helpers import make_app, noticed, screen_text, wait_for
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
        time.sleep(0.2)
        paper = decode(printer.jobs[-1], "gb18030").text
    joined = "\n".join(paper)
    assert "领取回执" in joined and case["case_number"] in joined and "N2026-0001" in joined
    assert MaskPolicy().name(applicant) in joined and MaskPolicy().id_number(id_number) in joined
    assert applicant not in joined and id_number not in joined and "领取人签字" in joined
    with hall.client(hall.clerk_token(6)) as other_window:
        state = other_window.get(f"/cases/{case['case_id']}/state").json()
    assert state["label"] == "已领取"
