"""Which waiting ticket a window calls next, and why (the reason is shown to the
clerk and kept with the call, so nobody has to guess why a ticket came first).

Order: green channel (elderly, disabled, pregnant, soldiers) first; then an
appointment whose slot is open; then the longest-waiting ticket among the
window's services. A ratio cap keeps normal tickets from starving: after
`max_priority_streak` priority calls in a row, a waiting normal ticket goes next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

GREEN_KINDS = ("老年人", "残疾人", "孕妇", "军人")
PRIORITIES = ("normal", "green", "appointment")


@dataclass(frozen=True)
class QueuePolicy:
    max_priority_streak: int = 2  # 2 priority : 1 normal (domain notes §5)
    appointment_early: timedelta = timedelta(minutes=10)
    max_recalls: int = 3
    noshow_requeue_after: int = 3  # back in the queue after K waiting tickets
    noshow_cancel_after: int = 2  # cancelled at the M-th no-show


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    label: str
    service: str
    priority: str  # normal | green | appointment
    issued_at: datetime
    order_key: float  # position in the queue (moved back on a no-show)
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    pinned_window: int | None = None


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    reason: str
    priority_call: bool


def _waited(candidate: Candidate, now: datetime) -> str:
    minutes = max(0, int((now - candidate.issued_at).total_seconds() // 60))
    return f"{minutes} 分钟"


def choose_next(candidates: list[Candidate], *, window: int, services: tuple[str, ...], now: datetime,
                priority_streak: int, policy: QueuePolicy = QueuePolicy()) -> Choice | None:
    eligible = [
        c for c in candidates
        if c.service in services and (c.pinned_window is None or c.pinned_window == window)
    ]
    if not eligible:
        return None
    by_order = sorted(eligible, key=lambda c: (c.order_key, c.ticket_id))
    normal = [c for c in by_order if c.priority == "normal"
              or (c.priority == "appointment" and not _slot_open(c, now, policy))]
    green = [c for c in by_order if c.priority == "green"]
    appointments = sorted(
        (c for c in by_order if c.priority == "appointment" and _slot_open(c, now, policy)),
        key=lambda c: (c.slot_start or now, c.order_key),
    )
    pinned = [c for c in by_order if c.pinned_window == window]
    if pinned:
        first = pinned[0]
        return Choice(first, f"转至本窗口（等待 {_waited(first, now)}）", first.priority != "normal")
    if (green or appointments) and normal and priority_streak >= policy.max_priority_streak:
        first = normal[0]
        return Choice(first, f"按比例轮到普通号（已连续{priority_streak}个优先号，等待 {_waited(first, now)}）",
                      False)
    if green:
        return Choice(green[0], "绿色通道优先", True)
    if appointments:
        first = appointments[0]
        slot = first.slot_start.strftime("%H:%M") if first.slot_start else ""
        return Choice(first, f"预约 {slot} 时段", True)
    first = normal[0]
    return Choice(first, f"等待最久 {_waited(first, now)}", False)


def _slot_open(candidate: Candidate, now: datetime, policy: QueuePolicy) -> bool:
    if candidate.slot_start is None or candidate.slot_end is None:
        return False
    return candidate.slot_start - policy.appointment_early <= now <= candidate.slot_end
