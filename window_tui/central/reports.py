"""办不成事: what the hall could not do for an applicant, reported at any window and
handled by the hall's 办不成事 反映窗口. Each report gets a number and a deadline in
working days, follows 受理 → 转办 → 办结 → 回访 (the closed loop of the 12345 hotline's
work orders: 国办发〔2020〕53号 asks for 受理、办理、办结、回访), and is sent to the
12345 hotline as a work order through the platform's outbox (delivered once, by its
Idempotency-Key). The applicant's contact goes to 12345 and nowhere else: it is stored
sealed (central.seal) with a masked copy that every list shows."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from window_tui.central import notify
from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.central.seal import Sealer
from window_tui.domain.case import content_hash
from window_tui.domain.masking import MaskPolicy
from window_tui.domain.workdays import WorkCalendar

STATES = {"accepted": "受理", "transferred": "转办", "closed": "办结", "visited": "回访"}
NEXT = {"accepted": ("transferred", "closed"), "transferred": ("closed",), "closed": ("visited",), "visited": ()}
OPEN = ("accepted", "transferred")


class ReportError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def put_report(connection: Connection, report_id: str, body: dict[str, Any], now: datetime,
               calendar: WorkCalendar, workdays: int, hall_name: str, sealer: Sealer) -> tuple[int, dict[str, Any]]:
    """Idempotent by the counter's id: the same report again is a 200 with its number."""
    digest = content_hash(body)
    with transaction(connection):
        stored = connection.execute("SELECT * FROM reports WHERE report_id = ?", (report_id,)).fetchone()
        if stored is not None:
            if stored["content_hash"] != digest:
                raise ReportError(409, "同一反映记录的内容不同")
            # The counter's outbox acknowledges a record by its receipt id (here the report's
            # number, which the counter then prints) and content hash.
            return 200, {**public(stored, now.date()), "replay": True, "receipt_id": stored["report_number"],
                         "content_hash": digest}
        raised = datetime.fromisoformat(body["raised_at"])
        day = raised.date()
        row = connection.execute("SELECT next_seq FROM report_numbers WHERE day = ?", (day.isoformat(),)).fetchone()
        seq = row["next_seq"] if row else 1
        connection.execute("INSERT INTO report_numbers (day, next_seq) VALUES (?, ?)"
                           " ON CONFLICT (day) DO UPDATE SET next_seq = excluded.next_seq", (day.isoformat(), seq + 1))
        number = f"BB{day:%Y%m%d}{seq:04d}"
        deadline = calendar.add_workdays(day, workdays).date.isoformat()
        connection.execute(
            "INSERT INTO reports (report_id, report_number, category, wanted, contact_name, contact_phone,"
            " contact_masked, ticket, case_number, window, clerk, raised_at, deadline, state, closure_note,"
            " updated_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', '', ?, ?)",
            (report_id, number, body["category"], body["wanted"], sealer.seal(body["contact_name"]),
             sealer.seal(body["contact_phone"]),
             f"{MaskPolicy().name(body['contact_name'])} {MaskPolicy().phone(body['contact_phone'])}",
             body.get("ticket", ""), body.get("case_number", ""), body["window"], body["clerk"], body["raised_at"],
             deadline, now.isoformat(timespec="seconds"), digest))
        order = {"order_id": number, "source": f"{hall_name} 办不成事反映窗口", "category": body["category"],
                 "content": body["wanted"], "contact": {"name": body["contact_name"], "phone": body["contact_phone"]},
                 "raised_at": body["raised_at"], "deadline": deadline, "window": body["window"],
                 "ticket": body.get("ticket", ""), "case_number": body.get("case_number", "")}
        notify.enqueue(connection, report_id, "work_order", "12345", json.dumps(order, ensure_ascii=False), now,
                       sealer=sealer, channel="hotline")
        # The applicant learns the number even when the counter was offline at the time.
        notify.enqueue(connection, report_id, "report_number", body["contact_phone"],
                       f"【{hall_name}】{MaskPolicy().name(body['contact_name'])}，您反映的问题已登记，编号 {number}，"
                       f"答复期限 {deadline}，可拨打 12345 查询。", now, sealer=sealer)
        stored = connection.execute("SELECT * FROM reports WHERE report_id = ?", (report_id,)).fetchone()
    return 201, {**public(stored, now.date()), "replay": False, "receipt_id": number, "content_hash": digest}


def public(row: Any, today: date) -> dict[str, Any]:
    """A report as the hall sees it: the contact masked (the sealed one is never opened here)."""
    return {"report_id": row["report_id"], "report_number": row["report_number"], "category": row["category"],
            "wanted": row["wanted"], "contact": row["contact_masked"],
            "ticket": row["ticket"], "case_number": row["case_number"], "window": row["window"],
            "clerk": row["clerk"], "raised_at": row["raised_at"], "deadline": row["deadline"],
            "state": row["state"], "state_label": STATES[row["state"]], "closure_note": row["closure_note"],
            "overdue": row["state"] in OPEN and row["deadline"] < today.isoformat()}


def list_reports(connection: Connection, today: date, *, open_only: bool) -> list[dict[str, Any]]:
    where = " WHERE state IN ('accepted', 'transferred')" if open_only else ""
    rows = connection.execute(f"SELECT * FROM reports{where} ORDER BY deadline, report_number").fetchall()
    return [public(r, today) for r in rows]


def change_state(connection: Connection, report_id: str, state: str, note: str, now: datetime) -> dict[str, Any]:
    with transaction(connection):
        row = connection.execute("SELECT * FROM reports WHERE report_id = ?", (report_id,)).fetchone()
        if row is None:
            raise ReportError(404, "没有这条反映记录")
        if row["state"] == state:
            return public(row, now.date())  # the same step again: nothing changes
        if state not in NEXT[row["state"]]:
            raise ReportError(409, f"“{STATES[row['state']]}”之后不能直接“{STATES[state]}”")
        if state == "closed" and not note.strip():
            raise ReportError(422, "办结须写明办理结果")
        connection.execute("UPDATE reports SET state = ?, closure_note = CASE WHEN ? = '' THEN closure_note ELSE ?"
                           " END, updated_at = ? WHERE report_id = ?",
                           (state, note.strip(), note.strip(), now.isoformat(timespec="seconds"), report_id))
        row = connection.execute("SELECT * FROM reports WHERE report_id = ?", (report_id,)).fetchone()
    return public(row, now.date())


def period_figures(connection: Connection, first: str, last: str) -> dict[str, int]:
    """办不成事 over days first..last: how many were raised, and how many are still open past
    their deadline on the last day."""
    raised = connection.execute("SELECT COUNT(*) FROM reports WHERE substr(raised_at, 1, 10) >= ?"
                                " AND substr(raised_at, 1, 10) <= ?", (first, last)).fetchone()[0]
    overdue = connection.execute("SELECT COUNT(*) FROM reports WHERE state IN ('accepted', 'transferred')"
                                 " AND deadline < ?", (last,)).fetchone()[0]
    return {"raised": raised, "overdue": overdue}
