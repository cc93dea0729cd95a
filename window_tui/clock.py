"""The hall's one clock: local time in the hall's time zone (from config,
default Asia/Shanghai), whatever the host's own zone is. Case numbers, accepted
and promised dates, daily ticket numbering and statistics all read it, on the
counter and on the platform, so a counter set to UTC never stamps yesterday's
date on a case taken before 08:00 Beijing time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


def hall_zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; a clear Chinese error for a bad one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"时区 {name!r} 无效：应为 IANA 时区名，如 Asia/Shanghai") from exc


@dataclass
class Clock:
    tz: tzinfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    offset: timedelta = timedelta(0)  # lets tests and demos move time

    def now(self) -> datetime:
        return datetime.now(self.tz) + self.offset

    def today(self) -> date:
        return self.now().date()

    def stamp(self, timespec: str = "seconds") -> str:
        return self.now().isoformat(timespec=timespec)


@dataclass
class FixedClock(Clock):
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo(DEFAULT_TIMEZONE)))

    def now(self) -> datetime:
        return self.at.astimezone(self.tz)

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
