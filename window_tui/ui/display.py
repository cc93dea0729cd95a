"""The calling display: the latest call in large digits with a flash, recent
calls, waiting counts, the clock and the hall's name. No personal data."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from window_tui.client import PlatformClient
from window_tui.clock import Clock
from window_tui.hall.feed import Call, DisplayFeed, HallState
from window_tui.hall.voice import Announcer
from window_tui.ui.bigtext import BigText
from window_tui.ui.supervision import WorkerSupervisor


class DisplayApp(WorkerSupervisor, App[None]):
    CSS = """
    Screen { background: $background; }
    #hall { height: 1; background: $primary; color: $text; text-style: bold; content-align: center middle; }
    #clock { height: 1; content-align: right middle; color: $text-muted; }
    #latest { height: 3fr; padding: 0 1; }
    #latest-ticket { width: 3fr; height: 1fr; color: $warning; text-style: bold; }
    #latest-side { width: 1fr; height: 1fr; }
    #latest-words, #latest-words-2 { width: 1fr; height: 1; content-align: center middle; text-style: bold; }
    #latest-window { width: 1fr; height: 1fr; color: $warning; }
    #latest.flash { background: $error 40%; }
    #banner { height: auto; content-align: center middle; color: $error; text-style: bold; }
    #lower { height: 2fr; }
    #recent { width: 1fr; height: 1fr; border: round $primary; padding: 0 1; }
    #waiting { width: 1fr; height: 1fr; border: round $primary; padding: 0 1; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "退出", id="display.quit"),
                Binding("m", "mute", "静音/播报", id="display.mute")]

    def __init__(self, client: PlatformClient, announcer: Announcer | None = None, recent: int = 8,
                 clock: Clock | None = None) -> None:
        super().__init__()
        self.client = client
        self.clock = clock or Clock()
        self.feed = DisplayFeed(client)
        self.announcer = announcer
        self.recent_count = recent
        self.shown: list[int] = []  # event ids of calls shown, in order (tests read it)

    def compose(self) -> ComposeResult:
        yield Static("", id="hall")
        yield Static("", id="clock")
        with Horizontal(id="latest"):
            yield BigText("----", id="latest-ticket")
            with Vertical(id="latest-side"):
                yield Static("请到", id="latest-words")
                yield BigText("-", id="latest-window")
                yield Static("号窗口", id="latest-words-2")
        yield Static("", id="banner")
        with Horizontal(id="lower"):
            yield Static("", id="recent")
            yield Static("", id="waiting")

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1, self.tick)
        if self.announcer is not None:
            self.announcer.start()
            for warning in self.announcer.warnings:
                self.notify(warning, severity="warning", timeout=10)
        self.follow()

    @property
    def closing_down(self) -> bool:
        """The app is exiting (Ctrl+Q, or a test's teardown that takes the widgets away
        before the workers): there is nothing left to draw on."""
        return self._exit or self._closing or self._closed or not self.screen.query("#hall")

    def tick(self) -> None:
        if self.closing_down:
            return
        self.query_one("#clock", Static).update(self.clock.now().strftime("%Y-%m-%d %H:%M:%S "))

    @work(exclusive=True, exit_on_error=False)
    async def follow(self) -> None:
        async for kind, item in self.feed.follow():
            if self.closing_down:
                return
            if kind == "call":
                self.show_call(item)
            self.show_state(self.feed.state)

    def show_call(self, call: Call) -> None:
        self.shown.append(call.event_id)
        self.query_one("#latest-ticket", BigText).update(call.ticket)
        self.query_one("#latest-window", BigText).update(str(call.window))
        latest = self.query_one("#latest")
        latest.add_class("flash")
        self.set_timer(1.5, lambda: latest.remove_class("flash"))
        if self.announcer is not None:
            self.announcer.announce_call(call.ticket, call.window)

    def show_state(self, state: HallState) -> None:
        self.query_one("#hall", Static).update(state.hall or "政务服务大厅")
        self.query_one("#banner", Static).update(
            "" if state.online else f"正在重新连接叫号服务……（{state.problem or '网络中断'}）")
        lines = ["最近叫号"]
        rows = max(self.recent_count, self.query_one("#recent").content_size.height - 1)  # fill a tall screen
        for call in list(state.recent)[:rows]:
            again = "（重呼）" if call.kind == "recalled" else ""
            lines.append(f"  {call.ticket:<6} → {call.window:>2} 号窗口{again}")
        self.query_one("#recent", Static).update("\n".join(lines))
        waiting = ["等候人数"] + [f"  {state.service_names.get(code, code)}：{count}"
                                 for code, count in state.waiting.items()]
        self.query_one("#waiting", Static).update("\n".join(waiting))
        if state.recent and self.query_one("#latest-ticket", BigText).text == "----":
            first = state.recent[0]
            self.query_one("#latest-ticket", BigText).update(first.ticket)
            self.query_one("#latest-window", BigText).update(str(first.window))

    def action_mute(self) -> None:
        if self.announcer is not None:
            self.announcer.silent = not self.announcer.silent
            self.notify("已静音" if self.announcer.silent else "已恢复语音播报")

    def on_unmount(self) -> None:
        if self.announcer is not None:
            self.announcer.stop(wait=False)
