"""After submit: the case number, the promised date, the receipt (or the
one-time notice) previewed, printed with one key, and reprinted on request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

if TYPE_CHECKING:
    from window_tui.session import CounterSession


class ReceiptScreen(Screen[None]):
    BINDINGS = [
        Binding("p", "print", "打印", id="receipt.print"),
        Binding("escape", "close", "完成", id="receipt.close"),
        Binding("enter", "close", "完成", id="receipt.done", show=False),
    ]

    def __init__(self, session: CounterSession, case: dict[str, Any], *, reprint: bool = False) -> None:
        super().__init__()
        self.session = session
        self.case = case
        self.template = "notice" if case["status"] == "notice" else "receipt"
        self.reprint = reprint
        self.job: Any = None  # the last print job of this screen

    def compose(self) -> ComposeResult:
        case = self.case
        missing = [m["name"] for m in case["materials"] if m["kind"] == "bring" and m["id"] not in case["received"]]
        if case["status"] == "notice":
            head = (f" 材料不全，已出具一次性告知书：缺 {len(missing)} 项（{'、'.join(missing)}）。"
                    f"信息已保存，补齐后凭编号 {case['case_number']} 办理 ")
        else:
            estimated = "（预估）" if case.get("promised_estimated") else ""
            head = f" 已受理  编号 {case['case_number']}  承诺办结 {case['promised_date']}{estimated} "
        yield Static(head, id="receipt-head", classes=case["status"])
        yield Static("待同步到平台（离线也已保存）", id="receipt-sync")
        with VerticalScroll(id="receipt-preview"):
            yield Static("", id="receipt-lines")
        yield Footer()

    def on_mount(self) -> None:
        self.render_preview()

    @work(thread=True, exit_on_error=False)
    def render_preview(self) -> None:
        try:
            lines = self.session.preview(self.case, self.template)
        except Exception as exc:  # a bad printer profile or an unprintable character: say which
            self.app.call_from_thread(self.notify, f"无法生成预览：{exc}", severity="error")
            return
        self.app.call_from_thread(self.query_one("#receipt-lines", Static).update, "\n".join(lines))

    def action_print(self) -> None:
        self.print_job()

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def print_job(self) -> None:
        session = self.session
        if self.job is None and not self.reprint:
            job = session.print_case(self.case, self.template)
        elif self.job is not None and self.job.state == "failed":
            job = session.printer.retry(self.job.job_id)  # the same job: never a second copy
        else:
            job = session.reprint_case(self.case, self.template, self.job)  # a deliberate 补打
        self.job = job
        if job.state == "sent":
            word = "补打" if job.reprint_of or self.reprint else "打印"
            self.app.call_from_thread(self.notify, f"已{word}：{self.case['case_number']}")
        else:
            self.app.call_from_thread(self.notify, f"打印失败：{job.error}（按 P 重试，或在状态页重试）",
                                      severity="error", timeout=8)

    def action_close(self) -> None:
        self.app.pop_screen()
