"""The hall as its manager sees it at one moment: for each service how many wait and
for how long the first of them has waited; for each window whether it is closed (no
clerk logged in), idle, calling or serving which ticket since when, or paused; and the
day's totals. A handful of indexed reads: the manager's screen asks again on every
event of the hall."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from window_tui.central.auth import live_holders
from window_tui.central.dialect import Connection
from window_tui.central.queue import Queue

WINDOW_STATES = {"closed": "未登录", "idle": "空闲", "called": "叫号中", "serving": "办理中", "paused": "暂停"}


def _seconds_since(moment: str | None, now: datetime) -> int:
    return max(0, int((now - datetime.fromisoformat(moment)).total_seconds())) if moment else 0


def hall_overview(connection: Connection, queue: Queue, now: datetime) -> dict[str, Any]:
    day = now.date().isoformat()
    waiting = queue.waiting_counts(day)
    # One read per table, not one per service or window: the screen asks several times a second.
    first_waiting = {r[0]: r[1] for r in connection.execute(
        "SELECT service, MIN(issued_at) FROM tickets WHERE day = ? AND status = 'waiting' GROUP BY service", (day,))}
    services = [{"code": code, "name": name, "waiting": waiting.get(code, 0),
                 "longest_wait_seconds": _seconds_since(first_waiting.get(code), now)}
                for code, name in queue.service_names().items()]
    holders = live_holders(connection, now)
    current = {r["id"]: r for r in connection.execute(
        "SELECT t.id, t.label, t.status, t.called_at, t.started_at FROM tickets t"
        " JOIN windows w ON w.current_ticket = t.id")}
    windows = []
    for w in queue.windows():
        holder = holders.get(w["number"])
        ticket = current.get(w["current_ticket"])
        if holder is None:
            state = "closed"
        elif w["paused"]:
            state = "paused"
        elif ticket is not None:
            state = "serving" if ticket["status"] == "serving" else "called"
        else:
            state = "idle"
        since = (ticket["started_at"] or ticket["called_at"]) if ticket is not None else None
        paused = state == "paused"
        windows.append({"number": w["number"], "name": w["name"], "services": w["services"], "state": state,
                        "state_label": WINDOW_STATES[state], "clerk": holder["clerk"] if holder else "",
                        "clerk_name": holder["name"] if holder else "", "ticket": ticket["label"] if ticket else "",
                        "ticket_seconds": _seconds_since(since, now),
                        "pause_reason": w["pause_reason"] if paused else "",
                        "paused_seconds": _seconds_since(w["paused_at"], now) if paused else 0})
    served = connection.execute("SELECT COUNT(*) FROM tickets WHERE day = ? AND status = 'done'", (day,)).fetchone()[0]
    issued = connection.execute("SELECT COUNT(*) FROM tickets WHERE day = ?", (day,)).fetchone()[0]
    no_shows = connection.execute("SELECT COUNT(*) FROM events WHERE day = ? AND kind = 'no_show'",
                                  (day,)).fetchone()[0]
    return {"now": now.isoformat(timespec="seconds"), "services": services, "windows": windows,
            "issued_today": issued, "served_today": served, "no_shows_today": no_shows,
            "backlog": backlog(connection, now)}


def backlog(connection: Connection, now: datetime) -> dict[str, int]:
    """What the manager follows up beyond the queue: 差评 awaiting their call-back (and how
    many are past their deadline), results made and not yet handed over (出件), and open
    办不成事 reports (and how many are overdue)."""
    today = now.date().isoformat()

    def count(sql: str, *args: object) -> int:
        return int(connection.execute(sql, args).fetchone()[0])

    return {
        "followups_open": count("SELECT COUNT(*) FROM followups WHERE status = 'open'"),
        "followups_overdue": count("SELECT COUNT(*) FROM followups WHERE status = 'open' AND due_date < ?", today),
        "to_hand_over": count("SELECT COUNT(DISTINCT case_id) FROM matter_results WHERE outcome = 'certificate_made'"
                              " AND case_id NOT IN (SELECT case_id FROM handovers)"),
        "reports_open": count("SELECT COUNT(*) FROM reports WHERE state IN ('accepted', 'transferred')"),
        "reports_overdue": count("SELECT COUNT(*) FROM reports WHERE state IN ('accepted', 'transferred')"
                                 " AND deadline < ?", today),
    }
