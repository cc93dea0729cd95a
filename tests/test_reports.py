"""办不成事: a report raised at a window gets a number and a deadline in working days,
goes to the 12345 hotline as one work order however often the intake fails or loses
its answer (a real endpoint on loopback counts), is listed with the contact masked,
moves 受理 → 转办 → 办结 → 回访, and shows as overdue in the day's statistics."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Hall
from tests.fake_endpoint import FakeEndpoint
from tests.test_results import _wait

BOTH_DATABASES = True
FAST = {"notify_interval": 0.1, "notify_backoff": 0.1}


def _report(n: int, **extra: Any) -> dict[str, Any]:
    body = {"category": "跨部门推诿", "wanted": "办理外省社保关系转入，两个部门都说不归自己管",
            "contact_name": "赵大明", "contact_phone": "13912345678", "ticket": "A007", "window": 5,
            "clerk": "1005", "raised_at": "2026-11-20T09:00:00+08:00"}
    body.update(extra)
    return body


def test_a_report_is_numbered_sent_to_12345_once_and_followed_to_its_close(make_hall: Any) -> None:
    with FakeEndpoint() as hotline:
        hotline.fail_next = 2  # the hotline's intake is down twice
        hotline.lose_answer_next = 1  # then takes the order and the answer is lost
        hall: Hall = make_hall(windows=6, persons=300, hotline_url=hotline.url, **FAST)
        with hall.client(hall.clerk_token(5)) as clerk:
            first = clerk.put("/records/report/report-0001", json=_report(1))
            assert first.status_code == 201
            report = first.json()
            # 2026-11-20 is a Friday: five working days later is Friday 11-27.
            assert report["report_number"] == "BB202611200001" and report["deadline"] == "2026-11-27"
            assert report["contact"] == "赵*明 139****5678" and report["state_label"] == "受理"
            assert clerk.put("/records/report/report-0001", json=_report(1)).json()["replay"] is True
            changed = clerk.put("/records/report/report-0001", json=_report(1, wanted="另一件事，内容不同"))
            assert changed.status_code == 409
            second = clerk.put("/records/report/report-0002", json=_report(2, category="系统故障", ticket=""))
            assert second.json()["report_number"] == "BB202611200002"
            assert clerk.put("/records/report/report-0003", json=_report(3, window=6, clerk="1006")).status_code == 403
            assert clerk.put("/records/report/report-0004", json=_report(4, category="别的")).status_code == 422

        assert _wait(lambda: len(hotline.accepted) == 2, 10)
        time.sleep(0.3)
        orders = {body["order_id"]: body for body in hotline.accepted.values()}
        assert set(orders) == {"BB202611200001", "BB202611200002"}
        assert orders["BB202611200001"]["contact"] == {"name": "赵大明", "phone": "13912345678"}  # 12345 calls back
        assert orders["BB202611200001"]["category"] == "跨部门推诿"
        keys = [r["key"] for r in hotline.requests]
        assert len(set(keys)) == 2 and len(keys) == 5  # 2 refused, 1 answer lost, each order taken once

        with hall.client(hall.clerk_token(6)) as manager:
            listed = manager.get("/reports").json()
            assert [r["report_number"] for r in listed] == ["BB202611200001", "BB202611200002"]
            assert all("13912345678" not in str(r) and "赵大明" not in str(r) for r in listed)
            no_note = manager.post("/reports/report-0001/state", json={"state": "closed"})
            assert no_note.status_code == 422
            assert manager.post("/reports/report-0001/state", json={"state": "visited"}).status_code == 409
            assert manager.post("/reports/report-0001/state", json={"state": "transferred"}).json()["state_label"] == "转办"
            closed = manager.post("/reports/report-0001/state",
                                  json={"state": "closed", "note": "已协调人社局受理转入，申请人已办结"})
            assert closed.json()["state_label"] == "办结"
            assert manager.post("/reports/report-0001/state", json={"state": "visited"}).json()["state_label"] == "回访"
            assert [r["report_number"] for r in manager.get("/reports").json()] == ["BB202611200002"]

        hall.clock.advance(days=8)  # 11-28: past the second report's deadline (a new day's login)
        with hall.client(hall.clerk_token(6)) as manager:
            still_open = manager.get("/reports").json()[0]
            assert still_open["overdue"] is True
            day = hall.clock.now().date().isoformat()
            assert manager.get("/stats", params={"day": day}).json()["reports"] == {"raised": 0, "overdue": 1}
            assert manager.get("/stats", params={"day": "2026-11-20"}).json()["reports"]["raised"] == 2
            # over a period: every report raised in it, and those open past their deadline at its end
            period = manager.get("/stats", params={"day": "2026-11-19", "to": day}).json()["reports"]
            assert period == {"raised": 2, "overdue": 1}


def test_without_a_hotline_address_work_orders_are_recorded(make_hall: Any) -> None:
    hall: Hall = make_hall(windows=6, persons=300, **FAST)
    with hall.client(hall.clerk_token(5)) as clerk:
        assert clerk.put("/records/report/report-0101", json=_report(1)).status_code == 201
    connection = hall.platform.connection
    assert _wait(lambda: connection.execute(
        "SELECT state FROM notifications WHERE channel = 'hotline'").fetchone()["state"] == "recorded")


def test_the_contact_is_sealed_at_rest_and_opened_only_to_send_it(make_hall: Any) -> None:
    """A copy of the database (a backup, a moved file) holds no phone and no name of a
    report's applicant; the outbox opens them to send the order; a platform with another
    key says which key it lacks, on /health's outbox and in the message's error, and sends
    nothing it cannot open."""
    import asyncio
    import dataclasses

    from window_tui.central.db import transaction
    from window_tui.central.seal import Sealer

    with FakeEndpoint() as hotline, FakeEndpoint() as sms:
        hall: Hall = make_hall(windows=6, persons=300, hotline_url=hotline.url, sms_url=sms.url, **FAST)
        with hall.client(hall.clerk_token(5)) as clerk:
            assert clerk.put("/records/report/report-0201", json=_report(1)).status_code == 201
        assert _wait(lambda: len(hotline.accepted) == 1 and len(sms.accepted) == 1, 10)
        order = next(iter(hotline.accepted.values()))
        assert order["contact"] == {"name": "赵大明", "phone": "13912345678"}
        assert next(iter(sms.accepted.values()))["to"] == "13912345678"
        source = hall.platform.connection
        dump = "\n".join(str(tuple(r)) for table in ("reports", "notifications")
                         for r in source.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608 (fixed names)
        assert "13912345678" not in dump and "赵大明" not in dump and "5678" not in dump.replace("****5678", "")
        assert "赵*明 139****5678" in dump  # the masked copy the lists show

        # The same database served with another key: the orders cannot be opened.
        hall.server.stop()  # (its own outbox worker stops with it)
        other = dataclasses.replace(hall.platform, sealer=Sealer.ephemeral())
        with transaction(source):
            source.execute("UPDATE notifications SET state = 'pending', next_at = '2000-01-01T00:00:00+08:00'")
        asyncio.run(other.notifier.deliver_due())
        errors = {r[0] for r in source.execute("SELECT last_error FROM notifications").fetchall()}
        assert len(errors) == 1 and "另一密钥" in errors.pop()
        assert len(hotline.requests) == 1 and len(sms.requests) == 1  # nothing more was sent


def test_the_platforms_own_message_sink_takes_each_message_once(make_hall: Any, tmp_path: Any) -> None:
    """`window-tui message-sink` (a real process) stands in for the SMS gateway and the
    12345 intake: a report's work order and SMS arrive once each, a repeat of a key is
    answered and not kept again, the terminal shows the phone masked, Ctrl+C ends it."""
    import json
    import os
    import signal
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "messages.jsonl"
    sink = subprocess.Popen([sys.executable, "-m", "window_tui.cli", "message-sink", "--port", str(port),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "WINDOW_TUI_CONFIG": str(tmp_path / "config.toml")})
    try:
        url = f"http://127.0.0.1:{port}/send"
        assert _wait(lambda: _answers(url), 15)
        hall: Hall = make_hall(windows=6, persons=300, sms_url=url, hotline_url=url, **FAST)
        with hall.client(hall.clerk_token(5)) as clerk:
            assert clerk.put("/records/report/report-0401", json=_report(1)).status_code == 201
        assert _wait(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) == 2, 10)
        kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert {r["body"].get("order_id") for r in kept} == {"BB202611200001", None}
        assert next(r for r in kept if "to" in r["body"])["body"]["to"] == "13912345678"
        assert os.stat(out).st_mode & 0o077 == 0
        repeat = httpx.post(url, json=kept[0]["body"], headers={"Idempotency-Key": kept[0]["key"]})
        assert repeat.json() == {"ok": True, "repeated": True}
        assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    finally:
        sink.send_signal(signal.SIGINT)
        stdout, stderr = sink.communicate(timeout=10)
    assert sink.returncode == 0 and stderr == ""
    assert "139****5678" in stdout and "13912345678" not in stdout and "共收到 3 次，记录 2 条" in stdout


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url.rsplit("/", 1)[0], timeout=1).status_code > 0
    except httpx.HTTPError:
        return False
