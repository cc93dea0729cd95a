"""The counter console application."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from window_tui.session import CounterSession
from window_tui.ui.chinese import open_palette, system_commands, translate_builtin_bindings
from window_tui.ui.commands import CounterCommands
from window_tui.ui.console import ConsoleScreen
from window_tui.ui.login import LoginScreen
from window_tui.ui.messages import LoginChanged, SyncChanged
from window_tui.ui.supervision import WorkerSupervisor

if TYPE_CHECKING:
    from window_tui.shift_login import ShiftLogin

log = logging.getLogger("window_tui.ui")


class CounterApp(WorkerSupervisor, App[None]):
    CSS_PATH = "counter.tcss"
    TITLE = "window-tui 综合窗口"
    COMMANDS = App.COMMANDS | {CounterCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "退出", id="app.quit", priority=True),
        Binding("ctrl+p", "command_palette", "命令", id="app.command_palette", show=False, tooltip="命令面板：补打、查案、同步、换打印机"),
    ]

    def __init__(self, session: CounterSession, *, login_hint: str = "", clerk: str = "", password: str = "",
                 keymap: dict[str, str] | None = None, theme: str = "textual-dark") -> None:
        super().__init__()
        self.session = session
        self.login_hint, self.clerk_default, self.password_default = login_hint, clerk, password
        self.keymap = keymap or {}
        self.theme_name = theme
        self.console_screen: ConsoleScreen | None = None
        self.worker_errors: list[str] = []  # shown on the status screen
        self.notices: deque[str] = deque(maxlen=200)  # every toast shown this shift, for the log and tests
        session.on_login_change = self._login_changed_from_any_thread
        translate_builtin_bindings()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return system_commands(self, screen)

    def action_command_palette(self) -> None:
        open_palette(self)

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.theme_name in self.available_themes:
            self.theme = self.theme_name
        self.push_screen(LoginScreen(self.session, hint=self.login_hint, clerk=self.clerk_default,
                                     password=self.password_default))

    def logged_in(self) -> None:
        self.console_screen = ConsoleScreen(self.session)
        self.switch_screen(self.console_screen)
        self.session.start_sync(on_change=self._sync_changed_from_thread)

    # --- supervision: no background failure goes unseen ------------------------------------

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        self.notices.append(message)
        log.info("notice (%s): %s", severity, message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _login_changed_from_any_thread(self, auth: ShiftLogin) -> None:
        screen = self.console_screen
        if screen is not None:  # post_message is thread-safe
            screen.post_message(LoginChanged(auth.refused, automatic=not auth.refused))

    def _sync_changed_from_thread(self, _: dict[str, Any]) -> None:
        # Called in the sync thread: compute the summary there, hand it to the UI thread.
        summary = self.session.sync_status()
        if self.console_screen is not None:
            self.console_screen.post_message(SyncChanged(summary))  # post_message is thread-safe

    # --- command palette actions --------------------------------------------------------------

    def run_palette_action(self, action: str) -> None:
        from window_tui.ui.dialogs import TextDialog

        if action in ("call_number", "handover", "report", "appointments", "pause_with_reason"):
            from window_tui.ui.console import ConsoleScreen

            if isinstance(self.screen, ConsoleScreen):
                getattr(self.screen, f"action_{action}")()
            else:
                self.notify("请先回到叫号界面（Esc）再执行", severity="warning")
        elif action == "sync_now":
            self.session.wake_sync()
            self.notify("已请求立即同步")
        elif action == "status":
            from window_tui.ui.status import StatusScreen

            self.push_screen(StatusScreen(self.session))
        elif action == "toggle_theme":
            self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"
        elif action in ("reprint", "open_case"):
            self.push_screen(TextDialog("输入案件编号", "如 370800-20261127-05-0001"),
                             lambda number: number and self.open_case(number, reprint=action == "reprint"))
        elif action == "drafts":
            self.load_drafts()
        elif action == "change_printer":
            self.push_screen(TextDialog("新的打印机地址", value=self.session.printer_url), self._change_printer)

    def _change_printer(self, url: str | None) -> None:
        if not url:
            return
        try:
            self.session.change_printer(url)
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.notify(f"打印机已更换为 {url}")

    @work(thread=True, exit_on_error=False)
    def load_drafts(self, bundle: str | None = None, then_new: Callable[[], None] | None = None) -> None:
        """The unfinished forms, newest first. With `bundle`, only that bundle's, offered before
        a new form of it is started (`then_new` starts it)."""
        from window_tui.ui.dialogs import DraftPicker, draft_label

        drafts = dict(self.session.store.drafts())
        if bundle is not None:
            drafts = {k: d for k, d in drafts.items() if d.get("bundle") == bundle}
            if not drafts and then_new is not None:
                self.call_from_thread(then_new)
                return
        if not drafts:
            self.call_from_thread(self.notify, "没有未完成的受理")
            return
        names = {code: b.name for code, b in self.session.catalog.bundles.items()}
        ordered = sorted(drafts.items(), key=lambda item: str(item[1].get("saved_at", "")), reverse=True)
        choices = [(case_id, draft_label(names.get(d["bundle"], d["bundle"]), d)) for case_id, d in ordered]

        def picked(result: tuple[str, str] | None) -> None:
            if result is None or self.console_screen is None:
                return
            action, case_id = result
            if action == "new" and then_new is not None:
                then_new()
            elif action == "resume":
                draft = drafts[case_id]
                form = self.session.catalog.merged(draft["bundle"], tuple(draft.get("optional", ())))
                self.console_screen.open_intake(form, case_id=case_id, draft=draft)
            elif action == "delete":
                self.ask_delete_reason(case_id)

        title = "该事项有未完成的受理：继续，或新建" if bundle is not None else "继续未完成的受理"
        self.call_from_thread(self.push_screen, DraftPicker(title, choices, offer_new=then_new is not None), picked)

    def ask_delete_reason(self, case_id: str) -> None:
        from window_tui.ui.dialogs import TextDialog

        def reason_given(reason: str | None) -> None:
            if reason:
                self.delete_draft(case_id, reason)

        self.push_screen(TextDialog("删除草稿：请说明原因（将记录）", "如：申请人已离开、重复录入"), reason_given)

    @work(thread=True, exit_on_error=False)
    def delete_draft(self, case_id: str, reason: str) -> None:
        self.session.delete_draft(case_id, reason)
        self.call_from_thread(self.notify, f"草稿已删除（原因：{reason}），已记录")

    @work(thread=True, exit_on_error=False)
    def open_case(self, case_number: str, reprint: bool) -> None:
        from window_tui.ui.receipt import ReceiptScreen

        case = self.session.find_case(case_number.strip())
        if case is None:
            self.call_from_thread(self.notify, f"本机没有案件 {case_number}（超过保留期的已清除）", severity="error")
            return
        self.call_from_thread(self.push_screen, ReceiptScreen(self.session, case, reprint=reprint))

    def on_unmount(self) -> None:
        self.session.stop()

    async def action_quit(self) -> None:
        """Ctrl+Q in the middle of a form asks first, and says that the form is kept."""
        from window_tui.ui.dialogs import ConfirmDialog
        from window_tui.ui.intake import IntakeScreen

        open_forms = [s for s in self.screen_stack if isinstance(s, IntakeScreen)]
        if open_forms and not isinstance(self.screen, ConfirmDialog):
            form = open_forms[-1]
            form.save_draft()

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_worker(self._quit(), exclusive=True, group="quit")

            self.push_screen(ConfirmDialog(
                "退出程序？", f"正在受理的“{form.form.bundle.name}”已存为草稿，下次从“继续未完成的受理”接着填。"), answered)
            return
        await self._quit()

    async def _quit(self) -> None:
        if self.console_screen is not None:
            await self.console_screen.flush_pending()  # a no-show waiting for its undo window is sent now
        self.session.stop()
        await self.session.client.aclose()
        self.exit()
