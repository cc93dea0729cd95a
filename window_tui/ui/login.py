"""Login: clerk number and password; offline for a clerk who logged in here before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.widgets import Input

from window_tui.ui.credentials import CredentialsScreen

if TYPE_CHECKING:
    from window_tui.session import CounterSession


class LoginScreen(CredentialsScreen[None]):
    def __init__(self, session: CounterSession, *, hint: str = "", clerk: str = "", password: str = "") -> None:
        super().__init__()
        self.session = session
        self.hint = hint
        self.clerk_default = clerk
        self.password_default = password

    def compose(self) -> ComposeResult:
        yield from self.compose_form(f"{self.session.config.hall.name}\n综合窗口 · {self.session.window}号窗口",
                                     self.hint, self.clerk_default, self.password_default)

    def on_mount(self) -> None:
        self.query_one("#login-clerk" if not self.clerk_default else "#login-password", Input).focus()

    def attempt(self, clerk: str, password: str) -> None:
        self.login(clerk, password)

    @work(exclusive=True, exit_on_error=False)
    async def login(self, clerk: str, password: str) -> None:
        from window_tui.session import LoginError

        try:
            who = await self.session.login(clerk, password)
        except LoginError as exc:
            self.show_error(str(exc))
            return
        if who.offline:
            self.notify("离线登录：叫号不可用，受理的案件保存在本机，恢复网络后自动上传", severity="warning", timeout=8)
        self.app.logged_in()  # type: ignore[attr-defined]
