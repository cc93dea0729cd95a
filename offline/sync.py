"""The sync engine: delivers the outbox to the platform, exactly once.

- Batches through POST /sync/batch; the platform answers per record.
- Idempotent: the record id is the key, so a retry after a lost answer gets the
  stored answer (200), never a second record.
- A record is acknowledged only on the platform's per-record answer; its receipt
  id and content hash are kept with it.
- 4xx other than 408/429 quarantines that record (the reason is kept for the
  clerk) without blocking the records behind it; a 409 keeps both versions.
- Network errors, 5xx, 408 and 429: exponential backoff with jitter and a cap,
  honouring Retry-After; it resumes by itself when the platform answers.
- A record that depends on another (a rating on its case) waits for it.
- After delivery, fields typed while a registry was unreachable are verified;
  a mismatch becomes an alert for the clerk, never a silent overwrite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from offline.crypto import SealBroken
from offline.store import LocalStore, OutboxItem
from window_tui.client import LoginRequired, PlatformClient, PlatformRejected, PlatformUnavailable

RETRYABLE = (408, 429)
log = logging.getLogger("window_tui.sync")
IdleTask = Callable[[PlatformClient], Awaitable[None]]


@dataclass
class Backoff:
    initial: float = 1.0
    cap: float = 300.0
    factor: float = 2.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self, retry_after: float | None = None) -> float:
        self.failures += 1
        base = min(self.cap, self.initial * self.factor ** (self.failures - 1))
        delay = self.rng.uniform(base / 2, base)  # "equal jitter": never zero, never in lockstep
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap))
        return delay

    def reset(self) -> None:
        self.failures = 0


@dataclass
class SyncEngine:
    store: LocalStore
    client: PlatformClient
    batch_size: int = 50
    backoff: Backoff = field(default_factory=Backoff)
    idle_interval: float = 2.0
    parallel: int = 2
    on_change: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None
    verify: bool = True
    idle_tasks: list[IdleTask] = field(default_factory=list)  # e.g. topping up case-number blocks
    _wake: asyncio.Event | None = None
    _stopped: bool = False

    def _now(self) -> str:
        return self.store.clock.now().isoformat(timespec="seconds")

    # --- state the console shows -----------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return dict(self.store.get_state("sync", {}))

    def _record(self, **changes: Any) -> None:
        state = {**self.status(), **changes}
        self.store.set_state("sync", state)
        if self.on_change is not None:
            result = self.on_change(state)
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(result)

    def wake(self) -> None:
        """Try now (the clerk pressed 同步, or a new record was enqueued)."""
        self.backoff.reset()
        if self._wake is not None:
            self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        if self._wake is not None:
            self._wake.set()

    # --- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        self._wake = asyncio.Event()
        while not self._stopped:
            try:
                delay = await self.sync_once()
            except LoginRequired as exc:
                # Only the clerk can fix this; keep the records and wait to be woken.
                delay = self.backoff.cap
                self._record(online=True, login_required=exc.message, last_error=exc.message,
                             last_error_at=self._now(), retry_in=0)
            except Exception as exc:  # a pass that failed (full disk, a bug): say it, retry later
                log.exception("sync pass failed")
                delay = self.backoff.next_delay()
                self._record_failure(f"同步出错：{type(exc).__name__}: {exc}", delay)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    def _record_failure(self, message: str, delay: float) -> None:
        try:
            self._record(last_error=message, last_error_at=self._now(), retry_in=round(delay, 1))
        except Exception:  # the state file itself cannot be written (full disk): log only
            log.exception("sync state could not be recorded: %s", message)

    async def sync_once(self) -> float:
        """One pass over the outbox; returns how long to wait before the next.

        Up to `parallel` batches are in flight at once (the platform validates one while
        the counter seals and archives the other); dependent records still wait for
        their dependency's acknowledgement."""
        while True:
            batches = self._next_batches()
            if not batches:
                await self._retry_verifications()
                await self._run_idle_tasks()
                return self.idle_interval
            outcomes = await asyncio.gather(*(self._send(b) for b in batches), return_exceptions=True)
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            for error in errors:
                if isinstance(error, LoginRequired) or not isinstance(error, PlatformUnavailable | PlatformRejected):
                    raise error
            unavailable = [e for e in errors if isinstance(e, PlatformUnavailable)]
            if unavailable:
                retry_after = max((e.retry_after or 0 for e in unavailable), default=0) or None
                delay = self.backoff.next_delay(retry_after)
                self._record(online=False, last_error=unavailable[0].message, last_error_at=self._now(),
                             retry_in=round(delay, 1))
                return delay
            if errors:  # the whole batch refused
                delay = self.backoff.next_delay()
                self._record(online=True, last_error=errors[0].message, last_error_at=self._now(),
                             retry_in=round(delay, 1))
                return delay
            self.backoff.reset()
            if self._stopped:
                return 0

    def _next_batches(self) -> list[list[OutboxItem]]:
        ready = []
        for item in self.store.items("pending", "sent"):
            if item.depends_on and not self.store.is_acknowledged(item.depends_on):
                continue  # its case is not delivered yet (or is quarantined)
            ready.append(item)
            if len(ready) >= self.batch_size * self.parallel:
                break
        return [ready[i:i + self.batch_size] for i in range(0, len(ready), self.batch_size)]

    async def _run_idle_tasks(self) -> None:
        for task in self.idle_tasks:
            try:
                await task(self.client)
            except LoginRequired:
                raise
            except PlatformUnavailable as exc:
                self._record(online=False, last_error=exc.message, last_error_at=self._now())
                return
            except PlatformRejected as exc:
                self._record(last_error=exc.message, last_error_at=self._now())

    async def _send(self, batch: list[OutboxItem]) -> None:
        bodies = {}
        readable = []
        for item in batch:
            # In memory only: after a crash the item is simply sent again, which the
            # platform answers idempotently. Failures below are written durably.
            item.state, item.attempts, item.last_attempt_at = "sent", item.attempts + 1, self._now()
            try:
                bodies[item.id] = self.store.body(item)
            except (SealBroken, ValueError, TypeError) as exc:
                # One unreadable record must not hold back the others: the clerk sees it.
                self.store.quarantine(item, f"本机记录无法读取：{exc}")
                continue
            readable.append(item)
        batch = readable
        if not batch:
            return
        try:
            results = await self.client.batch([{"kind": i.kind, "id": i.id, "body": bodies[i.id]} for i in batch])
        except (PlatformUnavailable, PlatformRejected) as exc:
            for item in batch:
                item.state, item.last_error = "pending", exc.message
                self.store.update(item)
            raise
        by_id = {r["id"]: r for r in results}
        acks = []
        retry_after: float | None = None
        for item in batch:
            result = by_id.get(item.id)
            if result is None:
                item.state, item.last_error = "pending", "平台未返回该记录的结果"
                self.store.update(item)
                continue
            status = result["status"]
            if status in (200, 201):
                acks.append((item, result["receipt_id"], result["content_hash"]))
            elif status == 409:
                stored = await self._stored_version(item) if item.kind == "case" else None
                item.state, item.last_error = "quarantined", str(result.get("detail", "内容冲突"))
                item.conflict = {"stored_hash": result.get("stored_hash", ""), "sent_hash": result.get("sent_hash", ""),
                                 "stored": stored}
                self.store.update(item)
            elif status in RETRYABLE or status >= 500:
                item.state, item.last_error = "pending", str(result.get("detail", f"HTTP {status}"))
                self.store.update(item)
                retry_after = 1.0
            else:
                item.state, item.last_error = "quarantined", str(result.get("detail", f"HTTP {status}"))
                item.errors = dict(result.get("errors", {}))
                self.store.update(item)
        self.store.acknowledge(acks)
        self._record(online=True, last_success_at=self._now(), last_error="", login_required="", retry_in=0)
        if self.verify:
            for item, _, _ in acks:
                if item.kind == "case":
                    await self._verify_manual_fields(item, bodies[item.id])
        if retry_after is not None:
            raise PlatformUnavailable("部分记录需稍后重试", retry_after=retry_after)

    async def _retry_verifications(self) -> None:
        waiting = list(self.store.get_state("verify_pending", []))
        if not waiting:
            return
        self.store.set_state("verify_pending", [])
        for case_number in waiting:
            found = self.store.find_case(case_number)
            if found is not None:
                await self._verify_manual_fields(found[0], found[1])

    async def _stored_version(self, item: OutboxItem) -> dict[str, Any] | None:
        try:
            found = await self.client.get_case(item.id)
        except (PlatformUnavailable, PlatformRejected) as exc:
            log.warning("stored version of %s not fetched: %s", item.id, exc.message)
            return None
        return found["body"] if found else None

    async def _verify_manual_fields(self, item: OutboxItem, case: dict[str, Any]) -> None:
        """Fields typed while a registry was unreachable: look them up now, raise mismatches."""
        from window_tui.domain.catalog import default_catalog
        from window_tui.domain.forms import merge_bundle
        from window_tui.domain.prefill import FormData

        unverified = [k for k, v in case.get("values", {}).items() if v.get("state") == "unverified"]
        if not unverified:
            return
        catalog = default_catalog()
        form = merge_bundle(catalog, catalog.bundle(case["bundle"]), tuple(case.get("optional_matters", [])))
        data = FormData(form, today=datetime.fromisoformat(case["accepted_at"]).date())
        data.load_json(case["form"])
        data.unreachable.clear()
        try:
            for _ in range(5):
                needed = data.lookups_needed()
                if not needed:
                    break
                for key in needed:
                    data.add_record(key, await self.client.lookup(key, case["case_id"]))
        except (PlatformUnavailable, PlatformRejected):
            waiting = set(self.store.get_state("verify_pending", []))
            self.store.set_state("verify_pending", sorted(waiting | {case["case_number"]}))
            return
        mismatches = data.mismatches()
        verified = [f for f in unverified if data.value(f).state == "verified"]
        alerts = list(self.store.get_state("alerts", []))
        for field_id, (typed, registry) in mismatches.items():
            alerts.append({"case_number": case["case_number"], "field": field_id,
                           "label": form.field(field_id).label, "typed": typed, "registry": registry,
                           "at": self._now()})
        if mismatches:
            self.store.set_state("alerts", alerts)
        self._record(last_verified=len(verified), last_mismatches=len(mismatches))


