"""The counter's local store.

Layout (one directory, one process at a time — `store.lock`):
- pending/<kind>-<id>.json   one small TinyDB file per outbox item not yet
                             acknowledged: an enqueue writes one small file, so
                             its cost does not grow with history or backlog;
- archive/<day>/<nnnn>.json  acknowledged items, sharded by day and by chunks of
                             at most ARCHIVE_CHUNK items, written a batch at a time;
- drafts/<case_id>.json      forms in progress (survive a crash, finish offline);
- journal/<day>.json         print jobs of the day;
- state.json                 case-number sequences, clerk verifiers, sync status,
                             verification alerts; catalog.json: the cached catalog.

Bodies (everything personal) are sealed with AES-GCM; metadata stays clear.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from offline.crypto import SealBroken, Sealer, load_or_create_key
from offline.storage import (
    AtomicJSONStorage,
    CorruptFileSetAside,
    atomic_write_bytes,
    fsync_dir,
    open_db,
    remove_stray_temp_files,
)
from window_tui.clock import Clock

ARCHIVE_CHUNK = 100
KINDS = ("case", "rating", "print", "audit", "handover", "report")
STATES = ("pending", "sent", "acknowledged", "quarantined", "set_aside")
SEALED_DIRS = ("pending", "archive", "drafts", "journal")


class StoreLocked(RuntimeError):
    pass


@dataclass
class OutboxItem:
    id: str
    kind: str
    created_at: str
    ref: str = ""  # case number, for the clerk
    state: str = "pending"
    attempts: int = 0
    last_error: str = ""
    last_attempt_at: str = ""
    depends_on: str = ""  # another item's id that must be acknowledged first
    receipt_id: str = ""
    content_hash: str = ""
    acknowledged_at: str = ""
    conflict: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    body_sealed: str = ""

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class LocalStore:
    def __init__(self, directory: Path, key_file: Path, clock: Clock | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.clock = clock or Clock()
        self._lock_handle = self._take_lock()
        try:
            self.sealer = Sealer(load_or_create_key(key_file, sealed_records_exist=self._has_sealed_records()))
        except BaseException:
            self._lock_handle.close()
            raise
        for sub in SEALED_DIRS:
            (self.directory / sub).mkdir(exist_ok=True)
        self.mutex = threading.RLock()  # the sync worker and the UI worker share the store
        self.problems: list[str] = []
        self.stray_temp_files = remove_stray_temp_files(self.directory)
        self.state = self._open(self.directory / "state.json")
        self.pending: dict[str, OutboxItem] = {}
        self._draft_versions: dict[str, int] = {}
        self._dropped_drafts: set[str] = set()
        self._load_pending()

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds")

    def _has_sealed_records(self) -> bool:
        return any(any((self.directory / sub).glob("*")) for sub in SEALED_DIRS if (self.directory / sub).is_dir())

    def _set_aside(self, path: Path, why: str) -> None:
        """A file that cannot be used: renamed aside (never deleted) and reported."""
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d%H%M%S')}")
        if path.exists():
            os.replace(path, aside)
        self.problems.append(f"文件 {path.name} {why}，已移至 {aside.name}，其余数据照常使用")

    # --- opening -----------------------------------------------------------------------

    def _take_lock(self):  # noqa: ANN202 (an open file)
        path = self.directory / "store.lock"
        handle = open(path, "a+")  # noqa: SIM115 (held open for the store's lifetime)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "未知"
            handle.close()
            raise StoreLocked(f"数据目录 {self.directory} 正被另一个 window-tui 进程使用（PID {holder}）；"
                              "同一台机器同一数据目录只能运行一个窗口程序") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _open(self, path: Path) -> TinyDB:
        before = len(AtomicJSONStorage.problems)
        db = open_db(path)
        self.problems.extend(AtomicJSONStorage.problems[before:])
        return db

    def _load_pending(self) -> None:
        archived = self._recent_archive_ids()
        for path in sorted((self.directory / "pending").glob("*.json")):
            try:
                docs = TinyDB(path, storage=AtomicJSONStorage).all()
            except CorruptFileSetAside as exc:
                self.problems.append(str(exc))
                continue
            if not docs:
                continue
            try:
                item = OutboxItem(**docs[0])
                if item.kind not in KINDS or item.state not in STATES or not item.body_sealed:
                    raise ValueError(f"类型/状态无效（{item.kind}/{item.state}）或内容为空")
            except (TypeError, ValueError) as exc:
                self._set_aside(path, f"缺少字段或格式错误（{exc}）")
                continue
            if item.id in archived:  # crashed between archiving and removing: finish the move
                path.unlink(missing_ok=True)
                continue
            self.pending[item.id] = item

    def _recent_archive_ids(self) -> set[str]:
        # Archiving writes the archive chunk before removing pending files, so only
        # the newest chunk can hold an item whose pending file still exists.
        ids: set[str] = set()
        days = sorted((self.directory / "archive").glob("*"))
        if days:
            chunks = sorted(days[-1].glob("*.json"))
            if chunks:
                ids = {d.get("id", "") for d in self._chunk_docs(chunks[-1])}
        return ids

    def _chunk_docs(self, chunk: Path) -> list[dict[str, Any]]:
        """An archive chunk's records; a truncated or damaged chunk is set aside and reported."""
        try:
            return [dict(d) for d in TinyDB(chunk, storage=AtomicJSONStorage).all()]
        except CorruptFileSetAside as exc:
            self.problems.append(str(exc))
            return []

    def close(self) -> None:
        for db in (self.state,):
            db.close()
        self._lock_handle.close()

    # --- outbox ----------------------------------------------------------------------------

    def _pending_path(self, item: OutboxItem) -> Path:
        return self.directory / "pending" / f"{item.kind}-{item.id}.json"

    def _write_item(self, item: OutboxItem) -> None:
        AtomicJSONStorage(self._pending_path(item)).write({"_default": {"1": item.meta()}})

    def enqueue(self, kind: str, item_id: str, body: dict[str, Any], *, ref: str = "",
                depends_on: str = "") -> OutboxItem:
        """Durable when it returns: only then may the clerk be told "已受理"."""
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind}")
        with self.mutex:
            if item_id in self.pending:
                return self.pending[item_id]
            item = OutboxItem(id=item_id, kind=kind, created_at=self._now(), ref=ref, depends_on=depends_on,
                              body_sealed=self.sealer.seal(body, item_id))
            self._write_item(item)
            self.pending[item_id] = item
            return item

    def body(self, item: OutboxItem) -> dict[str, Any]:
        return self.sealer.open(item.body_sealed, item.id)

    def update(self, item: OutboxItem) -> None:
        with self.mutex:
            self._write_item(item)
            self.pending[item.id] = item

    def replace_body(self, item_id: str, body: dict[str, Any]) -> OutboxItem:
        """The clerk corrected a quarantined record: resubmit it."""
        with self.mutex:
            item = self.pending[item_id]
            item.body_sealed = self.sealer.seal(body, item_id)
            item.state, item.last_error, item.errors, item.conflict = "pending", "", {}, {}
            self.update(item)
            return item

    def quarantine(self, item: OutboxItem, reason: str) -> None:
        """A record that cannot be read or sent: kept, shown to the clerk, not retried."""
        with self.mutex:
            item.state, item.last_error = "quarantined", reason
            self.update(item)

    def set_aside(self, item_id: str, reason: str, clerk: str) -> OutboxItem:
        """The clerk decided a quarantined record will not be sent: archived with the
        reason and who decided, never deleted."""
        with self.mutex:
            item = self.pending[item_id]
            item.state = "set_aside"
            item.last_error = f"{item.last_error}；已搁置（{clerk}，{self._now()}）：{reason}"
            self._archive([item])
            return item

    def items(self, *states: str) -> list[OutboxItem]:
        with self.mutex:
            found = [i for i in self.pending.values() if not states or i.state in states]
        return sorted(found, key=lambda i: (i.created_at, i.id))

    def is_acknowledged(self, item_id: str) -> bool:
        with self.mutex:
            return item_id not in self.pending  # unknown ids are treated as delivered elsewhere

    def acknowledge(self, acks: list[tuple[OutboxItem, str, str]]) -> None:
        """Move delivered items to today's archive chunk in one write, then drop their
        pending files. (item, receipt id, content hash) for each."""
        if not acks:
            return
        with self.mutex:
            now = self._now()
            for item, receipt, digest in acks:
                item.state, item.receipt_id, item.content_hash, item.acknowledged_at = (
                    "acknowledged", receipt, digest, now)
            self._archive([item for item, _, _ in acks])

    def _archive(self, items: list[OutboxItem]) -> None:
        """Into today's archive chunks in one write per chunk, then drop the pending files
        (archive first: a crash in between is finished at the next start)."""
        day_dir = self.directory / "archive" / self._now()[:10]
        new_day = not day_dir.exists()
        day_dir.mkdir(exist_ok=True)
        if new_day:
            fsync_dir(day_dir.parent)
        remaining = list(items)
        while remaining:
            chunk_path, docs = self._open_chunk(day_dir)
            room = ARCHIVE_CHUNK - len(docs)
            batch, remaining = remaining[:room], remaining[room:]
            docs.extend(item.meta() for item in batch)
            AtomicJSONStorage(chunk_path).write({"_default": {str(i + 1): d for i, d in enumerate(docs)}})
        for item in items:
            self._pending_path(item).unlink(missing_ok=True)
            self.pending.pop(item.id, None)
        fsync_dir(self.directory / "pending")

    def _open_chunk(self, day_dir: Path) -> tuple[Path, list[dict[str, Any]]]:
        chunks = sorted(day_dir.glob("*.json"))
        if chunks:
            docs = self._chunk_docs(chunks[-1])
            if len(docs) < ARCHIVE_CHUNK and chunks[-1].exists():
                return chunks[-1], docs
        # Never reuse the name of a chunk that was set aside: a new, higher number.
        used = [int(p.name[:4]) for p in day_dir.iterdir() if p.name[:4].isdigit()]
        return day_dir / f"{max(used, default=0) + 1:04d}.json", []

    def archived(self, day: str) -> list[OutboxItem]:
        out = []
        for chunk in sorted((self.directory / "archive" / day).glob("*.json")):
            for doc in self._chunk_docs(chunk):
                try:
                    out.append(OutboxItem(**doc))
                except TypeError as exc:
                    self.problems.append(f"归档 {chunk.name} 中有一条记录格式错误（{exc}），已跳过")
        return out

    def case_refs(self, day: date) -> list[str]:
        """Case numbers of local cases that may carry `day` (pending, and archived since)."""
        refs = [i.ref for i in self.items() if i.kind == "case"]
        for day_dir in (self.directory / "archive").glob("*"):
            if day_dir.name >= day.isoformat():
                refs += [i.ref for i in self.archived(day_dir.name) if i.kind == "case"]
        return refs

    def find_case(self, case_number: str) -> tuple[OutboxItem, dict[str, Any]] | None:
        """A case by number, pending or archived (the number carries its day)."""
        for item in self.items():
            if item.kind == "case" and item.ref == case_number:
                return item, self.body(item)
        parts = case_number.split("-")
        days = []
        if len(parts) >= 2 and len(parts[1]) == 8:
            days.append(f"{parts[1][:4]}-{parts[1][4:6]}-{parts[1][6:]}")
        days += sorted((p.name for p in (self.directory / "archive").glob("*")), reverse=True)
        for day in dict.fromkeys(days):
            for item in self.archived(day):
                if item.kind == "case" and item.ref == case_number:
                    return item, self.body(item)
        return None

    def purge(self, retention_days: int, today: date | None = None) -> int:
        """Drop archived (acknowledged) records older than the retention period."""
        cutoff = (today or self.clock.today()) - timedelta(days=retention_days)
        removed = 0
        for day_dir in (self.directory / "archive").glob("*"):
            try:
                day = date.fromisoformat(day_dir.name)
            except ValueError:
                continue
            if day < cutoff:
                removed += len(list(day_dir.glob("*.json")))
                shutil.rmtree(day_dir)
        for journal in (self.directory / "journal").glob("*.json"):
            try:
                if date.fromisoformat(journal.stem) < cutoff:
                    journal.unlink()
            except ValueError:
                continue
        return removed

    # --- small state: sequences, verifiers, sync status, alerts --------------------------------

    def _get(self, key: str, default: Any = None) -> Any:
        found = self.state.get(Query().key == key)
        return found["value"] if found else default

    def _set(self, key: str, value: Any) -> None:
        self.state.upsert({"key": key, "value": value}, Query().key == key)

    def get_state(self, key: str, default: Any = None) -> Any:
        with self.mutex:
            return self._get(key, default)

    def set_state(self, key: str, value: Any) -> None:
        with self.mutex:
            self._set(key, value)

    # --- drafts ---------------------------------------------------------------------------------

    def save_draft(self, case_id: str, draft: dict[str, Any], version: int = 0) -> bool:
        """Writes the draft unless a newer version was already written (drafts are saved
        from worker threads that may finish out of order). False when skipped."""
        sealed = self.sealer.seal(draft, case_id)
        payload = json.dumps({"_default": {"1": {"case_id": case_id, "saved_at": self._now(), "sealed": sealed}}},
                             ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with self.mutex:
            if version and version < self._draft_versions.get(case_id, 0):
                return False
            if case_id in self._dropped_drafts:
                return False  # submitted or deleted meanwhile: never resurrect it
            self._draft_versions[case_id] = version
            atomic_write_bytes(self.directory / "drafts" / f"{case_id}.json", payload)
            return True

    def drafts(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for path in sorted((self.directory / "drafts").glob("*.json")):
            try:
                docs = TinyDB(path, storage=AtomicJSONStorage).all()
            except CorruptFileSetAside as exc:
                self.problems.append(str(exc))
                continue
            if not docs:
                continue
            try:
                out.append((docs[0]["case_id"], self.sealer.open(docs[0]["sealed"], docs[0]["case_id"])))
            except (KeyError, TypeError, SealBroken) as exc:
                self._set_aside(path, f"草稿无法打开（{exc}）")
        return out

    def drop_draft(self, case_id: str) -> None:
        with self.mutex:
            self._dropped_drafts.add(case_id)
            (self.directory / "drafts" / f"{case_id}.json").unlink(missing_ok=True)

    # --- print journal (printers.journal.JournalStore) -------------------------------------------

    def _journal(self, day: str) -> TinyDB:
        return TinyDB(self.directory / "journal" / f"{day}.json", storage=AtomicJSONStorage)

    def save_job(self, job: dict[str, Any]) -> None:
        with self.mutex:
            sealed = {**{k: v for k, v in job.items() if k != "source"},
                      "source_sealed": self.sealer.seal(job.get("source", {}), job["job_id"])}
            self._journal(job["created_at"][:10]).upsert(sealed, Query().job_id == job["job_id"])

    def load_job(self, job_id: str) -> dict[str, Any] | None:
        for job in self.all_jobs():
            if job["job_id"] == job_id:
                return job
        return None

    def all_jobs(self) -> list[dict[str, Any]]:
        with self.mutex:
            jobs = []
            for path in sorted((self.directory / "journal").glob("*.json")):
                try:
                    docs = TinyDB(path, storage=AtomicJSONStorage).all()
                except CorruptFileSetAside as exc:
                    self.problems.append(str(exc))
                    continue
                for doc in docs:
                    job = dict(doc)
                    try:
                        job["source"] = self.sealer.open(job.pop("source_sealed"), job["job_id"])
                    except (KeyError, SealBroken) as exc:
                        self.problems.append(f"打印日志 {path.name} 中一条记录无法打开（{exc}），已跳过")
                        continue
                    jobs.append(job)
            return jobs


def status_summary(store: LocalStore) -> dict[str, Any]:
    pending = store.items("pending", "sent")
    oldest = min((i.created_at for i in pending), default="")
    return {
        "pending": len(pending),
        "quarantined": len(store.items("quarantined")),
        "oldest_pending": oldest,
        "sync": store.get_state("sync", {}),
        "alerts": store.get_state("alerts", []),
        "problems": list(store.problems),
        "purge": store.get_state("purge", {}),
    }


def read_status_without_lock(directory: Path) -> dict[str, Any]:
    """For `window-tui sync status` while the console holds the lock: counts from file names
    and the state file, without opening the store."""
    if not (directory / "pending").is_dir():
        raise FileNotFoundError(f"数据目录 {directory} 不存在或不是本程序的数据目录")
    pending = list((directory / "pending").glob("*.json"))
    quarantined = 0
    oldest = ""
    problems = []
    for path in pending:
        try:
            doc = next(iter(json.loads(path.read_text(encoding="utf-8"))["_default"].values()))
        except (OSError, ValueError, StopIteration, KeyError) as exc:
            problems.append(f"{path.name} 无法读取（{exc}）")
            continue
        quarantined += doc.get("state") == "quarantined"
        oldest = min(oldest or doc.get("created_at", ""), doc.get("created_at", ""))
    state: dict[str, Any] = {}
    try:
        rows = json.loads((directory / "state.json").read_text(encoding="utf-8"))["_default"].values()
        state = {r["key"]: r["value"] for r in rows}
    except FileNotFoundError:
        state = {}
    except (OSError, ValueError, KeyError) as exc:
        problems.append(f"state.json 无法读取（{exc}）")
    return {"pending": len(pending) - quarantined, "quarantined": quarantined, "oldest_pending": oldest,
            "sync": state.get("sync", {}), "alerts": state.get("alerts", []), "problems": problems}
