"""30 windows call at once, 10,000 calls in all, against `window-tui serve --workers 2`:
two processes really serve requests in parallel on one database, so only the
call-next transaction keeps two windows from getting the same ticket (without it
this test fails: see the README's "How the pieces keep their promises")."""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path

from tests.platform_process import ServeProcess, issue_in_parallel

TICKETS = 10_000
WINDOWS = 30


def test_thirty_windows_ten_thousand_calls(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    with ServeProcess(db, windows=WINDOWS, persons=300, workers=2) as server:
        tokens = {w: server.login(w) for w in range(1, WINDOWS + 1)}

        errors = issue_in_parallel([server], TICKETS, 10)
        called: dict[int, list[str]] = {w: [] for w in tokens}
        processes: set[int] = set()

        def window_loop(window: int) -> None:
            connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
            headers = {"Authorization": f"Bearer {tokens[window]}", "Content-Type": "application/json"}
            connection.request("GET", "/api/v1/health")
            processes.add(json.loads(connection.getresponse().read())["process"])
            while True:
                connection.request("POST", f"/api/v1/windows/{window}/call-next", body="{}", headers=headers)
                response = connection.getresponse()
                data = json.loads(response.read())
                if response.status != 200:
                    errors.append(f"call {response.status} {data}")
                    return
                if data["ticket"] is None:
                    return
                called[window].append(data["ticket"]["label"] + "@" + data["ticket"]["service"])
                connection.request("POST", f"/api/v1/windows/{window}/finish", body='{"case_numbers": []}',
                                   headers=headers)
                response = connection.getresponse()
                if response.read() and response.status != 200:
                    errors.append(f"finish {response.status}")

        threads = [threading.Thread(target=window_loop, args=(w,)) for w in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(processes) == 2, processes  # both processes served windows at the same time
    labels = [label for calls in called.values() for label in calls]
    assert len(labels) == TICKETS
    assert len(set(labels)) == TICKETS, [k for k, v in Counter(labels).items() if v > 1][:5]
    connection = sqlite3.connect(db)
    assert dict(Counter(r[0] for r in connection.execute("SELECT status FROM tickets"))) == {"done": TICKETS}
    called_events = connection.execute("SELECT COUNT(*), COUNT(DISTINCT ticket || service) FROM events"
                                       " WHERE kind = 'called'").fetchone()
    assert called_events == (TICKETS, TICKETS)
    ids = [r[0] for r in connection.execute("SELECT id FROM events ORDER BY id")]
    assert ids == list(range(1, 3 * TICKETS + 1))
    assert sum(1 for calls in called.values() if calls) >= WINDOWS - 3
