"""A counter process for the crash test: takes cases and syncs them until killed.

It prints "ACCEPTED <case_id>" only after the case is durably in the outbox —
the moment the clerk would be told 已受理.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path

from offline.store import LocalStore
from offline.sync import Backoff, SyncEngine
from tests.casefactory import newborn_case
from window_tui.client import PlatformClient


async def main(data_dir: Path, key: Path, url: str, token: str, cases: int) -> None:
    store = LocalStore(data_dir, key)
    engine = SyncEngine(store, PlatformClient(url, token=token), batch_size=5,
                        backoff=Backoff(initial=0.01, cap=0.05), idle_interval=0.01, verify=False)
    sync = asyncio.create_task(engine.run())
    for _ in range(cases):
        seq = store.next_sequence(5, date(2026, 11, 20))
        case = newborn_case(seq, sample=seq)
        store.enqueue("case", case["case_id"], case, ref=case["case_number"])
        print("ACCEPTED", case["case_id"], flush=True)
        engine.wake()
        await asyncio.sleep(0.003)
    while store.items("pending", "sent"):
        await asyncio.sleep(0.02)
    print("DRAINED", flush=True)
    engine.stop()
    await sync


if __name__ == "__main__":
    data, key, url, token, count = sys.argv[1:6]
    asyncio.run(main(Path(data), Path(key), url, token, int(count)))
