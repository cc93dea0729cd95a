"""1,000 cases through a hostile network to the real platform end on it exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from offline.store import LocalStore
from offline.sync import Backoff, SyncEngine
from tests.casefactory import newborn_case
from tests.faultproxy import FaultProxy
from tests.platform_process import ServeProcess
from window_tui.client import PlatformClient

CASES = 1000


def test_thousand_cases_exactly_once_through_faults(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    with ServeProcess(db, windows=8, persons=300) as server:
        token = server.login(5)
        proxy = FaultProxy(server.port, {"ok": 0.45, "down": 0.1, "500": 0.1, "429": 0.1, "slow": 0.05, "reset": 0.2},
                           seed=7, slow_seconds=1.5)
        store = LocalStore(tmp_path / "data", tmp_path / "store.key")
        cases = [newborn_case(i, sample=i) for i in range(1, CASES + 1)]
        for case in cases:
            store.enqueue("case", case["case_id"], case, ref=case["case_number"])

        async def drain() -> None:
            client = PlatformClient(proxy.url, token=token, timeout=1.0)
            engine = SyncEngine(store, client, batch_size=25, backoff=Backoff(initial=0.02, cap=0.3),
                                idle_interval=0.05, verify=False)
            task = asyncio.create_task(engine.run())
            for _ in range(1200):
                if not store.items():
                    break
                await asyncio.sleep(0.1)
            engine.stop()
            await task
            await client.aclose()

        asyncio.run(drain())
        proxy.close()
    assert store.items() == [], [(i.state, i.last_error) for i in store.items()][:3]
    assert all(proxy.counts[f] > 0 for f in ("ok", "down", "500", "429", "slow", "reset")), proxy.counts
    connection = sqlite3.connect(db)
    ids = [r[0] for r in connection.execute("SELECT case_id FROM cases")]
    assert len(ids) == CASES and set(ids) == {c["case_id"] for c in cases}
    store.close()
