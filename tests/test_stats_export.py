"""`window-tui stats export`: a simulated day on the real platform (HTTP, the hall's fixed
clock moved by the test), exported to xlsx and csv, opened back and compared with the
test's own count of what it did."""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from pathlib import Path

from tests.casefactory import newborn_case
from tests.conftest import Hall

BOTH_DATABASES = True  # each platform test runs on SQLite and on PostgreSQL


def simulate_day(hall: Hall) -> dict[str, object]:
    rng = random.Random(20261120)
    clerks = {w: hall.client(hall.clerk_token(w)) for w in range(1, 7)}
    kiosk = hall.kiosk()
    issued_at: dict[str, object] = {}
    served: Counter[int] = Counter()
    no_shows: Counter[int] = Counter()
    no_shows_by_clerk: Counter[str] = Counter()
    waits: dict[int, list[float]] = defaultdict(list)
    finished_at_5: list[str] = []
    taken: list[dict[str, object]] = []
    levels = ["非常满意", "不满意"]
    pad = hall.client("demo-rater-token")
    for _ in range(36):
        ticket = kiosk.post("/tickets", json={"service": rng.choice("AB")}).json()
        issued_at[ticket["label"]] = hall.clock.now()
        hall.clock.advance(minutes=rng.randint(0, 3))
    waiting = True
    while waiting:
        waiting = False
        for window, clerk in clerks.items():
            called = clerk.post(f"/windows/{window}/call-next")
            if called.status_code != 200 or called.json().get("ticket") is None:
                continue  # nobody waiting for this window's services
            waiting = True
            label, call_time = called.json()["ticket"]["label"], hall.clock.now()
            hall.clock.advance(minutes=rng.randint(1, 9))
            if rng.random() < 0.15:
                assert clerk.post(f"/windows/{window}/no-show").status_code == 200
                no_shows[window] += 1
                no_shows_by_clerk[str(1000 + window)] += 1
                continue
            case_numbers = []
            if window == 5 and len(finished_at_5) < 3:
                case = newborn_case(len(finished_at_5) + 1)
                assert clerk.post("/sync/batch", json={"items": [
                    {"kind": "case", "id": case["case_id"], "body": case}]}).json()["results"][0]["status"] == 201
                case_numbers = [case["case_number"]]
                finished_at_5.append(case["case_number"])
                taken.append(case)
            assert clerk.post(f"/windows/{window}/finish", json={"case_numbers": case_numbers}).status_code == 200
            served[window] += 1
            if case_numbers and len(finished_at_5) <= len(levels):  # the applicant rates at the pad
                level = levels[len(finished_at_5) - 1]
                rated = pad.put(f"/records/rating/rating-{case_numbers[0][-4:]}", json={
                    "case_number": case_numbers[0], "window": 5, "level": level, "indicators": {"整体满意度": level},
                    "rated_at": hall.clock.now().isoformat()})
                assert rated.status_code in (200, 201), rated.text
            waits[window].append((call_time - issued_at[label]).total_seconds())  # type: ignore[operator]
    for client in (*clerks.values(), kiosk, pad):
        client.close()
    return {"served": served, "no_shows": no_shows, "no_shows_by_clerk": no_shows_by_clerk, "waits": waits,
            "cases_at_5": len(finished_at_5), "cases": taken, "ratings": Counter(levels[: len(finished_at_5)])}


def test_a_simulated_day_exports_the_counts_the_test_made(make_hall, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    from window_tui.cli import main

    hall: Hall = make_hall(windows=6)
    truth = simulate_day(hall)
    # The approval systems answer: case 1 within its promise, case 2 after it, case 3 in part.
    from tests.test_results import _backoffice

    cases: list[dict] = truth["cases"]  # type: ignore[assignment]
    decided = {0: "2026-11-23T16:00:00+08:00", 1: "2026-12-31T16:00:00+08:00"}
    with hall.client(_backoffice(hall)) as backoffice:
        for index, case in enumerate(cases):
            matters = [m["code"] for m in case["matters"]]
            for code in matters if index < 2 else matters[:1]:
                answered = backoffice.put(f"/cases/{case['case_id']}/matters/{code}/result", json={
                    "outcome": "completed", "decided_at": decided.get(index, decided[0])})
                assert answered.status_code == 201, answered.text
    assert cases[1]["promised_date"] < "2026-12-31" and len(cases[2]["matters"]) > 1
    assert sum(truth["no_shows"].values()) > 0 and len(truth["served"]) >= 4  # type: ignore[attr-defined,arg-type]
    out = tmp_path / "report.xlsx"
    assert main(["stats", "export", "--db", hall.db, "--from", "2026-11-20", "--to", "2026-11-20",
                 "--format", "xlsx", "--out", str(out)]) == 0
    assert "已导出" in capsys.readouterr().out
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["按窗口", "按人员", "按一件事"]

    def table(name: str) -> list[dict[str, object]]:
        rows = list(book[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    by_window = {row["窗口"]: row for row in table("按窗口")}
    served, no_shows = truth["served"], truth["no_shows"]
    assert {w: r["叫号办结数"] for w, r in by_window.items() if r["叫号办结数"]} == dict(served)  # type: ignore[arg-type]
    assert {w: r["过号数"] for w, r in by_window.items() if r["过号数"]} == dict(no_shows)  # type: ignore[arg-type]
    for window, waits in truth["waits"].items():  # type: ignore[attr-defined]
        assert by_window[window]["平均等候（分钟）"] == round(sum(waits) / len(waits) / 60, 1)
    assert by_window[5]["受理件数"] == truth["cases_at_5"] == 3
    assert by_window[5]["评价数"] == 2 and by_window[5]["非常满意"] == 1 and by_window[5]["不满意"] == 1
    by_clerk = {row["工号"]: row for row in table("按人员")}
    assert by_clerk["1005"]["姓名"] and by_clerk["1005"]["受理件数"] == 3 and by_clerk["1005"]["评价数"] == 2
    assert {c: r["过号数"] for c, r in by_clerk.items() if r["过号数"]} == dict(truth["no_shows_by_clerk"])  # type: ignore[arg-type]
    assert sum(r["叫号办结数"] for r in by_clerk.values()) == sum(served.values())  # type: ignore[attr-defined,misc]
    bundle = table("按一件事")[0]
    assert (bundle["一件事"], bundle["申请件数"], bundle["一次办成件数"], bundle["一次办成占比"]) == ("newborn", 3, 3, 1.0)
    # Accepted 11-20: 3 and 41 days; case 3 still waits for a matter and is not counted.
    assert (bundle["审批已办结件数"], bundle["平均实际办结（自然日）"], bundle["超承诺期件数"]) == (2, 22.0, 1)

    assert main(["stats", "export", "--db", hall.db, "--from", "2026-11-20", "--to", "2026-11-20",
                 "--format", "csv", "--out", str(tmp_path / "report.csv")]) == 0
    with (tmp_path / "report-按窗口.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(r["叫号办结数"]) for r in rows) == sum(served.values())  # type: ignore[attr-defined]


def test_export_refuses_a_backwards_range_in_one_line(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from window_tui.cli import main

    assert main(["stats", "export", "--db", str(tmp_path / "c.db"), "--from", "2026-11-20", "--to", "2026-11-19",
                 "--out", str(tmp_path / "r.xlsx")]) == 2
    err = capsys.readouterr().err.strip()
    assert "早于" in err and len(err.splitlines()) == 1
