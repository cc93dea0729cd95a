"""办不成事: the clerk records what the applicant wanted and could not get done, in which
category, and how to reach them; the screen returns the choices (the session saves the
report offline-first and prints the applicant's slip)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from window_tui.domain.after_intake import REPORT_CATEGORIES as CATEGORIES
from window_tui.domain.validators import validate_phone
from window_tui.ui.dialogs import _Dialog


class ReportDialog(_Dialog):
    BINDINGS = [
        Binding("ctrl+s", "confirm", "登记并打印", id="report.confirm"),
        Binding("escape", "cancel", "取消", id="report.cancel"),
    ]

    def __init__(self, ticket: str = "", route_to: str = "") -> None:
        """`route_to`: the name of the hall's 办不成事 window's service, offered for the ticket."""
        super().__init__()
        self.ticket = ticket
        self.route_to = route_to if ticket else ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="report-dialog"):
            yield Label("办不成事反映" + (f"（号码 {self.ticket}）" if self.ticket else ""), classes="dialog-title")
            # Compact widgets: the whole dialog fits an 80×24 terminal.
            yield OptionList(*[Option(f"类别：{c}", id=c) for c in CATEGORIES], id="report-category", compact=True)
            yield Input(placeholder="诉求：申请人想办的事、卡在哪里（至少 4 个字）", id="report-wanted", compact=True)
            yield Input(placeholder="联系人姓名", id="report-name", compact=True)
            yield Input(placeholder="联系电话（12345 回访用）", id="report-phone", compact=True)
            yield Input(placeholder="相关案件编号（可不填）", id="report-case", compact=True)
            if self.route_to:
                yield Checkbox(f"登记后把 {self.ticket} 转到“{self.route_to}”排队（保留取号时间）",
                               value=True, id="report-route", compact=True)
            yield Static("", id="report-problem")
            yield Static("Ctrl+S 登记并打印回执    Esc 取消", classes="dialog-keys")

    def on_mount(self) -> None:
        categories = self.query_one("#report-category", OptionList)
        categories.highlighted = 0
        categories.focus()

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def problem(self) -> str:
        if len(self._value("report-wanted")) < 4:
            return "请写明申请人的诉求（至少 4 个字）"
        if not self._value("report-name"):
            return "请填写联系人姓名"
        phone = validate_phone(self._value("report-phone"))
        if not phone:
            return phone.error
        return ""

    def action_confirm(self) -> None:
        problem = self.problem()
        if problem:
            self.query_one("#report-problem", Static).update(f"[b red]{problem}[/]")
            return
        categories = self.query_one("#report-category", OptionList)
        index = categories.highlighted if categories.highlighted is not None else len(CATEGORIES) - 1
        choices: dict[str, Any] = {"category": CATEGORIES[index], "wanted": self._value("report-wanted"),
                                   "contact_name": self._value("report-name"),
                                   "contact_phone": validate_phone(self._value("report-phone")).value,
                                   "case_number": self._value("report-case"), "ticket": self.ticket}
        route = bool(self.route_to) and self.query_one("#report-route", Checkbox).value
        self.dismiss({**choices, "route": route})
