"""Small widgets of the console: the status bar and the queue panel."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widgets import Footer, Static

from window_tui.clock import Clock


class StatusBar(Static):
    """Window, clerk, clock, connection and the sync badge."""

    online: reactive[bool | None] = reactive(None)
    pending: reactive[int] = reactive(0)
    quarantined: reactive[int] = reactive(0)
    clock: reactive[str] = reactive("")

    def __init__(self, window: int, clerk: str, hall_clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.window = window
        self.clerk = clerk
        self.hall_clock = hall_clock or Clock()

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1, self.tick)

    def tick(self) -> None:
        self.clock = self.hall_clock.now().strftime("%Y-%m-%d %H:%M:%S")

    def render(self) -> Text:
        text = Text()
        text.append(f" {self.window}号窗口 ", style="bold reverse")
        text.append(f"  {self.clerk}  ")
        text.append(f"{self.clock}  ")
        if self.online is None:
            text.append(" ○ 连接中 ", style="yellow")
        elif self.online:
            text.append(" ● 在线 ", style="bold green")
        else:
            text.append(" ● 离线 ", style="bold white on red")
        badge = f" 待同步 {self.pending} "
        text.append("  ")
        text.append(badge, style="bold white on red" if (self.online is False and self.pending) else "reverse")
        if self.quarantined:
            text.append(f"  需处理 {self.quarantined} ", style="bold white on dark_orange")
        return text


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} 分 {seconds % 60:02d} 秒" if seconds >= 60 else f"{seconds} 秒"


class QueuePanel(Static):
    """The current ticket, why it was called, waiting counts and today's totals."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state: dict[str, Any] = {}
        self.service_names: dict[str, str] = {}

    def show(self, state: dict[str, Any]) -> None:
        self.state = {**self.state, **state}
        self.refresh(layout=True)

    def render(self) -> Text:
        text = Text()
        current = self.state.get("current")
        text.append("当前号\n", style="bold")
        if current:
            text.append(f"  {current['label']}", style="bold reverse")
            status = {"called": "已呼叫", "serving": "办理中"}.get(current["status"], current["status"])
            text.append(f"  {status}\n")
            text.append(f"  {current.get('service_name', '')}\n")
            text.append(f"  等候 {_minutes(int(current.get('waited_seconds', 0)))}\n")
            if current.get("reason"):
                text.append(f"  {current['reason']}\n", style="italic")
            if current.get("recalls"):
                text.append(f"  已重呼 {current['recalls']} 次\n")
        else:
            text.append("  （无）\n", style="dim")
        if self.state.get("paused"):
            text.append("\n  本窗口已暂停\n", style="bold yellow")
        text.append("\n等候人数\n", style="bold")
        for code, count in (self.state.get("waiting") or {}).items():
            text.append(f"  {self.service_names.get(code, code)}：{count}\n")
        text.append("\n今日\n", style="bold")
        text.append(f"  已办结 {self.state.get('served_today', 0)}  过号 {self.state.get('no_shows_today', 0)}\n")
        return text


class CounterFooter(Footer):
    """The key footer; below 100 columns it drops the padding between keys so that every
    queue key still shows at 80 columns."""

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < 100
