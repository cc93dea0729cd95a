"""Daily statistics per window and per service: tickets issued, served,
no-shows, waiting time and handling time (mean and 95th percentile)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from window_tui.central.dialect import Connection
from window_tui.central.reports import period_figures
from window_tui.domain import evaluation


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from one stored ISO time to another; None when either is missing."""
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def _summary(waits: list[float], handles: list[float]) -> dict[str, float]:
    return {
        "wait_mean_min": round(sum(waits) / len(waits) / 60, 1) if waits else 0.0,
        "wait_p50_min": round(percentile(waits, 0.5) / 60, 1),
        "wait_p95_min": round(percentile(waits, 0.95) / 60, 1),
        "handle_mean_min": round(sum(handles) / len(handles) / 60, 1) if handles else 0.0,
        "handle_p95_min": round(percentile(handles, 0.95) / 60, 1),
    }


def daily_stats(connection: Connection, day: str, last_day: str | None = None) -> dict[str, Any]:
    """One day's figures, or days day..last_day taken together (percentiles over all their
    tickets, not averages of daily percentiles)."""
    last = last_day or day
    tickets = connection.execute("SELECT * FROM tickets WHERE day >= ? AND day <= ?", (day, last)).fetchall()
    no_show_events = connection.execute(
        "SELECT window, service FROM events WHERE day >= ? AND day <= ? AND kind = 'no_show'", (day, last)
    ).fetchall()
    names = {r["code"]: r["name"] for r in connection.execute("SELECT code, name FROM services")}

    groups: dict[tuple[str, Any], dict[str, Any]] = {}

    def group(kind: str, key: Any) -> dict[str, Any]:
        return groups.setdefault((kind, key), {"issued": 0, "served": 0, "no_shows": 0, "waits": [], "handles": []})

    for t in tickets:
        for g in (group("service", t["original_service"] or t["service"]), group("total", "all")):
            g["issued"] += 1
        if t["status"] == "done":
            wait = seconds_between(t["issued_at"], t["called_at"])
            handle = seconds_between(t["started_at"] or t["called_at"], t["finished_at"])
            for g in (group("service", t["service"]), group("window", t["window"]), group("total", "all")):
                g["served"] += 1
                if wait is not None:
                    g["waits"].append(wait)
                if handle is not None:
                    g["handles"].append(handle)
    for e in no_show_events:
        for g in (group("service", e["service"]), group("window", e["window"]), group("total", "all")):
            g["no_shows"] += 1

    def render(kind: str) -> list[dict[str, Any]]:
        rows = []
        for (k, key), g in sorted(groups.items(), key=lambda item: str(item[0][1])):
            if k != kind:
                continue
            row = {"key": key, "issued": g["issued"], "served": g["served"], "no_shows": g["no_shows"],
                   **_summary(g["waits"], g["handles"])}
            if kind == "service":
                row["name"] = names.get(key, key)
            rows.append(row)
        return rows

    total = render("total")
    return {"day": day, "to": last, "by_service": render("service"), "by_window": render("window"),
            "total": total[0] if total else {"issued": 0, "served": 0, "no_shows": 0, **_summary([], [])},
            "by_hour": _by_hour(connection, day, last, tickets), "ratings": _ratings(connection, day, last),
            "by_bundle": _by_bundle(connection, day, last, tickets), "by_indicator": _by_indicator(connection, day, last),
            "reports": period_figures(connection, day, last)}  # 办不成事: raised, and open past their deadline


def _by_hour(connection: Connection, day: str, last: str, tickets: list[Any]) -> list[dict[str, int]]:
    """Arrivals (tickets issued) and calls (first calls and recalls are not the same: only
    'called' events) per hour of the hall's day, from the first hour with either to the last."""
    issued: dict[int, int] = {}
    for t in tickets:
        hour = int(t["issued_at"][11:13])
        issued[hour] = issued.get(hour, 0) + 1
    called: dict[int, int] = {}
    for e in connection.execute("SELECT at FROM events WHERE day >= ? AND day <= ? AND kind = 'called'",
                                (day, last)):
        hour = int(e["at"][11:13])
        called[hour] = called.get(hour, 0) + 1
    hours = sorted(set(issued) | set(called))
    if not hours:
        return []
    return [{"hour": h, "issued": issued.get(h, 0), "called": called.get(h, 0)} for h in range(hours[0], hours[-1] + 1)]


def _by_bundle(connection: Connection, day: str, last: str, tickets: list[Any]) -> list[dict[str, Any]]:
    """Time at the counter per bundle: each finished ticket's handling time (call or start
    to finish) counts for the bundle of every case it was finished with; a ticket that
    took no case (an enquiry, a hand-over) counts for none."""
    bundle_of = {r["case_number"]: (r["bundle"], r["bundle_name"]) for r in connection.execute(
        "SELECT case_number, bundle, bundle_name FROM cases WHERE substr(COALESCE(NULLIF(accepted_at, ''),"
        " received_at), 1, 10) >= ? AND substr(COALESCE(NULLIF(accepted_at, ''), received_at), 1, 10) <= ?",
        (day, last))}
    handles: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for t in tickets:
        seconds = seconds_between(t["started_at"] or t["called_at"], t["finished_at"])
        if t["status"] != "done" or seconds is None:
            continue
        for code, name in {bundle_of[n] for n in json.loads(t["case_numbers"]) if n in bundle_of}:
            handles.setdefault(code, []).append(seconds)
            names[code] = name
    return [{"key": code, "name": names[code], "tickets": len(values),
             "handle_mean_min": round(sum(values) / len(values) / 60, 1),
             "handle_p50_min": round(percentile(values, 0.5) / 60, 1),
             "handle_p95_min": round(percentile(values, 0.95) / 60, 1)} for code, values in sorted(handles.items())]


def _by_indicator(connection: Connection, day: str, last: str) -> list[dict[str, Any]]:
    """Each evaluation indicator (国办发〔2019〕51号: 整体满意度, 服务效率, 服务水平, 服务态度):
    how many rated it, its mean on the 5 (非常满意) … 1 (非常不满意) scale, and its 差评
    (不满意 and 非常不满意). A rating without an indicator's own level counts its overall level
    for 整体满意度 only."""
    score = {level: evaluation.score(level) for level in evaluation.LEVELS}
    levels: dict[str, list[str]] = {indicator: [] for indicator in evaluation.INDICATORS}
    for r in connection.execute("SELECT level, indicators FROM ratings WHERE substr(rated_at, 1, 10) >= ?"
                                " AND substr(rated_at, 1, 10) <= ?", (day, last)):
        given = json.loads(r["indicators"] or "{}")
        given.setdefault(evaluation.INDICATORS[0], r["level"])
        for indicator in evaluation.INDICATORS:
            if given.get(indicator) in score:
                levels[indicator].append(given[indicator])
    return [{"indicator": indicator, "rated": len(given), "bad": sum(score[level] <= 2 for level in given),
             "mean_score": round(sum(score[level] for level in given) / len(given), 2) if given else 0.0}
            for indicator, given in levels.items()]


def _ratings(connection: Connection, day: str, last: str) -> dict[str, int]:
    counts = dict.fromkeys(evaluation.LEVELS, 0)
    for r in connection.execute("SELECT level FROM ratings WHERE substr(rated_at, 1, 10) >= ?"
                                " AND substr(rated_at, 1, 10) <= ?", (day, last)):
        counts[r["level"]] = counts.get(r["level"], 0) + 1
    return counts
