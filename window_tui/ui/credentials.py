"""The clerk-number-and-password form both logins share (the counter's and the manager's):
Enter in the number moves to the password, Enter there (or the button) submits; an empty
field is said in the form's error line. Each screen says what a login does (`attempt`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from window_tui.ui.supervision import SupervisedScreen

Result = TypeVar("Result")


class CredentialsScreen(SupervisedScreen, Screen[Result]):
    """A login screen: `compose_form` draws the form, `attempt` runs a login."""

    def compose_form(self, title: str, hint: str, clerk: str = "", password: str = "") -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(title, id="login-title")
            yield Label("工号")
            yield Input(value=clerk, id="login-clerk", max_length=20)
            yield Label("密码")
            yield Input(value=password, password=True, id="login-password", max_length=128)
            yield Button("登录", variant="primary", id="login-button")
            yield Static(hint, id="login-hint")
            yield Static("", id="login-error")

    # Each login screen defines what logging in does (the counter's session, the manager's
    # platform login); declared here so the form can call it.
    attempt: Callable[[str, str], None]

    def show_error(self, message: str) -> None:
        self.query_one("#login-error", Static).update(message)

    @on(Input.Submitted, "#login-clerk")
    def next_field(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-button")
    def submit(self) -> None:
        clerk = self.query_one("#login-clerk", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        if not clerk or not password:
            self.show_error("请输入工号和密码")
            return
        self.show_error("正在登录……")
        self.attempt(clerk, password)
