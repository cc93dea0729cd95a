"""Login: clerk number and password; offline for a clerk who logged in here before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from window_tui.ui.supervision import SupervisedScreen

if TYPE_CHECKING:
    from window_tui.session import CounterSession


class LoginScreen(SupervisedScreen, Screen[None]):
    def __init__(self, session: CounterSession, *, hint: str = "", clerk: str = "", password: str = "") -> None:
        super().__init__()
        self.session = session
        self.hint = hint
        self.clerk_default = clerk
        self.password_default = password

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(f"{self.session.config.hall.name}\n综合窗口 · {self.session.window}号窗口", id="login-title")
            yield Label("工号")
            yield Input(value=self.clerk_default, id="login-clerk")
            yield Label("密码")
            yield Input(value=self.password_default, password=True, id="login-password")
            yield Button("登录", variant="primary", id="login-button")
            yield Static(self.hint, id="login-hint")
            yield Static("", id="login-error")

    def on_mount(self) -> None:
        self.query_one("#login-clerk" if not self.clerk_default else "#login-password", Input).focus()

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
        self.login(clerk, password)

    @work(exclusive=True, exit_on_error=False)
    async def login(self, clerk: str, password: str) -> None:
        from window_tui.session import LoginError

        try:
            who = await self.session.login(clerk, password)
        except LoginError as exc:
            self.query_one("#login-error", Static).update(str(exc))
            return
        if who.offline:
            self.notify("离线登录：叫号不可用，受理的案件保存在本机，恢复网络后自动上传", severity="warning", timeout=8)
        self.app.logged_in()  # type: ignore[attr-defined]
