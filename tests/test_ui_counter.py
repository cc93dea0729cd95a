"""The counter console driven with Textual's Pilot against the real platform on
loopback: a whole case for each complete bundle, online and offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select

from tests.conftest import START, Hall
from tests.ui_helpers import log_in_and_pick, make_app, noticed, screen_text, wait_for
from window_tui.domain.catalog import default_catalog
from window_tui.domain.efficiency import typical_form
from window_tui.domain.synthetic import generate_registry
from window_tui.ui.console import ConsoleScreen
from window_tui.ui.dialogs import QuestionsDialog
from window_tui.ui.intake import IntakeScreen
from window_tui.ui.receipt import ReceiptScreen

PERSONS = 3000
BUNDLES = {"newborn": "xse", "restaurant": "kbcyd", "deregistration": "qyzx", "retirement": "tx",
           "posthumous": "sh"}
# What a clerk types for a typical applicant after prefill (everything else comes from shared data).
TYPED = {
    "newborn.name": "张小宝", "household.relation": "子", "bank.card_no": "6222020000000000000",
    "bank.name": "中国工商银行", "result.delivery": "窗口领取", "premises.area": "86", "premises.seats": "40",
    "food.items": "热食类食品制售", "sign.size": "4×1.2", "premises.floor": "1", "enterprise.cancel_reason": "决议解散",
    "enterprise.cancel_mode": "简易注销", "fund.seal_reason": "退休", "bank.account_no": "6222020000000000000",
    "bank.account_bank": "中国工商银行", "retirement.mode": "按法定退休年龄",
}


def key_fields(bundle: str, sample: str) -> dict[str, str]:
    if bundle == "posthumous":
        deceased, heir = sample.split(":")
        return {"deceased.id_number": deceased, "applicant.id_number": heir}
    if bundle in ("restaurant", "deregistration"):
        return {"enterprise.uscc": sample}
    if bundle == "newborn":
        return {"mother.id_number": sample}
    return {"applicant.id_number": sample}


async def login_and_open_newborn(pilot, app) -> IntakeScreen:  # noqa: ANN001
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
    await pilot.press("i")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
    await pilot.press("x", "s", "e", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
    return app.screen  # type: ignore[return-value]


def widget_for(app, field_id: str):  # noqa: ANN001, ANN201
    return app.screen.query_one("#input-" + field_id.replace(".", "-"))


async def type_into(pilot, app, field_id: str, value: str) -> None:  # noqa: ANN001
    widget = widget_for(app, field_id)
    if isinstance(widget, Select):
        widget.value = value
    else:
        widget.focus()
        await pilot.pause()
        if len(value) <= 20 and all(ch.isalnum() or ch in ".-" for ch in value):
            await pilot.press(*value)  # real keystrokes for the numbers a clerk types
            assert widget.value == value, f"keys lost: typed {value!r}, field holds {widget.value!r}"
        else:
            widget.value = value
    await pilot.pause()


async def take_case(pilot, app, hall_samples: dict, bundle: str, *, online: bool) -> dict:  # noqa: ANN001
    await pilot.press("i")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "BundlePicker")
    await pilot.press(*BUNDLES[bundle], "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, (IntakeScreen, QuestionsDialog)))
    if isinstance(app.screen, QuestionsDialog):  # the applicant answers "no" to every optional matter
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
    screen: IntakeScreen = app.screen  # type: ignore[assignment]
    assert not screen.form.optional
    sample = hall_samples[bundle][0]
    keys = key_fields(bundle, sample)
    for field_id, value in keys.items():
        await type_into(pilot, app, field_id, value)
    if online:
        await wait_for(pilot, lambda: not screen.data.lookups_needed() and sum(
            v.state == "prefilled" for v in screen.data.values().values()) >= 5
            and not any(w.group == "prefill" and w.is_running for w in screen.workers), timeout=15)
    else:
        await wait_for(pilot, lambda: bool(screen.data.unreachable) and not screen.data.lookups_needed(), timeout=15)
        # Offline: the clerk types what the applicant's documents say.
        registry = generate_registry(seed=20240101, persons=PERSONS, as_of=START.date())
        expected = typical_form(default_catalog(), registry, bundle).values()
        for form_field in screen.form.intake_fields:
            if not screen.data.value(form_field.id).value and expected[form_field.id].value:
                await type_into(pilot, app, form_field.id, expected[form_field.id].value)
    typed = []
    for form_field in screen.form.intake_fields:
        if form_field.required and not screen.data.value(form_field.id).value:
            assert form_field.id in TYPED, f"no typical value for {form_field.id}"
            await type_into(pilot, app, form_field.id, TYPED[form_field.id])
            typed.append(form_field.id)
    assert screen.data.errors() == {}
    materials = screen.query_one("#materials-bring")
    materials.select_all()
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen), timeout=15)
    receipt: ReceiptScreen = app.screen  # type: ignore[assignment]
    await wait_for(pilot, lambda: "市民之家政务服务大厅" in screen_text(app))  # the preview is drawn
    return receipt.case


@pytest.mark.parametrize("bundle", list(BUNDLES))
async def test_whole_case_online(make_hall, tmp_path: Path, bundle: str) -> None:
    hall: Hall = make_hall(persons=PERSONS)
    now = hall.clock.now()
    hall.platform.queue.issue("A", now)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")  # clerk number and password are filled in; log in
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "A001" in screen_text(app))
        assert "等待最久" in screen_text(app)
        case = await take_case(pilot, app, hall.samples, bundle, online=True)
        assert case["status"] == "accepted" and case["ticket"] == "A001"
        text = screen_text(app)
        assert case["case_number"] in text and "已受理" in text
        await pilot.press("p")
        await wait_for(pilot, lambda: bool(session.store.all_jobs()))
        # The preview printer prints nothing: the words say so, and no print goes to the platform.
        assert session.store.all_jobs()[0]["state"] == "preview"
        await wait_for(pilot, lambda: noticed(app, "预览（未打印）"))
        assert not any(i.kind == "print" for i in session.store.items())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: hall.platform.connection.execute(
            "SELECT status FROM tickets WHERE label = 'A001'").fetchone()[0] == "done", timeout=20)
        await wait_for(pilot, lambda: not session.store.items(), timeout=20)
    with hall.client(hall.clerk_token(5)) as c:
        assert c.get(f"/cases/{case['case_id']}").status_code == 200
        stats = c.get("/stats").json()
    assert stats["total"]["served"] == 1
    ticket = hall.platform.connection.execute("SELECT case_numbers FROM tickets WHERE label = 'A001'").fetchone()[0]
    assert case["case_number"] in ticket


@pytest.mark.parametrize("bundle", list(BUNDLES))
async def test_whole_case_offline_then_synced(make_hall, tmp_path: Path, bundle: str) -> None:
    hall: Hall = make_hall(persons=PERSONS)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        hall.server.stop()
        await pilot.press("n")  # calling needs the network: a clear banner, nothing lost
        await wait_for(pilot, lambda: "网络中断" in screen_text(app))
        case = await take_case(pilot, app, hall.samples, bundle, online=False)
        assert case["ticket"] == ""  # a walk-in case without a ticket
        assert any(v["state"] == "unverified" for v in case["values"].values())
        await pilot.press("escape")
        assert [i.id for i in session.store.items()] == [case["case_id"]]
        hall.server.start()
        session.wake_sync()
        await wait_for(pilot, lambda: not session.store.items(), timeout=30)
        assert session.store.get_state("alerts", []) == []  # typed values match the registries
    with hall.client(hall.clerk_token(5)) as c:
        assert c.get(f"/cases/{case['case_id']}").status_code == 200


async def test_offline_login_after_an_online_one(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await app.action_quit()
    session.store.close()
    hall.server.stop()
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        assert session.clerk is not None and session.clerk.offline
    session.store.close()
    app, session = make_app(hall.url, tmp_path, password="wrong-password")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: "工号或密码错误" in screen_text(app))
    session.store.close()


async def test_locked_field_needs_override_and_missing_materials_give_notice(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=PERSONS)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await login_and_open_newborn(pilot, app)
        await type_into(pilot, app, "mother.id_number", hall.samples["newborn"][0])
        await wait_for(pilot, lambda: screen.data.value("mother.name").locked, timeout=15)
        name = widget_for(app, "mother.name")
        original = screen.data.value("mother.name").value
        name.focus()
        await pilot.press("a")
        await pilot.pause()
        assert screen.data.value("mother.name").value == original and name.value == original
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "OverrideDialog")
        value_input = app.screen.query_one("#override-value", Input)
        value_input.value = "王芳芳"
        await pilot.press("enter")
        await pilot.press(*"新证")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        assert screen.data.value("mother.name").state == "overridden"
        for field_id in ("newborn.name", "household.relation", "bank.card_no", "bank.name", "result.delivery"):
            await type_into(pilot, app, field_id, TYPED[field_id])
        await pilot.press("ctrl+s")  # no material ticked as received
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen), timeout=15)
        assert app.screen.case["status"] == "notice"  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "一  次  性  告  知  书" in screen_text(app))
        assert "新生儿近期免冠照片" in screen_text(app)
        case = app.screen.case  # type: ignore[attr-defined]
        assert session.store.find_case(case["case_number"]) is not None  # kept, notice or not


async def test_keymap_from_config_rebinds_a_key(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=300)
    hall.platform.queue.issue("A", hall.clock.now())
    app, _ = make_app(hall.url, tmp_path)
    app.keymap = {"counter.call_next": "f1"}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("n")  # no longer bound
        await pilot.pause(0.5)
        assert "A001" not in screen_text(app)
        await pilot.press("f1")
        await wait_for(pilot, lambda: "A001" in screen_text(app))
        assert "f1 叫号" in screen_text(app).replace("F1", "f1")


async def test_unfinished_intake_resumes_from_its_draft(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=PERSONS)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await login_and_open_newborn(pilot, app)
        await type_into(pilot, app, "mother.id_number", hall.samples["newborn"][0])
        await wait_for(pilot, lambda: screen.data.value("father.name").value != "", timeout=15)
        await type_into(pilot, app, "newborn.name", "张小宝")
        await pilot.pause(0.5)
        await pilot.press("escape")  # the applicant steps away; the draft is kept
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        hall.server.stop()  # and the network drops
        app.run_palette_action("drafts")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DraftPicker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen) and app.screen is not screen)
        resumed: IntakeScreen = app.screen  # type: ignore[assignment]
        assert resumed.data.value("newborn.name").value == "张小宝"
        assert resumed.data.value("father.name").source == "公安人口库"  # from the case's own cache, offline


async def test_optional_matters_follow_the_applicants_answers(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=500)
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in_and_pick(pilot, app, "kbcyd")
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionsDialog))
        assert "是否属于公众聚集场所" in screen_text(app)
        await pilot.press("down", "space", "enter")  # yes to the second question only: a gathering place
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        screen: IntakeScreen = app.screen  # type: ignore[assignment]
        assert screen.form.optional == ("FD04",)
        assert "消防安全检查" in screen_text(app)
        await pilot.press("escape")  # the draft keeps the answers: resumed, it has the same matters
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await wait_for(pilot, lambda: bool(session.store.drafts()))
        assert [d.get("optional") for _, d in session.store.drafts()] == [["FD04"]]
