"""Damage is survivable: the counter starts, says what it set aside and why, and keeps
working; one bad record or a failing pass never stops delivery of the others."""

from __future__ import annotations

import asyncio
import errno
import json
import threading
import time
from pathlib import Path

import pytest

from offline import storage
from offline.crypto import KeyFileError
from offline.store import LocalStore
from offline.sync import Backoff, SyncEngine, SyncThread
from tests.casefactory import newborn_case
from tests.conftest import Hall
from window_tui.client import PlatformClient


def open_store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "data", tmp_path / "keys" / "store.key")


def _fill(store: LocalStore, n: int, first: int = 1) -> list[dict]:
    cases = [newborn_case(i) for i in range(first, first + n)]
    for case in cases:
        store.enqueue("case", case["case_id"], case, ref=case["case_number"])
    return cases


async def test_a_record_that_does_not_decrypt_is_quarantined_and_the_rest_delivered(hall: Hall, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    cases = _fill(store, 10)
    store.close()
    victim = tmp_path / "data" / "pending" / f"case-{cases[3]['case_id']}.json"
    doc = json.loads(victim.read_text())
    sealed = doc["_default"]["1"]["body_sealed"]
    doc["_default"]["1"]["body_sealed"] = sealed[:40] + ("A" if sealed[40] != "A" else "B") + sealed[41:]
    victim.write_text(json.dumps(doc))  # one changed byte
    store = open_store(tmp_path)
    engine = SyncEngine(store, PlatformClient(hall.url, token=hall.clerk_token(5)), verify=False)
    await engine.sync_once()
    assert [i.id for i in store.items()] == [cases[3]["case_id"]]
    bad = store.items("quarantined")[0]
    assert "无法读取" in bad.last_error and "无法解密" in bad.last_error
    on_platform = {r[0] for r in hall.platform.connection.execute("SELECT case_id FROM cases")}
    assert on_platform == {c["case_id"] for i, c in enumerate(cases) if i != 3}
    await engine.client.aclose()
    store.close()


def test_a_pending_file_missing_fields_is_set_aside_at_start(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    cases = _fill(store, 3)
    store.close()
    victim = tmp_path / "data" / "pending" / f"case-{cases[1]['case_id']}.json"
    victim.write_text(json.dumps({"_default": {"1": {"id": cases[1]["case_id"], "kind": "case"}}}))
    store = open_store(tmp_path)
    assert len(store.items()) == 2
    assert any("缺少字段或格式错误" in p for p in store.problems)
    assert list((tmp_path / "data" / "pending").glob("*.corrupt-*"))  # kept aside, never deleted
    store.enqueue("case", "new-one", {"x": 1}, ref="x")  # and the store keeps working
    store.close()


def test_a_truncated_archive_chunk_is_set_aside_and_archiving_goes_on(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    items = [store.enqueue("case", f"c{i}", {"n": i}, ref=f"r{i}") for i in range(5)]
    store.acknowledge([(i, f"R{n}", "h" * 64) for n, i in enumerate(items[:3])])
    store.close()
    chunk = next((tmp_path / "data" / "archive").glob("*/0001.json"))
    chunk.write_bytes(chunk.read_bytes()[: len(chunk.read_bytes()) // 2])
    store = open_store(tmp_path)
    assert any("无法读取" in p for p in store.problems)
    store.acknowledge([(i, "R", "h" * 64) for i in store.items()])
    day = chunk.parent.name
    assert {i.id for i in store.archived(day)} == {"c3", "c4"}
    assert not store.items()
    store.close()


def test_a_garbage_key_file_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    key = tmp_path / "keys" / "store.key"
    key.write_bytes(b"not base64 at all \x00\xff")
    with pytest.raises(KeyFileError, match=r"store\.key.*(损坏|无效).*备份"):
        open_store(tmp_path)


def test_a_missing_key_is_never_replaced_while_sealed_records_exist(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _fill(store, 1)
    store.close()
    (tmp_path / "keys" / "store.key").unlink()
    with pytest.raises(KeyFileError, match="不会自动生成新密钥"):
        open_store(tmp_path)
    assert not (tmp_path / "keys" / "store.key").exists()


def test_a_tampered_draft_is_set_aside(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.save_draft("d1", {"bundle": "newborn", "form": {}, "received": []})
    store.save_draft("d2", {"bundle": "newborn", "form": {}, "received": []})
    path = tmp_path / "data" / "drafts" / "d1.json"
    doc = json.loads(path.read_text())
    doc["_default"]["1"]["sealed"] = doc["_default"]["1"]["sealed"][::-1]
    path.write_text(json.dumps(doc))
    assert [d for d, _ in store.drafts()] == ["d2"]
    assert any("草稿无法打开" in p for p in store.problems)
    store.close()


def test_six_hundred_concurrent_draft_writes_never_collide(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    failures: list[BaseException] = []
    barrier = threading.Barrier(6)

    def writer(offset: int) -> None:
        barrier.wait()
        for n in range(100):
            version = offset + 6 * n + 1
            try:
                store.save_draft("same", {"bundle": "newborn", "form": {"v": version}, "received": []}, version)
            except BaseException as exc:  # noqa: BLE001 (counted and asserted below)
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert dict(store.drafts())["same"]["form"] == {"v": 600}  # the newest snapshot wins
    assert not list((tmp_path / "data" / "drafts").glob(".*.tmp"))
    store.close()


def test_stray_temp_files_are_cleaned_at_start(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    stray = tmp_path / "data" / "pending" / ".case-x.json.123-456-7.tmp"
    stray.write_text("half")
    store = open_store(tmp_path)
    assert not stray.exists() and store.stray_temp_files == 1
    store.close()


def test_a_full_disk_refuses_the_case_in_chinese_and_keeps_nothing_half_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from offline.numbers import CaseNumbers
    from tests.casefactory import RECEIVED, newborn_form
    from window_tui.config import Config
    from window_tui.domain.case import CaseError, new_case_id
    from window_tui.session import Clerk, CounterSession

    store = open_store(tmp_path)
    session = CounterSession(config=Config(), store=store, server="http://127.0.0.1:9", window=5)
    session.clerk = Clerk("1005", "陈静")
    CaseNumbers(store, 5).add_blocks([{"day": session.clock.today().isoformat(), "first": 1, "last": 9}],
                                     session.clock.today())
    real = storage.atomic_write_bytes

    def full(path: Path, data: bytes) -> None:
        if "pending" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr("offline.store.AtomicJSONStorage.write",
                        lambda self, data: full(self.path, json.dumps(data).encode()))
    with pytest.raises(CaseError, match="未能保存到本机.*未受理"):
        session.take_case(newborn_form(1), case_id=new_case_id(), received=set(RECEIVED))
    assert not store.items()
    store.close()


async def test_the_sync_thread_survives_failing_passes_and_its_own_crash(hall: Hall, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    cases = _fill(store, 5)
    engine = SyncEngine(store, PlatformClient(hall.url, token=hall.clerk_token(5)), verify=False,
                        backoff=Backoff(initial=0.05, cap=0.2), idle_interval=0.05)
    real_ack, real_run = store.acknowledge, engine.run
    failures = {"ack": 2, "run": 1}

    def flaky_ack(acks: list) -> None:
        if failures["ack"]:
            failures["ack"] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real_ack(acks)

    async def crashing_run() -> None:
        if failures["run"]:
            failures["run"] -= 1
            raise RuntimeError("bug in the loop")
        await real_run()

    store.acknowledge = flaky_ack  # type: ignore[method-assign]
    engine.run = crashing_run  # type: ignore[method-assign]
    thread = SyncThread(engine, restart_initial=0.05, restart_cap=0.1).start()
    deadline = time.monotonic() + 20
    while store.items() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    seen_error = store.get_state("sync", {}).get("last_error", "")
    thread.stop()
    assert not store.items()
    assert thread.restarts == 1
    assert failures == {"ack": 0, "run": 0}
    on_platform = {r[0] for r in hall.platform.connection.execute("SELECT case_id FROM cases")}
    assert {c["case_id"] for c in cases} <= on_platform
    assert seen_error == ""  # cleared by the success after the errors
    store.close()


def test_retention_purge_runs_at_start_and_reports_its_count(tmp_path: Path) -> None:
    from window_tui.config import Config
    from window_tui.session import CounterSession

    store = open_store(tmp_path)
    old = store.enqueue("case", "old", {"n": 1}, ref="old")
    store.acknowledge([(old, "R", "h" * 64)])
    day = next((tmp_path / "data" / "archive").iterdir())
    day.rename(day.with_name("2000-01-01"))
    session = CounterSession(config=Config(), store=store, server="http://127.0.0.1:9", window=5)
    assert session.purge_if_due() == 1
    assert session.purge_if_due() is None  # once a day
    assert session.sync_status()["purge"]["removed"] == 1
    assert not (tmp_path / "data" / "archive" / "2000-01-01").exists()
    store.close()
