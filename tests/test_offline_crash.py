"""SIGKILL a real counter (tests/crash_child.py runs the real CounterSession: shift
login, leased case numbers, take_case, the supervised SyncThread) 200 times at random
moments, and SIGKILL `window-tui serve` 20 times in the middle of syncing. Afterwards:
every case the clerk was shown as taken is on the platform exactly once, under the
number the clerk was shown, and no number is used twice."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.platform_process import ServeProcess

KILLS = 200
SERVE_KILLS = 20


def _accepted(out: bytes) -> list[tuple[str, str]]:
    """Whole lines only: a line cut by the kill was never fully shown."""
    lines = out.decode(errors="replace").split("\n")[:-1]
    return [(parts[1], parts[2]) for parts in (line.split() for line in lines)
            if len(parts) == 3 and parts[0] == "ACCEPTED"]


def test_sigkill_the_real_counter_and_the_platform_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(2026)
    db = tmp_path / "central.db"
    accepted: list[tuple[str, str]] = []
    root = Path(__file__).resolve().parent.parent
    server = ServeProcess(db, windows=8, persons=300).start()
    args = [sys.executable, "-m", "tests.crash_child", str(tmp_path / "data"), str(tmp_path / "store.key"), server.url]
    env = {**os.environ, "PYTHONPATH": str(root), "WINDOW_TUI_CONFIG": str(tmp_path / "none.toml")}
    serve_kills = 0
    offline_logins = 0
    try:
        for n in range(KILLS):
            child = subprocess.Popen(args + ["1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     cwd=root)
            if n % (KILLS // SERVE_KILLS) == 5:
                # The platform dies in the middle of a sync and comes back while the counter works on.
                time.sleep(rng.uniform(1.0, 1.5))
                server.kill()
                serve_kills += 1
                time.sleep(rng.uniform(0.2, 0.6))
                server.start(seed=False)
                time.sleep(rng.uniform(0.0, 0.4))
            else:
                time.sleep(rng.uniform(0.9, 1.6))  # start-up is ~0.9 s; kill while taking and syncing
            child.send_signal(signal.SIGKILL)
            out, err = child.communicate()
            accepted += _accepted(out)
            offline_logins += b"LOGGED-IN offline" in out
            assert b"Traceback" not in err, err.decode()[-3000:]
        final = subprocess.run(args + ["0"], capture_output=True, env=env, cwd=root, timeout=300)
        assert b"DRAINED" in final.stdout, (final.stdout + final.stderr).decode()[-3000:]
    finally:
        server.stop()
    assert serve_kills == SERVE_KILLS
    assert len(accepted) > KILLS  # the kills landed while cases were being taken
    connection = sqlite3.connect(db)
    stored = connection.execute("SELECT case_id, case_number FROM cases").fetchall()
    ids = [r[0] for r in stored]
    numbers = [r[1] for r in stored]
    assert len(ids) == len(set(ids)), "a case stored twice"
    assert len(numbers) == len(set(numbers)), "a case number used twice"
    shown = dict(accepted)
    assert len(shown) == len(accepted), "the counter showed one case twice"
    assert len(set(shown.values())) == len(shown), "the counter showed one number for two cases"
    missing = set(shown) - set(ids)
    assert not missing, f"{len(missing)} cases shown as taken never reached the platform"
    by_id = dict(stored)
    assert all(by_id[case_id] == number for case_id, number in shown.items()), "a case stored under another number"
