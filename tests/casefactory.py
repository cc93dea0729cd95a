"""Valid cases for tests, built by the real domain code from a synthetic registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from window_tui.domain.case import build_case, format_case_number, new_case_id
from window_tui.domain.catalog import default_catalog
from window_tui.domain.efficiency import typical_form
from window_tui.domain.synthetic import Registry, generate_registry
from window_tui.domain.workdays import WorkCalendar

_REGISTRY: Registry | None = None
_CALENDAR: WorkCalendar | None = None
TYPED = {"newborn.name": "张小宝", "household.relation": "子", "bank.card_no": "6222020000000000000",
         "bank.name": "中国工商银行", "result.delivery": "窗口领取"}

HALL_ZONE = ZoneInfo("Asia/Shanghai")


def registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = generate_registry(seed=3, persons=600, as_of=date(2026, 11, 20))
    return _REGISTRY


def newborn_case(seq: int, window: int = 5, sample: int = 0, **overrides: Any) -> dict[str, Any]:
    global _CALENDAR
    _CALENDAR = _CALENDAR or WorkCalendar.load()
    reg = registry()
    data = typical_form(default_catalog(), reg, "newborn", sample % len(reg.samples["newborn"]))
    for field_id, value in TYPED.items():
        data.enter(field_id, value)
    case = build_case(data, case_id=new_case_id(),
                      case_number=format_case_number("370800", date(2026, 11, 20), window, seq),
                      hall="370800", window=window, clerk=str(1000 + window),
                      accepted_at=datetime(2026, 11, 20, 10, 0, tzinfo=HALL_ZONE), calendar=_CALENDAR,
                      received=set(RECEIVED))
    body = case.to_json()
    body.update(overrides)
    return body


# Everything a newborn case may need on paper (the bills only when the birth was not settled
# directly by medical insurance): a complete case whichever sample is used.
RECEIVED = {"mother_bank_card", "newborn_photo", "childbirth_bills"}


def newborn_form(sample: int = 0) -> Any:
    """A filled newborn FormData (prefilled from the synthetic registry plus what a clerk types),
    for driving CounterSession.take_case exactly as the console does."""
    reg = registry()
    data = typical_form(default_catalog(), reg, "newborn", sample % len(reg.samples["newborn"]))
    for field_id, value in TYPED.items():
        data.enter(field_id, value)
    return data
