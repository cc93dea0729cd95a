"""The manager's login form: where no password came with the command (a browser through
`window-tui manager-web`, or a terminal without WINDOW_TUI_PASSWORD). Dismissed with the
shift login once the platform accepts a supervisor or an administrator."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from window_tui.manager_login import ManagerLoginRefused, manager_login
from window_tui.shift_login import ShiftLogin
from window_tui.ui.supervision import SupervisedScreen


class ManagerLoginScreen(SupervisedScreen, Screen[ShiftLogin]):
    BINDINGS = [Binding("ctrl+q", "app.quit", "退出", id="manager_login.quit")]

    def __init__(self, server: str, *, hall_name: str = "", clerk: str = "") -> None:
        super().__init__()
        self.server, self.hall_name, self.clerk_default = server, hall_name, clerk

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(f"{self.hall_name or '政务服务大厅'}\n大厅管理 · 值班长或管理员登录", id="login-title")
            yield Label("工号")
            yield Input(value=self.clerk_default, id="login-clerk", max_length=20)
            yield Label("密码")
            yield Input(password=True, id="login-password", max_length=128)
            yield Button("登录", variant="primary", id="login-button")
            yield Static(f"中心平台：{self.server}", id="login-hint")
            yield Static("", id="login-error")

    def on_mount(self) -> None:
        self.query_one("#login-password" if self.clerk_default else "#login-clerk", Input).focus()

    @on(Input.Submitted, "#login-clerk")
    def next_field(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-button")
    def submit(self) -> None:
        clerk = self.query_one("#login-clerk", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        if not clerk or not password:
            self.query_one("#login-error", Static).update("请输入工号和密码")
            return
        self.query_one("#login-error", Static).update("正在登录……")
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
            self.query_one("#login-error", Static).update(exc.message)  # last: the form is ready when it shows
            return
        self.dismiss(login)
