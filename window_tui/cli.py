"""The `window-tui` command line. Parsing only; handlers live in
`window_tui.commands` and are imported when their subcommand runs, so
`window-tui --version` and the console start fast.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from window_tui import __version__

_ARGPARSE_WORDS = (  # argparse's own messages, in the clerk's language
    (re.compile(r"the following arguments are required: (.+)"), "缺少必需参数：{0}"),
    (re.compile(r"argument (\S+): invalid choice: '(.*)' \(choose from (.+)\)"), "参数 {0} 的取值“{1}”无效，可选：{2}"),
    (re.compile(r"argument (\S+): invalid (\w+) value: '(.*)'"), "参数 {0} 的值“{2}”无效"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 需要一个值"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数：{0}"),
    (re.compile(r"argument (\S+): (.+)"), "参数 {0}：{1}"),
)


def _chinese(message: str) -> str:
    for pattern, words in _ARGPARSE_WORDS:
        match = pattern.fullmatch(message)
        if match:
            return words.format(*match.groups())
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 on usage errors, as argparse does; one line
        self.exit(2, f"{self.prog}: 用法错误：{_chinese(message)}（{self.prog} --help 查看用法）\n")


def port_number(text: str) -> int:
    """A TCP port the command will really listen on (0 = any free port)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"端口应为数字，当前为“{text}”") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"端口应在 1–65535 之间，当前为 {port}")
    return port


def iso_date(text: str) -> str:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD，当前为“{text}”") from None
    return text


Handler = Callable[[argparse.Namespace], int]


def _lazy(module: str, name: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="window-tui", description="政务服务大厅综合窗口终端（高效办成一件事）"
    )
    parser.add_argument("--version", action="version", version=f"window-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ChineseArgumentParser)

    check = sub.add_parser("check", help="校验证件号码（身份证、信用代码、电话、出生证明、银行卡）")
    check.add_argument("kind", choices=["id", "uscc", "phone", "birthcert", "bankcard"])
    check.add_argument("value")
    check.set_defaults(handler=_lazy("window_tui.commands.domain_tools", "run_check"))

    workdays = sub.add_parser("workdays", help="计算受理日期之后第 N 个工作日（承诺办结日期）")
    workdays.add_argument("date", help="受理日期 YYYY-MM-DD")
    workdays.add_argument("count", type=int, help="工作日数")
    workdays.add_argument("--calendar", type=Path, help="节假日补充文件（TOML）")
    workdays.add_argument("--explain", action="store_true", help="列出跳过的每一天及原因")
    workdays.set_defaults(handler=_lazy("window_tui.commands.domain_tools", "run_workdays"))

    for register in _REGISTRARS:
        register(sub)
    return parser


def _register_catalog(sub: argparse._SubParsersAction) -> None:
    catalog = sub.add_parser("catalog", help="查看一件事目录与效率统计")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION",
                                         parser_class=ChineseArgumentParser)
    catalog_sub.add_parser("list", help="列出全部一件事")
    check = catalog_sub.add_parser("check", help="校验目录：免提交须有可核验的来源，承诺时限不短于事项衔接")
    check.add_argument("--dir", default=None, help="目录文件所在文件夹（默认随程序发布的目录）")
    show = catalog_sub.add_parser("show", help="查看一件事的事项、合并表单与材料")
    show.add_argument("name", help="名称、代码或拼音首字母，如 xse")
    stats = catalog_sub.add_parser("stats", help="合并表单与预填的效率统计")
    stats.add_argument("--as-of", type=iso_date, default=None, help="参考日期 YYYY-MM-DD（默认今天）")
    stats.add_argument("--seed", type=int, default=20240101)
    catalog.set_defaults(handler=_lazy("window_tui.commands.catalog_cmd", "run"))


DB_HELP = ("数据库：SQLite 文件（默认在数据目录下 central.db），或 postgresql://用户@主机:端口/库"
           "（密码请放在 PGPASSWORD 或 ~/.pgpass，不要写在命令行上）")


