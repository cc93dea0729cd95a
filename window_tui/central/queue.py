"""Queue operations on the platform database. Each runs in one write
transaction (db.transaction), so two windows calling at the same instant never get the same
ticket, and each change is recorded as an event with a strictly increasing id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from window_tui.central.db import transaction
from window_tui.domain.queue_policy import Candidate, QueuePolicy, choose_next

PRIORITY_LABELS = {"normal": "普通", "green": "绿色通道", "appointment": "预约"}


class QueueError(Exception):
    """A queue action that cannot be done; `message` is Chinese, for the clerk."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Queue:
    connection: Any
    policy: QueuePolicy = QueuePolicy()
    _names: dict[str, str] | None = None

    # --- reading -------------------------------------------------------------------------

    def services(self) -> list[dict[str, Any]]:
        rows = self.connection.execute("SELECT * FROM services ORDER BY sort").fetchall()
        return [dict(r) for r in rows]

    def service_names(self) -> dict[str, str]:
        # Services change only through `window-tui admin`; a restart picks that up.
        if self._names is None:
            self._names = {s["code"]: s["name"] for s in self.services()}
        return self._names

    def window(self, number: int) -> Any:
        row = self.connection.execute("SELECT * FROM windows WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise QueueError(404, f"没有 {number} 号窗口")
        return row

    def windows(self) -> list[dict[str, Any]]:
        out = []
        for row in self.connection.execute("SELECT * FROM windows ORDER BY number"):
            item = dict(row)
            item["services"] = json.loads(row["services"])
            out.append(item)
        return out

    def waiting_counts(self, day: str) -> dict[str, int]:
        counts = dict.fromkeys(self.service_names(), 0)
        for row in self.connection.execute("SELECT service, waiting FROM waiting_counts WHERE day = ?", (day,)):
            counts[row["service"]] = row["waiting"]
        return counts

    def _adjust_waiting(self, day: str, service: str, delta: int) -> None:
        """Kept in the same transaction as the ticket change, so it is never off."""
        self.connection.execute(
            "INSERT INTO waiting_counts (day, service, waiting) VALUES (?, ?, ?)"
            " ON CONFLICT (day, service) DO UPDATE SET waiting = waiting_counts.waiting + excluded.waiting",
            (day, service, delta),
        )

    def ticket_json(self, row: Any, now: datetime) -> dict[str, Any]:
        issued = datetime.fromisoformat(row["issued_at"])
        end = datetime.fromisoformat(row["called_at"]) if row["called_at"] else now
        return {
            "id": row["id"], "label": row["label"], "service": row["service"],
            "service_name": self.service_names().get(row["service"], row["service"]),
            "priority": row["priority"], "priority_kind": row["priority_kind"], "status": row["status"],
            "window": row["window"], "pinned_window": row["pinned_window"], "issued_at": row["issued_at"],
            "called_at": row["called_at"], "started_at": row["started_at"],
            "waited_seconds": max(0, int((end - issued).total_seconds())), "reason": row["call_reason"],
            "recalls": row["recalls"], "no_shows": row["no_shows"],
            "case_numbers": json.loads(row["case_numbers"]),
        }

    def current(self, window: int, now: datetime) -> dict[str, Any] | None:
        row = self.window(window)
        if row["current_ticket"] is None:
            return None
        ticket = self.connection.execute("SELECT * FROM tickets WHERE id = ?", (row["current_ticket"],)).fetchone()
        return self.ticket_json(ticket, now) if ticket else None

    def position(self, day: str, label: str, now: datetime) -> dict[str, Any]:
        row = self.connection.execute(
            "SELECT * FROM tickets WHERE day = ? AND label = ? ORDER BY id DESC LIMIT 1", (day, label.upper())
        ).fetchone()
        if row is None:
            raise QueueError(404, f"今天没有 {label} 号")
        ahead = 0
        if row["status"] == "waiting":
            ahead = self.connection.execute(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND status = 'waiting' AND service = ? "
                "AND (order_key < ? OR (order_key = ? AND id < ?))",
                (day, row["service"], row["order_key"], row["order_key"], row["id"]),
            ).fetchone()[0]
        return {"label": row["label"], "status": row["status"], "ahead": ahead, "window": row["window"],
                "service_name": self.service_names().get(row["service"], row["service"])}

    # --- events ----------------------------------------------------------------------------

    def _event(self, now: datetime, kind: str, ticket: Any | None, window: int | None,
               **payload: Any) -> int:
        day = now.date().isoformat()
        body = {"waiting": self.waiting_counts(day), **payload}
        if ticket is not None:
            body.setdefault("service_name", self.service_names().get(ticket["service"], ticket["service"]))
        # The next id is taken under the write lock, so ids follow commit order without gaps
        # on both databases (a PostgreSQL sequence would skip numbers on a rollback).
        row = self.connection.execute(
            "INSERT INTO events (id, at, day, kind, ticket, service, window, payload)"
            " VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM events), ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (now.isoformat(), day, kind, ticket["label"] if ticket else "", ticket["service"] if ticket else "",
             window, json.dumps(body, ensure_ascii=False)),
        ).fetchone()
        return int(row[0])

    # --- actions ---------------------------------------------------------------------------

    def issue(self, service: str, now: datetime, *, priority: str = "normal", priority_kind: str = "",
              appointment_code: str = "", slot_start: datetime | None = None,
              slot_end: datetime | None = None) -> dict[str, Any]:
        if priority not in PRIORITY_LABELS:
            raise QueueError(400, f"未知的优先类别 {priority}")
        day = now.date().isoformat()
        with transaction(self.connection):
            row = self.connection.execute("SELECT * FROM services WHERE code = ?", (service,)).fetchone()
            if row is None:
                raise QueueError(404, f"没有业务类别 {service}")
            # ORDER BY … DESC LIMIT 1 rather than MAX(): both databases read one index entry,
            # however long the day's queue (PostgreSQL's MAX plan scanned the day's tickets).
            last = self.connection.execute(
                "SELECT number FROM tickets WHERE day = ? AND original_service = ? ORDER BY number DESC LIMIT 1",
                (day, service),
            ).fetchone()
            number = (last[0] if last else 0) + 1
            label = f"{row['prefix']}{number:03d}"
            # Arrival order across the whole day; a no-show is moved back by a fractional key.
            order_key = float(int(self._last_order_key(day)) + 1)
            inserted = self.connection.execute(
                "INSERT INTO tickets (day, service, number, label, priority, priority_kind, appointment_code,"
                " slot_start, slot_end, issued_at, order_key, status, original_service)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?) RETURNING id",
                (day, service, number, label, priority, priority_kind, appointment_code,
                 slot_start.isoformat() if slot_start else None, slot_end.isoformat() if slot_end else None,
                 now.isoformat(), order_key, service),
            ).fetchone()
            ticket = self._ticket(int(inserted[0]))
            ahead = self.waiting_counts(day).get(service, 0)
            self._adjust_waiting(day, service, 1)
            event_id = self._event(now, "issued", ticket, None, priority=priority)
        return {**self.ticket_json(ticket, now), "ahead": ahead, "event_id": event_id}

    def _last_order_key(self, day: str) -> float:
        last = self.connection.execute(
            "SELECT order_key FROM tickets WHERE day = ? ORDER BY order_key DESC LIMIT 1", (day,)).fetchone()
        return float(last[0]) if last else 0.0

    def _ticket(self, ticket_id: int) -> Any:
        return self.connection.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()

    def _require_free(self, window: Any) -> None:
        if window["paused"]:
            raise QueueError(409, f"{window['number']} 号窗口已暂停，请先恢复")
        if window["current_ticket"] is not None:
            current = self._ticket(window["current_ticket"])
            if current is not None and current["status"] in ("called", "serving"):
                raise QueueError(409, f"当前号 {current['label']} 尚未办结，请先办结、过号或转移")

    def _candidates(self, day: str, window: int, services: list[str]) -> list[Candidate]:
        """The few tickets the policy can pick from: the head of each class of each
        service (index-ordered queries), never the whole queue."""
        waiting = "SELECT * FROM tickets WHERE day = ? AND status = 'waiting'"
        queries: list[str] = [waiting + " AND pinned_window = ? ORDER BY order_key, id LIMIT 1"]
        params: list[Any] = [day, window]
        for service in services:
            for priority, limit in (("green", 1), ("normal", 1), ("appointment", 20)):
                queries.append(waiting + " AND priority = ? AND service = ? AND pinned_window IS NULL"
                               " ORDER BY order_key, id LIMIT ?")
                params += [day, priority, service, limit]
        # One statement, one round trip: each head is still read from its own index range.
        union = " UNION ALL ".join(f"SELECT * FROM ({q}) AS head{i}" for i, q in enumerate(queries))
        rows = {r["id"]: r for r in self.connection.execute(union, params)}
        return [
            Candidate(
                ticket_id=r["id"], label=r["label"], service=r["service"], priority=r["priority"],
                issued_at=datetime.fromisoformat(r["issued_at"]), order_key=r["order_key"],
                slot_start=datetime.fromisoformat(r["slot_start"]) if r["slot_start"] else None,
                slot_end=datetime.fromisoformat(r["slot_end"]) if r["slot_end"] else None,
                pinned_window=r["pinned_window"],
            )
            for r in rows.values()
        ]

    def _mark_called(self, window: Any, ticket_id: int, reason: str, now: datetime,
                     kind: str = "called", streak: int | None = None) -> dict[str, Any]:
        ticket = self.connection.execute(
            "UPDATE tickets SET status = 'called', window = ?, called_at = ?, call_reason = ?, clerk = ?"
            " WHERE id = ? AND status = 'waiting' RETURNING *",
            (window["number"], now.isoformat(), reason, window["clerk"] or "", ticket_id),
        ).fetchone()
        if ticket is None:  # cannot happen under the write lock; kept as a guard
            raise QueueError(409, "该号已被其他窗口呼叫")
        self._adjust_waiting(ticket["day"], ticket["service"], -1)
        self.connection.execute(
            "UPDATE windows SET current_ticket = ?, priority_streak = ? WHERE number = ?",
            (ticket_id, window["priority_streak"] if streak is None else streak, window["number"]))
        event_id = self._event(now, kind, ticket, window["number"], reason=reason, recalls=0)
        return {**self.ticket_json(ticket, now), "event_id": event_id}

    def call_next(self, window_number: int, now: datetime) -> dict[str, Any] | None:
        with transaction(self.connection):
            window = self.window(window_number)
            self._require_free(window)
            services = json.loads(window["services"])
            choice = choose_next(
                self._candidates(now.date().isoformat(), window_number, services), window=window_number,
                services=tuple(services), now=now,
                priority_streak=window["priority_streak"], policy=self.policy,
            )
            if choice is None:
                return None
            streak = window["priority_streak"] + 1 if choice.priority_call else 0
            return self._mark_called(window, choice.candidate.ticket_id, choice.reason, now, streak=streak)

    def call_number(self, window_number: int, label: str, now: datetime) -> dict[str, Any]:
        day = now.date().isoformat()
        with transaction(self.connection):
            window = self.window(window_number)
            self._require_free(window)
            row = self.connection.execute(
                "SELECT * FROM tickets WHERE day = ? AND label = ? ORDER BY id DESC LIMIT 1", (day, label.upper())
            ).fetchone()
            if row is None:
                raise QueueError(404, f"今天没有 {label.upper()} 号")
            if row["status"] != "waiting":
                raise QueueError(409, f"{row['label']} 号当前状态为{STATUS_LABELS.get(row['status'], row['status'])}，不能呼叫")
            return self._mark_called(window, row["id"], "指定呼叫", now)

    def _current_for(self, window_number: int, allowed: tuple[str, ...]) -> tuple[Any, Any]:
        window = self.window(window_number)
        if window["current_ticket"] is None:
            raise QueueError(409, "本窗口当前没有叫号")
        ticket = self._ticket(window["current_ticket"])
        if ticket["status"] not in allowed:
            raise QueueError(409, f"{ticket['label']} 号当前状态为{STATUS_LABELS.get(ticket['status'])}，不能执行此操作")
        return window, ticket

    def recall(self, window_number: int, now: datetime) -> dict[str, Any]:
        with transaction(self.connection):
            window, ticket = self._current_for(window_number, ("called",))
            if ticket["recalls"] >= self.policy.max_recalls:
                raise QueueError(409, f"已重呼 {ticket['recalls']} 次，达到上限，请过号")
            self.connection.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", (ticket["id"],))
            ticket = self._ticket(ticket["id"])
            event_id = self._event(now, "recalled", ticket, window_number, reason=ticket["call_reason"],
                                   recalls=ticket["recalls"])
            return {**self.ticket_json(ticket, now), "event_id": event_id}

    def no_show(self, window_number: int, now: datetime) -> dict[str, Any]:
        with transaction(self.connection):
            window, ticket = self._current_for(window_number, ("called",))
            no_shows = ticket["no_shows"] + 1
            self.connection.execute("UPDATE windows SET current_ticket = NULL WHERE number = ?", (window_number,))
            if no_shows >= self.policy.noshow_cancel_after:
                self.connection.execute(
                    "UPDATE tickets SET status = 'cancelled', no_shows = ?, finished_at = ? WHERE id = ?",
                    (no_shows, now.isoformat(), ticket["id"]),
                )
                outcome = "cancelled"
            else:
                order_key = self._requeue_key(ticket, now)
                self.connection.execute(
                    "UPDATE tickets SET status = 'waiting', no_shows = ?, order_key = ?, window = NULL,"
                    " called_at = NULL, recalls = 0 WHERE id = ?",
                    (no_shows, order_key, ticket["id"]),
                )
                self._adjust_waiting(ticket["day"], ticket["service"], 1)
                outcome = "requeued"
            ticket = self._ticket(ticket["id"])
            event_id = self._event(now, "no_show", ticket, window_number, outcome=outcome, no_shows=no_shows,
                                   clerk=window["clerk"] or "")  # for statistics; displays never see it
            return {**self.ticket_json(ticket, now), "outcome": outcome, "event_id": event_id}

    def _requeue_key(self, ticket: Any, now: datetime) -> float:
        """Back in the queue behind the next K waiting tickets of its service."""
        keys = [r[0] for r in self.connection.execute(
            "SELECT order_key FROM tickets WHERE day = ? AND service = ? AND status = 'waiting'"
            " ORDER BY order_key, id LIMIT ?",
            (ticket["day"], ticket["service"], self.policy.noshow_requeue_after + 1),
        )]
        if len(keys) <= self.policy.noshow_requeue_after:
            return float(int(self._last_order_key(ticket["day"]))) + 0.5
        k = self.policy.noshow_requeue_after
        return (keys[k - 1] + keys[k]) / 2

    def start(self, window_number: int, now: datetime) -> dict[str, Any]:
        with transaction(self.connection):
            _, ticket = self._current_for(window_number, ("called",))
            ticket = self.connection.execute(
                "UPDATE tickets SET status = 'serving', started_at = ? WHERE id = ? RETURNING *",
                (now.isoformat(), ticket["id"])).fetchone()
            event_id = self._event(now, "started", ticket, window_number)
            return {**self.ticket_json(ticket, now), "event_id": event_id}

    def finish(self, window_number: int, now: datetime, case_numbers: list[str]) -> dict[str, Any]:
        with transaction(self.connection):
            _, ticket = self._current_for(window_number, ("called", "serving"))
            started = ticket["started_at"] or ticket["called_at"]
            ticket = self.connection.execute(
                "UPDATE tickets SET status = 'done', started_at = ?, finished_at = ?, case_numbers = ?"
                " WHERE id = ? RETURNING *",
                (started, now.isoformat(), json.dumps(case_numbers), ticket["id"]),
            ).fetchone()
            self.connection.execute("UPDATE windows SET current_ticket = NULL WHERE number = ?", (window_number,))
            event_id = self._event(now, "finished", ticket, window_number, case_numbers=case_numbers)
            return {**self.ticket_json(ticket, now), "event_id": event_id}

    def transfer(self, window_number: int, now: datetime, *, to_service: str | None = None,
                 to_window: int | None = None) -> dict[str, Any]:
        if not to_service and to_window is None:
            raise QueueError(400, "请指定转移到的业务或窗口")
        with transaction(self.connection):
            _, ticket = self._current_for(window_number, ("called", "serving"))
            service = to_service or ticket["service"]
            if not self.connection.execute("SELECT 1 FROM services WHERE code = ?", (service,)).fetchone():
                raise QueueError(404, f"没有业务类别 {service}")
            if to_window is not None:
                target = self.window(to_window)
                if service not in json.loads(target["services"]):
                    raise QueueError(409, f"{to_window} 号窗口不办理该业务")
            # The original arrival time (issued_at, order_key) is kept: no new queueing.
            self.connection.execute(
                "UPDATE tickets SET status = 'waiting', service = ?, pinned_window = ?, window = NULL,"
                " called_at = NULL, recalls = 0 WHERE id = ?",
                (service, to_window, ticket["id"]),
            )
            self._adjust_waiting(ticket["day"], service, 1)
            self.connection.execute("UPDATE windows SET current_ticket = NULL WHERE number = ?", (window_number,))
            ticket = self._ticket(ticket["id"])
            event_id = self._event(now, "transferred", ticket, window_number, to_service=service,
                                   to_window=to_window)
            return {**self.ticket_json(ticket, now), "event_id": event_id}

    def move_waiting(self, from_service: str, to_service: str, count: int, now: datetime) -> dict[str, Any]:
        """The manager moves the first `count` waiting tickets of one queue to another (a long
        queue, a service that other windows also handle); each keeps its arrival time, so it
        takes its place in the new queue by when it came. Tickets pinned to a window stay."""
        if from_service == to_service:
            raise QueueError(422, "目标业务与原业务相同")
        day = now.date().isoformat()
        with transaction(self.connection):
            names = self.service_names()
            for code in (from_service, to_service):
                if code not in names:
                    raise QueueError(404, f"没有业务类别 {code}")
            rows = self.connection.execute(
                "SELECT id, label FROM tickets WHERE day = ? AND service = ? AND status = 'waiting'"
                " AND pinned_window IS NULL ORDER BY order_key, id LIMIT ?", (day, from_service, count)).fetchall()
            for row in rows:
                self.connection.execute("UPDATE tickets SET service = ? WHERE id = ?", (to_service, row["id"]))
            labels = [r["label"] for r in rows]
            if labels:
                self._adjust_waiting(day, from_service, -len(labels))
                self._adjust_waiting(day, to_service, len(labels))
            event_id = self._event(now, "moved", None, None, from_service=from_service, to_service=to_service,
                                   tickets=labels)
        return {"moved": labels, "from_service": from_service, "to_service": to_service, "event_id": event_id}

    def message(self, window_number: int, text: str, sender: str, now: datetime) -> dict[str, Any]:
        """A line from the manager to a window, carried by the event stream to its console."""
        with transaction(self.connection):
            self.window(window_number)  # 404 for a window the hall does not have
            event_id = self._event(now, "message", None, window_number, text=text, sender=sender)
        return {"window": window_number, "event_id": event_id}

    def set_paused(self, window_number: int, paused: bool, now: datetime, reason: str = "") -> dict[str, Any]:
        """Pause (with why: the manager's screen shows it and since when) or open a window."""
        with transaction(self.connection):
            window = self.window(window_number)
            if paused and window["current_ticket"] is not None:
                current = self._ticket(window["current_ticket"])
                if current["status"] in ("called", "serving"):
                    raise QueueError(409, f"当前号 {current['label']} 尚未办结，暂停前请先办结或转移")
            self.connection.execute(
                "UPDATE windows SET paused = ?, pause_reason = ?, paused_at = ? WHERE number = ?",
                (int(paused), reason if paused else "", now.isoformat() if paused else None, window_number))
            event_id = self._event(now, "paused" if paused else "resumed", None, window_number)
        return {"window": window_number, "paused": paused, "event_id": event_id}


STATUS_LABELS = {"waiting": "等候中", "called": "已呼叫", "serving": "办理中", "done": "已办结",
                 "cancelled": "已作废", "no_show": "过号"}
