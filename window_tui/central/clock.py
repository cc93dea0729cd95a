"""The hall's clock: local time in the hall's time zone (numbering restarts at
local midnight). Tests replace it with a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


@dataclass
class Clock:
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    offset: timedelta = timedelta(0)  # lets tests and demos move time

    def now(self) -> datetime:
        return datetime.now(self.tz) + self.offset


@dataclass
class FixedClock(Clock):
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
