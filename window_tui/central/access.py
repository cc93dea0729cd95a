"""Who may do what with which record: each caller does only its own job.

- A clerk's cases carry the window and clerk of the token (a body that disagrees is 403);
  a case numbered by another clerk of the same window is accepted only under a number
  block that clerk leased for that window (a counter delivering the earlier shift's cases).
- Ratings come only from the rater device bound to a window, for a case finished at that
  window within the rating period; clerks cannot rate.
- Registry lookups name a case the clerk opened at his window (its purpose: bundle, ticket).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from window_tui.central.auth import AuthError, Principal
from window_tui.central.dialect import Connection

CLERK_KINDS = ("case", "print", "audit", "handover", "report")
KINDS_BY_ROLE = {"clerk": CLERK_KINDS, "supervisor": CLERK_KINDS, "admin": CLERK_KINDS, "rater": ("rating",)}


def check_kind(who: Principal, kind: str) -> None:
    if kind not in KINDS_BY_ROLE.get(who.role, ()):
        raise AuthError(403, f"该令牌不能提交“{kind}”记录")


def check_case_attribution(connection: Connection, who: Principal, body: dict[str, Any]) -> None:
    if who.role == "admin":
        return
    window, clerk, number = body.get("window"), body.get("clerk"), str(body.get("case_number", ""))
    if who.window is None or window != who.window:
        raise AuthError(403, f"案件属于 {window} 号窗口，与登录窗口（{who.window}）不符")
    if clerk == who.subject:
        return
    parts = number.split("-")
    leased = len(parts) == 4 and parts[3].isdigit() and connection.execute(
        "SELECT 1 FROM case_number_leases WHERE window = ? AND clerk = ? AND day = ? AND ? BETWEEN first AND last",
        (who.window, clerk, f"{parts[1][:4]}-{parts[1][4:6]}-{parts[1][6:]}", int(parts[3]))).fetchone()
    if not leased:
        raise AuthError(403, f"案件记录的受理人 {clerk} 与登录工号 {who.subject} 不符")


def check_handover_attribution(who: Principal, body: dict[str, Any]) -> None:
    """A hand-over (or a 办不成事 report) is the window's and clerk's of the token that delivers it."""
    if who.role == "admin":
        return
    if who.window is None or body.get("window") != who.window or body.get("clerk") != who.subject:
        raise AuthError(403, f"出件记录属于 {body.get('window')} 号窗口、工号 {body.get('clerk')}，与登录不符")


def check_rating(connection: Connection, who: Principal, body: dict[str, Any], now: datetime,
                 period: timedelta) -> None:
    if who.role != "rater":
        raise AuthError(403, "只有窗口评价器可以提交评价")
    if who.window is None or body.get("window") != who.window:
        raise AuthError(403, f"本评价器属于 {who.window} 号窗口，不能评价其他窗口")
    rows = connection.execute(
        "SELECT case_numbers, finished_at FROM tickets WHERE window = ? AND status = 'done'"
        " AND finished_at >= ? ORDER BY finished_at DESC LIMIT 50",
        (who.window, (now - period).isoformat())).fetchall()
    if not any(body.get("case_number") in json.loads(r["case_numbers"]) for r in rows):
        raise AuthError(403, "只能评价本窗口刚办结的案件（办结后 "
                             f"{int(period.total_seconds() // 60)} 分钟内）")


def open_case(connection: Connection, who: Principal, case_id: str, bundle: str, ticket: str,
              now: datetime) -> None:
    """The clerk starts an intake: the case id becomes the purpose of its lookups."""
    if who.window is None:
        raise AuthError(403, "须在窗口登录后受理")
    row = connection.execute("SELECT window, clerk FROM case_access WHERE case_id = ?", (case_id,)).fetchone()
    if row is not None:
        if row["window"] != who.window:
            raise AuthError(403, "该案件由其他窗口办理")
        return
    connection.execute(
        "INSERT INTO case_access (case_id, window, clerk, ticket, bundle, opened_at) VALUES (?, ?, ?, ?, ?, ?)",
        (case_id, who.window, who.subject, ticket, bundle, now.isoformat(timespec="seconds")))


def check_lookup_purpose(connection: Connection, who: Principal, case_id: str) -> None:
    if who.role == "admin":
        return
    row = connection.execute("SELECT window FROM case_access WHERE case_id = ?", (case_id,)).fetchone()
    if row is None:
        row = connection.execute("SELECT window FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if row is None or row["window"] != who.window:
        raise AuthError(403, "查询共享数据须说明所办案件：该案件未在本窗口开始受理")


def check_case_reader(connection: Connection, who: Principal, case_id: str) -> None:
    if who.role in ("admin", "supervisor"):
        return
    row = connection.execute("SELECT window FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if row is not None and row["window"] != who.window:
        raise AuthError(403, "只能查看本窗口受理的案件")
