from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import Hall
from window_tui.client import PlatformClient
from window_tui.domain.case import build_case, format_case_number, new_case_id
from window_tui.domain.catalog import load_catalog
from window_tui.domain.forms import merge_bundle
from window_tui.domain.prefill import FormData
from window_tui.domain.workdays import WorkCalendar

BOTH_DATABASES = True  # each platform test runs on SQLite and on PostgreSQL

HALL_ZONE = ZoneInfo("Asia/Shanghai")


def test_registry_lookup_needs_a_case_and_is_audited(hall: Hall) -> None:
    mother = hall.samples["newborn"][0]
    token = hall.clerk_token(2)
    with hall.client(token) as clerk:
        assert clerk.get(f"/registry/person/{mother}").status_code == 422
        made_up = clerk.get(f"/registry/person/{mother}", params={"case_id": "case-0001-abcdef"})
        assert made_up.status_code == 403 and "所办案件" in made_up.json()["detail"]  # no purpose, no data
        assert clerk.post("/cases/case-0001-abcdef/open", json={"bundle": "newborn", "ticket": "A001"}).status_code == 200
        r = clerk.get(f"/registry/person/{mother}", params={"case_id": "case-0001-abcdef"})
        assert r.status_code == 200
        record = r.json()
        assert record["source"] == "公安人口库" and record["attributes"]["id_number"] == mother
        missing = clerk.get("/registry/person/11010519491231002X", params={"case_id": "case-0001-abcdef"})
        assert missing.status_code == 404 and missing.json()["found"] is False
    with hall.client() as c:
        admin = c.post("/auth/login", json={"clerk": "9000", "password": "demo9000"}).json()["token"]
    with hall.client(admin) as a:
        audit = a.get("/audit", params={"case_id": "case-0001-abcdef"}).json()
    assert [e["found"] for e in audit] == [1, 0]
    assert audit[0]["clerk"] == "1002" and audit[0]["window"] == 2
    assert "name" in audit[0]["attributes"]
    assert audit[0]["purpose_bundle"] == "newborn" and audit[0]["purpose_ticket"] == "A001"  # why they looked
    assert record["attributes"]["name"] not in str(audit)  # names of attributes, never values


def test_catalog_etag(hall: Hall) -> None:
    with hall.client(hall.clerk_token(1)) as clerk:
        first = clerk.get("/catalog")
        etag = first.headers["ETag"]
        assert first.json()["bundles"]["newborn"]["name"] == "新生儿出生"
        assert clerk.get("/catalog", headers={"If-None-Match": etag}).status_code == 304


def _newborn_case(hall: Hall, window: int = 5, seq: int = 1) -> dict:
    catalog = load_catalog()
    data = FormData(merge_bundle(catalog, catalog.bundle("newborn")), today=date(2026, 11, 20))
    data.enter("mother.id_number", hall.samples["newborn"][0])
    case_id = new_case_id()

    async def fetch_all() -> None:
        client = PlatformClient(hall.url)
        await client.login(str(1000 + window), f"demo{1000 + window}", window)
        await client.open_case(case_id, "newborn")
        while needed := data.lookups_needed():
            for key in needed:
                data.add_record(key, await client.lookup(key, case_id))
        await client.aclose()

    asyncio.run(fetch_all())
    for field_id, value in {"newborn.name": "张小宝", "household.relation": "子",
                            "bank.card_no": "6222020000000000000", "bank.name": "中国工商银行",
                            "result.delivery": "窗口领取"}.items():
        data.enter(field_id, value)
    case = build_case(data, case_id=case_id, case_number=format_case_number("370800", date(2026, 11, 20), window, seq),
                      hall="370800", window=window, clerk=str(1000 + window),
                      accepted_at=datetime(2026, 11, 20, 10, 0, tzinfo=HALL_ZONE), calendar=WorkCalendar.load(),
                      received={"mother_bank_card", "newborn_photo", "childbirth_bills"})
    return case.to_json()


def test_case_put_is_idempotent_and_conflicts_are_409(hall: Hall) -> None:
    case = _newborn_case(hall)
    with hall.client(hall.clerk_token(5)) as clerk:
        first = clerk.put(f"/cases/{case['case_id']}", json=case)
        assert first.status_code == 201
        again = clerk.put(f"/cases/{case['case_id']}", json=case)
        assert again.status_code == 200
        assert again.json()["receipt_id"] == first.json()["receipt_id"]
        assert again.json()["content_hash"] == first.json()["content_hash"]
        changed = {**case, "ticket": "A099"}
        conflict = clerk.put(f"/cases/{case['case_id']}", json=changed)
        assert conflict.status_code == 409
        assert conflict.json()["stored_hash"] == first.json()["content_hash"]
        assert conflict.json()["sent_hash"] != conflict.json()["stored_hash"]
        bad = {**case, "case_id": new_case_id(), "case_number": "370800-20261120-05-0099"}
        bad["form"] = {**case["form"], "entries": {**case["form"]["entries"],
                                                   "bank.card_no": {"value": "123", "reason": "", "unreachable": False}}}
        invalid = clerk.put(f"/cases/{bad['case_id']}", json=bad)
        assert invalid.status_code == 400
        assert "银行卡号" in invalid.json()["errors"]["bank.card_no"]
    guessed = httpx.get(f"{hall.url}/api/v1/progress/{case['case_number']}", params={"c": "AAAAAAAAAA"})
    assert guessed.status_code == 404  # a sequential number alone shows nothing
    progress = httpx.get(f"{hall.url}/api/v1/progress/{case['case_number']}", params={"c": case["check_code"]}).json()
    assert progress["status"] == "accepted" and progress["promised_date"] == case["promised_date"]
    assert case["values"]["mother.name"]["value"] not in str(progress)
    assert httpx.get(f"{hall.url}/p/{case['case_number']}").status_code == 404
    page = httpx.get(f"{hall.url}/p/{case['case_number']}", params={"c": case["check_code"]})
    assert page.status_code == 200 and "已受理" in page.text


