"""The status screen: sync state, records needing the clerk, verification
alerts, the printer and failed print jobs (retry with one key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from window_tui.ui.supervision import SupervisedScreen
from window_tui.ui.widgets import CounterFooter

if TYPE_CHECKING:
    from window_tui.session import CounterSession

REPORTS_RETRY_S = 5  # the open 办不成事 reports are asked for again this long after a failed query


class StatusScreen(SupervisedScreen, Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "返回", id="status.close"),
        Binding("y", "sync_now", "立即同步", id="status.sync_now"),
        Binding("ctrl+r", "retry_print", "重试打印", id="status.retry_print", tooltip="重试所选的失败打印"),
        Binding("o", "correct", "更正退回", id="status.correct", tooltip="打开平台退回的案件更正后重新提交"),
        Binding("d", "set_aside", "搁置", id="status.set_aside", tooltip="搁置平台退回的记录并填写理由"),
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
            yield Static("需处理的记录（平台退回：O 打开更正后重新提交，D 搁置并填写理由）", classes="section-title")
            yield DataTable(id="quarantine", cursor_type="row")
            yield Static("办不成事反映（逾期未办结）", classes="section-title")
            yield Static("正在查询……", id="status-reports")
            yield Static("核验提醒", classes="section-title")
            yield Static("", id="status-alerts")
            yield Static("后台任务错误", classes="section-title")
            yield Static("", id="status-errors")
        yield CounterFooter()

    def on_mount(self) -> None:
        table = self.query_one("#failed-jobs", DataTable)
        table.add_columns("任务", "单据", "编号", "尝试", "错误")
        self.query_one("#quarantine", DataTable).add_columns("类型", "编号", "原因")
        self.action_reload()

    def action_reload(self) -> None:
        self.load()
        self.check_printer()
        self.load_reports()

    @work(exclusive=True, group="status-reports", exit_on_error=False)
    async def load_reports(self) -> None:
        from window_tui.client import PlatformRejected, PlatformUnavailable

        try:
            reports = await self.session.client.open_reports()
        except (PlatformUnavailable, PlatformRejected) as exc:
            # The clerk may leave this screen open: ask again rather than leave the failure up.
            self.query_one("#status-reports", Static).update(f"无法查询：{exc.message}（{REPORTS_RETRY_S} 秒后重试）")
            self.set_timer(REPORTS_RETRY_S, self.load_reports)
            return
        overdue = [r for r in reports if r["overdue"]]
        lines = [f"{r['report_number']}  {r['category']}  期限 {r['deadline']}  {r['state_label']}  "
                 f"{r['window']}号窗口登记  {r['contact']}" for r in overdue]
        head = f"未办结 {len(reports)} 件，逾期 {len(overdue)} 件"
        self.query_one("#status-reports", Static).update("\n".join([head, *lines]))

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def load(self) -> None:
        summary = self.session.sync_status()
        quarantined = self.session.store.items("quarantined")
        failed = self.session.printer.failed_jobs()
        self.app.call_from_thread(self.show, summary, quarantined, failed)

    def show(self, summary: dict, quarantined: list, failed: list) -> None:
        sync = summary.get("sync", {})
        online = {True: "在线", False: "离线", None: "未知"}[sync.get("online")]
        thread = {True: "运行中", False: "已停止", None: "未启动"}[summary.get("sync_alive")]
        lines = [f"同步：{online}  同步线程 {thread}（自动重启 {summary.get('sync_restarts', 0)} 次）  "
                 f"待同步 {summary['pending']} 条  需处理 {summary['quarantined']} 条",
                 f"最早待同步：{summary['oldest_pending'] or '无'}",
                 f"最近成功：{sync.get('last_success_at', '无')}  最近错误：{sync.get('last_error') or '无'}"
                 + (f"（{sync['last_error_at']}）" if sync.get("last_error") and sync.get("last_error_at") else "")]
        if summary.get("login_required"):
            lines.append(f"⚠ {summary['login_required']}：在主界面按 Ctrl+L 重新登录")
        if sync.get("retry_in"):
            lines.append(f"{sync['retry_in']} 秒后自动重试（按 Y 立即同步）")
        purge = summary.get("purge") or {}
        if purge:
            lines.append(f"保留期 {purge.get('retention_days')} 天：{purge.get('day')} 清理已上传的过期记录 "
                         f"{purge.get('removed', 0)} 个归档文件")
        for problem in summary.get("problems", []):
            lines.append(f"⚠ {problem}")
        self.query_one("#status-sync", Static).update("\n".join(lines))
        table = self.query_one("#quarantine", DataTable)
        table.clear()
        for item in quarantined:
            reason = item.last_error
            if item.errors:
                reason += "：" + "；".join(item.errors.values())
            if item.conflict:
                reason += "（平台已存另一版本，两版均保留，请核对后重新提交）"
            table.add_row({"case": "案件", "rating": "评价", "print": "打印", "audit": "审计", "handover": "出件", "report": "办不成事"}.get(item.kind, item.kind),
                          item.ref or item.id[:8], reason, key=item.id)
        errors = getattr(self.app, "worker_errors", [])
        self.query_one("#status-errors", Static).update("\n".join(errors[-10:]) or "无")
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

    def _selected_quarantined(self) -> str | None:
        table = self.query_one("#quarantine", DataTable)
        if table.row_count == 0:
            self.notify("没有需处理的记录")
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_correct(self) -> None:
        item_id = self._selected_quarantined()
        if item_id is not None:
            self.open_for_correction(item_id)

    @work(thread=True, exclusive=True, group="correct", exit_on_error=False)
    def open_for_correction(self, item_id: str) -> None:
        from offline.crypto import SealBroken

        item = self.session.store.pending.get(item_id)
        if item is None or item.kind != "case":
            self.app.call_from_thread(self.notify, "只有案件可以打开更正；其他记录请搁置", severity="warning")
            return
        try:
            case = self.session.store.body(item)
        except SealBroken as exc:
            self.app.call_from_thread(self.notify, f"该记录无法读取（{exc}），只能搁置", severity="error")
            return
        if case.get("status") == "rejected":  # a signed decision is not re-edited into an acceptance
            self.app.call_from_thread(self.notify, "不予受理决定不能在此更正：请搁置并说明原因，另行出具", severity="warning")
            return
        self.app.call_from_thread(self._push_correction, case)

    def _push_correction(self, case: dict) -> None:
        from window_tui.ui.intake import IntakeScreen

        form = self.session.catalog.merged(case["bundle"], tuple(case.get("optional_matters", ())))
        self.app.push_screen(IntakeScreen(self.session, form, correcting=case), self._corrected)

    def _corrected(self, case: dict | None) -> None:
        if case is not None:
            self.notify(f"已更正并重新提交：{case['case_number']}（更正记录已保存）")
            self.load()

    def action_set_aside(self) -> None:
        from window_tui.ui.dialogs import TextDialog

        item_id = self._selected_quarantined()
        if item_id is None:
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.set_aside(item_id, reason)

        self.app.push_screen(TextDialog("搁置该记录（不再上传）：请填写理由", "如 重复录入，已另行受理"), reason_given)

    @work(thread=True, exclusive=True, group="set-aside", exit_on_error=False)
    def set_aside(self, item_id: str, reason: str) -> None:
        self.session.set_aside(item_id, reason)
        self.app.call_from_thread(self.notify, "已搁置，理由已记录")
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
