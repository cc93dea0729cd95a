"""Modal dialogs: bundle picker, transfer picker, call a number, override a
locked value, reprint, change printer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from window_tui.domain.catalog import Catalog

CANCEL = Binding("escape", "cancel", "取消", id="dialog.cancel")


class _Dialog(ModalScreen[Any]):
    BINDINGS = [CANCEL]

    def action_cancel(self) -> None:
        self.dismiss(None)


class BundlePicker(_Dialog):
    """Choose the bundle by Chinese name or pinyin initials ("xse" finds 新生儿出生)."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("选择“一件事”（输入名称或拼音首字母，如 xse）", classes="dialog-title")
            yield Input(placeholder="搜索", id="bundle-query")
            yield OptionList(id="bundle-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for bundle in self.catalog.search(query, complete_only=False):
            label = f"{bundle.name}（{len(bundle.matters)}个事项，承诺{bundle.promised_days}个工作日）" \
                if bundle.complete else f"{bundle.name}（尚未梳理，暂不受理）"
            options.add_option(Option(label, id=bundle.code, disabled=not bundle.complete))
        if options.option_count:
            options.highlighted = next((i for i in range(options.option_count)
                                        if not options.get_option_at_index(i).disabled), None)

    @on(Input.Changed, "#bundle-query")
    def filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#bundle-query")
    def choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if not option.disabled:
                self.dismiss(option.id)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def key_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def key_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()


class TransferPicker(_Dialog):
    """Transfer the current ticket to a service or a window (arrival time is kept)."""

    def __init__(self, services: list[dict[str, Any]], windows: list[dict[str, Any]], own_window: int) -> None:
        super().__init__()
        self.services = services
        self.windows = [w for w in windows if w["number"] != own_window]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("转移到（保留原取号时间）", classes="dialog-title")
            options = [Option(f"业务：{s['name']}", id=f"service:{s['code']}") for s in self.services]
            options += [Option(f"窗口：{w['number']}号（{'、'.join(w['services'])}）", id=f"window:{w['number']}")
                        for w in self.windows]
            yield OptionList(*options)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        kind, value = str(event.option.id).split(":", 1)
        if kind == "service":
            self.dismiss({"to_service": value})
        else:
            window = next(w for w in self.windows if w["number"] == int(value))
            self.dismiss({"to_window": int(value), "to_service": window["services"][0]})


class TextDialog(_Dialog):
    """One line of text: a ticket number to call, a case number, a printer URL."""

    def __init__(self, title: str, placeholder: str = "", value: str = "", *, password: bool = False) -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value, self.password = title, placeholder, value, password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, password=self.password)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class OverrideDialog(_Dialog):
    """Change a locked (authoritative) value: the new value is checked with the field's own
    rules, and the original and a reason are kept."""

    def __init__(self, label: str, original: str, source: str,
                 check: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.label, self.original, self.source = label, original, source
        self.check = check or (lambda value: "")  # the error for a value, or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"更正“{self.label}”", classes="dialog-title")
            yield Label(f"共享数据（{self.source}）：{self.original}")
            yield Input(value=self.original, id="override-value")
            yield Label("更正理由（必填，将随案件保存）")
            yield Input(placeholder="如：户籍信息未更新，申请人持新证件", id="override-reason")
            yield Label("", id="override-error", classes="field-error")
            yield Label("回车 下一项／确认    Esc 取消（保留原值）", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#override-value", Input).focus()

    @on(Input.Changed, "#override-value")
    def value_changed(self, event: Input.Changed) -> None:
        self.query_one("#override-error", Label).update(self.check(event.value.strip()))

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        value = self.query_one("#override-value", Input).value.strip()
        reason = self.query_one("#override-reason", Input).value.strip()
        problem = self.check(value)
        if problem:
            self.query_one("#override-error", Label).update(problem)
            self.query_one("#override-value", Input).focus()
            return
        if event.input.id == "override-value":
            self.query_one("#override-reason", Input).focus()
            return
        if not reason:
            self.query_one("#override-error", Label).update("请填写更正理由")
            return
        self.dismiss((value, reason))


class QuestionsDialog(_Dialog):
    """Which optional matters apply: the applicant's answers, one space per "yes". Returns
    the chosen matter codes (possibly none) or None when cancelled."""

    BINDINGS = [CANCEL, Binding("enter", "confirm", "确认", id="questions.confirm", priority=True)]

    def __init__(self, bundle_name: str, questions: tuple[tuple[str, str], ...]) -> None:
        super().__init__()
        self.bundle_name, self.questions = bundle_name, questions

    def compose(self) -> ComposeResult:
        from textual.widgets import SelectionList
        from textual.widgets.selection_list import Selection

        with Vertical(classes="dialog"):
            yield Label(f"{self.bundle_name}：请询问申请人，适用的按空格勾选，回车确认", classes="dialog-title")
            yield SelectionList[str](*[Selection(q, code) for code, q in self.questions], id="questions")

    def on_mount(self) -> None:
        self.query_one("#questions").focus()

    def action_confirm(self) -> None:
        from textual.widgets import SelectionList

        chosen = set(self.query_one("#questions", SelectionList).selected)
        self.dismiss(tuple(code for code, _ in self.questions if code in chosen))


class ConfirmDialog(_Dialog):
    """A yes/no question before something that cannot be taken back: Y or Enter confirms,
    N or Esc cancels."""

    BINDINGS = [
        Binding("y,enter", "confirm", "确认", id="confirm.yes", priority=True),
        Binding("n,escape", "cancel", "取消", id="confirm.no", priority=True),
    ]

    def __init__(self, title: str, detail: str) -> None:
        super().__init__()
        self.title_text, self.detail = title, detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.detail)
            yield Label("Y／回车 确认    N／Esc 取消", classes="dialog-keys")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ListDialog(_Dialog):
    """Lines to read (today's appointments): Esc or Enter closes."""

    BINDINGS = [Binding("escape,enter", "cancel", "关闭", id="list.close", priority=True)]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label("\n".join(self.lines) or "（无）")
            yield Label("Esc／回车 关闭", classes="dialog-keys")


def draft_label(bundle_name: str, draft: dict[str, Any]) -> str:
    """A line of the resume list: bundle, ticket, applicant (masked) and when it was saved."""
    saved = str(draft.get("saved_at", ""))[5:16].replace("T", " ")  # MM-DD HH:MM
    return (f"{bundle_name}  {draft.get('ticket') or '无号件'}  {draft.get('applicant') or '（未填申请人）'}"
            f"  {saved or '时间未知'}")


class DraftPicker(_Dialog):
    """Unfinished forms: Enter resumes, D deletes (a reason is asked), Esc closes. With
    `offer_new`, the first line starts a new form instead. Returns (action, case_id)."""

    BINDINGS = [CANCEL, Binding("d", "delete", "删除草稿", id="drafts.delete")]

    def __init__(self, title: str, choices: list[tuple[str, str]], *, offer_new: bool = False) -> None:
        super().__init__()
        self.title_text, self.choices, self.offer_new = title, choices, offer_new

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            options = [Option("＋ 新建受理", id="new")] if self.offer_new else []
            yield OptionList(*options, *[Option(label, id=key) for key, label in self.choices])
            yield Label("回车 继续所选    D 删除草稿（须说明原因）    Esc 关闭", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("new", "") if event.option.id == "new" else ("resume", str(event.option.id)))

    def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id != "new":
            self.dismiss(("delete", str(option.id)))
