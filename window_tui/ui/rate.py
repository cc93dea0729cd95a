"""The rating pad at a window (好差评, 国办发〔2019〕51号): five levels and four
indicators, one rating per case; ratings travel through the outbox."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from window_tui.client import PlatformClient, PlatformError, PlatformRejected
from window_tui.clock import Clock
from window_tui.domain.evaluation import BAD_LEVELS, INDICATORS, LEVELS
from window_tui.ui.supervision import WorkerSupervisor

if TYPE_CHECKING:
    from offline.store import LocalStore

FACES = ("😄", "🙂", "😐", "🙁", "😣")


class RateApp(WorkerSupervisor, App[None]):
    CSS = """
    #prompt { height: auto; padding: 1 2; text-style: bold; }
    #levels { height: auto; padding: 0 1; }
    #levels Button { width: 1fr; height: 5; margin: 0 1; }
    #thanks { height: auto; padding: 1 2; color: $success; }
    """
    BINDINGS = [Binding(str(n), f"rate({n})", LEVELS[n - 1], id=f"rate.level{n}") for n in range(1, 6)] + [
        Binding("tab", "next_indicator", "下一指标", id="rate.next"),
        Binding("ctrl+q", "quit", "退出", id="rate.quit"),
    ]

    def __init__(self, client: PlatformClient, store: LocalStore, window: int, poll: float = 3.0,
                 clock: Clock | None = None) -> None:
        super().__init__()
        self.client, self.store, self.window, self.poll = client, store, window, poll
        self.clock = clock or Clock()  # the hall's clock (time zone from config)
        self.case: dict[str, Any] | None = None
        self.indicator = 0
        self.scores: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="prompt")
        with Horizontal(id="levels"):  # tap a face, or press its key (shown on it); best on the left
            for n, (face, level) in enumerate(zip(FACES, LEVELS, strict=True), start=1):
                button = Button(f"{face} {level}\n按 {n}", id=f"level-{n}",
                                variant="success" if n <= 2 else "warning" if n == 3 else "error")
                button.can_focus = False  # a stray Enter never files a rating
                yield button
        yield Static("", id="thanks")

    def on_mount(self) -> None:
        self.refresh_case()
        self.set_interval(self.poll, self.refresh_case)

    @work(exclusive=True, exit_on_error=False)
    async def refresh_case(self) -> None:
        try:
            found = await self.client.request("GET", f"/windows/{self.window}/last-finished")
        except PlatformRejected as exc:  # a wrong or revoked token: say so, never a blank pad
            self.case = None
            self.query_one("#prompt", Static).update(
                f"{self.window} 号窗口评价器暂不可用：{exc.message}（请联系大厅管理员检查设备令牌）")
            return
        except PlatformError as exc:
            if self.case is None:
                self.query_one("#prompt", Static).update(
                    f"{self.window} 号窗口评价器：网络中断，正在重试……（{exc.message}）")
            return
        data = found.json()
        if not data.get("case_numbers"):
            self.case = None
            self.query_one("#prompt", Static).update(f"{self.window} 号窗口 · 欢迎评价（办结后可评价）")
            return
        case_number = data["case_numbers"][-1]
        if self.case and self.case["case_number"] == case_number:
            return
        if await asyncio.to_thread(self.store.get_state, f"rated:{case_number}"):
            return  # one rating per case
        self.case = {"case_number": case_number, "ticket": data.get("label", "")}
        self.indicator, self.scores = 0, {}
        self.query_one("#thanks", Static).update("")
        self.show_prompt()

    def show_prompt(self) -> None:
        if self.case is None:
            return
        self.query_one("#prompt", Static).update(
            f"请对本次服务评价（{self.case['case_number']}）\n"
            f"第 {self.indicator + 1}/{len(INDICATORS)} 项：{INDICATORS[self.indicator]}"
            f"（点按表情或按数字键：1 非常满意 … 5 非常不满意；Tab 跳过其余指标）")

    @on(Button.Pressed)
    def tapped(self, event: Button.Pressed) -> None:
        if (event.button.id or "").startswith("level-"):
            self.action_rate(int((event.button.id or "0").removeprefix("level-")))

    def action_next_indicator(self) -> None:
        if self.case is not None and self.scores:
            self.submit()

    def action_rate(self, level: int) -> None:
        if self.case is None:
            return
        self.scores[INDICATORS[self.indicator]] = LEVELS[level - 1]
        if self.indicator < len(INDICATORS) - 1:
            self.indicator += 1
            self.show_prompt()
        else:
            self.submit()

    def submit(self) -> None:
        assert self.case is not None
        overall = self.scores.get("整体满意度") or next(iter(self.scores.values()))
        rating = {"case_number": self.case["case_number"], "window": self.window, "level": overall,
                  "indicators": dict(self.scores), "rated_at": self.clock.stamp()}
        self.save(rating)
        bad = overall in BAD_LEVELS
        self.query_one("#thanks", Static).update(
            "感谢您的评价！" + ("我们将在规定时限内回访并整改。" if bad else ""))
        self.query_one("#prompt", Static).update(f"{self.window} 号窗口 · 感谢评价")
        self.case = None

    @work(thread=True, exit_on_error=False)
    def save(self, rating: dict[str, Any]) -> None:
        self.store.enqueue("rating", uuid.uuid4().hex, rating, ref=rating["case_number"])
        self.store.set_state(f"rated:{rating['case_number']}", True)
