"""The manager's day in charts (textual-plotext): arrivals and calls by hour, p50/p95
wait by service, no-show rate by service, ratings by level — for any day (← →) or the seven days up to it (W).

Plot labels are ASCII (hours, service codes, 1–5 for the rating levels): plotext counts a
Chinese character as one cell, so the Chinese words sit in each chart's caption."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.ui.supervision import SupervisedScreen

LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")  # shown as 5 … 1


class ChartsScreen(SupervisedScreen, Screen[None]):
    CSS = """
    #charts-title { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    #charts { grid-size: 2 2; height: 1fr; }
    .chart { height: 1fr; }
    .chart-caption { height: 1; padding: 0 1; color: $text-muted; }
    PlotextPlot { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "返回", id="charts.close"),
        Binding("left", "day(-1)", "前一天", id="charts.previous_day"),
        Binding("right", "day(1)", "后一天", id="charts.next_day"),
        Binding("w", "span", "一天/七天", id="charts.span", tooltip="只看当天，或看截至当天的七天"),
    ]

    def __init__(self, client: PlatformClient, day: date) -> None:
        super().__init__()
        self.client = client
        self.day = day
        self.span = 1  # days shown, ending with self.day

    def compose(self) -> ComposeResult:
        yield Static("", id="charts-title")
        with Grid(id="charts"):
            for chart_id, caption in (
                    ("hours", "每小时取号（左）与叫号（右）"), ("waits", "各业务等候 P50（左）与 P95（右），分钟"),
                    ("no-shows", "各业务过号率（%）"), ("ratings", "评价条数：5 非常满意 … 1 非常不满意")):
                with Vertical(classes="chart"):
                    yield Static(caption, classes="chart-caption")
                    yield PlotextPlot(id=f"chart-{chart_id}")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def action_day(self, step: int) -> None:
        self.day += timedelta(days=step)
        self.load()

    def action_span(self) -> None:
        self.span = 7 if self.span == 1 else 1
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="charts", exit_on_error=False)
    async def load(self) -> None:
        title = self.query_one("#charts-title", Static)
        first = self.day - timedelta(days=self.span - 1)
        period = self.day.isoformat() if self.span == 1 else f"{first.isoformat()} 至 {self.day.isoformat()}"
        title.update(f"大厅统计  {period}  正在查询……")
        try:
            stats = await self.client.stats(first.isoformat(), self.day.isoformat())
        except (PlatformUnavailable, PlatformRejected) as exc:
            title.update(f"大厅统计  {period}  无法查询：{exc.message}")
            return
        total = stats["total"]
        title.update(f"大厅统计  {period}  取号 {total['issued']}  办结 {total['served']}  "
                     f"过号 {total['no_shows']}  等候 P50 {total.get('wait_p50_min', 0)} / P95 "
                     f"{total['wait_p95_min']} 分钟    ← → 换日期")
        self.draw(stats)

    def draw(self, stats: dict[str, Any]) -> None:
        hours = stats.get("by_hour", [])
        self._bars("hours", [f"{h['hour']:02d}" for h in hours],
                   [[h["issued"] for h in hours], [h["called"] for h in hours]])
        services = [s for s in stats["by_service"] if s["issued"] or s["served"]]
        self._bars("waits", [s["key"] for s in services],
                   [[s.get("wait_p50_min", 0) for s in services], [s["wait_p95_min"] for s in services]])
        self._bars("no-shows", [s["key"] for s in services],
                   [[round(100 * s["no_shows"] / s["issued"], 1) if s["issued"] else 0 for s in services]])
        ratings = stats.get("ratings", {})
        self._bars("ratings", ["5", "4", "3", "2", "1"], [[ratings.get(level, 0) for level in LEVELS]])

    def _bars(self, chart_id: str, labels: list[str], series: list[list[float]]) -> None:
        widget = self.query_one(f"#chart-{chart_id}", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        if labels and any(any(values) for values in series):
            if len(series) == 1:
                plt.bar(labels, series[0])
            else:
                plt.multiple_bar(labels, series)
        else:
            plt.title("无数据")
        widget.refresh()
