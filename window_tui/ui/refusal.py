"""The 不予受理 dialog: which failed conditions, which legal ground, what else to say.
Returns the clerk's choice with `dismiss`; the session issues the decision."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, SelectionList
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from window_tui.domain.case import RuleFailure
from window_tui.domain.refusal import GROUNDS, RefusalError, make_refusal


class RefusalDialog(ModalScreen[dict[str, Any] | None]):
    """Offered when a rule fails (its failures preselected) or opened with Ctrl+R."""

    BINDINGS = [
        Binding("escape", "cancel", "取消", id="refusal.cancel"),
        Binding("ctrl+s", "issue", "出具不予受理通知书", id="refusal.issue", priority=True),
        Binding("up", "ground(-1)", "上一理由类型", id="refusal.ground_up", show=False),
        Binding("down", "ground(1)", "下一理由类型", id="refusal.ground_down", show=False),
    ]

    def __init__(self, failures: list[RuleFailure], *, review_body: str, court: str) -> None:
        super().__init__()
        self.failures = failures
        self.review_body, self.court = review_body, court

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="refusal-dialog"):
            yield Label("出具不予受理通知书（行政许可法第三十二条、第三十八条）", classes="dialog-title")
            if self.failures:
                yield Label("未满足的办理条件（空格取消勾选）：")
                yield SelectionList[int](*[Selection(str(f), i, True) for i, f in enumerate(self.failures)],
                                         id="refusal-rules")
            yield Label("理由类型（↑↓选择，回车出具）：")
            yield OptionList(*[Option(g.label, id=g.code) for g in GROUNDS], id="refusal-ground")
            yield Label("具体理由（不属本机关职权的，写明应向何机关申请）：")
            yield Input(placeholder="回车出具", id="refusal-extra")
            yield Label(f"复议机关：{self.review_body}；法院：{self.court}（60日内复议，6个月内起诉）")
            yield Label("", id="refusal-error", classes="field-error")

    def on_mount(self) -> None:
        grounds = self.query_one("#refusal-ground", OptionList)
        grounds.highlighted = 0 if self.failures else 1
        self.query_one("#refusal-extra", Input).focus()

    def action_ground(self, step: int) -> None:
        """↑↓ choose the ground while typing the reason (the input keeps the focus)."""
        grounds = self.query_one("#refusal-ground", OptionList)
        grounds.highlighted = ((grounds.highlighted or 0) + step) % len(GROUNDS)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#refusal-extra")
    def action_issue(self) -> None:
        chosen = self._chosen_failures()
        grounds = self.query_one("#refusal-ground", OptionList)
        ground = GROUNDS[grounds.highlighted or 0].code
        extra = self.query_one("#refusal-extra", Input).value
        choice = {"reasons": [str(f) for f in chosen], "rule_codes": [f.rule for f in chosen],
                  "ground": ground, "extra": extra}
        try:  # the same check the session makes, so the dialog stays open on a mistake
            make_refusal(review_body=self.review_body, court=self.court, **choice)
        except RefusalError as exc:
            self.query_one("#refusal-error", Label).update(str(exc))
            return
        self.dismiss(choice)

    def _chosen_failures(self) -> list[RuleFailure]:
        if not self.failures:
            return []
        selected = self.query_one("#refusal-rules", SelectionList).selected
        return [self.failures[i] for i in sorted(selected)]