def database_arg(text: str) -> Path | str:
    """A SQLite file path, or a PostgreSQL URL kept as text (the schemes of
    central.dialect.PG_SCHEMES, spelled here so the parser does not import psycopg)."""
    if text.startswith(("postgresql://", "postgres://")):
        return text
    if "://" in text:
        raise argparse.ArgumentTypeError(f"不支持的数据库地址：{text}（应为文件路径或 postgresql://…）")
    return Path(text)


def hall_code_arg(text: str) -> str:
    """A hall's code in a city platform (central.city.HALL_CODE: letters and digits)."""
    if not text.isascii() or not text.isalnum() or len(text) > 20:
        raise argparse.ArgumentTypeError(f"大厅代码应为 1–20 位字母或数字：{text}")
    return text


HALL_HELP = "城市平台（PostgreSQL）中的大厅代码；不给则为数据库地址本身的大厅"


def _register_platform(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="运行中心平台（HTTP API；SQLite 文件或 PostgreSQL）")
    serve.add_argument("--db", type=database_arg, help=DB_HELP)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=8700)
    serve.add_argument("--seed-demo", action="store_true", help="载入演示数据（业务、窗口、人员、共享数据）")
    serve.add_argument("--persons", type=int, default=10_000, help="演示共享数据的人口数")
    serve.add_argument("--windows", type=int, default=8, help="演示窗口数")
    serve.add_argument("--hall-name", default="", help="大厅名称")
    serve.add_argument("--workers", type=int, default=1, help="进程数（共享同一数据库；默认 1）")
    serve.set_defaults(handler=_lazy("window_tui.commands.platform_cmd", "run_serve"))

    sink = sub.add_parser("message-sink", help="测试用消息端点：代替短信网关或 12345 工单接口，记录平台发出的消息")
    sink.add_argument("--host", default="127.0.0.1")
    sink.add_argument("--port", type=port_number, default=8790)
    sink.add_argument("--out", type=Path, required=True, help="记录文件（JSON Lines，仅本人可读：含电话号码）")
    sink.set_defaults(handler=_lazy("window_tui.commands.platform_cmd", "run_message_sink"))

    stats = sub.add_parser("stats", help="统计报表")
    stats_sub = stats.add_subparsers(dest="stats_command", required=True, metavar="操作",
                                     parser_class=ChineseArgumentParser)
    export = stats_sub.add_parser("export", help="导出按窗口、按人员、按一件事的统计（csv 或 xlsx）")
    export.add_argument("--db", type=database_arg, help=DB_HELP)
    scope = export.add_mutually_exclusive_group()
    scope.add_argument("--hall", type=hall_code_arg, help=HALL_HELP)
    scope.add_argument("--city", action="store_true", help="全市：每个大厅一行，另加合计（PostgreSQL）")
    export.add_argument("--from", dest="first", type=iso_date, required=True, help="起始日期 YYYY-MM-DD")
    export.add_argument("--to", dest="last", type=iso_date, required=True, help="结束日期 YYYY-MM-DD（含）")
    export.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    export.add_argument("--out", type=Path, required=True, help="输出文件（csv 时按表生成 OUT-按窗口.csv 等）")
    stats.set_defaults(handler=_lazy("window_tui.commands.platform_cmd", "run_stats"))

    admin = sub.add_parser("admin", help="管理业务、窗口、人员与设备令牌")
    admin.add_argument("--db", type=database_arg, help=DB_HELP)
    admin.add_argument("--hall", type=hall_code_arg, help=HALL_HELP)
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION",
                                   parser_class=ChineseArgumentParser)
    service = actions.add_parser("add-service", help="添加业务类别")
    service.add_argument("code")
    service.add_argument("name")
    service.add_argument("prefix", help="号码前缀字母，如 A")
    service.add_argument("--replace", action="store_true", help="已存在时修改其名称和前缀（否则拒绝）")
    window = actions.add_parser("add-window", help="添加或修改窗口")
    window.add_argument("number", type=int)
    window.add_argument("--services", required=True, help="办理的业务类别，逗号分隔，如 A,B")
    clerk = actions.add_parser("add-clerk", help="添加窗口人员")
    clerk.add_argument("number")
    clerk.add_argument("name")
    clerk.add_argument("--password", help="不提供则交互输入")
    clerk.add_argument("--role", choices=["clerk", "supervisor", "admin"], default="clerk")
    clerk.add_argument("--windows", help="只允许登录这些窗口，逗号分隔，如 5,6（默认不限）")
    device = actions.add_parser("add-device", help="为显示屏、取号机、评价器或审批系统生成令牌")
    device.add_argument("role", choices=["display", "kiosk", "rater", "backoffice"],
                        help="backoffice：审批系统报送审批结果用")
    device.add_argument("name")
    device.add_argument("--window", type=int, help="评价器必须绑定窗口")
    device.add_argument("--days", type=int, default=365, help="有效天数（默认 365）")
    rotate = actions.add_parser("rotate-device", help="为设备换发新令牌（旧令牌立即失效）")
    rotate.add_argument("name")
    rotate.add_argument("--days", type=int, default=365)
    revoke = actions.add_parser("revoke-device", help="停用设备令牌")
    revoke.add_argument("name")
    unlock = actions.add_parser("unlock", help="解除因多次密码错误而锁定的工号")
    unlock.add_argument("number")
    release = actions.add_parser("release-window", help="释放被占用的窗口（结束其登录）")
    release.add_argument("number", type=int)
    audit = actions.add_parser("audit", help="查询某人的共享数据被谁、何时、为何查询")
    audit.add_argument("--person", required=True, help="身份证号或统一社会信用代码")
    actions.add_parser("list", help="列出业务、窗口、人员与设备")
    move = actions.add_parser("migrate", help="把大厅的 SQLite 数据迁入 PostgreSQL（可重复执行，逐表核对行数与内容校验和）")
    move.add_argument("--from", dest="source", type=Path, required=True, help="大厅的 SQLite 数据库文件")
    move.add_argument("--to", dest="target", type=database_arg, required=True, help="postgresql://…")
    move.add_argument("--hall", dest="move_hall", type=hall_code_arg,
                      help="迁入城市平台中的这个大厅（没有则新建，需 --hall-name）；不给则迁入数据库地址本身")
    move.add_argument("--hall-name", default="", help="新建大厅时的名称")
    add_hall = actions.add_parser("add-hall", help="在城市平台（PostgreSQL）中添加大厅（各自的业务、窗口、人员、号码）")
    add_hall.add_argument("code", type=hall_code_arg)
    add_hall.add_argument("--name", required=True, help="大厅名称")
    actions.add_parser("list-halls", help="列出城市平台中的大厅")
    admin.set_defaults(handler=_lazy("window_tui.commands.platform_cmd", "run_admin"))


