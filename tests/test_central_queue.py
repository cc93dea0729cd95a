from __future__ import annotations

from tests.conftest import Hall

BOTH_DATABASES = True  # each platform test runs on SQLite and on PostgreSQL


def issue(hall: Hall, service: str = "A", **extra: str) -> dict:
    with hall.kiosk() as k:
        r = k.post("/tickets", json={"service": service, **extra})
        assert r.status_code == 201, r.text
        return r.json()


def test_roles_are_checked(hall: Hall) -> None:
    with hall.client() as anonymous:
        assert anonymous.post("/windows/1/call-next").status_code == 401
        assert anonymous.post("/auth/login", json={"clerk": "1001", "password": "x", "window": 1}).status_code == 401
    with hall.display() as display:
        assert display.post("/windows/1/call-next").status_code == 403
        assert display.get("/display/snapshot").status_code == 200
        assert display.post("/tickets", json={"service": "A"}).status_code == 403
    with hall.kiosk() as kiosk:
        assert kiosk.get("/registry/person/11010519491231002X", params={"case_id": "x" * 10}).status_code == 403
        assert kiosk.get("/display/snapshot").status_code == 403
    token = hall.clerk_token(1)
    with hall.client(token) as clerk:
        assert clerk.post("/windows/2/call-next").status_code == 403  # not this clerk's window
        assert clerk.post("/tickets", json={"service": "A"}).status_code == 403


def test_numbering_and_longest_waiting(hall: Hall) -> None:
    first = issue(hall)
    hall.clock.advance(minutes=23)
    second = issue(hall)
    assert (first["label"], second["label"]) == ("A001", "A002")
    assert second["ahead"] == 1
    with hall.client(hall.clerk_token(1)) as clerk:
        r = clerk.post("/windows/1/call-next").json()["ticket"]
        assert r["label"] == "A001" and r["reason"] == "等待最久 23 分钟"
        # The window is busy until the ticket is finished, no-showed or transferred.
        busy = clerk.post("/windows/1/call-next")
        assert busy.status_code == 409 and "尚未办结" in busy.json()["detail"]
        assert clerk.post("/windows/1/finish", json={"case_numbers": ["x"]}).json()["ticket"]["status"] == "done"


def test_green_channel_first_with_ratio_cap(hall: Hall) -> None:
    for _ in range(3):
        issue(hall)
    for _ in range(3):
        issue(hall, priority="green", priority_kind="老年人")
    with hall.client(hall.clerk_token(1)) as clerk:
        order = []
        for _ in range(6):
            t = clerk.post("/windows/1/call-next").json()["ticket"]
            order.append((t["label"], t["reason"][:6]))
            clerk.post("/windows/1/finish", json={})
    labels = [label for label, _ in order]
    # Two green, then a normal by the ratio cap, then the third green, then normals.
    assert labels == ["A004", "A005", "A001", "A006", "A002", "A003"]
    assert order[0][1] == "绿色通道优先"
    assert order[2][1].startswith("按比例")


def test_appointment_in_its_slot(hall: Hall) -> None:
    issue(hall)
    hall.clock.advance(minutes=25)  # 09:25: the 09:30 slot opens 10 minutes early
    code = f"YY{hall.clock.now():%m%d}01"
    appointment = issue(hall, appointment_code=code)
    assert appointment["priority"] == "appointment"
    with hall.kiosk() as k:
        assert k.post("/tickets", json={"service": "A", "appointment_code": code}).status_code == 409
        assert k.post("/tickets", json={"service": "A", "appointment_code": "NOPE"}).status_code == 404
    with hall.client(hall.clerk_token(1)) as clerk:
        t = clerk.post("/windows/1/call-next").json()["ticket"]
        assert t["label"] == appointment["label"] and t["reason"] == "预约 09:30 时段"


