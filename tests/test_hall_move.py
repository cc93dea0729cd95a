"""`window-tui admin migrate`: a hall's day on SQLite (tickets, no-shows, cases, ratings,
logins, audit entries) moved into PostgreSQL, checked table by table; run again it copies
nothing and still checks; content that differs in the target is named; the platform then
serves from PostgreSQL and carries on where the hall left off."""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest

from tests.conftest import HALL_TZ, Hall
from tests.platform_process import ServeProcess
from tests.test_stats_export import simulate_day
from window_tui.central.clock import FixedClock
from window_tui.cli import main


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_hall_moves_from_sqlite_to_postgresql_and_carries_on(make_hall, pg_url: str, tmp_path,  # noqa: ANN001
                                                               capsys) -> None:  # noqa: ANN001
    # Today, hall time: the PostgreSQL platform at the end runs on the real clock and must find
    # the waiting ticket in today's queue.
    today = datetime.now(HALL_TZ).replace(hour=0, minute=30, second=0, microsecond=0)
    hall: Hall = make_hall(windows=6, clock=FixedClock(at=today))
    simulate_day(hall)
    with hall.kiosk() as kiosk:
        waiting = kiosk.post("/tickets", json={"service": "A"}).json()["label"]  # still waiting at the move
    hall.server.stop()
    source = hall.platform.connection
    tickets = source.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    events = source.execute("SELECT MAX(id) FROM events").fetchone()[0]
    assert source.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 3
    assert source.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 2

    assert main(["admin", "migrate", "--from", hall.db, "--to", pg_url]) == 0
    out = capsys.readouterr().out
    assert "逐表核对一致" in out and "不一致" not in out
    assert f"本次复制 {tickets:>7} 行" in out  # the tickets line
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == tickets
        assert db.execute("SELECT MAX(id) FROM events").fetchone()[0] == events

    # Again, as after an interruption: nothing to copy, everything checked.
    assert main(["admin", "migrate", "--from", hall.db, "--to", pg_url]) == 0
    again = capsys.readouterr().out
    assert "本次复制       0 行" in again and "本次复制       1" not in again and "逐表核对一致" in again

    # A target that holds something else is named, never called a good move.
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE cases SET status = 'refused' WHERE case_number = (SELECT MIN(case_number) FROM cases)")
    assert main(["admin", "migrate", "--from", hall.db, "--to", pg_url]) == 1
    captured = capsys.readouterr()
    assert "cases" in captured.err and "不一致" in captured.err
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE cases SET status = 'accepted' WHERE status = 'refused'")

    # The platform on PostgreSQL: the waiting ticket is next, numbers and ids continue. The move
    # carried the simulated day's sessions; window 1's is live until 12 hours after its login
    # (on this test's clock, which is today's date), so the hall's IT frees the window first,
    # as they would for a counter PC that went away — else this test fails at night.
    assert main(["admin", "--db", pg_url, "release-window", "1"]) == 0
    server = ServeProcess(pg_url, windows=6, workdir=tmp_path).start(seed=False)
    try:
        token = server.login(1)
        assert server.post("/windows/1/call-next", {}, token)["ticket"]["label"] == waiting
        issued = server.post("/tickets", {"service": "A"}, "demo-kiosk-token")
        assert issued["event_id"] == events + 2 and issued["id"] == tickets + 1
        assert int(issued["label"][1:]) == int(waiting[1:]) + 1
    finally:
        server.stop()
