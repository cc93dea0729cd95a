"""差评 follow-ups: every 不满意 or 非常不满意 rating opens one with a deadline in working
days (国办发〔2019〕51号: a 差评 is followed up — a return visit, then a fix or an
explanation); the hall's manager records how it ended, with a note, and it leaves the
open list. The rated clerk does not close their own 差评: only a supervisor or an
administrator may (a conflict of interest otherwise)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.domain.evaluation import FOLLOWUP_OUTCOMES as OUTCOMES


class FollowupError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _public(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["outcome_label"] = OUTCOMES.get(item.get("outcome") or "", "")
    return item


def list_followups(connection: Connection, open_only: bool = False) -> list[dict[str, Any]]:
    """By deadline; the open ones only when asked (the done ones pile up over the years)."""
    where = " WHERE status = 'open'" if open_only else ""
    return [_public(r) for r in connection.execute(f"SELECT * FROM followups{where} ORDER BY due_date, rating_id")]


def close_followup(connection: Connection, rating_id: str, outcome: str, note: str, who: str,
                   now: datetime) -> tuple[dict[str, Any], bool]:
    """Record how a follow-up ended: the follow-up, and whether this call changed it. The
    same close again answers the stored one; a different close of a done follow-up is
    refused (the first record stands)."""
    if outcome not in OUTCOMES:
        raise FollowupError(422, f"回访结果应为 {'、'.join(OUTCOMES.values())} 之一")
    if len(note.strip()) < 2:
        raise FollowupError(422, "请写明回访情况（至少两个字）")
    with transaction(connection):
        row = connection.execute("SELECT * FROM followups WHERE rating_id = ?", (rating_id,)).fetchone()
        if row is None:
            raise FollowupError(404, "没有这条差评回访")
        if row["status"] == "done":
            if row["outcome"] == outcome and row["note"] == note.strip():
                return _public(row), False
            raise FollowupError(409, f"这条回访已于 {row['closed_at'][:16]} 由 {row['closed_by']} 记录为"
                                     f"“{OUTCOMES.get(row['outcome'], row['outcome'])}”")
        connection.execute("UPDATE followups SET status = 'done', outcome = ?, note = ?, closed_at = ?, closed_by = ?"
                           " WHERE rating_id = ?",
                           (outcome, note.strip(), now.isoformat(timespec="seconds"), who, rating_id))
        row = connection.execute("SELECT * FROM followups WHERE rating_id = ?", (rating_id,)).fetchone()
    return _public(row), True
