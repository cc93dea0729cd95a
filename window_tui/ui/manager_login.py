"""The manager's login form: where no password came with the command (a browser through
`window-tui manager-web`, or a terminal without WINDOW_TUI_PASSWORD). Dismissed with the
shift login once the platform accepts a supervisor or an administrator."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from window_tui.manager_login import ManagerLoginRefused, manager_login
from window_tui.shift_login import ShiftLogin
from window_tui.ui.credentials import CredentialsScreen


class ManagerLoginScreen(CredentialsScreen[ShiftLogin]):
    BINDINGS = [Binding("ctrl+q", "app.quit", "退出", id="manager_login.quit")]

    def __init__(self, server: str, *, hall_name: str = "", clerk: str = "") -> None:
        super().__init__()
        self.server, self.hall_name, self.clerk_default = server, hall_name, clerk

    def compose(self) -> ComposeResult:
        yield from self.compose_form(f"{self.hall_name or '政务服务大厅'}\n大厅管理 · 值班长或管理员登录",
                                     f"中心平台：{self.server}", self.clerk_default)

    def on_mount(self) -> None:
        self.query_one("#login-password" if self.clerk_default else "#login-clerk", Input).focus()

    def attempt(self, clerk: str, password: str) -> None:
        self.log_in(clerk, password)

    @work(exclusive=True, exit_on_error=False, name="登录")
    async def log_in(self, clerk: str, password: str) -> None:
        try:
            login = await manager_login(self.server, clerk, password)
        except ManagerLoginRefused as exc:
            self.query_one("#login-password", Input).value = ""
            if exc.wrong_person:  # another person logs in: start from the clerk number
                self.query_one("#login-clerk", Input).value = ""
            self.query_one("#login-clerk" if exc.wrong_person else "#login-password", Input).focus()
            self.show_error(exc.message)  # last: the form is ready when it shows
            return
        self.dismiss(login)
