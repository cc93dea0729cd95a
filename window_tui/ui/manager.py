"""The hall manager's live screen (大厅管理): every service's queue and how long its first
ticket has waited (an alert past the hall's limit), every window's state — not logged
in, idle, calling or serving which ticket for how long, paused — and the day's totals.

It follows the hall's event stream (one follower) and asks the platform for the
overview after events, at most every REFRESH_S however fast 30 windows call, so the
screen stays responsive; the tables' cells are updated in place, never rebuilt."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.events import EventFollower
from window_tui.shift_login import ShiftLogin
from window_tui.ui.supervision import WorkerSupervisor

log = logging.getLogger("window_tui.manager")
REFRESH_S = 0.3  # events coalesce into one overview request per this interval
QUIET_REFRESH_S = 5.0  # without events the waits still grow: ask again this often


def _overdue(count: int) -> Text:
    return Text(f"（逾期 {count}）", style="bold red") if count else Text("")


def duration(seconds: int) -> str:
    """12:05, or 1:02:03 past an hour."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ManagerApp(WorkerSupervisor, App[None]):
    TITLE = "window-tui 大厅管理"
    CSS_PATH = "counter.tcss"  # the dialogs' look, shared with the counter
    ENABLE_COMMAND_PALETTE = False  # nothing to command yet: F5 and Ctrl+Q are all there is
    CSS = """
    #manager-status { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    #manager-totals, #manager-backlog { height: 1; padding: 0 1; color: $text-muted; }
    .manager-title { height: 1; padding: 0 1; text-style: bold; margin-top: 1; }
    #services { height: auto; max-height: 40%; }
    #windows { height: 1fr; }
    """
    BINDINGS = [
        Binding("p", "toggle_pause", "暂停/开放", id="manager.pause", tooltip="暂停或开放选中窗口的叫号"),
        Binding("m", "move", "移号", id="manager.move", tooltip="把选中业务的前 N 个等候号移到另一业务"),
        Binding("t", "message", "发消息", id="manager.message", tooltip="给选中窗口的人员发一条消息"),
        Binding("a", "appointments", "预约", id="manager.appointments"),
        Binding("g", "charts", "图表", id="manager.charts"),
        Binding("f5", "refresh", "刷新", id="manager.refresh"),
        Binding("ctrl+q", "quit", "退出", id="manager.quit"),
    ]

    def __init__(self, client: PlatformClient | None, *, wait_alert_minutes: int = 20, hall_name: str = "",
                 server: str = "", clerk: str = "") -> None:
        """`client` logged in already, or None: the screen opens on its login form for
        `server` (the clerk number filled in when given)."""
        super().__init__()
        self._client = client
        self.server, self.clerk = server, clerk
        self.alert_seconds = wait_alert_minutes * 60
        self.hall_name = hall_name
        self.online: bool | None = None
        self.alerted: set[str] = set()  # services over the limit, told once until they fall below
        self.overview: dict[str, Any] = {}
        self._dirty = True
        self._asking = False
        self.notices: deque[str] = deque(maxlen=200)  # every toast shown, for the log and tests
        self.overviews_shown = 0  # for the bench: how often the hall was redrawn
        self._cells: dict[str, dict[str, dict[str, Any]]] = {}  # table → row → column → what it shows
        self._rewrite: set[str] = set()  # tables whose every cell the next look writes again
        self._rewriting: set[str] = set()

    def notify(self, message: str, **options: Any) -> None:  # type: ignore[override]
        self.notices.append(message)
        log.info("notice: %s", message)
        super().notify(message, **options)

    def compose(self) -> ComposeResult:
        yield Static("", id="manager-status")
        yield Static("", id="manager-totals")
        yield Static("", id="manager-backlog")
        yield Static(f"排队（首位等候超过 {self.alert_seconds // 60} 分钟告警）", classes="manager-title")
        yield DataTable(id="services", cursor_type="row", zebra_stripes=True)
        yield Static("窗口", classes="manager-title")
        yield DataTable(id="windows", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        services = self.query_one("#services", DataTable)
        for key, label in (("name", "业务"), ("waiting", "等候"), ("longest", "首位已等")):
            services.add_column(label, key=key)
        windows = self.query_one("#windows", DataTable)
        for key, label in (("window", "窗口"), ("state", "状态"), ("ticket", "号码"), ("for", "时长"),
                           ("clerk", "人员"), ("services", "业务"), ("why", "说明")):
            windows.add_column(label, key=key)
        self._show_status()
        if self._client is None:
            from window_tui.ui.manager_login import ManagerLoginScreen

            self.push_screen(ManagerLoginScreen(self.server, hall_name=self.hall_name, clerk=self.clerk),
                             self._logged_in)
        else:
            self._start()

    @property
    def client(self) -> PlatformClient:
        assert self._client is not None, "the manager's screen acts only after its login"
        return self._client

    def _logged_in(self, login: ShiftLogin | None) -> None:
        if login is None:
            self.exit()
            return
        self._client = PlatformClient(self.server, auth=login)
        self.notify(f"已登录：{login.clerk} {login.clerk_name}".strip())
        self._start()

    def _start(self) -> None:
        self.set_interval(REFRESH_S, self._refresh_if_due)
        self.set_interval(QUIET_REFRESH_S, self.action_refresh)
        self._dirty = True
        self.follow()

    # --- what the screen asks -----------------------------------------------------------

    def action_refresh(self) -> None:
        self._dirty = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The overview's keys act (and show) only on the overview, not over the charts."""
        overview_keys = ("charts", "refresh", "toggle_pause", "move", "message", "appointments")
        return not (action in overview_keys and len(self.screen_stack) > 1)

    def action_appointments(self) -> None:
        from datetime import datetime

        from window_tui.ui.manager_appointments import AppointmentsScreen

        now = self.overview.get("now", "")  # the hall's clock and zone, from the platform
        moment = datetime.fromisoformat(now) if now else datetime.now().astimezone()
        self.push_screen(AppointmentsScreen(self.client, moment.date(), moment.tzinfo))

    def action_charts(self) -> None:
        from datetime import date

        from window_tui.ui.manager_charts import ChartsScreen

        now = self.overview.get("now", "")
        day = date.fromisoformat(now[:10]) if now else date.today()  # the hall's day, from the platform
        self.push_screen(ChartsScreen(self.client, day))

    def _refresh_if_due(self) -> None:
        if self._dirty and not self._asking:
            self._dirty, self._asking = False, True
            self.run_worker(self.ask(), group="overview", name="大厅概况", exit_on_error=False)

    async def ask(self) -> None:
        try:
            overview = await self.client.overview()
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.online = False
            self._show_status(exc.message)
            return
        finally:
            self._asking = False
        self.online = True
        self.show(overview)

    async def _follow(self) -> None:
        async for update in EventFollower(self.client).follow():
            if update.kind == "event":
                self._dirty = True
            elif update.kind in ("offline", "auth"):
                self.online = False
                self._show_status(update.detail or "事件流中断，正在重连")
            elif update.kind == "online":
                self._dirty = True

    def follow(self) -> None:
        self.run_worker(self._follow(), group="follow", name="事件跟随", exit_on_error=False)

    # --- what the manager does ---------------------------------------------------------

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def action_toggle_pause(self) -> None:
        key = self._selected("#windows")
        window = next((w for w in self.overview.get("windows", []) if str(w["number"]) == key), None)
        if window is None:
            self.notify("请先在窗口表中选中一个窗口", severity="warning")
            return
        action = "resume" if window["state"] == "paused" else "pause"
        self.run_worker(self._window_action(window["number"], action), group="manage", name="窗口操作",
                        exit_on_error=False)

    async def _act(self, call: Awaitable[dict[str, Any]], failed: str) -> dict[str, Any] | None:
        """One manager action on the platform: its answer, or None after a one-line toast
        (`failed`: what did not happen). The hall is looked at again either way."""
        self._dirty = True
        try:
            return await call
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"{failed}：{exc.message}", severity="error")
            return None

    async def _window_action(self, window: int, action: str) -> None:
        words = {"pause": "暂停", "resume": "开放"}[action]
        if await self._act(self.client.window_action(window, action), f"{window} 号窗口{words}失败") is not None:
            self.notify(f"{window} 号窗口已{words}叫号")

    def action_message(self) -> None:
        key = self._selected("#windows")
        if key is None:
            self.notify("请先在窗口表中选中一个窗口", severity="warning")
            return
        from window_tui.ui.dialogs import TextDialog

        self.push_screen(TextDialog(f"发给 {key} 号窗口的消息（显示在其窗口终端，不上大屏）", "最多 100 字"),
                         lambda text: self._send_typed(int(key), text))

    def _send_typed(self, window: int, text: str | None) -> None:
        if text and text.strip():
            self.run_worker(self._send(window, text.strip()), group="manage", name="发消息", exit_on_error=False)

    async def _send(self, window: int, text: str) -> None:
        if await self._act(self.client.message_window(window, text), "消息未发出") is not None:
            self.notify(f"已发给 {window} 号窗口：{text}")

    def action_move(self) -> None:
        key = self._selected("#services")
        service = next((s for s in self.overview.get("services", []) if s["code"] == key), None)
        if service is None:
            self.notify("请先在排队表中选中一个业务", severity="warning")
            return
        from window_tui.ui.dialogs import TextDialog

        others = "、".join(f"{s['code']} {s['name']}" for s in self.overview["services"] if s["code"] != key)
        self.push_screen(TextDialog(f"把“{service['name']}”的前 N 个等候号移到：{others}",
                                    "目标业务代码 数量，如 B 10"),
                         lambda typed: self._move_typed(key, typed))

    def _move_typed(self, service: str, typed: str | None) -> None:
        parts = (typed or "").split()
        if not parts:
            return
        to_service = parts[0].upper()
        count = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 10
        self.run_worker(self._move(service, to_service, count), group="manage", name="移号", exit_on_error=False)

    async def _move(self, service: str, to_service: str, count: int) -> None:
        moved = await self._act(self.client.move_waiting(service, to_service, count), "移号失败")
        if moved is None:
            return
        labels = moved["moved"]
        self.notify(f"已把 {len(labels)} 个号从 {service} 移到 {to_service}"
                    + (f"：{'、'.join(labels[:5])}{'…' if len(labels) > 5 else ''}" if labels else "（没有可移的号）"))

    # --- what the screen shows ----------------------------------------------------------

    def _show_status(self, problem: str = "") -> None:
        now = self.overview.get("now", "")[11:19]
        online = {None: "连接中", True: "● 在线", False: "○ 离线"}[self.online]
        line = f"{self.hall_name or '大厅'}  大厅管理  {now}  {online}"
        self.query_one("#manager-status", Static).update(line + (f"  {problem}" if problem else ""))

    def show(self, overview: dict[str, Any]) -> None:
        self.overview = overview
        self.overviews_shown += 1
        self._rewriting, self._rewrite = self._rewrite, set()
        self._show_status()
        self.query_one("#manager-totals", Static).update(
            f"今日取号 {overview['issued_today']}  已办结 {overview['served_today']}  过号 {overview['no_shows_today']}"
            f"  等候中 {sum(s['waiting'] for s in overview['services'])}")
        b = overview.get("backlog", {})
        self.query_one("#manager-backlog", Static).update(Text.assemble(
            "待跟进：差评回访 ", str(b.get("followups_open", 0)), _overdue(b.get("followups_overdue", 0)),
            f"  证照待领取 {b.get('to_hand_over', 0)}  办不成事 {b.get('reports_open', 0)}",
            _overdue(b.get("reports_overdue", 0))))
        services = self.query_one("#services", DataTable)
        for s in overview["services"]:
            over = s["waiting"] > 0 and s["longest_wait_seconds"] >= self.alert_seconds
            longest = Text(duration(s["longest_wait_seconds"]) if s["waiting"] else "—",
                           style="bold red" if over else "")
            if over:
                longest = Text("⚠ ", style="bold red") + longest
            self._put(services, s["code"], {"name": s["name"], "waiting": str(s["waiting"]), "longest": longest})
            if over and s["code"] not in self.alerted:
                self.alerted.add(s["code"])
                self.notify(f"{s['name']}：首位已等 {duration(s['longest_wait_seconds'])}，"
                            f"超过 {self.alert_seconds // 60} 分钟，请考虑增开窗口", severity="warning", timeout=15)
            elif not over:
                self.alerted.discard(s["code"])
        windows = self.query_one("#windows", DataTable)
        for w in overview["windows"]:
            style = {"closed": "dim", "paused": "yellow", "called": "bold", "serving": "green"}.get(w["state"], "")
            busy, paused = w["state"] in ("called", "serving"), w["state"] == "paused"
            self._put(windows, str(w["number"]), {
                "window": w["name"], "state": Text(w["state_label"], style=style), "ticket": w["ticket"] or "—",
                "for": duration(w["ticket_seconds"]) if busy else duration(w.get("paused_seconds", 0)) if paused
                else "—",
                "clerk": f"{w['clerk']} {w['clerk_name']}".strip() or "—", "services": "".join(w["services"]),
                "why": w.get("pause_reason", "")})

    def _put(self, table: DataTable, key: str, cells: dict[str, Any]) -> None:
        """Update a row's changed cells in place (a new row only for a new service or window):
        at full speed most cells stay the same between two looks, and each update costs a
        repaint of its row."""
        shown = self._cells.setdefault(table.id or "", {})
        if key not in shown:
            table.add_row(*cells.values(), key=key)
            shown[key] = dict(cells)
            # A row drawn before the table re-measures its columns (on its idle) keeps that
            # narrow drawing until a cell of the table changes: rewrite every cell at the next
            # look, which comes at once.
            self._rewrite.add(table.id or "")
            self._dirty = True
            return
        before = shown[key]
        rewrite = (table.id or "") in self._rewriting
        for column, value in cells.items():
            if rewrite or before.get(column) != value:
                table.update_cell(key, column, value, update_width=True)  # a longer value widens its column
                before[column] = value