def test_racing_puts_store_one_case(hall: Hall) -> None:
    case = _newborn_case(hall, seq=2)
    token = hall.clerk_token(5)
    answers: list[httpx.Response] = []

    def put() -> None:
        with hall.client(token) as c:
            answers.append(c.put(f"/cases/{case['case_id']}", json=case))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["receipt_id"] for a in answers}) == 1


def test_batch_gives_a_result_per_item_and_only_the_windows_rater_rates(hall: Hall) -> None:
    case = _newborn_case(hall, seq=3)
    rating = {"case_number": case["case_number"], "window": 5, "level": "不满意",
              "indicators": {"服务效率": "不满意"}, "rated_at": "2026-11-20T10:30:00+08:00"}
    with hall.kiosk() as kiosk:
        kiosk.post("/tickets", json={"service": "A"})
    with hall.client(hall.clerk_token(5)) as clerk:
        clerk.post("/windows/5/call-next")
        clerk.post("/windows/5/finish", json={"case_numbers": [case["case_number"]]})
        results = clerk.post("/sync/batch", json={"items": [
            {"kind": "case", "id": case["case_id"], "body": case},
            {"kind": "rating", "id": "rating-by-clerk", "body": rating},
        ]}).json()["results"]
        assert [r["status"] for r in results] == [201, 403]  # a clerk never rates his own case
    with hall.client("demo-rater-token-4") as other_pad:
        refused = other_pad.put("/records/rating/rating-from-4", json={**rating, "window": 4})
        assert refused.status_code == 403  # not a case finished at window 4
    with hall.client("demo-rater-token") as pad:
        results = pad.post("/sync/batch", json={"items": [
            {"kind": "rating", "id": "rating-1", "body": rating},
            {"kind": "rating", "id": "rating-2", "body": {**rating, "level": "很好"}},
            {"kind": "rating", "id": "rating-3", "body": {**rating, "window": 6}},
            {"kind": "print", "id": "print-from-pad", "body": {"job_id": "x" * 8}},
        ]}).json()["results"]
        assert [r["status"] for r in results] == [201, 422, 403, 403]
    with hall.client(hall.clerk_token(5)) as clerk:
        followups = clerk.get("/followups").json()
    assert followups[0]["case_number"] == case["case_number"]
    assert followups[0]["due_date"] == "2026-11-27"  # 5 working days

    # The manager records the return visit; the rated clerk may not close their own 差评.
    rating_id = followups[0]["rating_id"]
    explained = {"outcome": "explained", "note": "已电话说明办理时限，申请人表示理解"}
    with hall.client(hall.clerk_token(5)) as clerk:
        assert clerk.post(f"/followups/{rating_id}/close", json=explained).status_code == 403
    with hall.client(hall.manager_token()) as manager:
        assert manager.post(f"/followups/{rating_id}/close", json={**explained, "note": "好"}).status_code == 422
        assert manager.post("/followups/rating-none-0001/close", json=explained).status_code == 404
        closed = manager.post(f"/followups/{rating_id}/close", json=explained)
        assert closed.status_code == 200, closed.text
        assert (closed.json()["status"], closed.json()["outcome_label"], closed.json()["closed_by"]) == (
            "done", "已解释说明", "8000")
        assert manager.post(f"/followups/{rating_id}/close", json=explained).json() == closed.json()  # again: same
        other = manager.post(f"/followups/{rating_id}/close", json={"outcome": "rectified", "note": "已整改流程"})
        assert other.status_code == 409 and "已解释说明" in other.json()["detail"]  # the first record stands
        assert manager.get("/followups", params={"open": "true"}).json() == []
        assert [f["status"] for f in manager.get("/followups").json()] == ["done"]
    audit = hall.platform.connection.execute("SELECT actor, detail FROM security_audit WHERE action = 'followup_closed'")
    assert [tuple(r) for r in audit] == [("8000", f"{rating_id} explained")]


def test_event_stream_resumes_without_loss_or_repeat(hall: Hall) -> None:
    token = hall.clerk_token(1)

    async def scenario() -> list[int]:
        display = PlatformClient(hall.url, token="demo-display-token")
        kiosk = PlatformClient(hall.url, token="demo-kiosk-token")
        clerk = PlatformClient(hall.url, token=token)
        seen: list[int] = []
        for _ in range(10):
            await kiosk.issue_ticket("A")
        stream = display.events(0)
        async for event in stream:  # read five events, then cut the connection
            seen.append(event.id)
            if len(seen) == 5:
                break
        await stream.aclose()
        await display.aclose()
        for _ in range(3):
            await clerk.window_action(1, "call-next")
            await clerk.window_action(1, "finish", {"case_numbers": []})
        display = PlatformClient(hall.url, token="demo-display-token")
        async for event in display.events(seen[-1]):
            seen.append(event.id)
            if len(seen) == 16:
                break
        for c in (display, kiosk, clerk):
            await c.aclose()
        return seen

    seen = asyncio.run(scenario())
    assert seen == list(range(1, 17))


def test_snapshot_for_first_paint(hall: Hall) -> None:
    with hall.kiosk() as k:
        k.post("/tickets", json={"service": "A"})
    with hall.client(hall.clerk_token(4)) as clerk:
        clerk.post("/windows/4/call-next")
    with hall.display() as d:
        snap = d.get("/display/snapshot").json()
    assert snap["recent_calls"][0]["ticket"] == "A001" and snap["recent_calls"][0]["window"] == 4
    assert snap["last_event_id"] == 2
    assert snap["waiting"]["A"] == 0
