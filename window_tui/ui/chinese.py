"""Textual's own words, in the clerk's language: the command palette's system commands,
its search prompt, and the keys of Textual's built-in overlays. Applied by the apps when
they start (never at import), so every screen a clerk sees is Chinese."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

PALETTE_PROMPT = "搜索命令（如 补打、查案、同步）…"

_BINDING_WORDS = {
    "Dismiss menu": "关闭列表",
    "Exit the command palette": "关闭命令面板",
    "Go to bottom": "到底部",
    "Go to top": "到顶部",
    "Next command": "下一条",
    "Previous command": "上一条",
    "Next page": "下一页",
    "Previous page": "上一页",
}


def translate_builtin_bindings() -> None:
    """Replace the English descriptions of Textual's overlay and palette keys (the footer
    shows them while a list or the palette is open)."""
    from textual.widgets._select import SelectOverlay

    for widget in (SelectOverlay, CommandPalette):
        translated = []
        for binding in widget.BINDINGS:
            if isinstance(binding, Binding):
                translated.append(Binding(binding.key, binding.action, _BINDING_WORDS.get(binding.description,
                                          binding.description), show=binding.show, priority=binding.priority))
            else:
                key, action, description = binding  # type: ignore[misc]
                translated.append(Binding(key, action, _BINDING_WORDS.get(description, description)))
        widget.BINDINGS = translated  # type: ignore[assignment]
        widget._merged_bindings = widget._merge_bindings()  # type: ignore[attr-defined]


def system_commands(app: App, screen: Screen) -> Iterable[SystemCommand]:
    """Textual's system commands with Chinese names and a screenshot that says where it went."""
    yield SystemCommand("切换配色", "切换界面配色主题", app.action_change_theme)
    yield SystemCommand("退出程序", "退出（未提交的受理已存为草稿）", app.action_quit)
    if screen.query("HelpPanel"):
        yield SystemCommand("隐藏按键说明", "关闭按键与当前控件的帮助", app.action_hide_help_panel)
    else:
        yield SystemCommand("按键说明", "显示当前控件的帮助与全部按键", app.action_show_help_panel)
    yield SystemCommand("截图", "把当前屏幕保存为 SVG 图片（数据目录）", lambda: screenshot(app))


def screenshot(app: App) -> None:
    """Render on the UI thread (the screen is read there), write in a thread."""
    from window_tui.config import data_dir

    svg = app.export_screenshot()
    folder = data_dir() / "screenshots"

    def write() -> None:
        path = folder / f"window-tui-{app.session.clock.now():%Y%m%d-%H%M%S}.svg"  # type: ignore[attr-defined]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8")
        except OSError as exc:
            app.call_from_thread(app.notify, f"截图未能保存：{exc.strerror or exc}（{folder}）", severity="error")
            return
        app.call_from_thread(app.notify, f"截图已保存：{path}")

    app.run_worker(write, thread=True, group="screenshot", exit_on_error=False)


def open_palette(app: App) -> None:
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(CommandPalette(placeholder=PALETTE_PROMPT, id="--command-palette"))
