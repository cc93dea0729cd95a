from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from offline.crypto import KeyFileError
from offline.store import LocalStore, StoreLocked, read_status_without_lock
from tests.casefactory import newborn_case


def open_store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "data", tmp_path / "keys" / "store.key")


def test_enqueue_is_durable_and_encrypted(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    case = newborn_case(1)
    item = store.enqueue("case", case["case_id"], case, ref=case["case_number"])
    store.close()
    name = case["values"]["mother.name"]["value"]
    for path in (tmp_path / "data").rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert name not in text and case["applicant"]["id_number"] not in text
    assert oct((tmp_path / "keys" / "store.key").stat().st_mode & 0o777) == "0o600"
    again = open_store(tmp_path)
    assert [i.id for i in again.items()] == [item.id]
    assert again.body(again.items()[0]) == case
    again.close()


def test_second_process_gets_a_clear_error(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    code = ("import sys; from pathlib import Path; from offline.store import LocalStore, StoreLocked\n"
            f"try:\n    LocalStore(Path({str(tmp_path / 'data')!r}), Path({str(tmp_path / 'keys' / 'store.key')!r}))\n"
            "except StoreLocked as e:\n    print(e); sys.exit(3)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 3 and "正被另一个" in out.stdout and str(os.getpid()) in out.stdout
    store.close()
    with pytest.raises(StoreLocked):
        open_store(tmp_path)._take_lock()


def test_corrupt_file_is_set_aside_not_emptied(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    first, second = newborn_case(1), newborn_case(2)
    store.enqueue("case", first["case_id"], first)
    store.enqueue("case", second["case_id"], second)
    store.set_state("marker", 1)
    store.close()
    broken = next((tmp_path / "data" / "pending").glob(f"*{first['case_id']}.json"))
    broken.write_text('{"_default": {"1": {"id": ', encoding="utf-8")
    (tmp_path / "data" / "state.json").write_text("not json", encoding="utf-8")
    store = open_store(tmp_path)
    assert [i.id for i in store.items()] == [second["case_id"]]
    assert len(store.problems) == 2 and all("已移至" in p for p in store.problems)
    assert list((tmp_path / "data" / "pending").glob("*.corrupt-*"))
    assert list((tmp_path / "data").glob("state.json.corrupt-*"))
    store.close()


def test_archive_moves_in_batches_and_purges_after_retention(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    items = [store.enqueue("case", c["case_id"], c, ref=c["case_number"]) for c in (newborn_case(i) for i in range(1, 251))]
    store.acknowledge([(i, f"R{n}", f"h{n}") for n, i in enumerate(items)])
    assert store.items() == []
    day = next((tmp_path / "data" / "archive").iterdir())
    assert sorted(p.name for p in day.glob("*.json")) == ["0001.json", "0002.json", "0003.json"]
    found = store.find_case(items[120].ref)
    assert found is not None and found[0].receipt_id == "R120"
    assert store.purge(30, today=date.fromisoformat(day.name)) == 0
    assert store.purge(30, today=date(2100, 1, 1)) == 3
    store.close()


def test_case_numbers_come_only_from_leased_blocks_and_never_repeat(tmp_path: Path) -> None:
    from offline.numbers import CaseNumbers, NoCaseNumber

    day = date(2026, 11, 20)
    store = open_store(tmp_path)
    numbers = CaseNumbers(store, 5)
    with pytest.raises(NoCaseNumber, match="编号由中心平台按窗口分配"):
        numbers.take(day)  # nothing leased: no number is made up
    numbers.add_blocks([{"day": "2026-11-20", "first": 1, "last": 3}, {"day": "2026-11-20", "first": 51, "last": 52},
                        {"day": "2026-11-21", "first": 1, "last": 2}], today=day)
    assert [numbers.take(day) for _ in range(3)] == [1, 2, 3]
    store.close()
    store = open_store(tmp_path)
    numbers = CaseNumbers(store, 5)
    assert numbers.take(day) == 51  # the next block, after a restart
    assert numbers.take(date(2026, 11, 21)) == 1
    store.enqueue("case", "c52", {"x": 1}, ref="370800-20261120-05-0052")
    # state.json restored from an old backup: the blocks come back, but the outbox holds 0052
    state = (tmp_path / "data" / "state.json")
    store.close()
    state.write_text('{"_default": {}}', encoding="utf-8")
    store = open_store(tmp_path)
    numbers = CaseNumbers(store, 5)
    with pytest.raises(NoCaseNumber):
        numbers.take(day)  # state lost: the blocks are gone, only a new lease gives numbers
    numbers.add_blocks([{"day": "2026-11-20", "first": 51, "last": 60}], today=day)
    assert numbers.take(day) == 53  # above every number in the local outbox
    store.close()


def test_key_file_with_wide_permissions_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    (tmp_path / "keys" / "store.key").chmod(0o644)
    with pytest.raises(KeyFileError, match="0600"):
        open_store(tmp_path)


def test_status_readable_while_locked(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    case = newborn_case(1)
    store.enqueue("case", case["case_id"], case)
    status = read_status_without_lock(tmp_path / "data")
    assert status["pending"] == 1
    store.close()
