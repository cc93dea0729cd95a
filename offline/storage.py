"""A TinyDB storage that writes atomically and durably, and never silently
empties a file it cannot read.

TinyDB's JSONStorage writes in place (seek 0, write, truncate): a crash in the
middle leaves a broken file. Here every write goes to a temporary file that is
fsynced, renamed over the old one with os.replace, and the directory is fsynced
so the rename itself survives a power cut.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage


class CorruptFileSetAside(Exception):
    """A store file could not be read; it was renamed aside and reported."""


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


TMP_SUFFIX = ".tmp"
_serial = itertools.count()
_path_locks: dict[Path, threading.Lock] = {}
_path_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _path_locks_guard:
        return _path_locks.setdefault(path, threading.Lock())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temp file (unique per process, thread and write) → fsync → os.replace → fsync of
    the directory. Writers of one path take turns, so two never race on a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}-{next(_serial)}{TMP_SUFFIX}")
    with _lock_for(path):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk must not leave half files behind
            raise
        fsync_dir(path.parent)


def remove_stray_temp_files(directory: Path) -> int:
    """Temp files left by a crash between write and rename; safe to delete at start
    (the store lock guarantees no other writer is running)."""
    removed = 0
    for tmp in directory.rglob(f".*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


class AtomicJSONStorage(Storage):
    """JSON storage for TinyDB: atomic, durable writes; unreadable files set aside."""

    problems: list[str] = []  # class-level log of files set aside, read by the console

    def __init__(self, path: str | Path, **_: Any) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw:
            return None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return data
        except (ValueError, UnicodeDecodeError) as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d%H%M%S')}")
            os.replace(self.path, aside)
            message = f"文件 {self.path} 无法读取（{exc}），已移至 {aside.name}，其余数据照常使用"
            AtomicJSONStorage.problems.append(message)
            raise CorruptFileSetAside(message) from exc

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        atomic_write_bytes(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def close(self) -> None:
        pass


def open_db(path: Path) -> TinyDB:
    """A TinyDB on one file; a file that cannot be read is set aside and a fresh one started."""
    try:
        db = TinyDB(path, storage=AtomicJSONStorage)
        db.tables()  # force the first read so a corrupt file is found now
    except CorruptFileSetAside:
        db = TinyDB(path, storage=AtomicJSONStorage)
    return db
