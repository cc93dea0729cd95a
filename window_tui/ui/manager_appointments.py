"""The manager's appointments for a day: every booking with its slot, service, code,
masked contact and state; N books a seat (a phone call, the front desk), X cancels the
selected one; ← → change the day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.ui.dialogs import TextDialog
from window_tui.ui.supervision import SupervisedScreen

SLOT_MINUTES = 30


def parse_booking(typed: str, day: date, zone: Any) -> tuple[dict[str, Any] | None, str]:
    """"B 14:00 王五 13900000000" → the booking's body, or None and what is wrong."""
    parts = typed.split()
    if len(parts) != 4:
        return None, "请按“业务代码 时段开始 姓名 电话”输入，如 B 14:00 王五 13900000000"
    service, start, name, phone = parts
    try:
        hour, minute = (int(p) for p in start.split(":"))
        begins = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    except ValueError:
        return None, f"时段开始应为 时:分，如 14:00（收到 {start}）"
    ends = begins + timedelta(minutes=SLOT_MINUTES)
    return {"service": service.upper(), "slot_start": begins.isoformat(), "slot_end": ends.isoformat(),
            "name": name, "phone": phone}, ""


class AppointmentsScreen(SupervisedScreen, Screen[None]):
    CSS = """
    #appointments-title { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    #appointments { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "返回", id="appointments.close"),
        Binding("n", "book", "预约", id="appointments.book"),
        Binding("x", "cancel", "取消预约", id="appointments.cancel"),
        Binding("left", "day(-1)", "前一天", id="appointments.previous_day"),
        Binding("right", "day(1)", "后一天", id="appointments.next_day"),
    ]

    def __init__(self, client: PlatformClient, day: date, zone: Any) -> None:
        super().__init__()
        self.client, self.day, self.zone = client, day, zone
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="appointments-title")
        yield DataTable(id="appointments", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("slot", "时段"), ("service", "业务"), ("code", "预约码"), ("contact", "联系人"),
                           ("state", "状态")):
            table.add_column(label, key=key)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_day(self, step: int) -> None:
        self.day += timedelta(days=step)
        self.load()

    @work(exclusive=True, group="appointments", exit_on_error=False)
    async def load(self) -> None:
        title = self.query_one("#appointments-title", Static)
        try:
            self.rows = await self.client.appointments(self.day.isoformat())
        except (PlatformUnavailable, PlatformRejected) as exc:
            title.update(f"预约  {self.day.isoformat()}  无法查询：{exc.message}")
            return
        booked = sum(r["state"] == "booked" for r in self.rows)
        title.update(f"预约  {self.day.isoformat()}  共 {len(self.rows)} 个，待取号 {booked} 个    ← → 换日期")
        table = self.query_one(DataTable)
        table.clear()  # a day's list is small and changes as a whole when the day changes
        for r in self.rows:
            table.add_row(f"{r['slot_start'][11:16]}-{r['slot_end'][11:16]}", r["service"], r["code"], r["contact"],
                          r["state_label"], key=r["code"])

    def action_book(self) -> None:
        self.app.push_screen(TextDialog(f"预约 {self.day.isoformat()}：业务代码 时段开始 姓名 电话（每段 {SLOT_MINUTES} 分钟）",
                                        "如 B 14:00 王五 13900000000"), self._typed)

    def _typed(self, typed: str | None) -> None:
        if not typed:
            return
        body, problem = parse_booking(typed, self.day, self.zone)
        if body is None:
            self.notify(problem, severity="warning")
            return
        self.send(body)

    @work(group="appointments-book", exit_on_error=False)
    async def send(self, body: dict[str, Any]) -> None:
        try:
            booked = await self.client.book_appointment(body)
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"预约失败：{exc.message}", severity="error")
            return
        self.notify(f"已预约：{booked['code']}（{booked['slot_start'][11:16]} {booked['service']}），请告知申请人凭码取号")
        self.load()

    def action_cancel(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.notify("没有可取消的预约", severity="warning")
            return
        code = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
        self.cancel(code)

    @work(group="appointments-cancel", exit_on_error=False)
    async def cancel(self, code: str) -> None:
        try:
            await self.client.cancel_appointment(code)
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"取消失败：{exc.message}", severity="error")
            return
        self.notify(f"已取消预约 {code}")
        self.load()
