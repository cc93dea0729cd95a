"""`window-tui check` and `window-tui workdays`."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from window_tui.domain import validators

CHECK_KINDS = {
    "id": ("居民身份证号码", validators.validate_id_number),
    "uscc": ("统一社会信用代码", validators.validate_uscc),
    "phone": ("联系电话", validators.validate_phone),
    "birthcert": ("出生医学证明编号", validators.validate_birth_cert),
    "bankcard": ("银行卡号", validators.validate_bank_card),
}

DETAIL_LABELS = {
    "birth_date": "出生日期",
    "sex": "性别",
    "province": "省份",
    "authority": "登记管理部门",
    "division": "行政区划",
    "organisation_code": "组织机构代码",
    "kind": "类型",
}


def run_check(args: argparse.Namespace) -> int:
    label, validate = CHECK_KINDS[args.kind]
    result = validate(args.value)
    if not result.ok:
        print(f"{label}无效：{result.error}", file=sys.stderr)
        return 1
    print(f"{label}有效：{result.value}")
    if result.warning:
        print(f"  注意：{result.warning}")
    for key, value in result.details.items():
        print(f"  {DETAIL_LABELS.get(key, key)}：{value}")
    return 0


def run_workdays(args: argparse.Namespace) -> int:
    from window_tui.config import load_config_or_exit
    from window_tui.domain.workdays import CalendarFileError, WorkCalendar

    try:
        accepted = date.fromisoformat(args.date)
    except ValueError:
        print(f"日期格式错误：{args.date!r}，应为 YYYY-MM-DD", file=sys.stderr)
        return 2
    if args.count < 0:
        print("工作日数不能为负数", file=sys.stderr)
        return 2
    try:
        if args.calendar is not None:
            calendar_file = args.calendar
            calendar = WorkCalendar.load(calendar_file, required=True)
        else:
            config = load_config_or_exit()
            calendar_file = config.calendar_path()
            calendar = config.load_calendar()
    except CalendarFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    result = calendar.add_workdays(accepted, args.count)
    print(result.date.isoformat() + ("（预估）" if result.estimated else ""))
    if args.explain:
        for skipped in calendar.skipped(accepted, args.count):
            print(f"  跳过 {skipped.day.isoformat()} {'一二三四五六日'[skipped.day.weekday()]}：{skipped.reason}")
    if result.estimated:
        years = "、".join(str(y) for y in result.unknown_years)
        print(
            f"注意：这是预估日期。{years}年的节假日安排尚未载入，按周末和依法固定的节日计算；"
            f"请在 {calendar_file} 中加入该年安排。",
            file=sys.stderr,
        )
    return 0
