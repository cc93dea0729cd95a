"""The manager's figures in charts (textual-plotext), for any day or range of days:

- 排队 (1): arrivals and calls by hour, p50/p95 wait by service, no-show rate by
  service, ratings by level;
- 办件与评价 (2): time at the counter by bundle, each evaluation indicator's mean score
  and 差评, and the open 差评 follow-ups with their deadlines.

← → move the period by its length, W switches one day / the seven days up to it, R
takes any range (up to a year, the platform's limit). Plot labels are ASCII (hours,
service and bundle codes, 1–5 for the levels): plotext counts a Chinese character as
one cell, so the Chinese words sit in each chart's caption."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.domain.evaluation import FOLLOWUP_OUTCOMES as OUTCOMES
from window_tui.domain.evaluation import LEVELS
from window_tui.ui.dialogs import TextDialog
from window_tui.ui.supervision import SupervisedScreen

MAX_DAYS = 367  # the platform's /stats limit; longer periods go through `stats export`


def parse_range(typed: str) -> tuple[date, date] | str:
    """"2026-11-01 2026-11-30" (or one date) → the period, or what is wrong with it."""
    parts = typed.replace("至", " ").replace("~", " ").split()
    try:
        days = [date.fromisoformat(part) for part in parts]
    except ValueError:
        return "日期应为 年-月-日，如 2026-11-01 2026-11-30"
    if len(days) not in (1, 2):
        return "请输入一个日期，或起止两个日期"
    first, last = days[0], days[-1]
    if last < first:
        return "结束日期不能早于开始日期"
    if (last - first).days >= MAX_DAYS:
        return f"一次最多 {MAX_DAYS} 天；更长的期间请用 window-tui stats export"
    return first, last


class ChartsScreen(SupervisedScreen, Screen[None]):
    CSS = """
    #charts-title { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    TabbedContent, TabPane { height: 1fr; }
    TabPane { padding: 0; }
    .charts { grid-size: 2 2; height: 1fr; }
    .chart { height: 1fr; }
    .chart-caption { height: 1; padding: 0 1; color: $text-muted; }
    #followups-box { column-span: 2; height: 1fr; }
    #followups { height: 1fr; }
    PlotextPlot { height: 1fr; }
    """
    # Priority: the tabs and the follow-up table would take the arrows and digits for themselves.
    BINDINGS = [
        Binding("escape", "close", "返回", id="charts.close"),
        Binding("1", "page('queue')", "排队", id="charts.queue_page", priority=True, show=False),  # on the tabs
        Binding("2", "page('cases')", "办件与评价", id="charts.cases_page", priority=True, show=False),
        Binding("left", "day(-1)", "向前", id="charts.previous_day", priority=True),
        Binding("right", "day(1)", "向后", id="charts.next_day", priority=True),
        Binding("w", "span", "一天/七天", id="charts.span", tooltip="只看当天，或看截至当天的七天"),
        Binding("r", "range", "日期范围", id="charts.range", tooltip="任意起止日期（一年以内）"),
        Binding("d", "close_followup", "回访办结", id="charts.close_followup",
                tooltip="记录选中差评的回访结果（第 2 页）"),
    ]

    def __init__(self, client: PlatformClient, day: date) -> None:
        super().__init__()
        self.client = client
        self.today = day  # the hall's day: follow-ups are overdue against it
        self.first = self.last = day

    def compose(self) -> ComposeResult:
        yield Static("", id="charts-title")
        with TabbedContent(initial="queue"):
            with TabPane("1 排队", id="queue"), Grid(classes="charts"):
                for chart_id, caption in (
                        ("hours", "每小时取号（左）与叫号（右）"), ("waits", "各业务等候 P50（左）与 P95（右），分钟"),
                        ("no-shows", "各业务过号率（%）"), ("ratings", "评价条数：5 非常满意 … 1 非常不满意")):
                    with Vertical(classes="chart"):
                        yield Static(caption, classes="chart-caption")
                        yield PlotextPlot(id=f"chart-{chart_id}")
            with TabPane("2 办件与评价", id="cases"), Grid(classes="charts"):
                for chart_id, caption in (
                        ("bundles", "各一件事窗口办理时长（分钟）"),
                        ("indicators", "均分（满分5）1整体 2效率 3水平 4态度")):
                    with Vertical(classes="chart"):
                        yield Static(caption, classes="chart-caption")
                        yield PlotextPlot(id=f"chart-{chart_id}")
                with Vertical(id="followups-box"):
                    yield Static("差评回访（未办结，按期限）", id="followups-caption", classes="chart-caption")
                    yield DataTable(id="followups", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#followups", DataTable)
        for key, label in (("due", "回访期限"), ("left", "剩余"), ("window", "窗口"), ("level", "评价"),
                           ("case", "办件编号")):
            table.add_column(label, key=key)
        self.load()

    def action_page(self, page: str) -> None:
        self.query_one(TabbedContent).active = page

    def action_day(self, step: int) -> None:
        length = self.last - self.first + timedelta(days=1)
        self.first, self.last = self.first + step * length, self.last + step * length
        self.load()

    def action_span(self) -> None:
        self.first = self.last if self.first != self.last else self.last - timedelta(days=6)
        self.load()

    def action_range(self) -> None:
        self.app.push_screen(TextDialog("统计期间（起止日期，一年以内）", "如 2026-11-01 2026-11-30"), self._range_typed)

    def _range_typed(self, typed: str | None) -> None:
        if not typed or not typed.strip():
            return
        period = parse_range(typed)
        if isinstance(period, str):
            self.notify(period, severity="warning")
            return
        self.first, self.last = period
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_close_followup(self) -> None:
        table = self.query_one("#followups", DataTable)
        if self.query_one(TabbedContent).active != "cases" or table.row_count == 0:
            self.notify("请在第 2 页的差评回访表中选中一条", severity="warning")
            return
        rating_id = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
        choices = "  ".join(f"{n} {label}" for n, label in enumerate(OUTCOMES.values(), start=1))
        self.app.push_screen(TextDialog(f"回访结果：{choices}；再写回访情况", "如 2 已电话说明办理时限，申请人表示理解"),
                             lambda typed: self._followup_typed(rating_id, typed))

    def _followup_typed(self, rating_id: str, typed: str | None) -> None:
        choice, _, note = (typed or "").strip().partition(" ")
        if not choice:
            return
        outcomes = list(OUTCOMES)
        if not choice.isdigit() or not 1 <= int(choice) <= len(outcomes):
            self.notify(f"回访结果请填 1–{len(outcomes)} 之一，再空一格写回访情况", severity="warning")
            return
        self.record_followup(rating_id, outcomes[int(choice) - 1], note.strip())

    @work(group="followups", exit_on_error=False, name="回访办结")
    async def record_followup(self, rating_id: str, outcome: str, note: str) -> None:
        try:
            done = await self.client.close_followup(rating_id, outcome, note)
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"回访未记录：{exc.message}", severity="error")
            return
        self.notify(f"回访已记录：{done['case_number']} {done['outcome_label']}")
        self.load()

    def period(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}（{(self.last - self.first).days + 1} 天）"

    @work(exclusive=True, group="charts", exit_on_error=False)
    async def load(self) -> None:
        title = self.query_one("#charts-title", Static)
        period = self.period()
        title.update(f"大厅统计  {period}  正在查询……")
        try:
            stats = await self.client.stats(self.first.isoformat(), self.last.isoformat())
            followups = await self.client.open_followups()
        except (PlatformUnavailable, PlatformRejected) as exc:
            title.update(f"大厅统计  {period}  无法查询：{exc.message}")
            return
        total = stats["total"]
        title.update(f"大厅统计  {period}  取号 {total['issued']}  办结 {total['served']}  "
                     f"过号 {total['no_shows']}  等候 P50 {total.get('wait_p50_min', 0)} / P95 "
                     f"{total['wait_p95_min']} 分钟")
        self.draw(stats)
        self.show_followups(followups)

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
        bundles = stats.get("by_bundle", [])
        self._bars("bundles", [b["key"] for b in bundles],
                   [[b["handle_p50_min"] for b in bundles], [b["handle_p95_min"] for b in bundles]],
                   horizontal=True, legend=["P50", "P95"])
        indicators = stats.get("by_indicator", [])
        self._bars("indicators", [str(i + 1) for i in range(len(indicators))],
                   [[i["mean_score"] for i in indicators]], top=5)
        bad = "  ".join(f"{i['indicator']} 差评 {i['bad']}/{i['rated']}" for i in indicators if i["bad"])
        reports = stats.get("reports", {})
        self.query_one("#followups-caption", Static).update(
            f"差评回访（未办结，按期限）  本期办不成事 {reports.get('raised', 0)}，逾期未办结 {reports.get('overdue', 0)}"
            + (f"  {bad}" if bad else ""))

    def show_followups(self, followups: list[dict[str, Any]]) -> None:
        table = self.query_one("#followups", DataTable)
        table.clear()
        for f in followups:
            left = (date.fromisoformat(f["due_date"]) - self.today).days
            words = Text(f"逾期 {-left} 天", style="bold red") if left < 0 else Text(
                "今天到期" if left == 0 else f"{left} 天", style="yellow" if left <= 1 else "")
            table.add_row(f["due_date"], words, str(f["window"]), f["level"], f["case_number"], key=f["rating_id"])

    def _bars(self, chart_id: str, labels: list[str], series: list[list[float]], *, horizontal: bool = False,
              legend: list[str] | None = None, top: float | None = None) -> None:
        widget = self.query_one(f"#chart-{chart_id}", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        if labels and any(any(values) for values in series):
            orientation = "horizontal" if horizontal else "vertical"
            if len(series) == 1:
                plt.bar(labels, series[0], orientation=orientation)
            else:
                plt.multiple_bar(labels, series, orientation=orientation, labels=legend)
            if top is not None:
                plt.ylim(0, top)
        else:
            plt.title("无数据")
        widget.refresh()
