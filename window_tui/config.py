"""Effective configuration: defaults, then the TOML file, then environment.

The file lives in the platformdirs config directory (`window-tui config show`
prints where), or wherever `WINDOW_TUI_CONFIG` points. Data (the offline store)
goes to the platformdirs data directory unless `WINDOW_TUI_DATA` is set.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

APP_NAME = "window-tui"


class ConfigError(ValueError):
    """The configuration file is unusable; the message names the file and key."""


def config_path() -> Path:
    override = os.environ.get("WINDOW_TUI_CONFIG")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("WINDOW_TUI_DATA")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


@dataclass
class HallConfig:
    code: str = "370800"  # region code that prefixes case numbers
    name: str = "市民之家政务服务大厅"
    progress_url: str = "http://127.0.0.1:8700/p/"  # receipt QR: progress lookup by case number
    rating_followup_workdays: int = 5  # 差评 follow-up deadline (domain notes §6)
    calendar_file: str = ""  # TOML override for working days; empty = config dir/holidays.toml
    timezone: str = "Asia/Shanghai"  # the hall clock: case numbers, dates, daily numbering
    # The queue service of the hall's 办不成事 反映窗口: a report raised for the current ticket
    # offers to send the applicant there (the ticket keeps its arrival time); "" = no such window.
    report_service: str = "F"
    # Who signs the paper (行政许可法 arts. 32, 38): the accepting organ, where to complain,
    # and where a refused applicant may apply for review (行政复议) or sue (行政诉讼).
    organ: str = "济宁市行政审批服务局"
    consult_phone: str = "0537-12345"
    complaint_phone: str = "12345"
    review_body: str = "济宁市人民政府"
    court: str = "济宁市任城区人民法院"


@dataclass
class CounterConfig:
    server: str = "http://127.0.0.1:8700"
    window: int = 1
    clerk: str = ""


@dataclass
class PrinterConfig:
    receipt: str = "preview"
    ticket: str = "preview"
    receipt_profile: str = "80mm-gb18030"
    ticket_profile: str = "80mm-gb18030"
    connect_timeout: float = 2.0
    write_timeout: float = 5.0


@dataclass
class SyncConfig:
    batch_size: int = 50
    backoff_initial: float = 1.0
    backoff_cap: float = 20.0  # an offline counter finds the returning platform within this many seconds
    retention_days: int = 30


@dataclass
class VoiceConfig:
    enabled: bool = True
    command: str = ""  # e.g. "espeak-ng -v cmn-latn-pinyin {text}"; empty = find espeak-ng
    chime: bool = True
    pack: str = ""  # a folder of the hall's recorded clips (manifest.toml); empty = espeak-ng
    player: str = ""  # plays a WAV: "aplay -q {file}"; empty = find paplay/aplay/play
    speed: int = 200  # espeak-ng words per minute (a brisk hall pace; see bench/voice_bench.py)


@dataclass
class DisplayConfig:
    show_masked_name: bool = False
    recent_calls: int = 8


@dataclass
class KioskConfig:
    clear_after: float = 30.0  # seconds a printed ticket stays on screen (one that failed stays)


@dataclass
class ManagerConfig:
    wait_alert_minutes: int = 20  # the manager is alerted when a queue's first ticket has waited this long


@dataclass
class PlatformConfig:
    """For `window-tui serve`: where the platform's outside messages go."""

    sms_url: str = ""  # SMS gateway taking POST {"to", "text", "id"}; empty: messages are only recorded
    hotline_url: str = ""  # the 12345 hotline's work-order intake (POST, JSON); empty: orders are only recorded
    report_workdays: int = 5  # a 办不成事 report's deadline in working days (the hall's own rule)
    # Keys sealing applicants' contacts at rest; "" = beside the SQLite file (<db>.seal-key), or
    # the data folder's seal-key for PostgreSQL. Every server of one platform uses the same file.
    seal_key_file: str = ""


@dataclass
class Config:
    hall: HallConfig = field(default_factory=HallConfig)
    counter: CounterConfig = field(default_factory=CounterConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    kiosk: KioskConfig = field(default_factory=KioskConfig)
    manager: ManagerConfig = field(default_factory=ManagerConfig)
    platform: PlatformConfig = field(default_factory=PlatformConfig)
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    theme: str = "textual-dark"
    source: str = ""  # the file this came from, for `config show`

    def calendar_path(self) -> Path:
        if self.hall.calendar_file:
            return Path(self.hall.calendar_file)
        return config_path().parent / "holidays.toml"

    def load_calendar(self) -> Any:
        """The hall's working-day calendar (window_tui.domain.workdays.WorkCalendar); a file
        named in the configuration must exist (CalendarFileError otherwise)."""
        from window_tui.domain.workdays import WorkCalendar

        return WorkCalendar.load(self.calendar_path(), required=bool(self.hall.calendar_file))

    def clock(self) -> Any:
        """The hall clock (window_tui.clock.Clock) in the configured time zone."""
        from window_tui.clock import Clock, hall_zone

        return Clock(tz=hall_zone(self.hall.timezone))

    def hall_info(self, **overrides: Any) -> Any:
        """What the paper says about the hall (printers.templates.HallInfo)."""
        from printers.templates import HallInfo

        hall = self.hall
        values = dict(name=hall.name, progress_url=hall.progress_url, phone=hall.consult_phone,
                      complaint_phone=hall.complaint_phone, organ=hall.organ, review_body=hall.review_body,
                      court=hall.court)
        values.update(overrides)
        return HallInfo(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SECTIONS = {
    "hall": HallConfig,
    "counter": CounterConfig,
    "printer": PrinterConfig,
    "sync": SyncConfig,
    "voice": VoiceConfig,
    "display": DisplayConfig,
    "kiosk": KioskConfig,
    "manager": ManagerConfig,
    "platform": PlatformConfig,
}


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    config = Config(source=str(path) if path.exists() else f"{path}（不存在，使用默认值）")
    if not path.exists():
        return config
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: 配置文件无法解析：{exc}") from exc
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] 应为一个表")
            setattr(config, key, _build_section(path, key, _SECTIONS[key], value))
        elif key == "keymap":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{path}: [keymap] 的每一项应为 绑定id = \"按键\"")
            config.keymap = dict(value)
        elif key == "theme":
            config.theme = str(value)
        else:
            raise ConfigError(f"{path}: 未知的配置项 {key!r}")
    from window_tui.clock import hall_zone

    try:
        hall_zone(config.hall.timezone)
    except ValueError as exc:
        raise ConfigError(f"{path}: [hall].timezone：{exc}") from exc
    return config


def load_config_or_exit() -> Config:
    """For commands: a broken config file is a clear message and exit code 2."""
    import sys

    try:
        return load_config()
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from exc


def _build_section(path: Path, name: str, cls: type, values: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(cls)}
    defaults = cls()
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{path}: [{name}] 中未知的配置项 {key!r}")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, expected):
            raise ConfigError(
                f"{path}: [{name}].{key} 类型应为 {expected.__name__}，当前为 {value!r}"
            )
        setattr(defaults, key, value)
    return defaults
