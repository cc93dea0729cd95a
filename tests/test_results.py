"""After intake: approval systems report each matter's result (PUT, idempotent), the
case's state follows (已受理 → 审批中 → 待领取 / 已办结), the public progress page shows
every matter, and the applicant is told by a message that carries only the masked
name and the case number, delivered once even when the gateway fails or loses its
answer (a real gateway on loopback counts)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx

from tests.casefactory import newborn_case
from tests.conftest import Hall
from tests.fake_endpoint import FakeEndpoint
from window_tui.central.auth import add_device
from window_tui.central.db import connect, transaction
from window_tui.domain.masking import MaskPolicy

BOTH_DATABASES = True
DECIDED = "2026-11-21T15:00:00+08:00"
FAST = {"notify_interval": 0.1, "notify_backoff": 0.1}


def _backoffice(hall: Hall) -> str:
    """An approval system's token, made through a connection of its own (the platform's
    serves its own thread, where the notifier works)."""
    connection = connect(hall.db)
    try:
        with transaction(connection):
            return add_device(connection, "backoffice", "卫健审批系统", hall.clock.now())
    finally:
        connection.close()


def _accepted_case(hall: Hall, seq: int = 1) -> dict[str, Any]:
    case = newborn_case(seq)
    with hall.client(hall.clerk_token(5)) as clerk:
        assert clerk.put(f"/cases/{case['case_id']}", json=case).status_code == 201
    return case


def _result(outcome: str, **extra: Any) -> dict[str, Any]:
    return {"outcome": outcome, "decided_at": DECIDED, **extra}


def _certificate(name: str) -> dict[str, Any]:
    return _result("certificate_made", documents=[{"name": name, "number": "N2026-0001", "copies": 1}])


def _wait(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_case_follows_its_matters_to_ready_and_the_applicant_is_told_once(make_hall: Any) -> None:
    with FakeEndpoint() as sms:
        hall: Hall = make_hall(windows=6, persons=300, sms_url=sms.url, **FAST)
        case, token = _accepted_case(hall), _backoffice(hall)
        matters = [m["code"] for m in case["matters"]]
        progress = f"{hall.url}/api/v1/progress/{case['case_number']}"
        with hall.client(token) as backoffice:
            first = backoffice.put(f"/cases/{case['case_id']}/matters/{matters[0]}/result", json=_result("approved"))
            assert first.status_code == 201 and first.json()["label"] == "审批中"
            public = httpx.get(progress, params={"c": case["check_code"]}).json()
            assert public["status_label"] == "审批中"
            assert [m["label"] for m in public["matters"]][:2] == ["已准予，证照制作中", "审批中"]
            for code in matters:
                answer = backoffice.put(f"/cases/{case['case_id']}/matters/{code}/result",
                                        json=_certificate("出生医学证明") if code == matters[0] else _result("completed"))
                assert answer.status_code in (200, 201)
            assert answer.json()["state"] == "ready" and answer.json()["label"] == "待领取"
            again = backoffice.put(f"/cases/{case['case_id']}/matters/{matters[-1]}/result", json=_result("completed"))
            assert again.status_code == 200 and again.json()["state"] == "ready"  # a repeat changes nothing

        assert _wait(lambda: len(sms.accepted) == 1)
        time.sleep(0.3)
        assert len(sms.requests) == 1  # one message for one state, however often results repeat
        message = next(iter(sms.accepted.values()))
        values = case["values"]
        assert message["to"] == values["applicant.phone"]["value"]
        assert message["text"].startswith(f"【{hall.platform.hall_name}】{MaskPolicy().name(values['applicant.name']['value'])}")
        assert case["case_number"] in message["text"] and "领取" in message["text"]
        for personal in (values["applicant.name"]["value"], values["applicant.phone"]["value"],
                         values["applicant.id_number"]["value"]):
            assert personal not in message["text"]

        public = httpx.get(progress, params={"c": case["check_code"]}).json()
        assert public["status_label"] == "待领取"
        assert public["matters"][0]["documents"] == ["出生医学证明"]
        assert "N2026-0001" not in str(public)  # certificate numbers are not public
        page = httpx.get(f"{hall.url}/p/{case['case_number']}", params={"c": case["check_code"]}).text
        assert "待领取" in page and all(m["name"] in page for m in case["matters"])
        with hall.display() as display:
            health = display.get("/health").json()
        assert health["notifications"]["delivered"] == 1


def test_results_are_checked_and_only_an_approval_system_may_report_them(make_hall: Any) -> None:
    hall: Hall = make_hall(windows=6, persons=300)
    case, token = _accepted_case(hall), _backoffice(hall)
    matter = case["matters"][0]["code"]
    path = f"/cases/{case['case_id']}/matters/{matter}/result"
    with hall.client(token) as backoffice, hall.client(hall.clerk_token(5)) as clerk:
        assert clerk.put(path, json=_result("completed")).status_code == 403
        refused = backoffice.put(path, json=_result("refused"))
        assert refused.status_code == 422 and "理由" in refused.json()["detail"]
        empty = backoffice.put(path, json=_result("certificate_made"))
        assert empty.status_code == 422 and "证照" in empty.json()["detail"]
        naive = backoffice.put(path, json={"outcome": "completed", "decided_at": "2026-11-21T15:00:00"})
        assert naive.status_code == 422
        assert backoffice.put(f"/cases/{case['case_id']}/matters/XX99/result",
                              json=_result("completed")).status_code == 404
        assert backoffice.put(f"/cases/nosuchcase01/matters/{matter}/result",
                              json=_result("completed")).status_code == 404
        reason = "申请人不符合发放条件（非本市户籍）"
        assert backoffice.put(path, json=_result("refused", reason=reason)).status_code == 201
        state = clerk.get(f"/cases/{case['case_id']}/state").json()
        assert state["matters"][0]["label"] == "不予许可" and state["matters"][0]["reason"] == reason
        # A changed result replaces the earlier one until the results are handed over.
        assert backoffice.put(path, json=_result("completed")).json()["matters"][0]["label"] == "已办结"


def test_a_message_the_gateway_refuses_or_loses_is_retried_and_sent_once(make_hall: Any) -> None:
    with FakeEndpoint() as sms:
        sms.fail_next = 2  # the gateway is down for two attempts
        sms.lose_answer_next = 1  # then takes the message but the answer never arrives
        hall: Hall = make_hall(windows=6, persons=300, sms_url=sms.url, **FAST)
        case, token = _accepted_case(hall), _backoffice(hall)
        with hall.client(token) as backoffice:
            for m in case["matters"]:
                backoffice.put(f"/cases/{case['case_id']}/matters/{m['code']}/result", json=_result("completed"))
        connection = hall.platform.connection
        assert _wait(lambda: connection.execute(
            "SELECT state FROM notifications").fetchone()["state"] == "delivered", 10)
        row = connection.execute("SELECT attempts, last_error FROM notifications").fetchone()
        assert row["attempts"] == 4 and row["last_error"] == ""
        assert len(sms.requests) == 4 and len({r["key"] for r in sms.requests}) == 1
        assert len(sms.accepted) == 1  # the applicant gets one message


def test_without_a_gateway_messages_are_recorded_not_sent(make_hall: Any) -> None:
    hall: Hall = make_hall(windows=6, persons=300, **FAST)
    case, token = _accepted_case(hall), _backoffice(hall)
    with hall.client(token) as backoffice:
        for m in case["matters"]:
            backoffice.put(f"/cases/{case['case_id']}/matters/{m['code']}/result", json=_result("completed"))
    connection = hall.platform.connection
    assert _wait(lambda: connection.execute("SELECT state FROM notifications").fetchone()["state"] == "recorded")
    with hall.display() as display:
        assert "未配置短信网关" in display.get("/health").json()["notifications"]["worker"]
    assert datetime.fromisoformat(connection.execute("SELECT delivered_at FROM notifications").fetchone()[0])


def _handover(case: dict[str, Any], documents: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    applicant = case["values"]["applicant.name"]
    body = {"case_id": case["case_id"], "case_number": case["case_number"], "kind": "counter",
            "handed_at": "2026-11-25T10:30:00+08:00", "window": 5, "clerk": "1005",
            "collector": {"relation": "self", "name": applicant["value"],
                          "id_number": case["values"]["applicant.id_number"]["value"]},
            "documents": documents}
    body.update(extra)
    return body


def test_results_are_handed_over_once_to_the_applicant_or_an_authorised_agent(make_hall: Any) -> None:
    hall: Hall = make_hall(windows=6, persons=300, **FAST)
    case, token = _accepted_case(hall), _backoffice(hall)
    certificate = {"name": "出生医学证明", "number": "N2026-0001", "copies": 1}
    with hall.client(token) as backoffice:
        for m in case["matters"]:
            backoffice.put(f"/cases/{case['case_id']}/matters/{m['code']}/result",
                           json=_certificate("出生医学证明") if m is case["matters"][0] else _result("completed"))
    with hall.client(hall.clerk_token(5)) as clerk:
        due = clerk.get(f"/cases/{case['case_id']}/state").json()
        assert due["state"] == "ready"
        stranger = _handover(case, [certificate], collector={"relation": "self", "name": "王五",
                                                             "id_number": "110101199003074514"})
        refused = clerk.put("/records/handover/handover-0001", json=stranger)
        assert refused.status_code == 422 and "代领" in refused.json()["detail"]
        agent = _handover(case, [certificate], collector={"relation": "agent", "name": "王五",
                                                          "id_number": "110101199003074514"})
        assert "委托书" in clerk.put("/records/handover/handover-0001", json=agent).json()["detail"]
        short = _handover(case, [{**certificate, "copies": 2}])
        assert "清单" in clerk.put("/records/handover/handover-0001", json=short).json()["detail"]
        other_window = _handover(case, [certificate], window=6, clerk="1006")
        assert clerk.put("/records/handover/handover-0001", json=other_window).status_code == 403

        good = _handover(case, [certificate], collector=agent["collector"], authorization="委托书 WT-2026-118")
        first = clerk.put("/records/handover/handover-0001", json=good)
        assert first.status_code == 201 and first.json()["label"] == "已领取"
        assert clerk.put("/records/handover/handover-0001", json=good).status_code == 200  # a resend
        twice = clerk.put("/records/handover/handover-0002", json=good)
        assert twice.status_code == 409 and "已于 2026-11-25 10:30 交付" in twice.json()["detail"]
    with hall.client(token) as backoffice:
        late = backoffice.put(f"/cases/{case['case_id']}/matters/{case['matters'][0]['code']}/result",
                              json=_result("completed"))
        assert late.status_code == 409
    page = httpx.get(f"{hall.url}/p/{case['case_number']}", params={"c": case["check_code"]}).text
    assert "已领取" in page and "交付时间：2026-11-25 10:30" in page


def test_mailed_results_record_the_carrier_and_tell_the_applicant(make_hall: Any) -> None:
    with FakeEndpoint() as sms:
        hall: Hall = make_hall(windows=6, persons=300, sms_url=sms.url, **FAST)
        case, token = _accepted_case(hall), _backoffice(hall)
        certificate = {"name": "出生医学证明", "number": "N2026-0001", "copies": 1}
        with hall.client(token) as backoffice:
            for m in case["matters"]:
                result = (_certificate("出生医学证明") if m is case["matters"][0] else _result("completed"))
                answer = backoffice.put(f"/cases/{case['case_id']}/matters/{m['code']}/result",
                                        json={**result, "delivery": "mail"})
        assert answer.json()["state"] == "to_mail"
        with hall.client(hall.clerk_token(5)) as clerk:
            missing = _handover(case, [certificate], kind="mail")
            assert "运单号" in clerk.put("/records/handover/handover-mail-1", json=missing).json()["detail"]
            mailed = {**missing, "mail": {"carrier": "中国邮政EMS", "tracking": "1180203456789"}}
            assert clerk.put("/records/handover/handover-mail-1", json=mailed).json()["label"] == "已寄出"
        assert _wait(lambda: len(sms.accepted) == 2)
        texts = sorted(m["text"] for m in sms.accepted.values())
        assert any("将按您选择的方式邮寄" in t for t in texts) and any("已寄出" in t for t in texts)
