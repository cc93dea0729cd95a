"""Case-number blocks: the platform is the one place that knows which sequence
numbers a window has used on a day, so it hands them out in blocks that no other
counter can get again (see offline/numbers.py for the counter's side)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from window_tui.central.db import transaction
from window_tui.central.dialect import Connection

MAX_DAYS = 14
MAX_SIZE = 500
MAX_SEQ = 9999  # four digits in the printed number


class NumberingError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _used_before_leases(connection: Connection, hall_day: date, window: int) -> int:
    """Numbers stored before this table existed (or delivered from an older counter)."""
    pattern = f"%-{hall_day:%Y%m%d}-{window:02d}-%"
    highest = 0
    for (number,) in connection.execute("SELECT case_number FROM cases WHERE case_number LIKE ?", (pattern,)):
        tail = number.rsplit("-", 1)[-1]
        if tail.isdigit():
            highest = max(highest, int(tail))
    return highest


def lease_blocks(connection: Connection, window: int, clerk: str, now: datetime, days: int,
                 size: int) -> list[dict[str, Any]]:
    """One block of `size` numbers for each of `days` days from today (hall time)."""
    if not 1 <= days <= MAX_DAYS or not 1 <= size <= MAX_SIZE:
        raise NumberingError(422, f"号段申请超出范围：天数 1–{MAX_DAYS}，每段 1–{MAX_SIZE} 个")
    blocks = []
    with transaction(connection):
        for offset in range(days):
            day = now.date() + timedelta(days=offset)
            row = connection.execute("SELECT next_seq FROM case_number_blocks WHERE window = ? AND day = ?",
                                     (window, day.isoformat())).fetchone()
            first = row["next_seq"] if row else _used_before_leases(connection, day, window) + 1
            if first > MAX_SEQ:
                continue  # the day's four-digit numbers are used up for this window
            last = min(first + size - 1, MAX_SEQ)
            connection.execute(
                "INSERT INTO case_number_blocks (window, day, next_seq) VALUES (?, ?, ?)"
                " ON CONFLICT (window, day) DO UPDATE SET next_seq = excluded.next_seq",
                (window, day.isoformat(), last + 1))
            connection.execute(
                "INSERT INTO case_number_leases (window, day, first, last, clerk, leased_at) VALUES (?, ?, ?, ?, ?, ?)",
                (window, day.isoformat(), first, last, clerk, now.isoformat(timespec="seconds")))
            blocks.append({"day": day.isoformat(), "first": first, "last": last})
    return blocks
