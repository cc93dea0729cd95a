"""The counter's working session, without any Textual: the platform client, the
local store, the printers and the sync engine, wired for one window.

The console calls these from Textual workers only: the async methods from async
workers (non-blocking HTTP), the blocking ones (store writes with fsync, printer
sockets) from thread workers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.config import Config
from window_tui.domain.case import Case, build_case, format_case_number
from window_tui.domain.catalog import Catalog, default_catalog
from window_tui.domain.prefill import FormData
from window_tui.domain.shared import LookupKey, SharedRecord
from window_tui.domain.workdays import WorkCalendar

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
    clerk: Clerk | None = None
    demo_hint: str = ""  # sample numbers shown by `window-tui demo`
    _printer: PrintService | None = None
    _sync: SyncThread | None = None

    def __post_init__(self) -> None:
        self.client = PlatformClient(self.server)

    # --- login ------------------------------------------------------------------------------

    async def login(self, number: str, password: str) -> Clerk:
        """Online when the platform answers; offline for a clerk who logged in here before."""
        try:
            answer = await self.client.login(number, password, self.window)
        except PlatformUnavailable as exc:
            return await asyncio.to_thread(self._offline_login, number, password, exc.message)
        except PlatformRejected as exc:
            raise LoginError(exc.message) from exc
        name = answer["clerk"]["name"]
        salt = os.urandom(16)
        verifier = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1).hex()
        await asyncio.to_thread(self.store.set_state, f"verifier:{number}",
                                {"name": name, "salt": salt.hex(), "verifier": verifier})
        self.clerk = Clerk(number, name)
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

    # --- queue and shared data -------------------------------------------------------------

    async def queue(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.client.window_action(self.window, action, body)

    async def window_state(self) -> dict[str, Any]:
        return await self.client.window_state(self.window)

    async def lookup(self, key: LookupKey, case_id: str) -> SharedRecord | None:
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
                  optional: tuple[str, ...] = (), now: datetime | None = None) -> Case:
        """Validate, number, and put the case durably in the outbox; then it is 已受理."""
        assert self.clerk is not None
        now = now or datetime.now().astimezone()
        seq = self.store.next_sequence(self.window, now.date())
        case = build_case(
            data, case_id=case_id, case_number=format_case_number(self.config.hall.code, now.date(), self.window, seq),
            hall=self.config.hall.code, window=self.window, clerk=self.clerk.number, accepted_at=now,
            calendar=self.calendar, received=received, ticket=ticket, optional_matters=optional,
        )
        self.store.enqueue("case", case.case_id, case.to_json(), ref=case.case_number)
        self.store.drop_draft(case_id)
        self.wake_sync()
        return case

    def save_draft(self, case_id: str, bundle: str, data: FormData, received: set[str]) -> None:
        self.store.save_draft(case_id, {"bundle": bundle, "form": data.to_json(), "received": sorted(received)})

    # --- printing (blocking) ---------------------------------------------------------------

    @property
    def printer(self) -> PrintService:
        if self._printer is None:
            from printers.service import PrintService
            from printers.templates import HallInfo

            hall = HallInfo(name=self.config.hall.name, progress_url=self.config.hall.progress_url)
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
        self.store.enqueue("print", job.job_id, {k: v for k, v in job.to_json().items() if k != "data_b64"},
                           ref=case["case_number"])
        self.wake_sync()
        return job

    def reprint_case(self, case: dict[str, Any], template: str, last_job: PrintJob | None = None) -> PrintJob:
        """补打: a deliberate copy, marked on the paper and recorded in the journal."""
        if last_job is None:
            jobs = [j for j in self.store.all_jobs() if j["ref"] == case["case_number"] and j["state"] == "sent"]
            if jobs:
                from printers.journal import PrintJob

                last_job = PrintJob.from_json(jobs[-1])
        if last_job is not None:
            job = self.printer.reprint(last_job.job_id)
        else:
            job = self.printer.print(template, case, case["case_number"], reprint_of="(history)")
        self.store.enqueue("print", job.job_id, {k: v for k, v in job.to_json().items() if k != "data_b64"},
                           ref=case["case_number"])
        self.wake_sync()
        return job

    def preview(self, case: dict[str, Any], template: str) -> list[str]:
        from printers.preview import preview_lines

        return preview_lines(self.printer.render(template, case), self.printer.profile)

    def find_case(self, case_number: str) -> dict[str, Any] | None:
        found = self.store.find_case(case_number)
        return found[1] if found else None

    # --- sync in its own thread and event loop (its store writes must not block the UI) --------

    def start_sync(self, on_change: Any = None) -> None:
        from offline.sync import Backoff, SyncEngine, SyncThread

        engine = SyncEngine(self.store, PlatformClient(self.server, token=self.client.token),
                            batch_size=self.config.sync.batch_size,
                            backoff=Backoff(initial=self.config.sync.backoff_initial, cap=self.config.sync.backoff_cap),
                            on_change=on_change)
        self._sync = SyncThread(engine).start()

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

        return status_summary(self.store)


def open_store(config: Config, data_directory: Path | None = None) -> LocalStore:
    from offline.store import LocalStore
    from window_tui.config import config_path, data_dir

    directory = data_directory or data_dir() / "store"
    return LocalStore(directory, config_path().parent / "store.key")
