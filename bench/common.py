"""Shared helpers for the benchmarks: percentiles, a results file, a bar chart."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
console = Console()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _figure(value: float) -> str:
    """As many decimals as the size of the figure deserves: 1,254 / 31.2 / 3.400."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def bar_chart(title: str, rows: list[tuple[str, float]], unit: str, width: int = 40) -> None:
    """A horizontal bar chart on a log-free linear scale, for comparing figures at a glance."""
    top = max((v for _, v in rows if v == v), default=1.0) or 1.0
    table = Table(title=title, show_header=False, box=None)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for label, value in rows:
        filled = 0 if value != value else max(1, round(value / top * width))
        table.add_row(label, "█" * filled, f"{_figure(value)} {unit}" if value == value else "n/a")
    console.print(table)


def cpu_seconds_by_group(groups: dict[str, Callable[[str, str], bool]]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the processes of each group, read from
    /proc: a group is chosen by a test on the process's name and command line."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(groups, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / ticks
        for group, test in groups.items():
            if test(name, cmdline):
                totals[group] += used
                break
    return totals