class SyncThread:
    """Runs a SyncEngine in its own thread and event loop, so its store writes
    (fsync) never block a user interface. Supervised: if the engine's loop dies
    it is logged, reported through the engine's status, and restarted with backoff."""

    def __init__(self, engine: SyncEngine, restart_initial: float = 1.0, restart_cap: float = 60.0) -> None:
        self.engine = engine
        self.restarts = 0
        self._restart = Backoff(initial=restart_initial, cap=restart_cap)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._stop_requested = threading.Event()

    def start(self) -> SyncThread:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop_requested.is_set():
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.engine.run())
                loop.run_until_complete(self.engine.client.aclose())
                return
            except Exception as exc:  # supervised: report, wait, start again
                self.restarts += 1
                delay = self._restart.next_delay()
                log.exception("sync thread crashed; restart %d in %.1f s", self.restarts, delay)
                self.engine._record_failure(f"同步线程异常已重启（第 {self.restarts} 次）：{exc}", delay)
                self._stop_requested.wait(delay)
            finally:
                self._loop = None
                loop.close()

    def _call(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn)

    def wake(self) -> None:
        self._call(self.engine.wake)

    def stop(self) -> None:
        self._stop_requested.set()
        self.engine._stopped = True
        self._call(self.engine.stop)
        if self._thread.is_alive():
            self._thread.join(timeout=5)
