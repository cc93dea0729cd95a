"""Telling the applicant: a notification outbox on the platform (what, to whom, when,
delivered or not) and the worker that delivers it. A notification is written in the
same transaction as the change it announces, so none is lost and none is made twice;
the worker sends it with its id as the Idempotency-Key, so a retry after a lost
answer never makes the gateway send a second message. No message carries more
personal data than the masked name and the case number."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.central.seal import Sealer, SealError
from window_tui.domain.masking import MaskPolicy

log = logging.getLogger("window_tui.central.notify")
LEASE = timedelta(seconds=60)  # a claimed message another process leaves alone while it is sent
MAX_ATTEMPTS = 12  # then it stays failed, shown on /health and to the manager

WORDS = {
    "ready": "的证照已办好，请携带本人身份证件和受理回执到综合窗口领取",
    "to_mail": "的证照已办好，将按您选择的方式邮寄",
    "closed": "已办结",
    "refused": "中有事项未获批准，理由请凭受理回执扫码查询或到综合窗口咨询",
    "mailed": "的证照已寄出，请留意查收",
}


def message_text(sign: str, name: str, case_number: str, kind: str) -> str:
    return f"【{sign}】{MaskPolicy().name(name)}，您的办件 {case_number} {WORDS[kind]}。"


def enqueue(connection: Connection, case_id: str, kind: str, recipient: str, text: str, now: datetime,
            *, sealer: Sealer, channel: str = "sms") -> bool:
    """Inside the caller's transaction: one message per case (or report) and kind, whatever
    happens twice. `channel`: sms (text to a phone) or hotline (a JSON work order to 12345).
    The recipient and the text are stored sealed (central.seal): a work order carries the
    applicant's contact."""
    if not recipient:
        return False
    before = connection.execute("SELECT 1 FROM notifications WHERE case_id = ? AND kind = ?",
                                (case_id, kind)).fetchone()
    if before is not None:
        return False
    connection.execute(
        "INSERT INTO notifications (case_id, kind, recipient, text, created_at, state, attempts, next_at, channel)"
        " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        (case_id, kind, sealer.seal(recipient), sealer.seal(text), now.isoformat(timespec="seconds"),
         now.isoformat(timespec="seconds"), channel))
    return True


@dataclass
class Outgoing:
    id: int
    recipient: str
    text: str
    attempts: int
    channel: str = "sms"


Send = Callable[[Outgoing, str], Awaitable[None]]  # raises when not delivered
CHANNEL_NAMES = {"sms": "短信网关", "hotline": "12345 工单接口"}


def http_sender(url: str, channel: str = "sms", timeout: float = 10.0) -> Send:
    """POST JSON with the message's key as Idempotency-Key; any 2xx is delivered. An SMS
    gateway gets {"to", "text", "id"}; the 12345 intake gets the work order itself."""
    client: httpx.AsyncClient | None = None

    async def send(message: Outgoing, key: str) -> None:
        nonlocal client
        if client is None:
            client = httpx.AsyncClient(timeout=timeout)
        body = (json.loads(message.text) if channel == "hotline"
                else {"to": message.recipient, "text": message.text, "id": key})
        response = await client.post(url, json=body, headers={"Idempotency-Key": key})
        if not response.is_success:
            raise RuntimeError(f"{CHANNEL_NAMES[channel]}回答 HTTP {response.status_code}")

    return send


class Notifier:
    """Claims due messages (under the hall's writer lock, so two processes never send the
    same one at once), sends them, and records the outcome; failures back off and are
    logged and shown. Without a gateway URL, messages are only recorded as made."""

    def __init__(self, connection: Connection, now: Callable[[], datetime], *, key_prefix: str, sealer: Sealer,
                 url: str = "", hotline_url: str = "", interval: float = 2.0, backoff: float = 5.0) -> None:
        self.connection = connection
        self.sealer = sealer
        self.now = now
        self.key_prefix = key_prefix
        # Per channel: where it goes (a channel without an address is only recorded).
        self.senders: dict[str, Send] = {channel: http_sender(address, channel) for channel, address
                                         in (("sms", url), ("hotline", hotline_url)) if address}
        self.interval = interval
        self.backoff = backoff
        self.state = "未启动"
        self.failures = 0
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="notifier")

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        delay = self.interval
        while True:
            try:
                await self.deliver_due()
                missing = [CHANNEL_NAMES[c] for c in CHANNEL_NAMES if c not in self.senders]
                self.state = "运行中" + (f"（未配置{'、'.join(missing)}：仅记录）" if missing else "")
                delay = self.interval
            except Exception as exc:  # noqa: BLE001 (a database outage: logged, shown, retried with backoff)
                self.failures += 1
                self.state = f"出错（{type(exc).__name__}），{delay:g} 秒后重试"
                log.error("notifier failed: %s", exc)
                delay = min(delay * 2, 60.0)
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):  # woken by a new message, or the next look anyway
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    def _claim(self) -> list[Outgoing]:
        now = self.now()
        due = self.connection.execute("SELECT 1 FROM notifications WHERE state = 'pending' AND next_at <= ? LIMIT 1",
                                      (now.isoformat(timespec="seconds"),)).fetchone()
        if due is None:
            return []  # the usual case: a look, not a write transaction every few seconds
        with transaction(self.connection):
            rows = self.connection.execute(
                "SELECT id, recipient, text, attempts, channel FROM notifications WHERE state = 'pending' AND next_at <= ?"
                " ORDER BY id LIMIT 20", (now.isoformat(timespec="seconds"),)).fetchall()
            for row in rows:
                self.connection.execute("UPDATE notifications SET next_at = ? WHERE id = ?",
                                        ((now + LEASE).isoformat(timespec="seconds"), row["id"]))
        return [Outgoing(r["id"], r["recipient"], r["text"], r["attempts"], r["channel"]) for r in rows]

    def _record(self, message: Outgoing, error: str) -> None:
        now = self.now()
        attempts = message.attempts + 1
        with transaction(self.connection):
            if not error:
                state = "delivered" if message.channel in self.senders else "recorded"
                self.connection.execute(
                    "UPDATE notifications SET state = ?, attempts = ?, delivered_at = ?, last_error = '' WHERE id = ?",
                    (state, attempts, now.isoformat(timespec="seconds"), message.id))
                return
            later = now + timedelta(seconds=min(self.backoff * 2 ** (attempts - 1), 3600))
            self.connection.execute(
                "UPDATE notifications SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                ("failed" if attempts >= MAX_ATTEMPTS else "pending", attempts, later.isoformat(timespec="seconds"),
                 error[:200], message.id))

    async def deliver_due(self) -> int:
        """One pass over the due messages; how many were delivered (or recorded)."""
        delivered = 0
        for message in self._claim():
            error = ""
            send = self.senders.get(message.channel)
            if send is not None:
                try:
                    opened = Outgoing(message.id, self.sealer.unseal(message.recipient),
                                      self.sealer.unseal(message.text), message.attempts, message.channel)
                    await send(opened, f"{self.key_prefix}-{message.id}")
                except (httpx.HTTPError, RuntimeError, SealError) as exc:
                    error = str(exc) or type(exc).__name__
                    log.warning("notification %s not delivered: %s", message.id, error)
            self._record(message, error)
            delivered += not error
        return delivered


def outbox_summary(connection: Connection) -> dict[str, int]:
    rows = connection.execute("SELECT state, COUNT(*) AS n FROM notifications GROUP BY state").fetchall()
    return {r["state"]: r["n"] for r in rows}
