"""Kill the counter with SIGKILL at random moments, 200 times; afterwards the store
loads and every case the counter reported as accepted is on the server exactly once."""

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


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(2026)
    db = tmp_path / "central.db"
    accepted: list[str] = []
    root = Path(__file__).resolve().parent.parent
    with ServeProcess(db, windows=8, persons=300) as server:
        token = server.login(5)
        args = [sys.executable, "-m", "tests.crash_child", str(tmp_path / "data"), str(tmp_path / "store.key"),
                server.url, token]
        env = {**os.environ, "PYTHONPATH": str(root)}
        for _ in range(KILLS):
            child = subprocess.Popen(args + ["1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     cwd=root)
            time.sleep(rng.uniform(0.35, 0.9))  # start-up is ~0.3 s; kill while taking and syncing
            child.send_signal(signal.SIGKILL)
            out, err = child.communicate()
            accepted += [line.split()[1] for line in out.decode().splitlines() if line.startswith("ACCEPTED")]
            assert b"Traceback" not in err, err.decode()[-2000:]
        final = subprocess.run(args + ["0"], capture_output=True, env=env, cwd=root, timeout=300)
        assert b"DRAINED" in final.stdout, final.stderr.decode()[-2000:]
    assert len(accepted) > KILLS  # the kills landed while cases were being taken
    connection = sqlite3.connect(db)
    on_server = [r[0] for r in connection.execute("SELECT case_id FROM cases")]
    assert len(on_server) == len(set(on_server))
    missing = set(accepted) - set(on_server)
    assert not missing, f"{len(missing)} accepted cases never reached the platform"
    numbers = [r[0] for r in connection.execute("SELECT case_number FROM cases")]
    assert len(numbers) == len(set(numbers))