def test_recall_limit_noshow_requeue_then_cancel(hall: Hall) -> None:
    labels = [issue(hall)["label"] for _ in range(6)]
    with hall.client(hall.clerk_token(1)) as clerk:
        clerk.post("/windows/1/call-next")
        for n in range(1, 4):
            assert clerk.post("/windows/1/recall").json()["ticket"]["recalls"] == n
        assert clerk.post("/windows/1/recall").status_code == 409
        r = clerk.post("/windows/1/no-show").json()["ticket"]
        assert r["outcome"] == "requeued" and r["status"] == "waiting"
        # Back after K=3 tickets: A002, A003, A004, then A001 again.
        seen = []
        for _ in range(4):
            t = clerk.post("/windows/1/call-next").json()["ticket"]
            seen.append(t["label"])
            if t["label"] == "A001":
                assert clerk.post("/windows/1/no-show").json()["ticket"]["outcome"] == "cancelled"
            else:
                clerk.post("/windows/1/finish", json={})
        assert seen == labels[1:4] + ["A001"]
    with hall.kiosk() as k:
        assert k.get("/tickets/A001/position").json()["status"] == "cancelled"


def test_transfer_keeps_arrival_and_pins_window(hall: Hall) -> None:
    first = issue(hall)
    hall.clock.advance(minutes=5)
    issue(hall, service="B")
    with hall.client(hall.clerk_token(1)) as clerk:
        clerk.post("/windows/1/call-next")
        moved = clerk.post("/windows/1/transfer", json={"to_service": "B", "to_window": 6}).json()["ticket"]
        assert moved["service"] == "B" and moved["issued_at"] == first["issued_at"]
        assert clerk.post("/windows/1/transfer", json={}).status_code in (400, 409)
    with hall.client(hall.clerk_token(2)) as other:
        # Window 2 serves B but the ticket is pinned to window 6: it gets B001 instead.
        assert other.post("/windows/2/call-next").json()["ticket"]["label"] == "B001"
    with hall.client(hall.clerk_token(6)) as six:
        t = six.post("/windows/6/call-next").json()["ticket"]
        assert t["label"] == "A001" and t["reason"].startswith("转至本窗口")


def test_pause_and_resume(hall: Hall) -> None:
    issue(hall)
    with hall.client(hall.clerk_token(3)) as clerk:
        assert clerk.post("/windows/3/pause").json()["paused"] is True
        r = clerk.post("/windows/3/call-next")
        assert r.status_code == 409 and "暂停" in r.json()["detail"]
        clerk.post("/windows/3/resume")
        assert clerk.post("/windows/3/call-next").json()["ticket"]["label"] == "A001"
        assert clerk.post("/windows/3/pause").status_code == 409  # a ticket is open


def test_call_given_number_and_numbering_restarts_at_midnight(hall: Hall) -> None:
    for _ in range(3):
        issue(hall)
    with hall.client(hall.clerk_token(1)) as clerk:
        assert clerk.post("/windows/1/call", json={"label": "a003"}).json()["ticket"]["label"] == "A003"
        clerk.post("/windows/1/finish", json={})
        assert clerk.post("/windows/1/call", json={"label": "A003"}).status_code == 409
        assert clerk.post("/windows/1/call", json={"label": "A099"}).status_code == 404
    hall.clock.at = hall.clock.at.replace(hour=23, minute=59, second=59)
    assert issue(hall)["label"] == "A004"
    hall.clock.advance(seconds=2)
    assert issue(hall)["label"] == "A001"


def test_statistics(hall: Hall) -> None:
    issue(hall)
    issue(hall)
    with hall.client(hall.clerk_token(1)) as clerk:
        hall.clock.advance(minutes=10)
        clerk.post("/windows/1/call-next")
        clerk.post("/windows/1/start")
        hall.clock.advance(minutes=6)
        clerk.post("/windows/1/finish", json={})
        clerk.post("/windows/1/call-next")
        clerk.post("/windows/1/no-show")
        stats = clerk.get("/stats").json()
    assert stats["total"]["issued"] == 2 and stats["total"]["served"] == 1 and stats["total"]["no_shows"] == 1
    assert stats["by_window"][0]["wait_mean_min"] == 10.0
    assert stats["by_window"][0]["handle_mean_min"] == 6.0
    assert stats["by_service"][0]["name"] == "一件事综合受理"


def test_openapi_served(hall: Hall) -> None:
    import httpx

    spec = httpx.get(hall.url + "/openapi.json").json()
    assert all(path.startswith(("/api/v1", "/p/", "/q/")) for path in spec["paths"])
    assert "/api/v1/windows/{window}/call-next" in spec["paths"]
