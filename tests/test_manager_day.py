"""A simulated day for the manager: 3,000 tickets over 30 windows (seeded arrivals, a
clerk's pace of 2–8 minutes, 5 % no-shows), all through the platform's HTTP API with the
hall's clock moved by the test. The test keeps its own count; the manager's screen, its
charts and `stats export` must say the same."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from pathlib import Path

from tests.conftest import Hall
from tests.ui_helpers import screen_text, wait_for

TICKETS = 3000
WINDOWS = 30
DAY = "2026-11-20"


def simulate(hall: Hall) -> dict[str, Counter[int]]:
    """Events in time order: arrivals at the kiosk, windows looking for their next ticket,
    tickets finished. Returns the test's own count of what it did."""
    rng = random.Random(20261128)
    clerks = {w: hall.client(hall.clerk_token(w)) for w in range(1, WINDOWS + 1)}
    kiosk = hall.kiosk()
    counts = {"issued_by_hour": Counter[int](), "served": Counter[int](), "no_shows": Counter[int]()}
    events: list[tuple[float, int, str, int | str]] = []
    sequence = 0

    def push(moment: float, kind: str, subject: int | str) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (moment, sequence, kind, subject))

    moment = 0.0
    for _ in range(TICKETS):  # one about every 9.5 s: a day of about eight hours
        moment += rng.expovariate(1 / 9.5)
        push(moment, "arrive", rng.choices("ABCD", weights=(5, 2, 2, 1))[0])
    last_arrival = moment
    for window in clerks:
        push(0.0, "look", window)
    now = 0.0
    while events:
        at, _, kind, subject = heapq.heappop(events)
        if at > now:
            hall.clock.advance(seconds=at - now)
            now = at
        if kind == "arrive":
            kiosk.post("/tickets", json={"service": subject}).raise_for_status()
            counts["issued_by_hour"][hall.clock.now().hour] += 1
        elif kind == "finish":
            clerks[subject].post(f"/windows/{subject}/finish", json={"case_numbers": []}).raise_for_status()
            counts["served"][subject] += 1  # type: ignore[index]
            push(now, "look", subject)
        else:
            window = int(subject)
            answer = clerks[window].post(f"/windows/{window}/call-next").json()
            if not answer.get("ticket"):
                if now < last_arrival:  # idle: look again in a minute while the kiosk still issues
                    push(now + 60, "look", window)
            elif rng.random() < 0.05:
                clerks[window].post(f"/windows/{window}/no-show").raise_for_status()
                counts["no_shows"][window] += 1
                push(now + 20, "look", window)
            else:
                push(now + rng.uniform(120, 480), "finish", window)
    for client in (*clerks.values(), kiosk):
        client.close()
    return counts


async def test_a_day_of_3000_tickets_shows_in_the_manager_screen_and_the_export(
        make_hall, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from datetime import date

    from openpyxl import load_workbook

    from window_tui.cli import main
    from window_tui.client import PlatformClient
    from window_tui.ui.manager import ManagerApp
    from window_tui.ui.manager_charts import ChartsScreen

    hall: Hall = make_hall(windows=WINDOWS, persons=300)
    truth = simulate(hall)
    issued, served, no_shows = truth["issued_by_hour"], truth["served"], truth["no_shows"]
    assert sum(issued.values()) == TICKETS and hall.clock.now().date().isoformat() == DAY
    waiting = hall.platform.connection.execute("SELECT COUNT(*) FROM tickets WHERE status = 'waiting'").fetchone()[0]
    assert waiting == 0 and sum(served.values()) <= TICKETS <= sum(served.values()) + sum(no_shows.values())

    token = hall.manager_token()
    with hall.client(token) as c:
        stats = c.get("/stats", params={"day": DAY}).json()
    assert {h["hour"]: h["issued"] for h in stats["by_hour"] if h["issued"]} == dict(issued)

    app = ManagerApp(PlatformClient(hall.url, token=token))
    async with app.run_test(size=(120, 40)) as pilot:
        totals = (f"今日取号 {TICKETS}  已办结 {sum(served.values())}  过号 {sum(no_shows.values())}  等候中 0")
        await wait_for(pilot, lambda: totals in screen_text(app), timeout=20)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartsScreen))
        assert app.screen.first == app.screen.last == date.fromisoformat(DAY)
        charts = f"取号 {TICKETS}  办结 {sum(served.values())}  过号 {sum(no_shows.values())}"
        await wait_for(pilot, lambda: charts in screen_text(app), timeout=20)

    out = tmp_path / "day.xlsx"
    assert main(["stats", "export", "--db", hall.db, "--from", DAY, "--to", DAY, "--out", str(out)]) == 0
    capsys.readouterr()
    rows = list(load_workbook(out, read_only=True)["按窗口"].iter_rows(values_only=True))
    by_window = {row[rows[0].index("窗口")]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert {w: r["叫号办结数"] for w, r in by_window.items() if r["叫号办结数"]} == dict(served)
    assert {w: r["过号数"] for w, r in by_window.items() if r["过号数"]} == dict(no_shows)
