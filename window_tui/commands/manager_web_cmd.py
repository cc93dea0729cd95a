"""`window-tui manager-web`: the manager's screen in a browser, through textual-serve.

Each browser tab runs its own `window-tui manager` process, which opens on the login form:
nobody reaches the hall's figures without a supervisor's or administrator's password,
and WINDOW_TUI_PASSWORD is taken out of the environment the tabs inherit (else every tab
would be logged in). The page loads nothing from outside (our own page template)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "ui" / "web"


def manager_command(server: str, clerk: str | None) -> str:
    """The shell command textual-serve runs for each browser tab."""
    words = [sys.executable, "-m", "window_tui.cli", "manager", "--server", server]
    if clerk:
        words += ["--clerk", clerk]
    return shlex.join(words)


def run_manager_web(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    from window_tui.commands.ports import ensure_port_free

    if os.environ.pop("WINDOW_TUI_PASSWORD", None) is not None:
        print("已忽略 WINDOW_TUI_PASSWORD：浏览器中的每个会话都要输入自己的密码", file=sys.stderr)
    ensure_port_free(args.host, args.port)
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    server = Server(manager_command(args.server, args.clerk), host=args.host, port=args.port,
                    title="window-tui 大厅管理", public_url=public_url.rstrip("/"), templates_path=TEMPLATES)
    print(f"大厅管理网页：{public_url}/ （每个浏览器标签页单独登录；Ctrl+C 停止）", flush=True)
    server.serve()
    return 0
