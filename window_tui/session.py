"""The counter's working session, without any Textual: the platform client, the
local store, the printers and the sync engine, wired for one window.

The console calls these from Textual workers only: the async methods from async
workers (non-blocking HTTP), the blocking ones (store writes with fsync, printer
sockets) from thread workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from window_tui.client import LoginRequired, PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.clock import Clock
from window_tui.config import Config
from window_tui.domain.case import Case, CaseError, build_case, build_refusal, format_case_number
from window_tui.domain.catalog import Catalog, default_catalog
from window_tui.domain.prefill import FormData
from window_tui.domain.refusal import make_refusal
from window_tui.domain.shared import LookupKey, SharedRecord
from window_tui.domain.workdays import WorkCalendar
from window_tui.shift_login import ShiftLogin

log = logging.getLogger("window_tui.session")

if TYPE_CHECKING:
    from offline.store import LocalStore
    from offline.sync import SyncThread
    from printers.journal import PrintJob
    from printers.service import PrintService


class LoginError(Exception):
    pass


@dataclass
class Clerk:
    number: str
    name: str
    offline: bool = False


@dataclass
class CounterSession:
    config: Config
    store: LocalStore
    server: str
    window: int
    printer_url: str = "preview"
    client: PlatformClient = field(init=False)
    catalog: Catalog = field(default_factory=default_catalog)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    clock: Clock = field(default=None)  # type: ignore[assignment]  # the hall clock; from config when not given
    clerk: Clerk | None = None
    auth: ShiftLogin | None = None
    demo_hint: str = ""  # sample numbers shown by `window-tui demo`
    # Called (from any thread) when the shift's login changes: online again, or refused.
    on_login_change: Callable[[ShiftLogin], None] | None = None
    _printer: PrintService | None = None
    _sync: SyncThread | None = None

    def __post_init__(self) -> None:
        from offline.numbers import CaseNumbers

        self.clock = self.clock or self.config.clock()
        self.client = PlatformClient(self.server)
        self.numbers = CaseNumbers(self.store, self.window)
        self._take_lock = threading.Lock()
        self._opened_cases: set[str] = set()

    # --- login: the session is the one owner of credentials and token ------------------------

    def device_id(self) -> str:
        """This counter installation; the platform binds a window to it. Kept in its own small
        file (not state.json), so a damaged state file does not make the counter a stranger."""
        from offline.storage import atomic_write_bytes

        path = self.store.directory / "device.id"
        try:
            device = path.read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            device = ""
        if len(device) != 32 or not device.isalnum():
            device = uuid.uuid4().hex
            atomic_write_bytes(path, device.encode("ascii"))
        return device

    async def login(self, number: str, password: str) -> Clerk:
        """Online when the platform answers; offline for a clerk who logged in here before.
        After an offline login the shift logs in online by itself once the platform answers."""
        device = await asyncio.to_thread(self.device_id)
        auth = ShiftLogin(number, password, self.window, device, on_change=self._login_changed)
        self.client.auth = auth
        try:
            answer_token = await auth.obtain(self.client, "")
        except PlatformUnavailable as exc:
            clerk = await asyncio.to_thread(self._offline_login, number, password, exc.message)
            self.auth = auth
            return clerk
        except PlatformRejected as exc:
            self.client.auth = None
            raise LoginError(exc.message.removeprefix("平台要求重新登录：")) from exc
        del answer_token
        if auth.hall_code and auth.hall_code != self.config.hall.code:
            # Case numbers begin with the configured code: a counter of one hall must not number
            # another hall's cases (a city platform serves each hall at its own address).
            self.client.auth = None
            raise LoginError(f"本机配置的大厅代码 {self.config.hall.code} 与中心平台的大厅 {auth.hall_code} 不一致："
                             f"请检查配置 hall.code 或平台地址（应为 …/halls/{self.config.hall.code}）")
        self.auth = auth
        name = auth.clerk_name or number
        salt = os.urandom(16)
        verifier = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1).hex()
        await asyncio.to_thread(self.store.set_state, f"verifier:{number}",
                                {"name": name, "salt": salt.hex(), "verifier": verifier})
        self.clerk = Clerk(number, name)
        await self.top_up_numbers(self.client)
        return self.clerk

    def _offline_login(self, number: str, password: str, reason: str) -> Clerk:
        saved = self.store.get_state(f"verifier:{number}")
        if not saved:
            raise LoginError(f"{reason}；工号 {number} 未在本机登录过，无法离线登录")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(saved["salt"]), n=2**14, r=8, p=1).hex()
        if not hmac.compare_digest(computed, saved["verifier"]):
            raise LoginError("工号或密码错误")
        self.clerk = Clerk(number, saved["name"], offline=True)
        return self.clerk

    def _login_changed(self, auth: ShiftLogin, answer: dict[str, Any] | None) -> None:
        if answer is not None and self.clerk is not None and self.clerk.offline:
            self.clerk.offline = False  # the platform answered: this shift is online now
            log.info("automatic online login after offline login (clerk %s)", auth.clerk)
        if self.on_login_change is not None:
            self.on_login_change(auth)

    async def relogin(self, password: str) -> None:
        """The clerk typed the password again after the platform refused the old login."""
        if self.auth is None:
            raise LoginError("尚未登录")
        self.auth.new_password(password)
        try:
            await self.auth.obtain(self.client, "")
        except LoginRequired as exc:
            raise LoginError(exc.message) from exc
        self.wake_sync()

    @property
    def login_problem(self) -> str:
        return self.auth.refused if self.auth is not None else ""

    async def top_up_numbers(self, client: PlatformClient) -> None:
        """Lease more case numbers when today's run low or a coming day has none."""
        from offline.numbers import LEASE_DAYS, LEASE_SIZE, LOW_WATER

        today = self.clock.today()
        remaining = await asyncio.to_thread(self.numbers.remaining, today)
        covered = await asyncio.to_thread(self.numbers.days_covered)
        if remaining >= LOW_WATER and len(covered) >= LEASE_DAYS - 1:
            return
        blocks = await client.lease_case_numbers(self.window, LEASE_DAYS, LEASE_SIZE)
        await asyncio.to_thread(self.numbers.add_blocks, blocks, today)

    # --- queue and shared data -------------------------------------------------------------

    async def queue(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.client.window_action(self.window, action, body)

    async def window_state(self) -> dict[str, Any]:
        return await self.client.window_state(self.window)

    async def lookup(self, key: LookupKey, case_id: str, bundle: str = "", ticket: str = "") -> SharedRecord | None:
        """A registry lookup for a case this window is handling: the intake is registered
        with the platform first (once per case), which is the lookup's stated purpose."""
        if case_id not in self._opened_cases:
            await self.client.open_case(case_id, bundle, ticket)
            self._opened_cases.add(case_id)
        return await self.client.lookup(key, case_id)

    async def refresh_catalog(self) -> bool:
        """The catalog with ETag; True when a new one was stored."""
        cached = await asyncio.to_thread(self.store.get_state, "catalog_etag")
        status, etag, _ = await self.client.catalog(cached)
        if status == 304:
            return False
        await asyncio.to_thread(self.store.set_state, "catalog_etag", etag)
        return True

    # --- cases (blocking: call from a thread worker) ----------------------------------------

    def take_case(self, data: FormData, *, case_id: str, received: set[str], ticket: str = "",
                  optional: tuple[str, ...] = (), now: datetime | None = None,
                  supersedes: dict[str, Any] | None = None) -> Case:
        """Validate, number, and put the case durably in the outbox; then it is 已受理.

        Idempotent by case id: a second call for the same case (a double Ctrl+S, a retry
        after an error) returns the case already taken, with its number; never a second."""
        return self._number_and_save(case_id, now, lambda **build: build_case(
            data, calendar=self.calendar, received=received, ticket=ticket, optional_matters=optional,
            supersedes=supersedes, **build))

    def refuse_case(self, data: FormData, *, case_id: str, reasons: list[str], ground: str, extra: str = "",
                    rule_codes: list[str] | None = None, received: set[str] | None = None, ticket: str = "",
                    optional: tuple[str, ...] = (), now: datetime | None = None) -> Case:
        """不予受理: the written decision, numbered and kept like a case (so it reaches the
        platform, prints, and answers on the progress page). Raises `RefusalError` or
        `CaseError` with one Chinese line when it cannot be issued as it is."""
        refusal = make_refusal(reasons=reasons, ground=ground, extra=extra, rule_codes=rule_codes or [],
                               review_body=self.config.hall.review_body, court=self.config.hall.court)
        return self._number_and_save(case_id, now, lambda **build: build_refusal(
            data, refusal, received=received, ticket=ticket, optional_matters=optional, **build))

    def _number_and_save(self, case_id: str, now: datetime | None, make: Callable[..., Case]) -> Case:
        from offline.numbers import NoCaseNumber

        assert self.clerk is not None
        with self._take_lock:
            existing = self._taken(case_id)
            if existing is not None:
                return existing
            now = now or self.clock.now()
            build = dict(case_id=case_id, hall=self.config.hall.code, window=self.window,
                         clerk=self.clerk.number, accepted_at=now)
            # Built (and so validated) before a number is spent: a refused form leaves no hole.
            case = make(case_number="", **build)
            try:
                seq = self.numbers.take(now.date())
            except NoCaseNumber as exc:
                raise CaseError(str(exc)) from exc
            case = dataclasses.replace(
                case, case_number=format_case_number(self.config.hall.code, now.date(), self.window, seq))
            try:
                self.store.enqueue("case", case.case_id, case.to_json(), ref=case.case_number)
            except OSError as exc:
                raise CaseError(f"案件未能保存到本机（{exc.strerror or exc}），未受理：请检查磁盘空间后重新提交") from exc
            self.store.drop_draft(case_id)
        self.wake_sync()
        return case

    def _taken(self, case_id: str) -> Case | None:
        item = self.store.pending.get(case_id)
        if item is None or item.kind != "case":
            return None
        return Case.from_json(self.store.body(item))

    def save_draft(self, case_id: str, bundle: str, form: dict[str, Any], received: set[str], version: int = 0,
                   ticket: str = "", optional: tuple[str, ...] = (), applicant: str = "") -> bool:
        """`form` is a snapshot (FormData.to_json()) taken on the UI thread; `optional` keeps
        the applicant's answers, so a resumed draft has the same matters; `applicant` is the
        masked name and number the resume list shows."""
        return self.store.save_draft(case_id, {"bundle": bundle, "form": form, "received": sorted(received),
                                               "ticket": ticket, "optional": list(optional), "applicant": applicant,
                                               "saved_at": self.clock.stamp()}, version)

    def delete_draft(self, case_id: str, reason: str) -> None:
        """A draft the clerk discards (the applicant left, a duplicate): gone from this counter,
        with who, when and why in an audit record."""
        assert self.clerk is not None
        self.store.drop_draft(case_id)
        self.store.enqueue("audit", uuid.uuid4().hex, {
            "action": "delete_draft", "case_id": case_id, "clerk": self.clerk.number, "window": self.window,
            "at": self.clock.stamp(), "reason": reason}, ref=case_id[:8])
        self.wake_sync()

    @staticmethod
    def snapshot(data: FormData) -> FormData:
        """A private copy of the form's state for a worker thread (the clerk may keep
        typing); the merged form definition is immutable and shared."""
        return dataclasses.replace(data, entries=dict(data.entries), records=dict(data.records),
                                   unreachable=set(data.unreachable), _memo=None)

    def correct_case(self, original: dict[str, Any], data: FormData, received: set[str]) -> Case:
        """A quarantined case corrected by the clerk: same id, same number, new content,
        resubmitted (the platform's 409 rules apply); which fields changed, who and when
        is recorded in an audit record that travels with it."""
        assert self.clerk is not None
        case = build_case(data, case_id=original["case_id"], case_number=original["case_number"],
                          hall=original["hall"], window=original["window"], clerk=self.clerk.number,
                          accepted_at=datetime.fromisoformat(original["accepted_at"]), calendar=self.calendar,
                          received=received, ticket=original.get("ticket", ""),
                          optional_matters=tuple(original.get("optional_matters", ())),
                          check_code=original.get("check_code", ""))
        new = case.to_json()

        def typed(body: dict[str, Any]) -> dict[str, Any]:
            values = {k: v.get("value") for k, v in body.get("values", {}).items() if isinstance(v, dict)}
            entries = body.get("form", {}).get("entries", {})
            values.update({k: v.get("value") for k, v in entries.items() if isinstance(v, dict)})
            return values

        before, after = typed(original), typed(new)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        if set(received) != set(original.get("received", [])):
            changed.append("materials.received")
        with self._take_lock:
            item = self.store.pending.get(case.case_id)
            reason = item.last_error if item is not None else ""
            self.store.replace_body(case.case_id, new)
            self.store.enqueue("audit", uuid.uuid4().hex, {
                "action": "correct_quarantined_case", "case_id": case.case_id, "case_number": case.case_number,
                "clerk": self.clerk.number, "window": self.window, "at": self.clock.stamp(),
                "fields_changed": changed, "quarantine_reason": reason}, ref=case.case_number,
                depends_on=case.case_id)
        self.wake_sync()
        return case

    def set_aside(self, item_id: str, reason: str) -> None:
        """A quarantined record the clerk decided not to send, with the reason (archived, audited)."""
        assert self.clerk is not None
        item = self.store.set_aside(item_id, reason, self.clerk.number)
        self.store.enqueue("audit", uuid.uuid4().hex, {
            "action": "set_aside_quarantined", "record_id": item.id, "kind": item.kind, "ref": item.ref,
            "clerk": self.clerk.number, "window": self.window, "at": self.clock.stamp(), "reason": reason},
            ref=item.ref)
        self.wake_sync()

    # --- printing (blocking) ---------------------------------------------------------------

    @property
    def printer(self) -> PrintService:
        if self._printer is None:
            from printers.service import PrintService

            hall = self.config.hall_info()
            self._printer = PrintService.from_config(
                self.printer_url, self.config.printer.receipt_profile, role="receipt", hall=hall,
                journal=self.store, connect_timeout=self.config.printer.connect_timeout,
                write_timeout=self.config.printer.write_timeout)
        return self._printer

    def change_printer(self, url: str) -> None:
        from printers.connections import open_connection

        open_connection(url)  # raises a clear error for a bad URL before anything changes
        self.printer_url = url
        self._printer = None

    def print_case(self, case: dict[str, Any], template: str) -> PrintJob:
        job = self.printer.print(template, case, case["case_number"])
        self._record_print(job, case["case_number"])
        return job

    def _record_print(self, job: PrintJob, case_number: str) -> None:
        """Only paper that reached a printer is reported to the platform: a preview or a
        failed job is not a print."""
        if job.state not in ("sent", "unconfirmed"):
            return
        self.store.enqueue("print", job.job_id, {k: v for k, v in job.to_json().items() if k != "data_b64"},
                           ref=case_number)
        self.wake_sync()

    def hand_over(self, info: dict[str, Any], choices: dict[str, Any]) -> tuple[str, PrintJob]:
        """出件: the hand-over is saved here first and reaches the platform exactly once, like a
        case (offline too); then the 领取回执 prints. Returns the record's id and the print job."""
        assert self.clerk is not None
        body = {"case_id": info["case_id"], "case_number": info["case_number"], "kind": choices["kind"],
                "handed_at": self.clock.now().isoformat(timespec="seconds"), "window": self.window,
                "clerk": self.clerk.number, "collector": choices["collector"],
                "authorization": choices["authorization"], "mail": choices["mail"],
                "documents": [{"name": d["name"], "number": d.get("number", ""), "copies": d.get("copies", 1)}
                              for d in info["documents_due"]]}
        handover_id = f"handover-{uuid.uuid4().hex}"
        self.store.enqueue("handover", handover_id, body, ref=info["case_number"])
        self.wake_sync()
        job = self.printer.print("pickup", {**body, "bundle_name": info["bundle_name"]}, info["case_number"])
        self._record_print(job, info["case_number"])
        return handover_id, job

    def raise_report(self, choices: dict[str, Any], wait: float = 4.0) -> tuple[dict[str, Any], PrintJob]:
        """办不成事: saved here first and delivered once like a case; the slip prints with the
        platform's number when it arrives within `wait` seconds, else says it comes by SMS."""
        assert self.clerk is not None
        report_id = f"report-{uuid.uuid4().hex}"
        body = {**choices, "window": self.window, "clerk": self.clerk.number,
                "raised_at": self.clock.now().isoformat(timespec="seconds")}
        self.store.enqueue("report", report_id, body, ref=choices.get("ticket", ""))
        self.wake_sync()
        deadline = time.monotonic() + wait
        while not self.store.is_acknowledged(report_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        number = ""
        if self.store.is_acknowledged(report_id):
            day = self.clock.now().date().isoformat()
            number = next((i.receipt_id for i in self.store.archived(day) if i.id == report_id), "")
        slip = {**body, "report_id": report_id, "report_number": number}
        job = self.printer.print("report", slip, number or report_id)
        self._record_print(job, number or report_id)
        return slip, job

    def reprint_case(self, case: dict[str, Any], template: str, last_job: PrintJob | None = None) -> PrintJob:
        """补打: a deliberate copy, marked on the paper and recorded in the journal."""
        if last_job is None:
            jobs = [j for j in self.store.all_jobs()
                    if j["ref"] == case["case_number"] and j["state"] in ("sent", "unconfirmed")]
            if jobs:
                from printers.journal import PrintJob

                last_job = PrintJob.from_json(jobs[-1])
        if last_job is not None:
            job = self.printer.reprint(last_job.job_id)
        else:
            job = self.printer.print(template, case, case["case_number"], reprint_of="(history)")
        self._record_print(job, case["case_number"])
        return job

    def printed_before(self, case_number: str) -> bool:
        """Whether an original of this case's paper already reached a printer."""
        return any(j["ref"] == case_number and j["state"] in ("sent", "unconfirmed") for j in self.store.all_jobs())

    def preview(self, case: dict[str, Any], template: str) -> list[str]:
        from printers.preview import preview_lines

        return preview_lines(self.printer.render(template, case), self.printer.profile)

    def find_case(self, case_number: str) -> dict[str, Any] | None:
        found = self.store.find_case(case_number)
        return found[1] if found else None

    # --- sync in its own thread and event loop (its store writes must not block the UI) --------

    def start_sync(self, on_change: Any = None) -> None:
        """The sync thread, with its own client sharing the shift's login (ShiftLogin)."""
        from offline.sync import Backoff, SyncEngine, SyncThread

        engine = SyncEngine(self.store, PlatformClient(self.server, auth=self.auth),
                            batch_size=self.config.sync.batch_size,
                            backoff=Backoff(initial=self.config.sync.backoff_initial, cap=self.config.sync.backoff_cap),
                            on_change=on_change, idle_tasks=[self.top_up_numbers, self._purge_task])
        self._sync = SyncThread(engine).start()

    @property
    def sync_thread(self) -> SyncThread | None:
        return self._sync

    def purge_if_due(self) -> int | None:
        """Retention: archived records older than `retention_days`, once a day (at start and
        then daily). Returns how many were removed, or None when not due."""
        today = self.clock.today().isoformat()
        last = self.store.get_state("purge") or {}
        if last.get("day") == today:
            return None
        removed = self.store.purge(self.config.sync.retention_days, self.clock.today())
        self.store.set_state("purge", {"day": today, "removed": removed, "at": self.clock.stamp(),
                                       "retention_days": self.config.sync.retention_days})
        return removed

    async def _purge_task(self, _: PlatformClient) -> None:
        await asyncio.to_thread(self.purge_if_due)

    def wake_sync(self) -> None:
        if self._sync is not None:
            self._sync.wake()

    def stop(self) -> None:
        """Stop the sync thread (safe to call more than once)."""
        sync, self._sync = self._sync, None
        if sync is not None:
            sync.stop()

    def sync_status(self) -> dict[str, Any]:
        from offline.store import status_summary

        summary = status_summary(self.store)
        summary["login_required"] = self.login_problem
        summary["sync_alive"] = self._sync.alive if self._sync is not None else None
        summary["sync_restarts"] = self._sync.restarts if self._sync is not None else 0
        return summary


def open_store(config: Config, data_directory: Path | None = None) -> LocalStore:
    from offline.store import LocalStore
    from window_tui.config import config_path, data_dir

    directory = data_directory or data_dir() / "store"
    return LocalStore(directory, config_path().parent / "store.key", clock=config.clock())
