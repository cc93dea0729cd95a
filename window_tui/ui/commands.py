"""The command palette: rarer actions (补打, open a case, change printer, sync now, theme)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from window_tui.ui.app import CounterApp

COMMANDS = [
    ("指定号码叫号（G）", "叫指定的号码（如过号后回来的申请人）", "call_number"),
    ("出件（C）", "交付审批结果：输入案件编号或扫描受理回执，核对证照与领取人", "handover"),
    ("办不成事反映（B）", "登记申请人办不成的事，转 12345 跟踪办理，打印反映回执", "report"),
    ("今日预约", "本窗口所办业务今天的预约：时段、预约码、状态", "appointments"),
    ("暂停叫号并说明原因", "如午休、系统故障：原因显示在值班长的大厅管理上，不上大屏（P 只暂停）", "pause_with_reason"),
    ("补打回执或告知书", "按案件编号补打，纸面标注“补打”并记录", "reprint"),
    ("打开案件", "按案件编号查看已受理的案件与回执", "open_case"),
    ("继续未完成的受理", "草稿随时保存：断网、退出或崩溃后从这里接着填", "drafts"),
    ("更换打印机", "输入新的打印机地址（tcp://、usb://、file://、cups://、preview）", "change_printer"),
    ("立即同步", "立即尝试把待同步记录上传到中心平台", "sync_now"),
    ("状态页", "同步、打印机、需处理记录与核验提醒", "status"),
    ("切换主题", "在深色与浅色主题之间切换", "toggle_theme"),
]


class CounterCommands(Provider):
    async def discover(self) -> Hits:
        app: CounterApp = self.app  # type: ignore[assignment]
        for name, help_text, action in COMMANDS:
            yield DiscoveryHit(name, partial(app.run_palette_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app: CounterApp = self.app  # type: ignore[assignment]
        for name, help_text, action in COMMANDS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(app.run_palette_action, action), help=help_text)
