"""The main console: status bar, queue panel, one key per queue action."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from window_tui.client import PlatformRejected, PlatformUnavailable
from window_tui.events import EventFollower
from window_tui.ui.dialogs import BundlePicker, QuestionsDialog, TextDialog, TransferPicker
from window_tui.ui.messages import ConnectionChanged, LoginChanged, QueueChanged, SyncChanged
from window_tui.ui.scan_guard import ScanGuardedScreen
from window_tui.ui.supervision import SupervisedScreen
from window_tui.ui.widgets import CounterFooter, QueuePanel, StatusBar

if TYPE_CHECKING:
    from window_tui.session import CounterSession

QUEUE_ACTIONS = {
    "call-next": "叫号", "recall": "重呼", "no-show": "过号", "finish": "办结", "pause": "暂停", "resume": "恢复",
    "call": "指定叫号", "transfer": "转移", "start": "开始办理",
}


UNDO_SECONDS = 5


class ConsoleScreen(ScanGuardedScreen, SupervisedScreen, Screen[None]):
    BINDINGS = [
        Binding("n", "queue('call-next')", "叫号", id="counter.call_next"),
        Binding("r", "queue('recall')", "重呼", id="counter.recall"),
        Binding("x", "queue('no-show')", "过号", id="counter.no_show"),
        Binding("t", "transfer", "转移", id="counter.transfer"),
        Binding("g", "call_number", "指定", id="counter.call_number", show=False,
                tooltip="指定号码叫号（不在底栏：80 列放不下；Ctrl+P 命令面板可查）"),
        Binding("p", "pause", "暂停", id="counter.pause", tooltip="暂停/恢复叫号"),
        Binding("f", "finish", "办结", id="counter.finish"),
        Binding("i", "intake", "受理", id="counter.intake"),
        Binding("s", "status", "状态", id="counter.status"),
        Binding("c", "handover", "出件", id="counter.handover", tooltip="交付审批结果（证照）：输入案件编号或扫描受理回执"),
        Binding("b", "report", "办不成事", id="counter.report", show=False,
                tooltip="登记办不成事反映（转 12345 跟踪），打印回执（不在底栏：Ctrl+P 命令面板可查）"),
        Binding("ctrl+l", "relogin", "重新登录", id="counter.relogin", show=False),
        Binding("u", "undo", "撤销", id="counter.undo", show=False, tooltip="撤销 5 秒内的过号或转移"),
    ]

    def __init__(self, session: CounterSession) -> None:
        super().__init__()
        self.session = session
        self._pending: tuple[str, dict[str, Any] | None, str, Timer] | None = None  # no-show/transfer awaiting U
        self.state: dict[str, Any] = {}
        self.cases_for_ticket: list[str] = []
        self.online: bool | None = None
        self.last_event_id = 0
        self.cases_taken: list[str] = []  # every case this console was told about, once each
        self.login_refused = ""  # the platform refused the shift's login: the banner says so

    def compose(self) -> ComposeResult:
        clerk = self.session.clerk
        yield StatusBar(self.session.window, f"{clerk.name}（{clerk.number}）" if clerk else "",
                        self.session.clock, id="status-bar")
        yield Static("", id="offline-banner")
        yield Static("", id="login-banner")
        with Horizontal(id="console-body"):
            yield QueuePanel(id="queue-panel")
            with Vertical(id="work-area"):
                yield Static(self._welcome(), id="work-info")
                if self.session.demo_hint:
                    yield Static(self.session.demo_hint, id="demo-hint")
                yield Static("", id="last-case")
        yield CounterFooter()

    def _welcome(self) -> str:
        # Short lines: Textual's wrapping does not keep closing punctuation off a line's start.
        return ("N 叫号  I 受理（可无号）  F 办结\n"
                "X 过号、T 转移：5 秒内按 U 撤销\n"
                "受理：输入身份证号或信用代码，\n"
                "表单从共享数据预填\n"
                "Ctrl+O 更正锁定值（须填理由）\n"
                "Ctrl+P 命令：补打、查案、同步、换打印机")

    def on_mount(self) -> None:
        self.check_catalog()
        self.load_services()
        self.refresh_state()
        self.follow_events()
        self.set_interval(3, self.refresh_sync)
        self.refresh_sync()
        self.purge_old_records()

    @work(thread=True, exclusive=True, group="purge", exit_on_error=False)
    def purge_old_records(self) -> None:
        """Retention at start (the sync thread repeats it daily); the count is on the status page."""
        removed = self.session.purge_if_due()
        if removed:
            self.app.call_from_thread(self.notify, f"已按保留期清理 {removed} 个已上传的过期归档文件")

    # --- messages ------------------------------------------------------------------------------

    def on_queue_changed(self, message: QueueChanged) -> None:
        self.state = {**self.state, **message.state}
        self.query_one(QueuePanel).show(self.state)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        if message.online == self.online:
            return
        was_offline = self.online is False
        self.online = message.online
        self.query_one(StatusBar).online = message.online
        banner = self.query_one("#offline-banner", Static)
        if message.online:
            banner.update("")
            banner.remove_class("visible")
            if was_offline:
                self.notify("网络已恢复，已重新连接中心平台")
        else:
            banner.update(f" ⚠ 网络中断（{message.detail}）：叫号暂不可用；可继续受理（无号件），"
                          "案件保存在本机，恢复后自动上传 ")
            banner.add_class("visible")

    def on_sync_changed(self, message: SyncChanged) -> None:
        bar = self.query_one(StatusBar)
        bar.pending = message.summary.get("pending", 0)
        bar.quarantined = message.summary.get("quarantined", 0)
        if self.login_refused:
            self._show_login_banner()
        alerts = message.summary.get("alerts", [])
        if len(alerts) > self.state.get("_alerts_seen", 0):
            latest = alerts[-1]
            self.notify(f"核验不一致：{latest['case_number']} {latest['label']} 录入“{latest['typed']}”，"
                        f"共享数据为“{latest['registry']}”，请核实", severity="warning", timeout=10)
            self.state["_alerts_seen"] = len(alerts)

    def _show_login_banner(self) -> None:
        banner = self.query_one("#login-banner", Static)
        if self.login_refused:
            pending = self.query_one(StatusBar).pending
            banner.update(f" ⚠ {self.login_refused}，{pending} 件待上传：按 Ctrl+L 输入密码重新登录 ")
        else:
            banner.update("")
        banner.set_class(bool(self.login_refused), "visible")

    def on_login_changed(self, message: LoginChanged) -> None:
        self.login_refused = message.refused
        self._show_login_banner()
        if message.refused:
            self.refresh_sync()
            return
        if message.automatic:
            self.notify("已自动联网登录中心平台，待上传的案件开始同步")
        self.refresh_state()
        self.refresh_sync()

    # --- intake: a screen that returns its case ---------------------------------------------

    def open_intake(self, form: Any, *, ticket: str = "", case_id: str | None = None,
                    draft: dict[str, Any] | None = None, completing: dict[str, Any] | None = None) -> None:
        from window_tui.ui.intake import IntakeScreen

        self.app.push_screen(IntakeScreen(self.session, form, ticket=ticket, case_id=case_id, draft=draft,
                                          completing=completing), self.case_taken)

    def case_taken(self, case: dict[str, Any] | None) -> None:
        """The intake's result: shown once, linked to its own ticket, then the receipt."""
        from window_tui.ui.receipt import ReceiptScreen

        if case is None:
            return
        self.cases_taken.append(case["case_number"])
        current = (self.state.get("current") or {}).get("label", "")
        if case.get("ticket") and case["ticket"] == current and case["case_number"] not in self.cases_for_ticket:
            self.cases_for_ticket.append(case["case_number"])
        word = {"accepted": "已受理", "notice": "一次性告知，待补正", "rejected": "不予受理"}.get(case["status"],
                                                                                   case["status"])
        promised = f"，承诺办结 {case['promised_date']}" if case["status"] == "accepted" else ""
        self.query_one("#last-case", Static).update(f"最近受理：{case['case_number']} {case['bundle_name']}（{word}）"
                                                    f"{promised}")
        self.refresh_sync()
        self.app.push_screen(ReceiptScreen(self.session, case))

    # --- workers -----------------------------------------------------------------------------------

    @work(exclusive=True, group="services", exit_on_error=False)
    async def load_services(self) -> None:
        try:
            services = await self.session.client.services()
        except (PlatformUnavailable, PlatformRejected):
            return
        panel = self.query_one(QueuePanel)
        panel.service_names = {s["code"]: s["name"] for s in services}
        panel.refresh()

    @work(exclusive=True, group="catalog", exit_on_error=False)
    async def check_catalog(self) -> None:
        """The platform serves its catalog with an ETag; warn when it differs from ours."""
        try:
            await self.session.refresh_catalog()
        except (PlatformUnavailable, PlatformRejected):
            return
        etag = (await asyncio.to_thread(self.session.store.get_state, "catalog_etag") or "").strip('"')
        if etag and etag != self.session.catalog.version:
            self.notify(f"中心平台的事项目录（{etag}）与本机（{self.session.catalog.version}）不同，请更新本机软件",
                        severity="warning", timeout=10)

    @work(exclusive=True, group="state", exit_on_error=False)
    async def refresh_state(self) -> None:
        try:
            state = await self.session.window_state()
        except PlatformUnavailable as exc:
            self.post_message(ConnectionChanged(False, exc.message))
            return
        except PlatformRejected as exc:
            self.notify(exc.message, severity="error")
            return
        self.last_event_id = max(self.last_event_id, state.get("last_event_id", 0))
        self.post_message(ConnectionChanged(True))
        self.post_message(QueueChanged(state))

    @work(exclusive=True, group="events", exit_on_error=False)
    async def follow_events(self) -> None:
        """Waiting counts and calls of other windows, live, through the one event follower
        (retries any failure with backoff, resumes by event id; a refused login goes to
        the shift's login, which the login banner shows)."""
        follower = EventFollower(self.session.client, last_event_id=self.last_event_id)
        was_offline = False
        async for update in follower.follow():
            if update.kind == "online":
                self.post_message(ConnectionChanged(True))
                if was_offline:
                    self.refresh_state()  # what happened while the stream was down
                    self.session.wake_sync()  # the platform is back: deliver now, not at the next backoff
                was_offline = False
            elif update.kind in ("offline", "auth"):
                was_offline = True
                self.post_message(ConnectionChanged(False, update.detail))
            elif update.event is not None:
                event = update.event
                self.last_event_id = event.id
                changes: dict[str, Any] = {"waiting": event.data.get("waiting", {})}
                if event.data.get("window") == self.session.window and event.kind in ("paused", "resumed"):
                    changes["paused"] = event.kind == "paused"
                if event.kind == "message" and event.data.get("window") == self.session.window:
                    self.notify(f"值班长消息：{event.data.get('text', '')}", severity="warning", timeout=30)
                self.post_message(QueueChanged(changes))

    @work(thread=True, exclusive=True, group="sync-status", exit_on_error=False)
    def refresh_sync(self) -> None:
        summary = self.session.sync_status()
        self.app.call_from_thread(self.post_message, SyncChanged(summary))

    @work(exclusive=True, group="queue", exit_on_error=False)
    async def run_queue(self, action: str, body: dict[str, Any] | None = None) -> None:
        await self.flush_pending()  # a no-show still in its undo window goes first: the order holds
        await self._queue(action, body)

    # --- no-show and transfer wait a few seconds for U (undo) before they are sent ------------

    def defer(self, action: str, body: dict[str, Any] | None = None) -> None:
        current = (self.state.get("current") or {}).get("label")
        if not current:
            self.notify("当前没有正在办理的号码", severity="warning")
            return
        if self._pending is not None:
            self.run_worker(self.flush_pending(), group="queue-deferred")
        timer = self.set_timer(UNDO_SECONDS, self._pending_due)
        self._pending = (action, body, current, timer)
        where = ""
        if body and body.get("to_window"):
            where = f"到 {body['to_window']} 号窗口"
        elif body and body.get("to_service"):
            where = f"到业务 {body['to_service']}"
        self.notify(f"{current} {QUEUE_ACTIONS[action]}{where}：{UNDO_SECONDS} 秒后生效，按 U 撤销",
                    timeout=UNDO_SECONDS)

    def _pending_due(self) -> None:
        self.run_worker(self.flush_pending(), group="queue-deferred")

    async def flush_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            action, body, _, timer = pending
            timer.stop()
            await self._queue(action, body)

    def action_undo(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            self.notify("没有可撤销的操作（过号、转移在 5 秒内可撤销）")
            return
        action, _, label, timer = pending
        timer.stop()
        self.notify(f"已撤销{QUEUE_ACTIONS[action]}：{label} 仍在本窗口办理")

    async def _queue(self, action: str, body: dict[str, Any] | None = None) -> None:
        try:
            answer = await self.session.queue(action, body)
        except PlatformUnavailable as exc:
            self.post_message(ConnectionChanged(False, exc.message))
            self.notify(f"{QUEUE_ACTIONS[action]}失败：网络中断，叫号暂不可用", severity="error")
            return
        except PlatformRejected as exc:
            self.notify(exc.message, severity="warning")
            return
        self.post_message(ConnectionChanged(True))
        ticket = answer.get("ticket") if isinstance(answer, dict) else None
        if action in ("call-next", "call"):
            if ticket is None:
                self.notify(answer.get("detail", "当前无人等候"))
            else:
                self.cases_for_ticket = []
                self.post_message(QueueChanged({"current": ticket}))
                self.notify(f"请 {ticket['label']} 号到 {self.session.window} 号窗口办理（{ticket['reason']}）")
        elif action == "recall" and ticket:
            self.post_message(QueueChanged({"current": ticket}))
        elif action in ("no-show", "finish", "transfer"):
            self.post_message(QueueChanged({"current": None}))
            if action == "finish":
                self.cases_for_ticket = []
        elif action in ("pause", "resume"):
            self.post_message(QueueChanged({"paused": action == "pause"}))
        self.refresh_state()

    # --- actions ---------------------------------------------------------------------------------

    def action_queue(self, action: str) -> None:
        if action == "no-show":
            self.defer(action)
            return
        self.run_queue(action)

    def action_finish(self) -> None:
        self.run_queue("finish", {"case_numbers": list(self.cases_for_ticket)})

    def action_pause(self) -> None:
        self.run_queue("resume" if self.state.get("paused") else "pause")

    def action_pause_with_reason(self) -> None:
        """The palette's pause with a reason the hall's manager sees (P pauses without one)."""
        from window_tui.ui.dialogs import TextDialog

        if self.state.get("paused"):
            self.notify("本窗口已暂停叫号：按 P 恢复", severity="warning")
            return

        def chosen(reason: str | None) -> None:
            if reason and reason.strip():
                self.run_queue("pause", {"reason": reason.strip()[:30]})

        self.app.push_screen(TextDialog("暂停叫号：原因（显示在值班长的大厅管理上，不上大屏）", "如 午休、系统故障，最多 30 字"),
                             chosen)

    def action_call_number(self) -> None:
        def chosen(label: str | None) -> None:
            if label:
                self.run_queue("call", {"label": label.upper()})

        self.app.push_screen(TextDialog("指定叫号：输入号码", "如 A023"), chosen)

    @work(exclusive=True, group="transfer", exit_on_error=False)
    async def action_transfer(self) -> None:
        try:
            services = await self.session.client.services()
            windows = await self.session.client.windows()
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"无法获取转移目标：{exc.message}", severity="error")
            return
        target = await self.app.push_screen_wait(TransferPicker(services, windows, self.session.window))
        if target:
            self.defer("transfer", target)

    def scanned(self, text: str) -> None:
        """A scan at the console: a receipt's QR opens 出件 for its case; anything else is
        named and dropped (none of its characters acts as a key)."""
        from window_tui.domain.scan import classify

        found = classify(text)
        if found.kind == "receipt":
            self.hand_over(text)
            return
        what = {"id": "身份证号", "uscc": "统一社会信用代码", "elicence": "电子证照"}.get(found.kind, "无法识别的内容")
        self.notify(f"扫描到{what}：控制台不接收扫描，请先按 I 受理或 C 出件后再扫", severity="warning")

    @work(exclusive=True, group="appointments", exit_on_error=False)
    async def action_appointments(self) -> None:
        """Today's appointments for the services this window handles (the palette's 今日预约)."""
        from window_tui.ui.dialogs import ListDialog

        services = set(self.state.get("services") or [])
        try:
            rows = await self.session.client.appointments(self.session.clock.today().isoformat())
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"无法查询预约：{exc.message}", severity="error")
            return
        mine = [r for r in rows if not services or r["service"] in services]
        lines = [f"{r['slot_start'][11:16]}-{r['slot_end'][11:16]}  {r['service']}  {r['code']}  {r['state_label']}"
                 for r in mine]
        waiting = sum(r["state"] == "booked" for r in mine)
        self.app.push_screen(ListDialog(f"今日预约（本窗口业务）：共 {len(mine)} 个，未取号 {waiting} 个", lines))

    def action_handover(self) -> None:
        self.app.push_screen(TextDialog("出件：输入案件编号，或扫描受理回执二维码", "如 370800-20261120-05-0001"),
                             self.hand_over)

    @work(exclusive=True, group="handover", exit_on_error=False)
    async def hand_over(self, typed: str | None) -> None:
        from window_tui.domain.scan import classify
        from window_tui.ui.handover import HandoverScreen

        if not typed:
            return
        found = classify(typed)
        number = found.value if found.kind == "receipt" else typed.strip()
        try:
            info = await self.session.client.handover_info(number)
        except (PlatformUnavailable, PlatformRejected) as exc:
            self.notify(f"无法查询案件 {number}：{exc.message}", severity="error")
            return
        choices = await self.app.push_screen_wait(HandoverScreen(info))
        if not choices:
            return
        _id, job = await asyncio.to_thread(self.session.hand_over, info, choices)
        from printers.journal import STATE_WORDS

        mailed = choices["kind"] == "mail"
        paper = "邮寄交付单" if mailed else "领取回执"
        saved = f"{'已登记寄出' if mailed else '已出件'}：案件 {number}（本机已保存，上传后平台显示{'已寄出' if mailed else '已领取'}）"
        severity = "information" if job.state == "sent" and not job.warning else "warning"
        detail = job.error or job.warning
        self.notify(f"{saved}；{paper}{STATE_WORDS[job.state]}" + (f"：{detail}" if detail else ""),
                    severity="error" if job.state == "failed" else severity, timeout=10)

    def action_report(self) -> None:
        from window_tui.ui.report import ReportDialog

        current = (self.state.get("current") or {}).get("label", "")
        code = self.session.config.hall.report_service
        serving_here = code in self.state.get("services", [])  # this is the 办不成事 window itself
        route_to = "" if serving_here else self.query_one(QueuePanel).service_names.get(code, "")
        self.app.push_screen(ReportDialog(current, route_to), self.raise_report)

    @work(exclusive=True, group="report", exit_on_error=False)
    async def raise_report(self, choices: dict[str, Any] | None) -> None:
        from printers.journal import STATE_WORDS

        if not choices:
            return
        route = choices.pop("route", False)
        slip, job = await asyncio.to_thread(self.session.raise_report, choices)
        number = slip["report_number"] or f"登记号 {slip['report_id'][-8:].upper()}（编号上传后生成，短信告知）"
        self.notify(f"已登记办不成事反映：{number}；回执{STATE_WORDS[job.state]}"
                    + (f"：{job.error or job.warning}" if job.error or job.warning else ""),
                    severity="information" if job.state == "sent" and not job.warning else "warning", timeout=10)
        if route and (self.state.get("current") or {}).get("label") == choices["ticket"]:
            # The applicant goes on to the 办不成事 window: a transfer like T, with its undo.
            self.defer("transfer", {"to_service": self.session.config.hall.report_service})

    def action_intake(self) -> None:
        def open_form(code: str, optional: tuple[str, ...] | None) -> None:
            if optional is None:
                return
            form = self.session.catalog.merged(code, optional)
            current = self.state.get("current") or {}
            self.open_intake(form, ticket=current.get("label", ""))

        def start_new(code: str) -> None:
            bundle = self.session.catalog.bundle(code)
            if not bundle.questions:
                open_form(code, ())
                return
            self.app.push_screen(QuestionsDialog(bundle.name, bundle.questions),
                                 lambda optional: open_form(code, optional))

        def chosen(code: str | None) -> None:
            if code:  # an unfinished form of this bundle is offered first
                self.app.load_drafts(bundle=code, then_new=lambda: start_new(code))  # type: ignore[attr-defined]

        self.app.push_screen(BundlePicker(self.session.catalog), chosen)

    def action_relogin(self) -> None:
        def typed(password: str | None) -> None:
            if password:
                self.relogin(password)

        self.app.push_screen(TextDialog(f"重新登录：工号 {self.session.clerk.number if self.session.clerk else ''} 的密码",
                                        password=True), typed)

    @work(exclusive=True, group="relogin", exit_on_error=False)
    async def relogin(self, password: str) -> None:
        from window_tui.session import LoginError

        try:
            await self.session.relogin(password)
        except LoginError as exc:
            self.notify(str(exc), severity="error", timeout=8)
        except PlatformUnavailable as exc:
            self.notify(f"暂时无法连接中心平台（{exc.message}），网络恢复后将自动登录", severity="warning")

    def action_status(self) -> None:
        from window_tui.ui.status import StatusScreen

        self.app.push_screen(StatusScreen(self.session))
