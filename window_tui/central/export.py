"""The figures a 政务服务管理局 asks a hall for, over a range of days: per window and
per clerk (tickets, cases by outcome, waits, handling times, no-shows, ratings) and per
bundle (cases, 一次办成 share, promised days, and the days the approval systems really took:
from acceptance to the last matter's result). Column names are Chinese; the rows are
plain values so the same tables go to CSV and to Excel."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from window_tui.central.dialect import Connection
from window_tui.central.stats import percentile, seconds_between
from window_tui.domain.evaluation import LEVELS as RATING_LEVELS

PEOPLE_COLUMNS = ("叫号办结数", "过号数", "受理件数", "一次性告知件数", "不予受理件数", "平均等候（分钟）",
                  "P95等候（分钟）", "平均办理（分钟）", "P95办理（分钟）", "评价数", *RATING_LEVELS)
BUNDLE_COLUMNS = ("一件事", "名称", "申请件数", "受理件数", "一次办成件数", "一次办成占比", "补正后受理件数",
                  "待补正件数", "不予受理件数", "平均承诺办结（自然日）", "审批已办结件数", "平均实际办结（自然日）",
                  "超承诺期件数")


@dataclass
class Tally:
    served: int = 0
    no_shows: int = 0
    cases: dict[str, int] = field(default_factory=lambda: {"accepted": 0, "notice": 0, "rejected": 0})
    waits: list[float] = field(default_factory=list)
    handles: list[float] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATING_LEVELS, 0))

    def row(self) -> list[Any]:
        def minutes(values: list[float], p95: bool = False) -> float:
            if not values:
                return 0.0
            return round((percentile(values, 0.95) if p95 else sum(values) / len(values)) / 60, 1)

        return [self.served, self.no_shows, self.cases["accepted"], self.cases["notice"], self.cases["rejected"],
                minutes(self.waits), minutes(self.waits, True), minutes(self.handles), minutes(self.handles, True),
                sum(self.ratings.values()), *self.ratings.values()]


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class HallFigures:
    """One hall's tallies over the range: per window, per clerk, per bundle, and in all."""

    windows: dict[int, Tally] = field(default_factory=dict)
    clerks: dict[str, Tally] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    bundles: dict[str, dict[str, Any]] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)


def collect(connection: Connection, first: date, last: date,
            progress: Callable[[int, int], None] | None = None) -> HallFigures:
    """Tally one hall's days first..last (inclusive), a day at a time."""
    figures = HallFigures(names={r["number"]: r["name"] for r in connection.execute("SELECT number, name FROM clerks")})
    windows, clerks, bundles, total = figures.windows, figures.clerks, figures.bundles, figures.total
    days = (last - first).days + 1
    for index in range(days):
        day = (first + timedelta(days=index)).isoformat()
        for t in connection.execute("SELECT * FROM tickets WHERE day = ? AND status = 'done'", (day,)):
            tallies = (windows.setdefault(t["window"], Tally()), clerks.setdefault(t["clerk"] or "", Tally()), total)
            wait = seconds_between(t["issued_at"], t["called_at"])
            handle = seconds_between(t["started_at"] or t["called_at"], t["finished_at"])
            for tally in tallies:
                tally.served += 1
                if wait is not None:
                    tally.waits.append(wait)
                if handle is not None:
                    tally.handles.append(handle)
        for e in connection.execute("SELECT window, payload FROM events WHERE day = ? AND kind = 'no_show'", (day,)):
            windows.setdefault(e["window"], Tally()).no_shows += 1
            clerks.setdefault(json.loads(e["payload"]).get("clerk", ""), Tally()).no_shows += 1
            total.no_shows += 1
        for c in connection.execute("SELECT * FROM cases WHERE substr(COALESCE(NULLIF(accepted_at, ''), received_at),"
                                    " 1, 10) = ?", (day,)):
            body = json.loads(c["body"])
            status = c["status"] if c["status"] != "superseded" else "notice"
            for tally in (windows.setdefault(c["window"], Tally()), clerks.setdefault(c["clerk"], Tally()), total):
                tally.cases[status] += 1
            bundle = bundles.setdefault(c["bundle"], {"name": c["bundle_name"], "accepted": 0, "first_visit": 0,
                                                      "after_notice": 0, "notice": 0, "rejected": 0, "promised": [],
                                                      "actual": [], "late": 0})
            if c["status"] == "accepted":
                bundle["accepted"] += 1
                bundle["after_notice" if body.get("supersedes") else "first_visit"] += 1
                promised = seconds_between(c["accepted_at"][:10] + "T00:00:00", c["promised_date"] + "T00:00:00")
                if promised is not None:
                    bundle["promised"].append(promised / 86400)
                decided = _decided_on(connection, c["case_id"], len(body.get("matters", [])))
                if decided:  # every matter has its result: the days it really took
                    bundle["actual"].append((date.fromisoformat(decided) - date.fromisoformat(c["accepted_at"][:10])).days)
                    bundle["late"] += bool(c["promised_date"]) and decided > c["promised_date"]
            elif c["status"] == "notice":
                bundle["notice"] += 1  # still waiting for the missing materials
            elif c["status"] == "rejected":
                bundle["rejected"] += 1
        for r in connection.execute("SELECT r.window, r.level, c.clerk FROM ratings r LEFT JOIN cases c"
                                    " ON c.case_number = r.case_number WHERE substr(r.rated_at, 1, 10) = ?", (day,)):
            windows.setdefault(r["window"], Tally()).ratings[r["level"]] += 1
            clerks.setdefault(r["clerk"] or "", Tally()).ratings[r["level"]] += 1
            total.ratings[r["level"]] += 1
        if progress is not None:
            progress(index + 1, days)
    return figures


