"""Printing a document: build, encode, check status, send in one write, and
record every step in the journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from printers.connections import Connection, PrinterNotReady, PrinterSendError, open_connection
from printers.encoder import EncodeOptions, Encoder
from printers.journal import JournalStore, MemoryJournalStore, PrintJob
from printers.profiles import PrinterProfile, parse_profile
from printers.status import PrinterStatus
from printers.templates import HallInfo, build

# What the printer's answer lets the job claim; anything else (no answer, a file, CUPS,
# USB/serial, dummy) is "unconfirmed".
CONFIRMED_STATES = {"ok": "sent", "paper_near_end": "sent", "preview": "preview"}


class AlreadyPrinted(RuntimeError):
    """A retry of a job that already succeeded: use a reprint (补打) instead."""


@dataclass
class PrintService:
    connection: Connection
    profile: PrinterProfile
    hall: HallInfo = field(default_factory=HallInfo)
    journal: JournalStore = field(default_factory=MemoryJournalStore)
    role: str = "receipt"
    options: EncodeOptions = field(default_factory=EncodeOptions)

    @classmethod
    def from_config(cls, url: str, profile: str, *, role: str, hall: HallInfo, journal: JournalStore | None = None,
                    connect_timeout: float = 2.0, write_timeout: float = 5.0) -> PrintService:
        """Raises PrinterUrlError / ProfileError with a clear message at start."""
        return cls(open_connection(url, connect_timeout=connect_timeout, write_timeout=write_timeout),
                   parse_profile(profile), hall, journal or MemoryJournalStore(), role)

    def render(self, template: str, source: dict[str, Any], *, reprint: bool = False) -> bytes:
        return Encoder(self.profile, self.options).encode(build(template, source, self.hall, reprint=reprint))

    def status(self) -> PrinterStatus:
        return self.connection.status()

    def print(self, template: str, source: dict[str, Any], ref: str, *, reprint_of: str = "") -> PrintJob:
        data = self.render(template, source, reprint=bool(reprint_of))
        job = PrintJob.new(role=self.role, template=template, ref=ref, source=source, data=data,
                           printer=self.connection.url, reprint_of=reprint_of)
        self.journal.save_job(job.to_json())
        return self._send(job)

    def retry(self, job_id: str) -> PrintJob:
        job = self.job(job_id)
        if job.state in ("sent", "unconfirmed"):
            raise AlreadyPrinted(f"{job.ref} 的单据已成功打印；如需再打一份请使用“补打”")
        return self._send(job)

    def reprint(self, job_id: str) -> PrintJob:
        """A deliberate second copy, marked 补打 on the paper and recorded."""
        original = self.job(job_id)
        return self.print(original.template, original.source, original.ref, reprint_of=original.job_id)

    def job(self, job_id: str) -> PrintJob:
        data = self.journal.load_job(job_id)
        if data is None:
            raise KeyError(f"没有打印任务 {job_id}")
        return PrintJob.from_json(data)

    def failed_jobs(self) -> list[PrintJob]:
        return [PrintJob.from_json(j) for j in self.journal.all_jobs() if j["state"] == "failed"]

    def _send(self, job: PrintJob) -> PrintJob:
        """The job's state says only what is known: `sent` when the printer answered the
        status query ready and took the whole job; `unconfirmed` when it took the bytes
        but never answered the status query; `preview` when no printer is attached."""
        job.attempts += 1
        job.warning = ""
        try:
            status = self.connection.print_job(job.data)
        except PrinterNotReady as exc:
            job.state, job.error = "failed", exc.status.message
        except PrinterSendError as exc:
            job.state, job.error = "failed", str(exc)
        else:
            job.error = ""
            job.state = CONFIRMED_STATES.get(status.kind, "unconfirmed")
            if job.state == "unconfirmed":
                job.warning = f"{status.message}：已发送但打印机未确认，请查看是否出纸"
            elif status.kind == "paper_near_end":
                job.warning = status.message
            job.sent_at = datetime.now().astimezone().isoformat(timespec="seconds")
        self.journal.save_job(job.to_json())
        return job
