"""The print-job journal: every job keeps its id, its bytes and what it was
made from, so a failed job can be retried and a receipt can be reprinted.
An automatic retry never sends a job that already succeeded."""

from __future__ import annotations

import base64
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

# The one place the paper's state becomes words: "已打印" only for `sent` (printer confirmed).
STATE_WORDS = {"sent": "已打印", "unconfirmed": "已发送，未确认", "preview": "预览（未打印）", "failed": "打印失败",
               "pending": "待打印"}


@dataclass
class PrintJob:
    job_id: str
    role: str  # receipt | ticket
    template: str
    ref: str  # case number or ticket label
    source: dict[str, Any]  # the data the template was built from (for reprints)
    data_b64: str
    printer: str
    state: str = "pending"  # pending | sent (confirmed) | unconfirmed | preview | failed
    attempts: int = 0
    error: str = ""
    warning: str = ""  # e.g. paper near end, or sent without confirmation
    created_at: str = field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    sent_at: str = ""
    reprint_of: str = ""

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.data_b64)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrintJob:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @classmethod
    def new(cls, *, role: str, template: str, ref: str, source: dict[str, Any], data: bytes, printer: str,
            reprint_of: str = "") -> PrintJob:
        return cls(job_id=uuid.uuid4().hex, role=role, template=template, ref=ref, source=source,
                   data_b64=base64.b64encode(data).decode("ascii"), printer=printer, reprint_of=reprint_of)


class JournalStore(Protocol):
    def save_job(self, job: dict[str, Any]) -> None: ...

    def load_job(self, job_id: str) -> dict[str, Any] | None: ...

    def all_jobs(self) -> list[dict[str, Any]]: ...


class MemoryJournalStore:
    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}

    def save_job(self, job: dict[str, Any]) -> None:
        self.jobs[job["job_id"]] = dict(job)

    def load_job(self, job_id: str) -> dict[str, Any] | None:
        job = self.jobs.get(job_id)
        return dict(job) if job else None

    def all_jobs(self) -> list[dict[str, Any]]:
        return [dict(j) for j in self.jobs.values()]