def _register_printing(sub: argparse._SubParsersAction) -> None:
    test = sub.add_parser("print-test", help="打印样张（--printer preview 在终端预览）")
    test.add_argument("--printer", required=True, help="打印机地址，如 tcp://192.168.1.50:9100 或 preview")
    test.add_argument("--template", choices=["receipt", "notice", "rejection", "ticket"], default="receipt")
    test.add_argument("--profile", help="打印机配置，如 80mm-gb18030、58mm-gbk-nocut")
    test.add_argument("--png", type=Path, help="同时生成 PNG 预览图")
    test.set_defaults(handler=_lazy("window_tui.commands.print_cmd", "run"))


def _register_counter(sub: argparse._SubParsersAction) -> None:
    counter = sub.add_parser("counter", help="窗口终端（叫号与受理）")
    counter.add_argument("--server", help="中心平台地址，如 http://10.1.2.3:8700；多个用逗号分隔，连不上时依次切换")
    counter.add_argument("--window", type=int, help="本窗口号")
    counter.add_argument("--printer", help="回执打印机地址，如 tcp://192.168.1.50:9100 或 preview")
    counter.add_argument("--data", type=Path, help="本机数据目录")
    counter.set_defaults(handler=_lazy("window_tui.commands.counter_cmd", "run_counter"))

    manager = sub.add_parser("manager", help="大厅管理：各业务排队与等候、各窗口状态（实时）")
    manager.add_argument("--server", required=True, help="中心平台地址，如 http://10.1.2.3:8700")
    manager.add_argument("--clerk", help="值班长或管理员工号（密码在登录界面输入，或取自 WINDOW_TUI_PASSWORD）")
    manager.set_defaults(handler=_lazy("window_tui.commands.counter_cmd", "run_manager"))

    manager_web = sub.add_parser("manager-web", help="大厅管理（浏览器打开；每个标签页单独登录）")
    manager_web.add_argument("--server", required=True, help="中心平台地址，如 http://10.1.2.3:8700")
    manager_web.add_argument("--clerk", help="登录界面预填的工号")
    manager_web.add_argument("--host", default="127.0.0.1", help="监听地址（默认只在本机；对外提供请放在 HTTPS 反向代理之后）")
    manager_web.add_argument("--port", type=port_number, default=8720)
    manager_web.add_argument("--public-url", help="浏览器访问的地址（经反向代理时），如 https://hall.example/manager")
    manager_web.set_defaults(handler=_lazy("window_tui.commands.manager_web_cmd", "run_manager_web"))

    demo = sub.add_parser("demo", help="演示：嵌入式中心平台 + 演示数据 + 窗口终端")
    demo.add_argument("--data", type=Path, help="演示数据目录（默认在数据目录下 demo/）")
    demo.add_argument("--port", type=port_number, default=0, help="嵌入式平台端口（默认自动选择）")
    demo.add_argument("--printer", default="preview", help="回执打印机（默认 preview：只预览）")
    demo.add_argument("--persons", type=int, default=10_000, help="合成共享数据的人口数")
    demo.set_defaults(handler=_lazy("window_tui.commands.counter_cmd", "run_demo"))

    config = sub.add_parser("config", help="配置")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION",
                                       parser_class=ChineseArgumentParser)
    config_sub.add_parser("show", help="显示生效的配置与文件位置")
    config.set_defaults(handler=_lazy("window_tui.commands.counter_cmd", "run_config_show"))

    sync = sub.add_parser("sync", help="离线数据同步")
    sync.add_argument("--data", type=Path, help="本机数据目录")
    sync_sub = sync.add_subparsers(dest="sync_command", required=True, metavar="ACTION",
                                   parser_class=ChineseArgumentParser)
    status = sync_sub.add_parser("status", help="待同步与需处理记录")
    now = sync_sub.add_parser("now", help="立即上传待同步记录（窗口程序未运行时）")
    for action in (status, now):  # --data is accepted after the action too
        action.add_argument("--data", type=Path, default=argparse.SUPPRESS, help="本机数据目录")
    now.add_argument("--server", help="中心平台地址")
    now.add_argument("--clerk", help="工号")
    sync.set_defaults(handler=_lazy("window_tui.commands.counter_cmd", "run_sync"))


