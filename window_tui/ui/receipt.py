"""After submit: the case number, the promised date, the receipt (or the
one-time notice) previewed, printed with one key, and reprinted on request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from window_tui.ui.supervision import SupervisedScreen
from window_tui.ui.widgets import CounterFooter

if TYPE_CHECKING:
    from window_tui.session import CounterSession


class ReceiptScreen(SupervisedScreen, Screen[None]):
    BINDINGS = [
        Binding("p", "print", "打印", id="receipt.print"),
        Binding("escape", "close", "完成", id="receipt.close"),
        Binding("enter", "close", "完成", id="receipt.done", show=False),
        Binding("o", "complete", "补齐材料受理", id="receipt.complete", tooltip="申请人补齐材料后：转为受理（保留告知记录）"),
    ]

    def __init__(self, session: CounterSession, case: dict[str, Any], *, reprint: bool = False) -> None:
        super().__init__()
        self.session = session
        self.case = case
        self.template = {"notice": "notice", "rejected": "rejection"}.get(case["status"], "receipt")
        self.reprint = reprint  # opened from the palette: any paper from here is a 补打 once printed
        self.job: Any = None  # the last print job of this screen
        self.printing = False  # guarded on the UI thread: one print at a time

    def compose(self) -> ComposeResult:
        case = self.case
        missing = [m["name"] for m in case["materials"] if m["kind"] == "bring" and m["id"] not in case["received"]]
        if case["status"] == "rejected":
            head = f" 不予受理  编号 {case['case_number']}：{case.get('reason', '')}。按 P 打印不予受理通知书 "
        elif case["status"] == "notice":
            head = (f" 材料不全，已出具一次性告知书：缺 {len(missing)} 项（{'、'.join(missing)}）。"
                    f"信息已保存，补齐后凭编号 {case['case_number']} 办理 ")
        else:
            estimated = "（预估）" if case.get("promised_estimated") else ""
            head = f" 已受理  编号 {case['case_number']}  承诺办结 {case['promised_date']}{estimated} "
        yield Static(head, id="receipt-head", classes=case["status"])
        yield Static("本机已保存，正在查询同步状态……", id="receipt-sync")
        with VerticalScroll(id="receipt-preview"):
            yield Static("", id="receipt-lines")
        yield CounterFooter()

    def on_mount(self) -> None:
        self.render_preview()
        self.refresh_sync_state()
        self.set_interval(2, self.refresh_sync_state)

    @work(thread=True, exclusive=True, group="receipt-sync", exit_on_error=False)
    def refresh_sync_state(self) -> None:
        """The words follow the outbox live: 待同步 → 已上传 (with the platform's receipt id)."""
        item = self.session.store.pending.get(self.case["case_id"])
        if item is None:
            text = "已上传到中心平台"
        elif item.state == "quarantined":
            text = f"平台退回，需处理：{item.last_error}（按 S 在状态页处理）"
        else:
            text = "待同步到平台（本机已保存，恢复网络后自动上传）"
        self.app.call_from_thread(self.query_one("#receipt-sync", Static).update, text)

    @work(thread=True, exit_on_error=False)
    def render_preview(self) -> None:
        try:
            lines = self.session.preview(self.case, self.template)
        except Exception as exc:  # a bad printer profile or an unprintable character: say which
            self.app.call_from_thread(self.notify, f"无法生成预览：{exc}", severity="error")
            return
        self.app.call_from_thread(self.query_one("#receipt-lines", Static).update, "\n".join(lines))

    def action_print(self) -> None:
        if self.printing:
            self.notify("正在打印，请稍候", timeout=2)
            return
        self.printing = True
        self.print_job()

    @work(thread=True, group="print", exit_on_error=False)
    def print_job(self) -> None:
        try:
            job = self._print()
        finally:
            self.app.call_from_thread(setattr, self, "printing", False)
        self.job = job
        self.app.call_from_thread(self._report, job)

    def _print(self) -> Any:
        session = self.session
        if self.job is not None and self.job.state == "failed":
            return session.printer.retry(self.job.job_id)  # the same job: never a second copy
        first = self.job is None or self.job.state == "preview"
        if first and not self.reprint and not session.printed_before(self.case["case_number"]):
            return session.print_case(self.case, self.template)
        return session.reprint_case(self.case, self.template, self.job)  # a deliberate, marked 补打

    def _report(self, job: Any) -> None:
        from printers.journal import STATE_WORDS

        number = self.case["case_number"]
        word = "已补打" if job.reprint_of and job.state == "sent" else STATE_WORDS[job.state]
        if job.state == "sent":
            self.notify(f"{word}：{number}" + (f"（{job.warning}）" if job.warning else ""),
                        severity="warning" if job.warning else "information")
        elif job.state == "unconfirmed":
            self.notify(f"{word}：{number}。{job.warning}", severity="warning", timeout=10)
        elif job.state == "preview":
            self.notify(f"{word}：{number}。本机未连接打印机（Ctrl+P → 更换打印机）", severity="warning", timeout=8)
        else:
            self.notify(f"{word}：{job.error}（按 P 重试，或在状态页重试）", severity="error", timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "complete":  # only a one-time-notice case waits for its materials
            return self.case["status"] == "notice"
        return True

    def action_complete(self) -> None:
        """The applicant is back with the missing materials: the same form, the materials
        already received, a new case that names the notice it completes."""
        console = getattr(self.app, "console_screen", None)
        if console is None:
            return
        case = self.case
        form = self.session.catalog.merged(case["bundle"], tuple(case.get("optional_matters", ())))
        ticket = ((console.state.get("current") or {}).get("label", "")) or case.get("ticket", "")
        self.dismiss(None)
        console.open_intake(form, ticket=ticket, completing=case)

    def action_close(self) -> None:
        self.dismiss(None)
