"""Intake: one pre-filled form for a bundle, validated inline, with the
materials checklist, submitted into the outbox."""

from __future__ import annotations

from datetime import datetime
from time import monotonic as monotonic_time
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from window_tui.domain.case import (
    CaseError,
    RuleFailed,
    RuleFailure,
    failed_rules,
    new_case_id,
    rule_notes,
)
from window_tui.domain.fieldcheck import check_value
from window_tui.domain.forms import FormField, MergedForm
from window_tui.domain.materials import evaluate_materials
from window_tui.domain.prefill import FieldValue, FormData, LockedFieldError, ValueState
from window_tui.domain.refusal import RefusalError
from window_tui.domain.scan import BurstWatch, classify
from window_tui.ui.dialogs import OverrideDialog
from window_tui.ui.supervision import SupervisedScreen
from window_tui.ui.widgets import CounterFooter

if TYPE_CHECKING:
    from window_tui.session import CounterSession

STATE_STYLES = {
    ValueState.PREFILLED: "source-shared", ValueState.VERIFIED: "source-shared", ValueState.DEFAULT: "source-default",
    ValueState.UNVERIFIED: "source-unverified", ValueState.MISMATCH: "source-error",
    ValueState.OVERRIDDEN: "source-override", ValueState.MANUAL: "source-manual",
}


