"""Started by bench.console_bench: builds the console and exits at its first frame,
printing which heavy modules were imported by then."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path


async def main() -> None:
    from offline.store import LocalStore
    from window_tui.config import Config
    from window_tui.session import CounterSession
    from window_tui.ui.app import CounterApp

    tmp = Path(tempfile.mkdtemp())
    store = LocalStore(tmp / "store", tmp / "store.key")
    session = CounterSession(config=Config(), store=store, server="http://127.0.0.1:9", window=5)
    app = CounterApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        heavy = [m for m in ("escpos", "qrcode", "PIL", "fastapi", "uvicorn", "pypinyin", "chinese_calendar")
                 if m in sys.modules]
        print("FRAME", ",".join(heavy), flush=True)
    store.close()


asyncio.run(main())
