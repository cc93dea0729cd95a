"""Appointments (预约): booked for a service and a half-hour slot up to the slot's
capacity, listed per day, cancelled before use, and checked in at the kiosk by their
code (POST /tickets with appointment_code), which gives the ticket the appointment's
priority. The code is random (a guessable code would be a queue-jumping ticket); the
applicant's contact is kept masked only (nothing here needs the full number)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.domain.masking import MaskPolicy

DEFAULT_CAPACITY = 4  # appointments per service and slot where the hall has set none
STATES = {"booked": "已预约", "cancelled": "已取消", "checked_in": "已取号"}


class AppointmentError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def capacity(connection: Connection, service: str, slot_start: str) -> int:
    row = connection.execute("SELECT capacity FROM appointment_slots WHERE service = ? AND slot_start = ?",
                             (service, slot_start)).fetchone()
    return int(row["capacity"]) if row else DEFAULT_CAPACITY


def set_capacity(connection: Connection, service: str, slot_start: datetime, slot_end: datetime,
                 seats: int) -> dict[str, Any]:
    with transaction(connection):
        connection.execute(
            "INSERT INTO appointment_slots (service, slot_start, slot_end, capacity) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (service, slot_start) DO UPDATE SET slot_end = excluded.slot_end,"
            " capacity = excluded.capacity", (service, slot_start.isoformat(), slot_end.isoformat(), seats))
    return {"service": service, "slot_start": slot_start.isoformat(), "capacity": seats}


def book(connection: Connection, service: str, slot_start: datetime, slot_end: datetime, name: str, phone: str,
         now: datetime) -> dict[str, Any]:
    if slot_end <= slot_start:
        raise AppointmentError(422, "时段结束须晚于开始")
    if slot_end <= now:
        raise AppointmentError(409, "该时段已过，不能预约")
    mask = MaskPolicy()
    with transaction(connection):  # the writer lock: two bookings never both take the last seat
        if not connection.execute("SELECT 1 FROM services WHERE code = ?", (service,)).fetchone():
            raise AppointmentError(404, f"没有业务类别 {service}")
        start = slot_start.isoformat()
        taken = connection.execute("SELECT COUNT(*) FROM appointments WHERE service = ? AND slot_start = ?"
                                   " AND state != 'cancelled'", (service, start)).fetchone()[0]
        seats = capacity(connection, service, start)
        if taken >= seats:
            raise AppointmentError(409, f"{slot_start:%m-%d %H:%M} 时段已约满（{seats} 个）")
        code = _new_code(connection)
        connection.execute(
            "INSERT INTO appointments (code, service, slot_start, slot_end, state, contact_masked, booked_at)"
            " VALUES (?, ?, ?, ?, 'booked', ?, ?)",
            (code, service, start, slot_end.isoformat(), f"{mask.name(name)} {mask.phone(phone)}".strip(),
             now.isoformat(timespec="seconds")))
        row = connection.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
    return public(row)


def _new_code(connection: Connection) -> str:
    while True:
        code = f"YY{secrets.randbelow(10**8):08d}"
        if not connection.execute("SELECT 1 FROM appointments WHERE code = ?", (code,)).fetchone():
            return code


def cancel(connection: Connection, code: str) -> dict[str, Any]:
    with transaction(connection):
        row = connection.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise AppointmentError(404, "没有这个预约码")
        if row["used"]:
            raise AppointmentError(409, "该预约已取号，不能取消")
        connection.execute("UPDATE appointments SET state = 'cancelled' WHERE code = ?", (code,))
        row = connection.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
    return public(row)


def day_list(connection: Connection, day: str, service: str = "") -> list[dict[str, Any]]:
    where, args = "substr(slot_start, 1, 10) = ?", [day]
    if service:
        where += " AND service = ?"
        args.append(service)
    rows = connection.execute(f"SELECT * FROM appointments WHERE {where} ORDER BY slot_start, code",  # noqa: S608
                              args).fetchall()
    return [public(r) for r in rows]


def public(row: Any) -> dict[str, Any]:
    state = "checked_in" if row["used"] else row["state"]
    return {"code": row["code"], "service": row["service"], "slot_start": row["slot_start"],
            "slot_end": row["slot_end"], "state": state, "state_label": STATES[state],
            "contact": row["contact_masked"]}
