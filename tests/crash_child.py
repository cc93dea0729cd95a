"""A real counter for the crash test: the real CounterSession (login through the
shift login, case numbers from leased blocks, take_case into the outbox, the
supervised SyncThread) takes cases and delivers them until it is killed.

It prints "ACCEPTED <case_id> <case_number>" only after take_case returned — the
moment the console tells the clerk 已受理 and shows the number.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from offline.store import LocalStore
from tests.casefactory import RECEIVED, newborn_form
from window_tui.config import Config
from window_tui.domain.case import CaseError, new_case_id
from window_tui.session import CounterSession, LoginError


async def main(data_dir: Path, key: Path, url: str, cases: int) -> None:
    config = Config()
    config.sync.batch_size = 5
    config.sync.backoff_initial, config.sync.backoff_cap = 0.05, 0.5
    store = LocalStore(data_dir, key, clock=config.clock())
    session = CounterSession(config=config, store=store, server=url, window=5)
    try:
        clerk = await session.login("1005", "demo1005")
    except LoginError as exc:
        print("LOGIN-FAILED", exc, flush=True)
        return
    print("LOGGED-IN", "offline" if clerk.offline else "online", flush=True)
    session.start_sync()
    forms = [newborn_form(i) for i in range(8)]
    for n in range(cases):
        try:
            case = await asyncio.to_thread(session.take_case, forms[n % len(forms)], case_id=new_case_id(),
                                           received=set(RECEIVED))
        except CaseError as exc:  # e.g. no leased numbers while the platform is down
            print("REFUSED", exc, flush=True)
            await asyncio.sleep(0.1)
            continue
        print("ACCEPTED", case.case_id, case.case_number, flush=True)
        await asyncio.sleep(0.003)
    while store.items("pending", "sent"):
        await asyncio.sleep(0.02)
    print("DRAINED", flush=True)
    session.stop()
    await session.client.aclose()
    store.close()


if __name__ == "__main__":
    data, key, url, count = sys.argv[1:5]
    asyncio.run(main(Path(data), Path(key), url, int(count)))
