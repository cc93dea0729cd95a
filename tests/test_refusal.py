"""不予受理 at the counter (行政许可法 arts. 32, 38): a failed condition ends in a
numbered, saved, synced and printed decision with reasons, basis and remedies, on
the real platform; the one-time notice's case is 待补正, never 已受理."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from printers.decoder import decode
from printers.service import PrintService
from printers.templates import HallInfo
from tests.conftest import START, Hall
from tests.test_ui_counter import TYPED, type_into
from tests.ui_helpers import log_in_and_pick, make_app, screen_text, wait_for
from window_tui.domain.case import validate_case_content
from window_tui.domain.refusal import RefusalError, make_refusal
from window_tui.ui.console import ConsoleScreen
from window_tui.ui.intake import IntakeScreen
from window_tui.ui.receipt import ReceiptScreen
from window_tui.ui.refusal import RefusalDialog


def printed_text(case: dict, template: str) -> str:
    """The decision as the printer receives it, decoded from the ESC/POS bytes."""
    service = PrintService.from_config("preview", "80mm-gb18030", role="receipt", hall=HallInfo())
    return "\n".join(decode(service.render(template, case), "gb18030").text)


async def test_a_failed_rule_ends_in_a_synced_printed_refusal(make_hall, tmp_path: Path) -> None:
    hall: Hall = make_hall(persons=3000)
    young = hall.samples["retirement_not_yet"][0]
    app, session = make_app(hall.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in_and_pick(pilot, app, "tx")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        screen: IntakeScreen = app.screen  # type: ignore[assignment]
        await type_into(pilot, app, "applicant.id_number", young)
        await wait_for(pilot, lambda: not screen.data.lookups_needed(), timeout=15)
        for form_field in screen.form.intake_fields:
            if form_field.required and not screen.data.value(form_field.id).value:
                await type_into(pilot, app, form_field.id, TYPED[form_field.id])
        assert screen.data.errors() == {}
        await pilot.press("ctrl+s")
        # Not a toast: the decision is offered, with the failed condition chosen.
        await wait_for(pilot, lambda: isinstance(app.screen, RefusalDialog), timeout=10)
        assert "未达到法定退休年龄" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen), timeout=10)
        case = app.screen.case  # type: ignore[attr-defined]
        assert case["status"] == "rejected" and "未达到法定退休年龄" in case["reason"]
        assert case["case_number"].startswith("370800-20261120-05-")
        await wait_for(pilot, lambda: "不予受理通知书" in screen_text(app))
        await pilot.press("p")
        await wait_for(pilot, lambda: bool(session.store.all_jobs()))
        assert session.store.all_jobs()[0]["template"] == "rejection"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        assert "不予受理" in screen_text(app)
        session.wake_sync()
        await wait_for(pilot, lambda: not session.store.items(), timeout=20)
    with hall.client(hall.clerk_token(5)) as c:
        stored = c.get(f"/cases/{case['case_id']}").json()["body"]
        progress = c.get(f"/progress/{case['case_number']}", params={"c": case["check_code"]}).json()
    assert stored["status"] == "rejected" and stored["refusal"]["review_body"] == "济宁市人民政府"
    assert progress["status_label"] == "不予受理" and "未达到法定退休年龄" in progress["reason"]
    assert "promised_date" not in progress and "accepted_on" not in progress
    paper = printed_text(case, "rejection")
    for words in ("不予受理通知书", "未达到法定退休年龄", "渐进式延迟法定退休年龄", "60日内向济宁市人民政府",
                  "6个月内向济宁市任城区人民法院", "济宁市行政审批服务局（盖章）"):
        assert words.replace("\n", "") in paper.replace("\n", ""), words


async def test_refusal_on_request_needs_a_typed_reason(make_hall, tmp_path: Path) -> None:
    """Ctrl+R at any time: "not this office's remit" must say where to apply instead."""
    hall: Hall = make_hall(persons=500)
    app, _ = make_app(hall.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in_and_pick(pilot, app, "tx")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        screen: IntakeScreen = app.screen  # type: ignore[assignment]
        await type_into(pilot, app, "applicant.name", "王五")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefusalDialog))
        await pilot.press("enter")  # the ground needs text: the dialog stays and says so
        await pilot.pause()
        assert isinstance(app.screen, RefusalDialog) and "须写明具体理由" in screen_text(app)
        await pilot.press(*"ying")
        app.screen.query_one("#refusal-extra").value = "申请事项属社会保险经办机构职权，请向市社会保险事业中心申请"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen), timeout=10)
        case = app.screen.case  # type: ignore[attr-defined]
    assert case["status"] == "rejected" and "市社会保险事业中心" in case["reason"]
    assert "第三十二条第一款第（二）项" in case["refusal"]["basis"]
    assert screen.case_id == case["case_id"]


def test_a_refusal_without_a_reason_or_bodies_cannot_be_issued() -> None:
    with pytest.raises(RefusalError, match="必须写明理由"):
        make_refusal(reasons=[], ground="conditions", extra=" ", rule_codes=[], review_body="a", court="b")
    with pytest.raises(RefusalError, match="行政复议机关"):
        make_refusal(reasons=["x"], ground="conditions", extra="", rule_codes=[], review_body="", court="b")
    refusal = make_refusal(reasons=["退休：未达到法定退休年龄"], ground="conditions", extra="",
                           rule_codes=["retirement_age"], review_body="甲市人民政府", court="甲区人民法院")
    assert "第三十八条" in refusal.basis and "第一条" in refusal.basis


def test_the_platform_refuses_a_rejected_case_without_basis(catalog) -> None:  # noqa: ANN001
    from tests.casefactory import newborn_case

    body = newborn_case(1)
    body.update(status="rejected", reason="不符合条件")
    assert "refusal" in validate_case_content(catalog, body)
    body["refusal"] = {"basis": "x", "review_body": "y", "court": "z"}
    assert validate_case_content(catalog, body) == {}


def test_notice_lists_received_and_missing_and_progress_says_pending(make_hall) -> None:  # noqa: ANN001
    from tests.casefactory import newborn_case

    hall: Hall = make_hall(persons=500)
    case = newborn_case(1)
    bring = [m for m in case["materials"] if m["kind"] == "bring"]
    assert len(bring) >= 2
    case.update(status="notice", received=[bring[0]["id"]])
    paper = printed_text(case, "notice").replace("\n", "")
    assert "已收取材料（1项）" in paper and bring[0]["name"] in paper
    assert f"尚缺以下{len(bring) - 1}项材料" in paper and "本件尚未受理（待补正）" in paper
    with hall.client(hall.clerk_token(5)) as c:
        assert c.put(f"/cases/{case['case_id']}", json=case).status_code == 201
        progress = c.get(f"/progress/{case['case_number']}", params={"c": case["check_code"]}).json()
    assert progress["status_label"].startswith("待补正")
    assert "accepted_on" not in progress and "promised_date" not in progress
    assert bring[1]["name"] in progress["missing"]
    with hall.client() as c:
        page = c.get(f"{hall.url}/p/{case['case_number']}", params={"c": case["check_code"]}).text
    assert "待补正" in page and "受理日期" not in page and "承诺办结" not in page


def test_receipt_signs_names_the_organ_and_prints_contributions_apart(catalog) -> None:  # noqa: ANN001
    from tests.casefactory import newborn_case

    case = newborn_case(1)
    case["accepted_at"] = datetime(2026, 11, 20, 9, 30, tzinfo=START.tzinfo).isoformat()
    paper = printed_text(case, "receipt").replace("\n", "")
    assert "受理机关" in paper and "济宁市行政审批服务局（盖章）" in paper
    assert "咨询电话" in paper and "投诉电话" in paper and "12345" in paper
    assert "收费情况" in paper and "不收费" in paper and "按当年度个人缴费标准" not in paper.split("另需缴费")[0]
    assert "另需缴费（非行政收费）" in paper
