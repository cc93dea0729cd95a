"""Offline store: the cost of enqueuing a case with 1,000, 10,000 and 100,000 cases
stored (1,000 of them pending), side by side with plain TinyDB and sqlite3 in WAL
mode (synchronous=FULL), every write durable; then draining 10,000 pending cases
to a local `window-tui serve`.

    .venv/bin/python -m bench.offline_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from rich.progress import Progress
from tinydb import TinyDB

from bench.common import bar_chart, console, median, pct, save
from offline.storage import AtomicJSONStorage
from offline.store import ARCHIVE_CHUNK, LocalStore
from tests.casefactory import newborn_case

PENDING = 1000


def clone(template: dict, n: int) -> dict:
    case = dict(template)
    case["case_id"] = uuid.uuid4().hex
    case["case_number"] = f"370800-20261120-{(n // 9999) % 99 + 1:02d}-{n % 9999 + 1:04d}"
    return case


def populate(store: LocalStore, template: dict, stored: int, progress: Progress) -> None:
    archived = stored - PENDING
    task = progress.add_task(f"准备 {stored:,} 条已存案件", total=stored)
    base = store.directory / "archive"
    docs: list[dict] = []
    chunk = 0
    for n in range(archived):
        case = clone(template, n)
        docs.append({"id": case["case_id"], "kind": "case", "created_at": "2026-11-01T10:00:00+08:00",
                     "ref": case["case_number"], "state": "acknowledged", "attempts": 1, "last_error": "",
                     "last_attempt_at": "", "depends_on": "", "receipt_id": "R", "content_hash": "h",
                     "acknowledged_at": "", "conflict": {}, "errors": {},
                     "body_sealed": store.sealer.seal(case, case["case_id"])})
        if len(docs) == ARCHIVE_CHUNK or n == archived - 1:
            day = base / f"2026-10-{chunk // 40 % 28 + 1:02d}"
            day.mkdir(exist_ok=True)
            AtomicJSONStorage(day / f"{chunk:04d}.json").write({"_default": {str(i): d for i, d in enumerate(docs)}})
            chunk += 1
            progress.advance(task, len(docs))
            docs = []
    for n in range(PENDING):
        case = clone(template, archived + n)
        store.enqueue("case", case["case_id"], case, ref=case["case_number"])
        progress.advance(task)


def measure_store(template: dict, stored: int, samples: int, progress: Progress) -> list[float]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        store = LocalStore(Path(tmp) / "data", Path(tmp) / "store.key")
        populate(store, template, stored, progress)
        store.close()
        store = LocalStore(Path(tmp) / "data", Path(tmp) / "store.key")  # a restart: loads only the pending
        times = []
        for n in range(samples):
            case = clone(template, 10_000_000 + n)
            started = time.perf_counter()
            store.enqueue("case", case["case_id"], case, ref=case["case_number"])
            times.append((time.perf_counter() - started) * 1000)
        store.close()
        return times


def measure_tinydb(template: dict, stored: int, samples: int, progress: Progress) -> list[float]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        db = TinyDB(Path(tmp) / "plain.json")  # TinyDB's own JSONStorage: flush + fsync, in place
        task = progress.add_task(f"TinyDB 准备 {stored:,}", total=1)
        db.insert_multiple(clone(template, n) for n in range(stored))
        progress.advance(task)
        times = []
        for n in range(samples):
            started = time.perf_counter()
            db.insert(clone(template, 10_000_000 + n))
            times.append((time.perf_counter() - started) * 1000)
        db.close()
        return times


def measure_sqlite(template: dict, stored: int, samples: int, progress: Progress) -> list[float]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        connection = sqlite3.connect(Path(tmp) / "plain.db", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("CREATE TABLE cases (id TEXT PRIMARY KEY, body TEXT)")
        task = progress.add_task(f"sqlite3 准备 {stored:,}", total=1)
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO cases VALUES (?, ?)",
                               ((c["case_id"], json.dumps(c)) for c in (clone(template, n) for n in range(stored))))
        connection.execute("COMMIT")
        progress.advance(task)
        times = []
        for n in range(samples):
            case = clone(template, 10_000_000 + n)
            started = time.perf_counter()
            connection.execute("INSERT INTO cases VALUES (?, ?)", (case["case_id"], json.dumps(case)))
            times.append((time.perf_counter() - started) * 1000)
        connection.close()
        return times


def drain(template: dict, count: int, progress: Progress) -> float:
    from offline.sync import Backoff, SyncEngine
    from tests.platform_process import ServeProcess
    from window_tui.client import PlatformClient

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        store = LocalStore(Path(tmp) / "data", Path(tmp) / "store.key")
        task = progress.add_task(f"入队 {count:,} 条待同步案件", total=count)
        for n in range(count):
            case = clone(template, n)
            store.enqueue("case", case["case_id"], case, ref=case["case_number"])
            progress.advance(task)
        with ServeProcess(Path(tmp) / "central.db", persons=300) as server:
            token = server.login(5)
            sync_task = progress.add_task("同步到本机平台", total=count)

            async def run() -> float:
                client = PlatformClient(server.url, token=token, timeout=30)
                engine = SyncEngine(store, client, batch_size=100, backoff=Backoff(initial=0.05, cap=1),
                                    verify=False)
                started = time.perf_counter()
                while store.items():
                    await engine.sync_once()
                    progress.update(sync_task, completed=count - len(store.items()))
                elapsed = time.perf_counter() - started
                await client.aclose()
                return elapsed

            elapsed = asyncio.run(run())
        store.close()
        return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    args = parser.parse_args()
    template = newborn_case(1)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    results: dict[str, dict] = {"case_bytes": len(json.dumps(template, ensure_ascii=False).encode())}
    with Progress(console=console, transient=True) as progress:
        for stored in sizes:
            ours = measure_store(template, stored, 300, progress)
            lite = measure_sqlite(template, stored, 300, progress)
            row = {"ours_p50": median(ours), "ours_p95": pct(ours, 0.95), "sqlite_p50": median(lite),
                   "sqlite_p95": pct(lite, 0.95)}
            if stored <= 10_000:  # plain TinyDB rewrites the whole file: 100,000 would take hours
                plain = measure_tinydb(template, stored, 5 if stored > 1000 else 50, progress)
                row.update(tinydb_p50=median(plain), tinydb_p95=pct(plain, 0.95))
            results[str(stored)] = row
        results["drain_cases_per_s"] = drain(template, 2_000 if args.quick else 10_000, progress)
    console.print(f"案件大小 {results['case_bytes']:,} 字节（JSON，加密前）")
    for stored in sizes:
        r = results[str(stored)]
        console.print(f"[b]{stored:,} 条已存（{PENDING} 条待同步）[/]：本项目 p50 {r['ours_p50']:.2f} ms / p95 "
                      f"{r['ours_p95']:.2f} ms；sqlite3 WAL p50 {r['sqlite_p50']:.2f} / p95 {r['sqlite_p95']:.2f} ms；"
                      + (f"TinyDB 原生 p50 {r['tinydb_p50']:.1f} / p95 {r['tinydb_p95']:.1f} ms；"
                         if "tinydb_p50" in r else "TinyDB 原生：未测（每次重写全部文件）；")
                      + f"本项目/sqlite3 = {r['ours_p95'] / r['sqlite_p95']:.1f}×（p95）")
    rows = []
    for stored in sizes:
        r = results[str(stored)]
        rows.append((f"本项目 {stored:>7,}", r["ours_p95"]))
        rows.append((f"sqlite3 {stored:>7,}", r["sqlite_p95"]))
        if "tinydb_p95" in r:
            rows.append((f"TinyDB  {stored:>7,}", r["tinydb_p95"]))
    bar_chart("入队耗时 p95（越短越好）", rows, "ms")
    console.print(f"同步 {10_000 if not args.quick else 2_000:,} 条到本机平台：{results['drain_cases_per_s']:.0f} 条/秒")
    save("offline", results)


if __name__ == "__main__":
    main()
