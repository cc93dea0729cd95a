"""The deploy/ folder a hall installs from: the example configuration loads under the strict
loader, every systemd unit passes `systemd-analyze verify`, and every window-tui command in
them parses with the real command line and agrees with the others (ports, URLs, files)."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from window_tui.cli import build_parser
from window_tui.config import load_config

DEPLOY = Path(__file__).parent.parent / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/window-tui/.venv/bin/window-tui"


def environment() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (DEPLOY / "window-tui.env").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#"))
    return dict(pairs)


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def window_tui_argv(path: Path) -> list[str]:
    argv = shlex.split(unit(path)["Service"]["ExecStart"])
    env = environment()
    for name, value in env.items():  # systemd expands ${NAME} from the EnvironmentFile
        argv = [part.replace(f"${{{name}}}", value) for part in argv]
    argv = [part.replace("%i", "5") for part in argv]
    return argv[argv.index(INSTALLED) + 1:] if INSTALLED in argv else []


def test_example_configuration_loads_strictly() -> None:
    config = load_config(DEPLOY / "config.example.toml")
    assert config.hall.name and config.hall.timezone == "Asia/Shanghai" and config.clock().now().tzinfo
    assert config.printer.ticket.startswith("tcp://") and config.kiosk.clear_after == 30
    assert config.voice.enabled and config.voice.speed == 200
    assert environment()["WINDOW_TUI_CONFIG"] == "/etc/window-tui/config.toml"


@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_unit_commands_parse_and_agree(path: Path) -> None:
    service = unit(path)["Service"]
    assert service.get("Restart") == "always"  # a hall's screens come back by themselves
    argv = window_tui_argv(path)
    if "chromium" in service["ExecStart"]:
        relay = window_tui_argv(DEPLOY / "window-tui-display-web.service")
        port = relay[relay.index("--port") + 1]
        assert f"http://127.0.0.1:{port}/" in service["ExecStart"]
        assert "--autoplay-policy=no-user-gesture-required" in service["ExecStart"]
        return
    assert argv, f"{path.name} runs no window-tui command"
    args = build_parser().parse_args(argv)
    assert callable(args.handler)
    if getattr(args, "server", None):
        assert args.server == environment()["WINDOW_TUI_SERVER"]
    if isinstance(getattr(args, "db", None), str):  # a city platform: PostgreSQL, password elsewhere
        assert args.db.startswith("postgresql://") and ":" not in args.db.split("://")[1].split("@")[0]
    if hasattr(args, "token_file") and args.token_file:
        assert args.token_file.startswith("/etc/window-tui/tokens/") and not getattr(args, "token", None)


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("未安装 systemd-analyze：单元文件只做了语法与命令解析检查")
    installed = str(Path(sys.executable).parent / "window-tui")
    for path in UNITS:
        # The programs a hall installs (cage, chromium, foot) need not be on this machine:
        # stand-ins that exist keep verify about the unit itself.
        text = path.read_text(encoding="utf-8").replace(INSTALLED, installed)
        for program in ("/usr/bin/cage",):
            text = text.replace(program, shutil.which("true") or "/bin/true")
        name = path.name.replace("@.service", "@5.service")
        (tmp_path / name).write_text(text, encoding="utf-8")
        done = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and not done.stderr.strip(), (path.name, done.stderr)  # warnings too
