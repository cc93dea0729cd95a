"""Each caller does only its own job: route × caller against the real platform, window
binding, ratings, lookup purposes, hostile input, enumeration, device tokens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.casefactory import newborn_case
from tests.conftest import Hall
from window_tui.central.auth import add_clerk, add_device, revoke_device
from window_tui.central.db import transaction

BOTH_DATABASES = True  # each platform test runs on SQLite and on PostgreSQL

CALLERS = ("anon", "garbage", "display", "kiosk", "rater5", "clerk5", "clerk6", "supervisor", "admin", "backoffice")
AUTHED = set(CALLERS) - {"anon", "garbage"}
PUBLIC = set(CALLERS)
CLERKS = {"clerk5", "clerk6", "supervisor", "admin"}
WINDOW5 = {"clerk5", "admin"}
ACTIONS = ("call-next", "call", "recall", "no-show", "start", "finish", "transfer", "pause", "resume", "case-numbers")
OPENED = "case-opened-at-5"


def route_table(case: dict) -> dict[tuple[str, str], tuple[str, dict | None, set[str]]]:
    """(method, OpenAPI path) → (concrete path, body, callers allowed). Every route must be here."""
    rating = {"case_number": case["case_number"], "window": 5, "level": "满意", "indicators": {},
              "rated_at": "2026-11-20T09:30:00+08:00"}
    table: dict[tuple[str, str], tuple[str, dict | None, set[str]]] = {
        ("GET", "/api/v1/health"): ("/api/v1/health", None, PUBLIC),
        ("POST", "/api/v1/auth/login"): ("/api/v1/auth/login", {"clerk": "1008", "password": "demo1008"}, PUBLIC),
        ("POST", "/api/v1/windows/{window}/release"): ("/api/v1/windows/7/release", None, {"supervisor", "admin"}),
        ("GET", "/api/v1/services"): ("/api/v1/services", None, AUTHED),
        ("GET", "/api/v1/windows"): ("/api/v1/windows", None, CLERKS),
        ("POST", "/api/v1/tickets"): ("/api/v1/tickets", {"service": "A"}, {"kiosk", "admin"}),
        ("GET", "/api/v1/tickets/{label}/position"): ("/api/v1/tickets/A001/position", None, PUBLIC),
        ("GET", "/api/v1/windows/{window}/state"): ("/api/v1/windows/5/state", None, WINDOW5),
        ("GET", "/api/v1/windows/{window}/last-finished"): ("/api/v1/windows/5/last-finished", None,
                                                             {"rater5", "clerk5", "admin"}),
        ("GET", "/q/{label}"): ("/q/A001", None, PUBLIC),
        ("GET", "/api/v1/display/snapshot"): ("/api/v1/display/snapshot", None, {"display"} | CLERKS),
        ("GET", "/api/v1/events/stream"): ("/api/v1/events/stream", None, {"display"} | CLERKS),
        ("POST", "/api/v1/cases/{case_id}/open"): (f"/api/v1/cases/{OPENED}-x/open", {"bundle": "newborn"},
                                                   {"clerk5"}),  # then clerk6: opened at another window
        ("GET", "/api/v1/registry/{registry}/{key}"): (f"/api/v1/registry/person/X?case_id={OPENED}", None,
                                                        {"clerk5", "admin"}),
        ("GET", "/api/v1/catalog"): ("/api/v1/catalog", None, AUTHED),
        ("PUT", "/api/v1/cases/{case_id}"): (f"/api/v1/cases/{case['case_id']}", case, WINDOW5),
        ("GET", "/api/v1/cases/{case_id}"): (f"/api/v1/cases/{case['case_id']}", None,
                                             {"clerk5", "supervisor", "admin"}),
        ("PUT", "/api/v1/records/{kind}/{record_id}"): ("/api/v1/records/rating/rating-table-1", rating, {"rater5"}),
        ("POST", "/api/v1/sync/batch"): ("/api/v1/sync/batch", {"items": []},
                                         {"clerk5", "clerk6", "supervisor", "rater5", "admin"}),
        ("GET", "/api/v1/progress/{case_number}"): (f"/api/v1/progress/{case['case_number']}?c=WRONGCODE", None,
                                                    PUBLIC),
        ("GET", "/p/{case_number}"): (f"/p/{case['case_number']}", None, PUBLIC),
        ("GET", "/api/v1/stats"): ("/api/v1/stats", None, CLERKS),
        ("GET", "/api/v1/followups"): ("/api/v1/followups", None, CLERKS),
        ("POST", "/api/v1/followups/{rating_id}/close"): ("/api/v1/followups/rating-none-0001/close",
                                                          {"outcome": "explained", "note": "已电话说明"},
                                                          {"supervisor", "admin"}),
        ("GET", "/api/v1/overview"): ("/api/v1/overview", None, {"supervisor", "admin"}),
        ("GET", "/api/v1/audit"): ("/api/v1/audit", None, {"admin"}),
        ("PUT", "/api/v1/cases/{case_id}/matters/{matter}/result"): (
            f"/api/v1/cases/{case['case_id']}/matters/{case['matters'][0]['code']}/result",
            {"outcome": "completed", "decided_at": "2026-11-21T15:00:00+08:00"}, {"backoffice", "admin"}),
        ("GET", "/api/v1/reports"): ("/api/v1/reports", None, CLERKS),
        ("POST", "/api/v1/reports/{report_id}/state"): ("/api/v1/reports/report-none-0001/state",
                                                        {"state": "transferred"}, CLERKS),
        ("GET", "/api/v1/handover/{case_number}"): (f"/api/v1/handover/{case['case_number']}", None, CLERKS),
        ("GET", "/api/v1/cases/{case_id}/state"): (f"/api/v1/cases/{case['case_id']}/state", None,
                                                   {"clerk5", "clerk6", "supervisor", "backoffice", "admin"}),
    }
    bodies = {"call": {"label": "A001"}, "finish": {"case_numbers": []}, "transfer": {"to_service": "B"},
              "case-numbers": {"days": 1, "size": 1}}
    for action in ACTIONS:
        managed = {"supervisor"} if action in ("pause", "resume") else set()  # the hall's manager opens and pauses
        table[("POST", f"/api/v1/windows/{{window}}/{action}")] = (f"/api/v1/windows/5/{action}",
                                                                  bodies.get(action, {}), WINDOW5 | managed)
    table[("POST", "/api/v1/windows/{window}/message")] = ("/api/v1/windows/5/message", {"text": "请到值班台"},
                                                           {"supervisor", "admin"})
    slot = {"service": "B", "slot_start": "2026-11-20T15:00:00+08:00", "slot_end": "2026-11-20T15:30:00+08:00"}
    managers = {"supervisor", "admin"}
    table[("POST", "/api/v1/appointments")] = ("/api/v1/appointments",
                                               {**slot, "name": "王五", "phone": "13900000000"}, managers)
    table[("GET", "/api/v1/appointments")] = ("/api/v1/appointments", None, CLERKS)
    table[("POST", "/api/v1/appointments/{code}/cancel")] = ("/api/v1/appointments/YY00000000/cancel", None, managers)
    table[("PUT", "/api/v1/appointment-slots")] = ("/api/v1/appointment-slots", {**slot, "capacity": 50}, managers)
    table[("POST", "/api/v1/services/{service}/move")] = ("/api/v1/services/A/move", {"to_service": "B", "count": 2},
                                                          {"supervisor", "admin"})
    return table


@pytest.fixture
def tokens(hall: Hall) -> dict[str, str]:
    with transaction(hall.platform.connection):
        backoffice = add_device(hall.platform.connection, "backoffice", "审批系统", hall.clock.now())
    with hall.client() as c:
        admin = c.post("/auth/login", json={"clerk": "9000", "password": "demo9000"}).json()["token"]
    return {"anon": "", "garbage": "not-a-token", "display": "demo-display-token", "kiosk": "demo-kiosk-token",
            "rater5": "demo-rater-token", "clerk5": hall.clerk_token(5), "clerk6": hall.clerk_token(6),
            "supervisor": hall.manager_token(), "admin": admin, "backoffice": backoffice}


def test_every_route_answers_each_caller_as_its_role_allows(hall: Hall, tokens: dict[str, str]) -> None:
    case = newborn_case(77)
    with hall.kiosk() as kiosk:
        kiosk.post("/tickets", json={"service": "A"})
    with hall.client(tokens["clerk5"]) as clerk:
        clerk.post("/windows/5/call-next")
        clerk.post("/windows/5/finish", json={"case_numbers": [case["case_number"]]})
        clerk.post(f"/cases/{OPENED}/open", json={"bundle": "newborn"})
        assert clerk.put(f"/cases/{case['case_id']}", json=case).status_code == 201
    table = route_table(case)
    with hall.client() as c:
        spec = c.get(hall.url + "/openapi.json").json()
    routes = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert routes == set(table), f"routes without an access entry: {routes - set(table)}"
    failures = []
    for (method, _), (path, body, allowed) in sorted(table.items()):
        for caller in CALLERS:
            status = _call(hall, method, path, body, tokens[caller])
            if caller in allowed:
                ok = status not in (401, 403) and status < 500
            elif caller in ("anon", "garbage"):
                ok = status == 401
            else:
                ok = status == 403
            if not ok:
                failures.append(f"{method} {path} as {caller}: {status}")
    assert failures == []


def _call(hall: Hall, method: str, path: str, body: dict | None, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=hall.url, headers=headers, timeout=10) as c:
        if path.endswith("/events/stream"):
            with c.stream("GET", path) as response:
                return response.status_code
        return c.request(method, path, json=body).status_code


def test_a_window_has_one_holder_and_a_supervisor_releases_it(hall: Hall, tokens: dict[str, str]) -> None:
    with hall.client() as c:
        taken = c.post("/auth/login", json={"clerk": "1006", "password": "demo1006", "window": 5, "device": "pc-b"})
        assert taken.status_code == 409 and "1005" in taken.json()["detail"]  # says who holds it
        with hall.client(tokens["clerk6"]) as other:
            assert other.post("/windows/5/finish", json={}).status_code == 403
        with hall.client(tokens["supervisor"]) as supervisor:
            assert supervisor.post("/windows/5/release").json()["sessions_ended"] >= 1
        assert c.post("/auth/login", json={"clerk": "1006", "password": "demo1006", "window": 5,
                                           "device": "pc-b"}).status_code == 200
    with hall.client(tokens["clerk5"]) as old:
        assert old.get("/windows/5/state").status_code == 401  # the released session has ended


def test_clerks_limited_to_assigned_windows(hall: Hall) -> None:
    with transaction(hall.platform.connection):
        add_clerk(hall.platform.connection, "1007", "周敏", "demo1007", windows=[7])
    with hall.client() as c:
        refused = c.post("/auth/login", json={"clerk": "1007", "password": "demo1007", "window": 3})
        assert refused.status_code == 403 and "未被分配" in refused.json()["detail"]
        assert c.post("/auth/login", json={"clerk": "1007", "password": "demo1007", "window": 7}).status_code == 200


def test_case_attribution_comes_from_the_token(hall: Hall, tokens: dict[str, str]) -> None:
    forged = newborn_case(41)  # says window 5, clerk 1005
    with hall.client(tokens["clerk6"]) as clerk6:
        r = clerk6.put(f"/cases/{forged['case_id']}", json=forged)
        assert r.status_code == 403 and "窗口" in r.json()["detail"]
    with hall.client(tokens["clerk5"]) as clerk5:
        other_clerk = {**newborn_case(42), "clerk": "1006"}
        r = clerk5.put(f"/cases/{other_clerk['case_id']}", json=other_clerk)
        assert r.status_code == 403 and "受理人" in r.json()["detail"]


def test_lookups_need_an_opened_case_and_are_rate_limited(hall: Hall, tokens: dict[str, str]) -> None:
    person = hall.samples["newborn"][0]
    with hall.client(tokens["clerk5"]) as clerk:
        guessed = [clerk.get(f"/registry/person/{person}", params={"case_id": f"made-up-case-{i:04d}"}).status_code
                   for i in range(31)]
        assert set(guessed) == {403}  # 0 of 31 made-up case ids find anyone
        clerk.post("/cases/case-for-limit-1/open", json={"bundle": "newborn"})
        statuses = [clerk.get(f"/registry/person/{person}", params={"case_id": "case-for-limit-1"}).status_code
                    for _ in range(130)]
    assert statuses.count(200) == 120 and statuses[-1] == 429  # 120 a minute per clerk


def test_hostile_input_is_a_4xx_in_chinese_never_a_500(hall: Hall, tokens: dict[str, str]) -> None:
    probes = [
        ("POST", "/api/v1/windows/99999999999999999999999/call-next", {}),
        ("POST", "/api/v1/windows/-3/call-next", {}),
        ("POST", "/api/v1/tickets", {"service": "A", "priority": ["normal"]}),
        ("POST", "/api/v1/auth/login", {"clerk": "1005", "password": "x", "window": float("nan")}),
        ("POST", "/api/v1/auth/login", {"clerk": "\ud800", "password": "x"}),
        ("POST", "/api/v1/windows/5/finish", {"case_numbers": ["\ud800" * 3]}),
        ("POST", "/api/v1/windows/5/case-numbers", {"days": 2**70}),
        ("PUT", "/api/v1/cases/abcdefgh12345678", {**newborn_case(50), "case_number": ""}),
        ("PUT", "/api/v1/cases/abcdefgh12345679", {**newborn_case(51), "accepted_at": "0001-01-01T00:00:00+08:00"}),
        ("PUT", "/api/v1/cases/abcdefgh12345670", {**newborn_case(52), "window": -5}),
        ("PUT", "/api/v1/records/rating/rating-xyz-123", {"case_number": "x", "window": 5, "level": "满意",
                                                          "rated_at": "garbage"}),
        ("POST", "/api/v1/sync/batch", "DEEP"),
        ("POST", "/api/v1/sync/batch", {"items": [{"kind": "case", "id": "short", "body": []}]}),
    ]
    with hall.client(tokens["clerk5"]) as clerk:
        for method, path, body in probes:
            if body == "DEEP":
                content = ('{"items": ' + "[" * 1200 + '"x"' + "]" * 1200 + "}").encode()
            else:
                content = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
            r = clerk.request(method, path.removeprefix("/api/v1"), content=content,
                              headers={"Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
            assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"]), (path, r.text[:200])
        big = {**newborn_case(53), "padding": "x" * 300_000}
        r = clerk.put(f"/cases/{big['case_id']}", json=big)
        assert r.status_code == 413 and "过大" in r.json()["detail"]
        r = clerk.post("/windows/5/call", json={"label": "A" * 5000})
        assert r.status_code == 413


def test_progress_needs_the_check_code_so_numbers_cannot_be_enumerated(hall: Hall, tokens: dict[str, str]) -> None:
    cases = [newborn_case(i) for i in range(60, 65)]
    with hall.client(tokens["clerk5"]) as clerk:
        for case in cases:
            assert clerk.put(f"/cases/{case['case_id']}", json=case).status_code == 201
    found = 0
    with httpx.Client(base_url=hall.url, timeout=10) as anyone:
        for case in cases:
            found += anyone.get(f"/api/v1/progress/{case['case_number']}", params={"c": "AAAAAAAAAA"}).status_code == 200
        assert found == 0
        ok = anyone.get(f"/api/v1/progress/{cases[0]['case_number']}", params={"c": cases[0]["check_code"]})
        assert ok.status_code == 200 and "bundle_name" in ok.json()
        statuses = [anyone.get(f"/p/370800-20261120-05-{n:04d}", params={"c": "X"}).status_code for n in range(40)]
    assert 429 in statuses  # and guessing is rate-limited


def test_the_display_stream_carries_tickets_not_case_numbers(hall: Hall, tokens: dict[str, str]) -> None:
    with hall.kiosk() as kiosk:
        kiosk.post("/tickets", json={"service": "A"})
    with hall.client(tokens["clerk5"]) as clerk:
        clerk.post("/windows/5/call-next")
        clerk.post("/windows/5/finish", json={"case_numbers": ["370800-20261120-05-0001"]})
    lines = []
    with httpx.Client(base_url=hall.url, timeout=5, headers={"Authorization": "Bearer demo-display-token"}) as c, \
            c.stream("GET", "/api/v1/events/stream") as response:
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("event: finished"):
                break
    assert "370800-20261120-05-0001" not in "\n".join(lines)


def test_device_tokens_expire_rotate_and_are_revoked(hall: Hall) -> None:
    from datetime import timedelta

    from window_tui.central.auth import rotate_device

    now = hall.clock.now()
    with transaction(hall.platform.connection):
        short = add_device(hall.platform.connection, "display", "大厅副屏", now - timedelta(days=2), days=1)
        pad = add_device(hall.platform.connection, "display", "走廊屏", now)
    with hall.client(short) as c:
        r = c.get("/display/snapshot")
        assert r.status_code == 401 and "过期" in r.json()["detail"]
    with transaction(hall.platform.connection):
        fresh = rotate_device(hall.platform.connection, "走廊屏", now)
    with hall.client(pad) as c:
        assert c.get("/display/snapshot").status_code == 401  # the old token stopped at once
    with hall.client(fresh) as c:
        assert c.get("/display/snapshot").status_code == 200
    with transaction(hall.platform.connection):
        revoke_device(hall.platform.connection, "走廊屏", now)
    with hall.client(fresh) as c:
        r = c.get("/display/snapshot")
        assert r.status_code == 401 and "停用" in r.json()["detail"]


def test_wrong_passwords_lock_the_clerk_until_an_admin_unlocks(hall: Hall, tmp_path: Path) -> None:
    import subprocess
    import sys

    hall.platform.login_tarpit = 0.0
    statuses = []
    with hall.client() as c:
        for _ in range(12):
            statuses.append(c.post("/auth/login", json={"clerk": "1003", "password": "wrong"}).status_code)
            hall.clock.advance(minutes=20)  # past every growing delay: each try counts
        assert statuses[:5] == [401] * 5 and statuses[-1] == 423
        locked = c.post("/auth/login", json={"clerk": "1003", "password": "demo1003"})
        assert locked.status_code in (423, 429)  # the right password does not get through a lock
    hall.server.stop()
    out = subprocess.run([sys.executable, "-m", "window_tui.cli", "admin", "--db", hall.db, "unlock", "1003"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "已解锁" in out.stdout
    hall.server.start()
    with transaction(hall.platform.connection):  # the address's own delay is separate from the clerk's lock
        hall.platform.connection.execute("DELETE FROM login_failures WHERE key LIKE 'addr:%'")
    with hall.client() as c:
        assert c.post("/auth/login", json={"clerk": "1003", "password": "demo1003"}).status_code == 200
    failures = hall.platform.connection.execute(
        "SELECT COUNT(*) FROM security_audit WHERE action = 'login_failed' AND actor = '1003'").fetchone()[0]
    assert failures >= 5