def _register_hall(sub: argparse._SubParsersAction) -> None:
    display = sub.add_parser("display", help="叫号显示屏（全屏，含语音播报）")
    display.add_argument("--server", required=True)
    display.add_argument("--token", help="显示屏设备令牌（或环境变量 WINDOW_TUI_TOKEN）")
    display.add_argument("--token-file", help="设备令牌文件")
    display.add_argument("--silent", action="store_true", help="静音，不播报")
    display.set_defaults(handler=_lazy("window_tui.commands.hall_cmd", "run_display"))

    web = sub.add_parser("display-web", help="电视叫号页面（浏览器打开，含语音播报）")
    web.add_argument("--server", required=True)
    web.add_argument("--token", help="不推荐（会出现在进程列表中）：请用 --token-file 或 WINDOW_TUI_TOKEN")
    web.add_argument("--token-file", help="设备令牌文件")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=port_number, default=8000)
    web.add_argument("--silent", action="store_true", help="不提供语音（本厅由其他电视播报）")
    web.set_defaults(handler=_lazy("window_tui.commands.hall_cmd", "run_display_web"))

    kiosk = sub.add_parser("kiosk", help="自助取号机")
    kiosk.add_argument("--server", required=True)
    kiosk.add_argument("--printer", help="号票打印机地址")
    kiosk.add_argument("--token", help="取号机设备令牌")
    kiosk.add_argument("--token-file", help="设备令牌文件")
    kiosk.add_argument("--clear-after", type=float, help="号票打印后在屏幕上保留的秒数（默认取配置 kiosk.clear_after，30 秒）")
    kiosk.set_defaults(handler=_lazy("window_tui.commands.hall_cmd", "run_kiosk"))

    rate = sub.add_parser("rate", help="窗口评价器（好差评）")
    rate.add_argument("--server", required=True)
    rate.add_argument("--window", type=int, required=True)
    rate.add_argument("--token", help="评价器设备令牌")
    rate.add_argument("--token-file", help="设备令牌文件")
    rate.set_defaults(handler=_lazy("window_tui.commands.hall_cmd", "run_rate"))

    voice = sub.add_parser("voice", help="叫号语音：试听、检查、生成录音语音包模板")
    voice_sub = voice.add_subparsers(dest="voice_command", required=True, metavar="操作")
    say = voice_sub.add_parser("say", help="播报或导出一次叫号：voice say A105 5 [A106 6 ...]")
    say.add_argument("calls", nargs="+", metavar="号码 窗口", help="号码与窗口号，成对给出")
    say.add_argument("--out", help="写入 WAV 文件而不播放")
    say.add_argument("--pack", help="录音语音包目录（默认取配置 voice.pack；未配置则用 espeak-ng）")
    check = voice_sub.add_parser("check", help="检查语音：语音包是否齐全，espeak-ng 是否每个字都读普通话")
    check.add_argument("--pack", help="录音语音包目录")
    make = voice_sub.add_parser("make-pack", help="用 espeak-ng 生成语音包模板（再换成本厅播音员的录音）")
    make.add_argument("folder", help="输出目录")
    voice.set_defaults(handler=_lazy("window_tui.commands.voice_cmd", "run"))


