"""The ticket kiosk: choose a service (or the green channel, or an appointment
code) and get a printed ticket; if the printer fails, the ticket is shown large
enough to photograph and the failure is logged."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Digits, Input, Static

from window_tui.client import PlatformClient, PlatformError
from window_tui.domain.queue_policy import GREEN_KINDS
from window_tui.ui.supervision import WorkerSupervisor

if TYPE_CHECKING:
    from printers.service import PrintService

log = logging.getLogger(__name__)


class KioskApp(WorkerSupervisor, App[None]):
    AUTO_FOCUS = None  # focus goes to the first service once the services are loaded
    CSS = """
    #title { height: 3; content-align: center middle; text-style: bold; background: $primary; }
    #services { height: auto; padding: 1; layout: grid; grid-size: 3; grid-gutter: 1 2; grid-rows: 5; }
    #services Button { width: 100%; height: 5; }
    #green { height: auto; padding: 0 1; }
    #green Button { width: 1fr; margin: 0 1; }
    #appointment { height: 3; padding: 0 2; }
    #result { height: 1fr; align: center middle; }
    #ticket-number { width: auto; }
    #ticket-text { height: auto; content-align: center middle; width: 100%; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "退出", id="kiosk.quit")] + [
        Binding(str(n), f"choose({n})", f"业务{n}", id=f"kiosk.service{n}", show=False) for n in range(1, 10)]

    def __init__(self, client: PlatformClient, printer: PrintService | None, clear_after: float = 30.0) -> None:
        super().__init__()
        self.client = client
        self.printer = printer
        self.clear_after = clear_after  # seconds a printed ticket stays on screen for the next person
        self.services: list[dict[str, Any]] = []
        self.green_kind = ""
        self.last_ticket: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("请选择办理的业务取号（按数字键或点按）", id="title")
        yield Grid(id="services")
        with Horizontal(id="green"):
            for index, kind in enumerate(GREEN_KINDS):
                yield Button(f"绿色通道：{kind}", id=f"green-{index}")
        yield Input(placeholder="有预约码请在此输入后按回车（如 YY112701）", id="appointment")
        with Vertical(id="result"):
            yield Digits("", id="ticket-number")
            yield Static("", id="ticket-text")

    def on_mount(self) -> None:
        self.load_services()

    @work(exit_on_error=False)
    async def load_services(self) -> None:
        try:
            self.services = await self.client.services()
        except PlatformError as exc:
            self.query_one("#ticket-text", Static).update(f"暂时无法取号：{exc.message}，请到导办台咨询")
            return
        grid = self.query_one("#services", Grid)
        for n, service in enumerate(self.services, start=1):
            await grid.mount(Button(f"{n}. {service['name']}", id=f"service-{service['code']}", variant="primary"))
        if self.services:  # Enter takes an ordinary service, never the green channel by accident
            self.call_after_refresh(grid.query(Button).first().focus)

    def action_choose(self, number: int) -> None:
        if not self.query_one("#appointment", Input).has_focus and 0 < number <= len(self.services):
            self.issue(self.services[number - 1]["code"], "")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id.startswith("green-"):
            self.green_kind = GREEN_KINDS[int(button_id.removeprefix("green-"))]
            self.notify(f"已选择绿色通道（{self.green_kind}），请选择业务")
        elif button_id.startswith("service-"):
            self.issue(button_id.removeprefix("service-"), "")

    @on(Input.Submitted, "#appointment")
    def appointment(self, event: Input.Submitted) -> None:
        code = event.value.strip().upper()
        if code and self.services:
            self.issue(self.services[0]["code"], code)
            event.input.value = ""

    @work(exclusive=True, exit_on_error=False)
    async def issue(self, service: str, appointment: str) -> None:
        priority = "green" if self.green_kind else "normal"
        try:
            ticket = await self.client.issue_ticket(service, priority=priority, priority_kind=self.green_kind,
                                                    appointment_code=appointment)
        except PlatformError as exc:
            self.query_one("#ticket-text", Static).update(f"取号失败：{exc.message}")
            return
        finally:
            self.green_kind = ""
        self.last_ticket = ticket
        self.query_one("#ticket-number", Digits).update(ticket["label"])
        self.query_one("#ticket-text", Static).update(
            f"{ticket['service_name']}  前面还有 {ticket['ahead']} 人  {ticket['issued_at'][11:19]}\n正在打印……")
        self.print_ticket(ticket)

    @work(thread=True, exit_on_error=False)
    def print_ticket(self, ticket: dict[str, Any]) -> None:
        text = f"{ticket['service_name']}  前面还有 {ticket['ahead']} 人  {ticket['issued_at'][11:19]}\n"
        job_printed = False
        if self.printer is None:
            message = text + "（本机未配置打印机）请拍照留存号码"
        else:
            job = self.printer.print("ticket", ticket, ticket["label"])
            job_printed = job.state == "sent"
            if job.state == "sent":
                message = text + "请取走号票，留意叫号屏幕与语音"
            elif job.state == "unconfirmed":
                message = text + "号票已发送，请取走；如未出纸请拍照留存此号码"
            elif job.state == "preview":
                message = text + "（预览模式，未打印号票）请拍照留存此号码"
            else:
                log.error("ticket %s not printed: %s", ticket["label"], job.error)
                message = text + f"号票打印失败（{job.error}），请拍照留存此号码"
        self.call_from_thread(self.query_one("#ticket-text", Static).update, message)
        if job_printed:  # a printed ticket leaves the screen for the next person; a failed one stays
            self.call_from_thread(self.set_timer, self.clear_after, lambda: self.clear_ticket(ticket["label"]))

    def clear_ticket(self, label: str) -> None:
        if self.last_ticket is not None and self.last_ticket["label"] == label:
            self.query_one("#ticket-number", Digits).update("")
            self.query_one("#ticket-text", Static).update("")
            self.last_ticket = None
