"""The status screen: sync state, records needing the clerk, verification
alerts, the printer and failed print jobs (retry with one key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

if TYPE_CHECKING:
    from window_tui.session import CounterSession


class StatusScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "返回", id="status.close"),
        Binding("y", "sync_now", "立即同步", id="status.sync_now"),
        Binding("ctrl+r", "retry_print", "重试所选打印", id="status.retry_print"),
        Binding("f5", "reload", "刷新", id="status.reload"),
    ]

    def __init__(self, session: CounterSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="status-sync")
            yield Static("打印机", classes="section-title")
            yield Static("正在查询打印机状态……", id="status-printer")
            yield DataTable(id="failed-jobs", cursor_type="row")
            yield Static("需处理的记录（平台退回）", classes="section-title")
            yield Static("", id="status-quarantine")
            yield Static("核验提醒", classes="section-title")
            yield Static("", id="status-alerts")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#failed-jobs", DataTable)
        table.add_columns("任务", "单据", "编号", "尝试", "错误")
        self.action_reload()

    def action_reload(self) -> None:
        self.load()
        self.check_printer()

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def load(self) -> None:
        summary = self.session.sync_status()
        quarantined = self.session.store.items("quarantined")
        failed = self.session.printer.failed_jobs()
        self.app.call_from_thread(self.show, summary, quarantined, failed)

    def show(self, summary: dict, quarantined: list, failed: list) -> None:
        sync = summary.get("sync", {})
        online = {True: "在线", False: "离线", None: "未知"}[sync.get("online")]
        lines = [f"同步：{online}  待同步 {summary['pending']} 条  需处理 {summary['quarantined']} 条",
                 f"最早待同步：{summary['oldest_pending'] or '无'}",
                 f"最近成功：{sync.get('last_success_at', '无')}  最近错误：{sync.get('last_error') or '无'}"]
        if sync.get("retry_in"):
            lines.append(f"{sync['retry_in']} 秒后自动重试（按 Y 立即同步）")
        for problem in summary.get("problems", []):
            lines.append(f"⚠ {problem}")
        self.query_one("#status-sync", Static).update("\n".join(lines))
        table = Table(show_header=True, box=None)
        for column in ("类型", "编号", "原因"):
            table.add_column(column)
        for item in quarantined:
            reason = item.last_error
            if item.errors:
                reason += "：" + "；".join(item.errors.values())
            if item.conflict:
                reason += "（平台已存另一版本，两版均保留，请核对后重新提交）"
            table.add_row(item.kind, item.ref or item.id[:8], reason)
        self.query_one("#status-quarantine", Static).update(table if quarantined else "无")
        alerts = summary.get("alerts", [])
        self.query_one("#status-alerts", Static).update(
            "\n".join(f"{a['case_number']} {a['label']}：录入“{a['typed']}”，共享数据为“{a['registry']}”"
                      for a in alerts) or "无")
        jobs = self.query_one("#failed-jobs", DataTable)
        jobs.clear()
        for job in failed:
            jobs.add_row(job.job_id[:8], job.template, job.ref, str(job.attempts), job.error, key=job.job_id)

    @work(thread=True, exclusive=True, group="printer-status", exit_on_error=False)
    def check_printer(self) -> None:
        try:
            status = self.session.printer.status()
            text = f"{self.session.printer_url}：{status.message}"
        except Exception as exc:  # a bad URL or profile: say it
            text = f"{self.session.printer_url}：{exc}"
        self.app.call_from_thread(self.query_one("#status-printer", Static).update, text)

    def action_sync_now(self) -> None:
        self.session.wake_sync()
        self.notify("已请求立即同步")
        self.set_timer(1.5, self.load)

    @on(DataTable.RowSelected, "#failed-jobs")
    def row_selected(self) -> None:
        self.action_retry_print()

    def action_retry_print(self) -> None:
        table = self.query_one("#failed-jobs", DataTable)
        if table.row_count == 0:
            self.notify("没有失败的打印任务")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.retry(str(key))

    @work(thread=True, exclusive=True, group="retry", exit_on_error=False)
    def retry(self, job_id: str) -> None:
        from printers.service import AlreadyPrinted

        try:
            job = self.session.printer.retry(job_id)
        except AlreadyPrinted as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="warning")
            return
        message = "重试成功" if job.state == "sent" else f"重试失败：{job.error}"
        self.app.call_from_thread(self.notify, message, severity="information" if job.state == "sent" else "error")
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()