_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_catalog, _register_platform, _register_printing, _register_counter, _register_hall,
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("window-tui: 已中断", file=sys.stderr)
        return 130
    except Exception as exc:  # the last net: one Chinese line on the terminal, the traceback in the log
        line = failure_line(exc)
        where = _log_traceback(args.command) if line.startswith("内部错误") else ""
        print(f"window-tui {args.command}: {line}{where}", file=sys.stderr)
        return 1


def failure_line(exc: BaseException) -> str:
    """One line a clerk or IT staff can act on."""
    import sqlite3

    if isinstance(exc, FileNotFoundError):
        return f"文件或目录不存在：{exc.filename}"
    if isinstance(exc, PermissionError):
        return f"没有权限访问：{exc.filename}"
    if isinstance(exc, OSError) and exc.filename:
        return f"无法访问 {exc.filename}：{exc.strerror or exc}"
    if isinstance(exc, sqlite3.OperationalError):
        return f"无法打开或读写数据库：{exc}"
    if type(exc).__module__.startswith("psycopg"):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"无法连接或读写 PostgreSQL 数据库：{first}"
    if isinstance(exc, EOFError):
        return "输入已关闭：该命令需要在终端中交互输入（如密码）"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if any("\u4e00" <= c <= "\u9fff" for c in text) else f"内部错误（{type(exc).__name__}：{text}）"


def _log_traceback(command: str) -> str:
    """The traceback goes to the data directory's log (or stderr with WINDOW_TUI_DEBUG=1);
    the answer is the note that ends the one-line message."""
    import os
    import traceback

    if os.environ.get("WINDOW_TUI_DEBUG"):
        traceback.print_exc()
        return ""
    try:
        from window_tui.config import data_dir

        log = data_dir() / "window-tui-errors.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {command}\n{traceback.format_exc()}")
    except OSError as exc:
        return f"（错误日志无法写入：{exc.strerror or exc}）"
    return f"（详细信息见 {log}）"


if __name__ == "__main__":
    raise SystemExit(main())