def _decided_on(connection: Connection, case_id: str, matters: int) -> str:
    """The date (hall time, as the approval system stated it) the case's last matter was
    decided, once every matter has its result; "" before."""
    row = connection.execute("SELECT COUNT(*) AS n, MAX(decided_at) AS last FROM matter_results WHERE case_id = ?",
                             (case_id,)).fetchone()
    return row["last"][:10] if matters and row["n"] >= matters and row["last"] else ""


def _bundle_rows(bundles: dict[str, dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for code, b in sorted(bundles.items()):
        applications = b["accepted"] + b["notice"] + b["rejected"]  # a completed notice counts once, as accepted
        share = round(b["first_visit"] / applications, 4) if applications else 0.0
        promised = round(sum(b["promised"]) / len(b["promised"]), 1) if b["promised"] else 0.0
        actual = round(sum(b["actual"]) / len(b["actual"]), 1) if b["actual"] else 0.0
        rows.append([code, b["name"], applications, b["accepted"], b["first_visit"], share, b["after_notice"],
                     b["notice"], b["rejected"], promised, len(b["actual"]), actual, b["late"]])
    return rows


def _hall_sheets(figures: HallFigures, period: str, hall: list[Any]) -> list[Sheet]:
    """The three tables of one hall; `hall` is [] for a hall's own export, [code, name] for the city's."""
    by_window = [[period, *hall, number, *tally.row()]
                 for number, tally in sorted(figures.windows.items(), key=lambda i: i[0] or 0)]
    by_clerk = [[period, *hall, number or "（未登录）", figures.names.get(number, ""), *tally.row()]
                for number, tally in sorted(figures.clerks.items())]
    by_bundle = [[period, *hall, *row] for row in _bundle_rows(figures.bundles)]
    columns = ["大厅代码", "大厅"] if hall else []
    return [Sheet("按窗口", ["统计期间", *columns, "窗口", *PEOPLE_COLUMNS], by_window),
            Sheet("按人员", ["统计期间", *columns, "工号", "姓名", *PEOPLE_COLUMNS], by_clerk),
            Sheet("按一件事", ["统计期间", *columns, *BUNDLE_COLUMNS], by_bundle)]


def build_sheets(connection: Connection, first: date, last: date,
                 progress: Callable[[int, int], None] | None = None) -> list[Sheet]:
    """The export's tables for one hall, days first..last (inclusive)."""
    return _hall_sheets(collect(connection, first, last, progress), f"{first.isoformat()}至{last.isoformat()}", [])


def build_city_sheets(halls: list[tuple[str, str, Connection]], first: date, last: date,
                      progress: Callable[[int, int], None] | None = None) -> list[Sheet]:
    """The city's export: every hall's rows (with its code and name), and one sheet with a row
    per hall and the city's total (waits and handling times over all tickets, not averages of
    averages)."""
    period = f"{first.isoformat()}至{last.isoformat()}"
    days = (last - first).days + 1
    sheets: list[Sheet] = []
    per_hall: list[list[Any]] = []
    city = Tally()
    for number, (code, name, connection) in enumerate(halls):
        def step(done: int, _total: int, before: int = number * days) -> None:
            if progress is not None:
                progress(before + done, len(halls) * days)

        figures = collect(connection, first, last, step)
        for index, sheet in enumerate(_hall_sheets(figures, period, [code, name])):
            if len(sheets) <= index:
                sheets.append(sheet)
            else:
                sheets[index].rows.extend(sheet.rows)
        per_hall.append([period, code, name, *figures.total.row()])
        city.served += figures.total.served
        city.no_shows += figures.total.no_shows
        city.waits += figures.total.waits
        city.handles += figures.total.handles
        for status, count in figures.total.cases.items():
            city.cases[status] += count
        for level, count in figures.total.ratings.items():
            city.ratings[level] += count
    per_hall.append([period, "合计", f"全市 {len(halls)} 个大厅", *city.row()])
    return [Sheet("按大厅", ["统计期间", "大厅代码", "大厅", *PEOPLE_COLUMNS], per_hall), *sheets]


def write_csv(sheets: list[Sheet], out: Path) -> list[Path]:
    """One CSV per table (UTF-8 with BOM, so Excel opens the Chinese right): OUT-按窗口.csv …"""
    paths = []
    for sheet in sheets:
        path = out.with_name(f"{out.stem}-{sheet.title}.csv")
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(sheet.headers)
            writer.writerows(sheet.rows)
        paths.append(path)
    return paths


def write_xlsx(sheets: list[Sheet], out: Path) -> list[Path]:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.title)
        page.append(sheet.headers)
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            page.append(row)
        page.freeze_panes = "A2"
        for column, header in zip(page.columns, sheet.headers, strict=False):
            page.column_dimensions[column[0].column_letter].width = max(10, len(header) * 2 + 2)
    book.save(out)
    return [out]
