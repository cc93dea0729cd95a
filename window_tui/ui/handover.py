"""出件: hand a case's results to the applicant (or an agent with a 委托书), or record
them mailed. The documents due are ticked off one by one; the collector's ID number
is checked against the applicant's here (by a key, the number itself never leaves
the platform) before anything is saved; the screen returns the clerk's choices."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from window_tui.domain.after_intake import applicant_key
from window_tui.domain.validators import validate_id_number
from window_tui.ui.dialogs import _Dialog


class HandoverScreen(_Dialog):
    BINDINGS = [
        Binding("ctrl+s", "confirm", "确认交付", id="handover.confirm"),
        Binding("escape", "cancel", "取消", id="handover.cancel"),
    ]

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__()
        self.info = info
        self.mail = info["state"] == "to_mail"

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical(classes="dialog", id="handover-dialog"):
            yield Label(f"出件 · 案件 {info['case_number']}（{info['bundle_name']}）", classes="dialog-title")
            yield Static(f"状态：{info['label']}    申请人：{info['applicant_masked']}", id="handover-state")
            if info["state"] not in ("ready", "to_mail"):
                yield Static("该案件尚无可交付的证照（审批结果未全部报回，或已交付）。", id="handover-problem")
                return
            yield Label("逐项核对交付的证照（空格勾选）：")
            yield SelectionList[int](*[
                Selection(f"{d['name']}  编号 {d.get('number') or '—'}  {d.get('copies', 1)} 份（{d['matter']}）", i)
                for i, d in enumerate(info["documents_due"])], id="handover-documents", compact=True)
            # Compact widgets: the whole dialog fits an 80×24 terminal.
            yield Input(placeholder="收件人姓名" if self.mail else "领取人姓名", id="handover-name", compact=True)
            yield Input(placeholder="领取人身份证号（可刷身份证）", id="handover-id", max_length=18, compact=True)
            if self.mail:
                yield Input(placeholder="快递公司，如 中国邮政EMS", id="handover-carrier", compact=True)
                yield Input(placeholder="运单号", id="handover-tracking", compact=True)
            else:
                yield Checkbox("他人代领（凭授权委托书）", id="handover-agent", compact=True)
                yield Input(placeholder="授权委托书编号或说明", id="handover-authorization", disabled=True,
                            compact=True)
            yield Static("", id="handover-problem")
            yield Static("Ctrl+S 确认交付并打印领取回执    Esc 取消", classes="dialog-keys")

    def on_mount(self) -> None:
        if self.info["state"] in ("ready", "to_mail"):
            self.query_one("#handover-documents", SelectionList).focus()

    @on(Checkbox.Changed, "#handover-agent")
    def agent_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#handover-authorization", Input).disabled = not event.value

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def problem(self) -> str:
        """Why the hand-over cannot be confirmed yet (one line), or ''."""
        if self.info["state"] not in ("ready", "to_mail"):
            return "该案件尚无可交付的证照"
        ticked = self.query_one("#handover-documents", SelectionList).selected
        if len(ticked) != len(self.info["documents_due"]):
            return f"还有 {len(self.info['documents_due']) - len(ticked)} 项证照未核对勾选"
        if not self._value("handover-name"):
            return "请填写领取人姓名"
        id_number = self._value("handover-id").upper()
        checked = validate_id_number(id_number)
        if not checked.ok:
            return f"身份证号：{checked.error}"
        if self.mail:
            if not self._value("handover-carrier") or not self._value("handover-tracking"):
                return "邮寄须填写快递公司和运单号"
            return ""
        agent = self.query_one("#handover-agent", Checkbox).value
        if not agent and applicant_key(self.info["case_id"], id_number) != self.info["applicant_key"]:
            return "身份证号与申请人不一致；他人代领请勾选“他人代领”并登记委托书"
        if agent and not self._value("handover-authorization"):
            return "代领须登记授权委托书编号或说明"
        return ""

    def action_confirm(self) -> None:
        problem = self.problem()
        if problem:
            self.query_one("#handover-problem", Static).update(f"[b red]{problem}[/]")
            return
        agent = not self.mail and self.query_one("#handover-agent", Checkbox).value
        self.dismiss({
            "kind": "mail" if self.mail else "counter",
            "collector": {"relation": "agent" if agent else "self", "name": self._value("handover-name"),
                          "id_number": self._value("handover-id").upper()},
            "authorization": self._value("handover-authorization") if agent else "",
            "mail": {"carrier": self._value("handover-carrier"), "tracking": self._value("handover-tracking")}
            if self.mail else {"carrier": "", "tracking": ""},
        })