class FieldInput(Input):
    """A form field's input that notices a scanner typing into it (see domain.scan): at
    Enter, `last_scan` holds the burst's text when the keys came at a scanner's pace."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.burst = BurstWatch()
        self.last_scan: str | None = None
        self._handled_at = -1.0
        self._enter_at = -1.0

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character:
            self.burst.key(event.character, event.time, self.value)
            self._handled_at = monotonic_time()
        elif event.key == "enter":
            # When the Enter arrived, not when it was handled: on a busy machine each key's
            # validation and redraw can lag well behind the scanner.
            self._enter_at = event.time
        await super()._on_key(event)

    async def action_submit(self) -> None:
        enter_at = self._enter_at if self._enter_at >= 0 else (
            self.burst.last_at + (monotonic_time() - self._handled_at))
        self._enter_at = -1.0
        self.last_scan = self.burst.scanned(enter_at)
        await super().action_submit()


class FieldRow(Horizontal):
    """Label, value, and where the value came from (or what is wrong with it)."""

    def __init__(self, form_field: FormField) -> None:
        super().__init__(classes="field-row", id=f"row-{form_field.id.replace('.', '-')}")
        self.form_field = form_field
        self.source_text = ""  # the whole source or error, for the focus line when the column is narrow

    def compose(self) -> ComposeResult:
        definition = self.form_field.definition
        mark = "*" if self.form_field.required and definition.origin == "intake" else " "
        yield Label(f"{definition.label}{mark}", classes="field-label")
        if definition.origin == "issued":
            yield Static("办理中生成，无需填写", classes="field-issued")
        elif definition.type == "choice":
            yield Select([(o, o) for o in definition.options], prompt="请选择", id=self.input_id, classes="field-input")
        else:
            yield FieldInput(id=self.input_id, classes="field-input")
        yield Static("", classes="field-source")

    @property
    def input_id(self) -> str:
        return "input-" + self.form_field.id.replace(".", "-")

    def show(self, value: FieldValue, error: str, warning: str = "") -> None:
        if self.form_field.definition.origin == "issued":
            return
        widget = self.query_one(f"#{self.input_id}")
        if isinstance(widget, Input):
            if widget.value != value.value and not widget.has_focus:
                with widget.prevent(Input.Changed):
                    widget.value = value.value
        elif isinstance(widget, Select):
            wanted = value.value if value.value in self.form_field.definition.options else Select.NULL
            if widget.value != wanted:
                with widget.prevent(Select.Changed):
                    widget.value = wanted
        # Locked values stay focusable (Ctrl+O corrects them) but typing into them is refused.
        widget.set_class(value.locked, "locked")
        source = self.query_one(".field-source", Static)
        source.set_classes("field-source")
        if error:
            self.source_text = error
            source.update(error)
            source.add_class("source-error")
        else:
            label = value.label
            if value.record_date and value.state in (ValueState.PREFILLED, ValueState.VERIFIED):
                label += f" {value.record_date}"
            if value.state == ValueState.OVERRIDDEN:
                label += f"（原：{value.original}；理由：{value.reason}）"
            if value.state == ValueState.MISMATCH:
                label += f"（共享数据为：{value.original}）"
            if warning:
                label += f" ⚠ {warning}"
            self.source_text = ("🔒 " if value.locked else "") + label  # first, so a narrow column keeps it
            source.update(self.source_text)
            if value.state in STATE_STYLES:
                source.add_class(STATE_STYLES[value.state])


class IntakeScreen(SupervisedScreen, Screen[dict[str, Any] | None]):
    """Returns the case taken (its JSON) with `dismiss`, or None when the clerk leaves.
    With `correcting`, the form is a quarantined case being corrected and resubmitted
    under its own id and number."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "提交受理", id="intake.submit", priority=True),
        Binding("ctrl+o", "override", "更正", id="intake.override", tooltip="更正锁定值（须填写理由）"),
        Binding("ctrl+r", "refuse", "不予受理", id="intake.refuse"),
        Binding("escape", "leave", "返回", id="intake.leave", tooltip="返回（草稿已自动保存）"),
    ]

    def __init__(self, session: CounterSession, form: MergedForm, *, ticket: str = "",
                 case_id: str | None = None, draft: dict[str, Any] | None = None,
                 correcting: dict[str, Any] | None = None, completing: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.session = session
        self.form = form
        self.ticket = ticket
        self.case_id = case_id or new_case_id()
        self.data = FormData(form, today=session.clock.today())
        self.received: set[str] = set()
        self.touched: set[str] = set()  # fields the clerk has left: show their errors
        self.resumed = draft is not None
        self.correcting = correcting
        self.submitting = False  # guarded on the UI thread: one submit at a time
        self._pending_enter: str | None = None  # a key field's Enter waiting for the lookups
        self._draft_version = 0
        if draft:
            self.data.load_json(draft["form"])
            self.received = set(draft.get("received", []))
            self.ticket = ticket or draft.get("ticket", "")
        self.completing = completing  # a one-time-notice case the applicant came back to complete
        if completing:
            self.data.load_json(completing["form"])
            self.received = set(completing.get("received", []))
        if correcting:
            self.case_id = correcting["case_id"]
            self.ticket = correcting.get("ticket", "")
            self.data.load_json(correcting["form"])
            self.received = set(correcting.get("received", []))

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        bundle = self.form.bundle
        matters = "、".join(m.name for m in self.form.matters)
        head = f"更正退回案件 {self.correcting['case_number']}：" if self.correcting else "受理："
        if self.completing:
            head = f"补正受理（告知书 {self.completing['case_number']}）："
        yield Static(f" {head}{bundle.name}（{len(self.form.matters)}个事项，承诺{bundle.promised_days}个工作日）"
                     f"  号码：{self.ticket or '无号件'} ", id="intake-title")
        yield Static(matters, id="intake-matters")
        with VerticalScroll(id="intake-form"):
            for section in self.form.sections:
                yield Static(section.name, classes="section-title")
                for form_field in section.fields:
                    yield FieldRow(form_field)
            yield Static("材料", classes="section-title")
            yield Static("", id="materials-exempt")
            yield Label("需提交的材料（空格勾选已收取）：", classes="materials-label")
            yield SelectionList[str](id="materials-bring")
        with Vertical(id="intake-status"):
            yield Static("", id="focus-line")
            yield Static("", id="intake-summary")
        yield CounterFooter()

    def on_mount(self) -> None:
        self.refresh_form()
        key = f"input-{self.form.bundle.key_subject}-id_number"
        if self.form.bundle.key_subject == "enterprise":
            key = "input-enterprise-uscc"
        if self.query(f"#{key}"):
            self.query_one(f"#{key}").focus()
        if self.data.lookups_needed():
            self.prefill()

    # --- showing ---------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < 100, "narrow")  # 80×24: narrower columns, sources in the focus line

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.show_focus_line()

    def show_focus_line(self) -> None:
        """The focused field's whole source or error: never cut, whatever the terminal width."""
        row = self._row_for(self.focused.id if self.focused else None)
        if row is None:
            self.query_one("#focus-line", Static).update("")
            return
        field_id = row.form_field.id
        value = self.data.value(field_id)
        check = self.data.check(field_id) if value.value else None
        if check is not None and not check.ok:
            label = row.form_field.definition.label
            text = "✗ " + check.error.removeprefix(f"{label}：")
        else:
            text = row.source_text or ("必填，尚未填写" if row.form_field.required else "选填")
        self.query_one("#focus-line", Static).update(f"▶ {row.form_field.definition.label}：{text}")

    def refresh_form(self) -> None:
        values = self.data.values()
        for row in self.query(FieldRow):
            field_id = row.form_field.id
            error = warning = ""
            if field_id in self.touched and values[field_id].value:
                check = self.data.check(field_id)
                error = "" if check.ok else check.error
                warning = check.warning
            row.show(values[field_id], error, warning)
        self.refresh_materials()
        self.refresh_summary()
        self.show_focus_line()

    def refresh_materials(self) -> None:
        statuses = evaluate_materials(self.data)
        exempt = [s for s in statuses if s.exempt]
        lines = [f"✔ {s.name}：{s.reason}{(' ' + s.evidence) if s.evidence else ''}" for s in exempt]
        self.query_one("#materials-exempt", Static).update(
            f"免于提交 {len(exempt)} 项：\n" + "\n".join(lines) if lines else "免于提交：待查询共享数据")
        bring = [s for s in statuses if not s.exempt]
        selection = self.query_one("#materials-bring", SelectionList)
        current = {str(o.value) for o in selection._options}  # noqa: SLF001 (no public accessor)
        wanted = {s.material_id for s in bring}
        if current != wanted:
            selection.clear_options()
            selection.add_options([Selection(f"{s.name}（{'、'.join(s.matters[:2])}）", s.material_id,
                                             s.material_id in self.received) for s in bring])

    def refresh_summary(self) -> None:
        values = self.data.values()
        filled = sum(1 for f in self.form.intake_fields if values[f.id].value)
        shared = sum(1 for v in values.values() if v.state in (ValueState.PREFILLED, ValueState.VERIFIED))
        errors = self.data.errors()
        unreachable = "、".join(sorted(self.data.unreachable))
        text = (f"已填 {filled}/{len(self.form.intake_fields)}，共享数据预填 {shared} 项，待更正 {len(errors)} 项"
                f"（草稿自动保存）")
        if unreachable:
            text += f"  ⚠ 共享数据暂不可用（{unreachable}）：手工录入项将标记“待核验”"
        fetched = [r.fetched_at for r in self.data.records.values() if r is not None and r.fetched_at]
        if fetched and self.resumed:
            age = datetime.now().astimezone() - datetime.fromisoformat(min(fetched))
            minutes = int(age.total_seconds() // 60)
            if minutes >= 1:  # a resumed draft shows data from the case's own cache
                text += f"  共享数据取得于 {minutes} 分钟前（本案缓存）"
        notes = rule_notes(self.data) if any(m.rules for m in self.form.matters) else []
        self.query_one("#intake-summary", Static).update("\n".join([text, *notes]))

    # --- typing ------------------------------------------------------------------------------

    def _row_for(self, widget_id: str | None) -> FieldRow | None:
        if not widget_id or not widget_id.startswith("input-"):
            return None
        for row in self.query(FieldRow):
            if row.input_id == widget_id:
                return row
        return None

    def _entered(self, widget_id: str | None, value: str) -> None:
        row = self._row_for(widget_id)
        if row is None:
            return
        try:
            self.data.enter(row.form_field.id, value)
        except LockedFieldError as exc:
            self.notify(str(exc), severity="warning")
            row.show(self.data.value(row.form_field.id), "")
            widget = row.query_one(f"#{row.input_id}")
            if isinstance(widget, Input):
                with widget.prevent(Input.Changed):
                    widget.value = self.data.value(row.form_field.id).value
            return
        if row.form_field.definition.is_key or row.form_field.definition.type == "choice":
            self.touched.add(row.form_field.id)
        self.refresh_form()
        self.save_draft()
        if self.data.lookups_needed():
            self.prefill()

    @on(Input.Submitted, ".field-input")
    def next_empty(self, event: Input.Submitted) -> None:
        """Enter jumps to the next field the clerk still has to fill, from where the clerk is."""
        row = self._row_for(event.input.id)
        if isinstance(event.input, FieldInput) and event.input.last_scan \
                and self.route_scan(row, event.input, event.input.last_scan):
            return
        self._enter_from(row)

    SCAN_WORDS = {"id": "身份证号码", "uscc": "统一社会信用代码"}

    def route_scan(self, row: FieldRow | None, typed_into: FieldInput, text: str) -> bool:
        """A scan lands in the field of its kind, never as text where the focus happened to be.
        True when it was handled here (moved, or refused with a message)."""
        found = classify(text)
        if found.kind == "unknown":
            return False  # fast typing, or a code we do not know: left as typed
        kind = found.details.get("holder_kind", found.kind)
        if row is not None and row.form_field.definition.type == kind:
            return False  # already in a field of its kind
        typed_into.value = typed_into.burst.value_before  # take the scan back out of the wrong field
        self._entered(typed_into.id, typed_into.value)
        if found.kind == "receipt":
            self.notify(f"扫描到受理回执二维码（案件 {found.value}），不是本表的内容，未填入", severity="warning")
            return True
        candidates = [f for f in self.form.intake_fields if f.definition.type == kind
                      and f.definition.origin != "issued"]
        candidates.sort(key=lambda f: (not f.definition.is_key, bool(self.data.value(f.id).value)))
        if not candidates:
            self.notify(f"扫描到{self.SCAN_WORDS[kind]}，但本表没有这一项，未填入", severity="warning")
            return True
        target = candidates[0]
        target_input = self.query_one(f"#input-{target.id.replace('.', '-')}", Input)
        target_input.value = found.value
        self._entered(target_input.id, found.value)
        target_input.focus()
        what = f"电子证照（{found.details.get('type') or '证照'}）持证人的" if found.kind == "elicence" else ""
        self.notify(f"已将扫描的{what}{self.SCAN_WORDS[kind]}填入“{target.definition.label}”")
        self._enter_from(self._row_for(target_input.id))
        return True

    def _enter_from(self, row: FieldRow | None) -> None:
        if row is not None and row.form_field.definition.is_key and self.data.lookups_needed():
            self._pending_enter = row.form_field.id  # after the lookups: the next field they left empty
            self.query_one("#focus-line", Static).update("正在查询共享数据，完成后跳到下一个待填字段……")
            return
        self.focus_next_empty(after=row.form_field.id if row else None)

    def focus_next_empty(self, after: str | None = None) -> None:
        ids = [f.id for f in self.form.intake_fields]
        start = ids.index(after) + 1 if after in ids else 0
        for field_id in ids[start:] + ids[:start]:
            if self.form.field(field_id).required and not self.data.value(field_id).value:
                self.query_one(f"#input-{field_id.replace('.', '-')}").focus()
                return
        materials = self.query_one("#materials-bring", SelectionList)
        materials.focus()
        if materials.option_count and materials.highlighted is None:
            materials.highlighted = 0

    @on(Input.Changed, ".field-input")
    def input_changed(self, event: Input.Changed) -> None:
        self._entered(event.input.id, event.value)

    @on(Select.Changed, ".field-input")
    def select_changed(self, event: Select.Changed) -> None:
        self._entered(event.select.id, "" if event.value is Select.NULL else str(event.value))
        row = self._row_for(event.select.id)
        if event.select.has_focus and row is not None and event.value is not Select.NULL:
            self.focus_next_empty(after=row.form_field.id)

    @on(Input.Blurred, ".field-input")
    def input_left(self, event: Input.Blurred) -> None:
        row = self._row_for(event.input.id)
        if row is not None:
            self.touched.add(row.form_field.id)
            self.refresh_form()

    @on(SelectionList.SelectedChanged, "#materials-bring")
    def materials_changed(self, event: SelectionList.SelectedChanged) -> None:
        self.received = {str(v) for v in event.selection_list.selected}
        self.save_draft()

    # --- workers -----------------------------------------------------------------------------

    @work(exclusive=True, group="prefill", exit_on_error=False)
    async def prefill(self) -> None:
        from window_tui.client import PlatformRejected, PlatformUnavailable

        for _ in range(10):
            needed = sorted(self.data.lookups_needed(), key=lambda k: (k.registry, k.key))
            if not needed:
                break
            for key in needed:
                try:
                    record = await self.session.lookup(key, self.case_id, self.form.bundle.code, self.ticket)
                except PlatformUnavailable:
                    self.data.mark_unreachable(key.registry)
                    continue
                except PlatformRejected as exc:
                    self.notify(f"共享数据查询被拒绝：{exc.message}", severity="error")
                    self.data.mark_unreachable(key.registry)
                    continue
                self.data.add_record(key, record)
            self.refresh_form()
        self.save_draft()
        # Prefill never moves the cursor; an Enter the clerk pressed on the key field while the
        # lookups ran is carried out now that the fields it skips are known.
        pending, self._pending_enter = self._pending_enter, None
        focused = self._row_for(self.focused.id if self.focused else None)
        if pending is not None and focused is not None and focused.form_field.id == pending:
            self.focus_next_empty(after=pending)
        self.show_focus_line()

    def save_draft(self) -> None:
        """Snapshot on the UI thread, write in a thread; a newer snapshot always wins."""
        if self.correcting:
            return  # the case itself is the record; corrections are saved on resubmit
        self._draft_version += 1
        self._write_draft(self.data.to_json(), set(self.received), self._draft_version, self.applicant_label())

    def applicant_label(self) -> str:
        """Who the form is for, masked as on paper (for the list of unfinished forms)."""
        from window_tui.domain.masking import DEFAULT_POLICY as mask

        subject = self.form.bundle.key_subject
        if subject == "enterprise":
            name = self.data.value("enterprise.name").value if self.form.has("enterprise.name") else ""
            code = self.data.value("enterprise.uscc").value if self.form.has("enterprise.uscc") else ""
            return " ".join(x for x in (name, mask.uscc(code)) if x)
        name_id, number_id = f"{subject}.name", f"{subject}.id_number"
        name = self.data.value(name_id).value if self.form.has(name_id) else ""
        number = self.data.value(number_id).value if self.form.has(number_id) else ""
        return " ".join(x for x in (mask.name(name), mask.id_number(number)) if x)

    @work(thread=True, group="draft", exit_on_error=False)
    def _write_draft(self, form: dict[str, Any], received: set[str], version: int, applicant: str) -> None:
        self.session.save_draft(self.case_id, self.form.bundle.code, form, received, version, ticket=self.ticket,
                                optional=self.form.optional, applicant=applicant)

    def action_submit(self) -> None:
        if self.submitting:
            self.notify("正在提交，请稍候", timeout=2)
            return
        self.touched |= {f.id for f in self.form.intake_fields}
        errors = self.data.errors()
        self.refresh_form()
        if errors:
            first = next(iter(errors))
            self.notify(f"表单有 {len(errors)} 处需要更正：{errors[first]}", severity="error", timeout=6)
            row = self.query_one(f"#row-{first.replace('.', '-')}", FieldRow)
            row.query_one(".field-input").focus()
            return
        self.submitting = True
        self.query_one("#intake-summary", Static).update("正在提交……")
        self.submit(self.session.snapshot(self.data), set(self.received))

    @work(thread=True, group="submit", exit_on_error=False)
    def submit(self, data: FormData, received: set[str]) -> None:
        try:
            if self.correcting:
                case = self.session.correct_case(self.correcting, data, received)
            else:
                case = self.session.take_case(data, case_id=self.case_id, received=received, ticket=self.ticket,
                                              optional=self.form.optional, supersedes=self.completing)
        except RuleFailed as exc:
            self.app.call_from_thread(self._submit_failed, str(exc))
            decided = [f for f in exc.failures if f.decided]
            if decided and not self.correcting:
                self.app.call_from_thread(self.offer_refusal, decided)
            return
        except CaseError as exc:
            self.app.call_from_thread(self._submit_failed, str(exc))
            return
        except BaseException:
            self.app.call_from_thread(self._submit_failed, "")
            raise  # the app's worker handler reports it to the clerk and the log
        self.app.call_from_thread(self.dismiss, case.to_json())

    def _submit_failed(self, message: str) -> None:
        self.submitting = False
        self.refresh_summary()
        if message:
            self.notify(message, severity="error", timeout=8)

    # --- 不予受理 -------------------------------------------------------------------------------

    def action_refuse(self) -> None:
        if self.submitting or self.correcting:
            self.notify("正在提交，请稍候" if self.submitting else "更正退回案件时不能改为不予受理", timeout=3)
            return
        self.offer_refusal([f for f in failed_rules(self.data) if f.decided])

    def offer_refusal(self, failures: list[RuleFailure]) -> None:
        """A failed condition ends in a written decision, not a toast (行政许可法 art. 32)."""
        from window_tui.ui.refusal import RefusalDialog

        hall = self.session.config.hall

        def chosen(choice: dict[str, Any] | None) -> None:
            if choice is None or self.submitting:
                return
            self.submitting = True
            self.query_one("#intake-summary", Static).update("正在出具不予受理通知书……")
            self.refuse(self.session.snapshot(self.data), set(self.received), choice)

        self.app.push_screen(RefusalDialog(failures, review_body=hall.review_body, court=hall.court), chosen)

    @work(thread=True, group="submit", exit_on_error=False)
    def refuse(self, data: FormData, received: set[str], choice: dict[str, Any]) -> None:
        try:
            case = self.session.refuse_case(data, case_id=self.case_id, received=received, ticket=self.ticket,
                                            optional=self.form.optional, **choice)
        except (CaseError, RefusalError) as exc:
            self.app.call_from_thread(self._submit_failed, str(exc))
            return
        except BaseException:
            self.app.call_from_thread(self._submit_failed, "")
            raise
        self.app.call_from_thread(self.dismiss, case.to_json())

    def action_override(self) -> None:
        focused = self.focused
        row = self._row_for(focused.id if focused else None)
        if row is None:
            self.notify("请先将光标移到要更正的字段", severity="warning")
            return
        value = self.data.value(row.form_field.id)
        if not value.source:
            self.notify("该字段不是共享数据，可直接修改")
            return

        definition = row.form_field.definition

        def check(candidate: str) -> str:
            result = check_value(definition.type, definition.label, candidate, options=definition.options,
                                 not_after=self.data.today if definition.past else None)
            return "" if result.ok else result.error

        def done(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            self.data.override(row.form_field.id, result[0], result[1])
            self.touched.add(row.form_field.id)
            widget = row.query_one(f"#{row.input_id}")
            if isinstance(widget, Input):  # shown at once, though the cursor is back in the field
                with widget.prevent(Input.Changed):
                    widget.value = self.data.value(row.form_field.id).value
            self.refresh_form()
            self.save_draft()

        self.app.push_screen(OverrideDialog(row.form_field.label, value.original or value.value, value.source,
                                            check), done)

    def action_leave(self) -> None:
        if self.submitting:
            self.notify("正在提交，请稍候", timeout=2)
            return
        self.save_draft()
        self.dismiss(None)
