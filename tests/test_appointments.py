"""Appointments on the real platform (both databases): a slot takes as many as its
capacity, codes are random, a cancelled seat is free again, the kiosk checks in by code
(the ticket gets the appointment's priority), and a cancelled or used code is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import Hall

BOTH_DATABASES = True
SLOT = {"service": "B", "slot_start": "2026-11-20T10:00:00+08:00", "slot_end": "2026-11-20T10:30:00+08:00"}  # (the demo seeds A's slots)


def _booking(n: int) -> dict[str, Any]:
    return {**SLOT, "name": f"申请人{n}", "phone": f"1391234{n:04d}"}


def test_a_slot_takes_its_capacity_and_the_kiosk_checks_in_by_code(make_hall: Any) -> None:
    hall: Hall = make_hall(windows=6, persons=300)
    with hall.client(hall.manager_token()) as manager, hall.kiosk() as kiosk:
        assert manager.put("/appointment-slots", json={**SLOT, "capacity": 2}).status_code == 200
        first = manager.post("/appointments", json=_booking(1))
        assert first.status_code == 201, first.text
        second = manager.post("/appointments", json=_booking(2)).json()
        full = manager.post("/appointments", json=_booking(3))
        assert full.status_code == 409 and "约满（2 个）" in full.json()["detail"]
        codes = {first.json()["code"], second["code"]}
        assert len(codes) == 2 and all(len(c) == 10 and c.startswith("YY") for c in codes)
        assert first.json()["contact"] == "申**1 139****0001"  # masked: the full number is not kept

        assert manager.post(f"/appointments/{second['code']}/cancel").json()["state_label"] == "已取消"
        again = manager.post("/appointments", json=_booking(4))
        assert again.status_code == 201  # the cancelled seat is free again

        refused = kiosk.post("/tickets", json={"service": "B", "appointment_code": second["code"]})
        assert refused.status_code == 409 and "已取消" in refused.json()["detail"]
        ticket = kiosk.post("/tickets", json={"service": "B", "appointment_code": first.json()["code"]})
        assert ticket.status_code == 201 and ticket.json()["priority"] == "appointment"
        twice = kiosk.post("/tickets", json={"service": "B", "appointment_code": first.json()["code"]})
        assert twice.status_code == 409
        assert manager.post(f"/appointments/{first.json()['code']}/cancel").status_code == 409  # already used

        listed = {a["code"]: a for a in manager.get("/appointments", params={"day": "2026-11-20", "service": "B"}).json()}
        assert listed[first.json()["code"]]["state_label"] == "已取号"
        assert listed[second["code"]]["state"] == "cancelled" and listed[again.json()["code"]]["state"] == "booked"
        assert all("1391234" not in a["contact"] for a in listed.values())
        past = manager.post("/appointments", json={**_booking(5), "slot_start": "2026-11-20T08:00:00+08:00",
                                                   "slot_end": "2026-11-20T08:30:00+08:00"})
        assert past.status_code == 409


def test_the_last_seat_goes_to_one_of_two_at_once(make_hall: Any) -> None:
    hall: Hall = make_hall(windows=6, persons=300)
    token = hall.manager_token()
    with hall.client(token) as manager:
        manager.put("/appointment-slots", json={**SLOT, "capacity": 1}).raise_for_status()

    def book(n: int) -> int:
        with hall.client(token) as c:
            return c.post("/appointments", json=_booking(n)).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(book, range(8)))
    assert statuses == [201] + [409] * 7
