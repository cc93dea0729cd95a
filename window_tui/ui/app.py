"""The counter console application."""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding

from window_tui.session import CounterSession
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
        Binding("ctrl+p", "command_palette", "命令面板", id="app.command_palette", show=False),
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

        if action == "sync_now":
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
    def load_drafts(self) -> None:
        from window_tui.ui.dialogs import ChoiceDialog

        drafts = dict(self.session.store.drafts())
        if not drafts:
            self.call_from_thread(self.notify, "没有未完成的受理")
            return
        names = {code: b.name for code, b in self.session.catalog.bundles.items()}
        choices = [(case_id, f"{names.get(d['bundle'], d['bundle'])}  {case_id[:8]}") for case_id, d in drafts.items()]

        def resume(case_id: str | None) -> None:
            if case_id and self.console_screen is not None:
                draft = drafts[case_id]
                form = self.session.catalog.merged(draft["bundle"], tuple(draft.get("optional", ())))
                self.console_screen.open_intake(form, case_id=case_id, draft=draft)

        self.call_from_thread(self.push_screen, ChoiceDialog("继续未完成的受理", choices), resume)

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
        self.session.stop()
        await self.session.client.aclose()
        self.exit()
