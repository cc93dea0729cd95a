"""A day at a real desk (issue: the console at 80×24 …): focus that stays where the clerk
put it, overrides that validate, drafts that keep their context, keys with a safety net,
and Textual's own words in Chinese — driven with Pilot against a real platform."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Hall
from tests.ui_helpers import log_in_and_pick, make_app, noticed, screen_text, wait_for
from window_tui.ui.console import ConsoleScreen
from window_tui.ui.dialogs import ConfirmDialog, DraftPicker, OverrideDialog
from window_tui.ui.intake import IntakeScreen


async def open_newborn(pilot, app, hall: Hall) -> IntakeScreen:  # noqa: ANN001
    await log_in_and_pick(pilot, app, "xse")
    await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
    screen: IntakeScreen = app.screen  # type: ignore[assignment]
    await pilot.press(*hall.samples["newborn"][0])
    await wait_for(pilot, lambda: not screen.data.lookups_needed() and screen.data.value("father.name").value != "",
                   timeout=20)
    await pilot.pause(0.2)
    return screen


async def test_prefill_leaves_the_cursor_and_enter_moves_on_from_there(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=1500)
    app, _ = make_app(hall.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_newborn(pilot, app, hall)
        assert app.focused is not None and app.focused.id == "input-mother-id_number"  # not moved by prefill
        assert "▶ 母亲身份证号码" in screen_text(app)
        await pilot.press("enter")
        ids = [f.id for f in screen.form.intake_fields]
        after = ids[ids.index("mother.id_number") + 1:]
        expected = next(i for i in after if screen.form.field(i).required and not screen.data.value(i).value)
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "input-" + expected.replace(".", "-"))


async def test_override_validates_and_shows_at_once(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=1500)
    app, _ = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_newborn(pilot, app, hall)
        screen.query_one("#input-newborn-birth_date").focus()
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OverrideDialog))
        dialog = app.screen
        dialog.query_one("#override-value").value = "2030-01-01"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OverrideDialog) and "不能晚于今天" in screen_text(app)
        assert "Esc 取消" in screen_text(app)  # the dialog says its keys
        dialog.query_one("#override-value").value = "2026-11-02"
        await pilot.press("enter")
        await pilot.press(*"ying", "enter")  # a reason, then confirm
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        assert screen.query_one("#input-newborn-birth_date").value == "2026-11-02"  # at once, focus or not
        assert screen.data.value("newborn.birth_date").reason == "ying"


async def test_ctrl_q_in_a_form_asks_and_keeps_the_draft(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=1500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_newborn(pilot, app, hall)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "已存为草稿" in screen_text(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running)
    assert len(session.store.drafts()) == 1


async def test_no_show_can_be_undone_then_is_sent(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    hall.platform.queue.issue("A", hall.clock.now())
    app, _ = make_app(hall.url, tmp_path)

    def status() -> str:
        return hall.platform.connection.execute("SELECT status FROM tickets WHERE label = 'A001'").fetchone()[0]

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "A001" in screen_text(app))
        called = status()
        await pilot.press("x")  # the console holds a key 80 ms (a scanner's burst is not keys)
        await wait_for(pilot, lambda: noticed(app, "A001 过号：5 秒后生效，按 U 撤销"))
        await pilot.press("u")
        await wait_for(pilot, lambda: noticed(app, "已撤销过号：A001 仍在本窗口办理"))
        await pilot.pause(5.5)
        assert status() == called  # nothing was sent
        await pilot.press("x")
        await wait_for(pilot, lambda: status() != called, timeout=10)
    assert status() in ("waiting", "no_show")  # requeued behind others, or gone after repeated no-shows


async def test_drafts_keep_their_context_are_offered_and_deleted_with_a_reason(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=1500)
    hall.platform.queue.issue("A", hall.clock.now())
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "A001" in screen_text(app))
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
        await pilot.press(*"xse", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        screen: IntakeScreen = app.screen  # type: ignore[assignment]
        await pilot.press(*hall.samples["newborn"][0])
        await wait_for(pilot, lambda: screen.data.value("mother.name").value != "")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await wait_for(pilot, lambda: any(d.get("applicant") for _, d in session.store.drafts()))
        # Starting the same bundle again offers the open form first, with its context.
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
        await pilot.press(*"xse", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DraftPicker))
        text = screen_text(app)
        assert "新建受理" in text and "A001" in text and re.search(r"\d{2}-\d{2} \d{2}:\d{2}", text)
        name = screen.data.value("mother.name").value
        assert name not in text and name[0] in text  # masked
        await pilot.press("down", "d")  # delete the draft: a reason is asked
        await wait_for(pilot, lambda: "删除草稿" in screen_text(app))
        await pilot.press(*"duplicate", "enter")
        await wait_for(pilot, lambda: not session.store.drafts())
        session.wake_sync()
        await wait_for(pilot, lambda: not session.store.items(), timeout=15)  # the audit reached the platform
    import json

    audits = [json.loads(r[0]) for r in hall.platform.connection.execute("SELECT body FROM records WHERE kind = 'audit'")]
    assert any(a["action"] == "delete_draft" and a["reason"] == "duplicate" and a["clerk"] == "1005" for a in audits)


async def test_the_palette_and_overlays_speak_chinese(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, _ = make_app(hall.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        text = screen_text(app)
        assert "搜索命令" in text
        for english in ("Quit", "Keys", "Screenshot", "Theme", "Search for commands", "Dismiss"):
            assert english not in text
        await pilot.press("escape")
        await log_in_and_pick_kbcyd(pilot, app)


async def log_in_and_pick_kbcyd(pilot, app) -> None:  # noqa: ANN001
    """A choice list open at 80×24: its key in the footer is Chinese too."""
    await pilot.press("i")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
    await pilot.press(*"tx", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
    app.screen.query_one("#input-applicant-sex").focus()
    await pilot.press("enter")
    await pilot.pause(0.3)
    text = screen_text(app)
    assert "Dismiss" not in text and "关闭列表" in text


@pytest.mark.parametrize("successor_first", [False, True], ids=["in-order", "completion-arrives-first"])
async def test_a_notice_case_completed_later_becomes_an_accepted_case_with_its_history(
        make_hall, tmp_path: Path, successor_first: bool) -> None:
    """The notice and the case that completes it reach the platform in either order (the
    counter's outbox retries a failed delivery later): the notice ends 已补齐材料并受理."""
    from window_tui.central.intake import put_case
    from window_tui.ui.receipt import ReceiptScreen

    hall: Hall = make_hall(persons=1500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_newborn(pilot, app, hall)
        for field_id, value in {"newborn.name": "张小宝", "household.relation": "子", "bank.card_no": "6222020000000000000",
                                "bank.name": "中国工商银行", "result.delivery": "窗口领取"}.items():
            if not screen.data.value(field_id).value:
                screen.data.enter(field_id, value)
        screen.refresh_form()
        if successor_first:
            hall.server.stop()  # both stay at the counter until the test lets them go
        await pilot.press("ctrl+s")  # no materials ticked: a one-time notice
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        notice = app.screen.case  # type: ignore[attr-defined]
        assert notice["status"] == "notice"
        await pilot.press("o")  # the applicant is back with everything
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        assert f"告知书 {notice['case_number']}" in screen_text(app)
        app.screen.query_one("#materials-bring").select_all()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.case is not notice)
        accepted = app.screen.case  # type: ignore[attr-defined]
        assert accepted["status"] == "accepted" and accepted["supersedes"]["case_number"] == notice["case_number"]
        assert accepted["form"] == notice["form"]  # nothing typed again
        if successor_first:  # the completing case is taken by the platform before its notice
            item = next(i for i in session.store.items() if i.id == accepted["case_id"])
            status, _ = put_case(hall.platform.connection, hall.platform.catalog, item.id, session.store.body(item),
                                 hall.clock.now())
            assert status == 201
            hall.server.start()
        session.wake_sync()
        await wait_for(pilot, lambda: not session.store.items(), timeout=20)
    with hall.client(hall.clerk_token(5)) as c:
        old = c.get(f"/progress/{notice['case_number']}", params={"c": notice["check_code"]}).json()
    assert old["status_label"] == "已补齐材料并受理" and old["accepted_as"] == accepted["case_number"]
