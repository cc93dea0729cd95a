"""Validation of one form value by its catalog field type."""

from __future__ import annotations

import re
from datetime import date

from window_tui.domain import validators
from window_tui.domain.validators import Validation

_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0003134f·•]{1,30}$|^[A-Za-z][A-Za-z .'-]{0,59}$")
_TYPE_VALIDATORS = {
    "id": validators.validate_id_number,
    "uscc": validators.validate_uscc,
    "phone": validators.validate_phone,
    "bankcard": validators.validate_bank_card,
    "birthcert": validators.validate_birth_cert,
}


def check_value(field_type: str, label: str, raw: str, *, options: tuple[str, ...] = (),
                max_length: int | None = None, not_after: date | None = None) -> Validation:
    """Validate `raw` for a field; messages name the field's Chinese label."""
    value = raw.strip()
    if field_type in _TYPE_VALIDATORS:
        result = _TYPE_VALIDATORS[field_type](value)
        if not result.ok:
            return Validation(False, result.value, f"{label}：{result.error}")
        return result
    if not value:
        return Validation(False, value, f"{label}不能为空")
    if max_length is not None and len(value) > max_length:
        return Validation(False, value, f"{label}不能超过{max_length}个字，当前{len(value)}个字")
    if field_type == "name":
        if not _NAME.match(value):
            return Validation(False, value, f"{label}只能包含汉字、间隔号“·”或拉丁字母")
    elif field_type == "date":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return Validation(False, value, f"{label}应为日期，格式 YYYY-MM-DD")
        if not_after is not None and day > not_after:
            return Validation(False, value, f"{label}不能晚于今天（{not_after.isoformat()}）")
    elif field_type == "choice":
        if value not in options:
            return Validation(False, value, f"{label}应为以下之一：{'、'.join(options)}")
    elif field_type == "number":
        try:
            number = float(value)
        except ValueError:
            return Validation(False, value, f"{label}应为数字")
        if number < 0:
            return Validation(False, value, f"{label}不能为负数")
    elif field_type in ("text", "address") and len(value) > 200:
        return Validation(False, value, f"{label}过长（超过200字）")
    return Validation(True, value)
