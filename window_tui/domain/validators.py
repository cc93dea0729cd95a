"""Validators for the identifiers a counter handles, each failure with a precise
Chinese message for the clerk.

Sources: GB 11643-1999 (resident ID), GB 32100-2015 (unified social credit
code), GB 11714 (organisation code), ISO/IEC 7812 (Luhn). See domain notes §4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

__all__ = [
    "Validation",
    "validate_id_number",
    "validate_uscc",
    "validate_phone",
    "validate_mobile",
    "validate_landline",
    "validate_birth_cert",
    "validate_bank_card",
    "id_check_char",
    "uscc_check_char",
    "luhn_check_digit",
]


@dataclass(frozen=True)
class Validation:
    """Outcome of a validation: `value` is normalised (upper case, no spaces)."""

    ok: bool
    value: str
    error: str = ""
    details: dict[str, str] = field(default_factory=dict)
    warning: str = ""  # accepted, but something a clerk should look at

    def __bool__(self) -> bool:  # lets callers write `if validate_x(v):`
        return self.ok


def _fail(value: str, message: str) -> Validation:
    return Validation(ok=False, value=value, error=message)


def _normalise(raw: str) -> str:
    # Clerks paste numbers with spaces and full-width characters; fold both.
    folded = raw.translate(_FULLWIDTH).strip()
    return re.sub(r"[\s]", "", folded).upper()


_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
ASCII_DIGITS = frozenset("0123456789")


def _digits(text: str) -> bool:
    """ASCII 0–9 only: str.isdigit() also accepts ², ① and Arabic-Indic digits."""
    return bool(text) and all(c in ASCII_DIGITS for c in text)


def _lookalike_digit(value: str, what: str) -> Validation | None:
    """A character that looks like or counts as a digit but is not 0–9 (², ①, ٨ …)."""
    import unicodedata

    for pos, char in enumerate(value, start=1):
        if char not in ASCII_DIGITS and (char.isnumeric() or unicodedata.digit(char, None) is not None):
            return _fail(value, f"{what}第{pos}位“{char}”不是半角数字 0–9（上标、圈码或其他文字的数字），请重新输入")
    return None

# --- 居民身份证号码 (GB 11643-1999) -------------------------------------------

# Province-level codes of GB/T 2260 (71 Taiwan, 81/82 Hong Kong and Macao,
# 83 Taiwan residents' residence permits).
PROVINCE_CODES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区", "83": "台湾居民",
}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # index = S mod 11


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(raw: str, *, today: date | None = None) -> Validation:
    """Validate an 18-digit 居民身份证号码; on success details hold birth date and sex."""
    return _validate_id_number(raw, today or date.today())


@lru_cache(maxsize=4096)  # prefill re-checks the same few numbers many times per form
def _validate_id_number(raw: str, today: date) -> Validation:
    value = _normalise(raw)
    if not value:
        return _fail(value, "身份证号码不能为空")
    if (lookalike := _lookalike_digit(value, "身份证号码")) is not None:
        return lookalike
    if len(value) != 18:
        return _fail(value, f"身份证号码应为18位，当前为{len(value)}位")
    if not _digits(value[:17]):
        pos = next(i for i, c in enumerate(value[:17]) if c not in ASCII_DIGITS) + 1
        return _fail(value, f"身份证号码前17位应全为数字，第{pos}位“{value[pos - 1]}”不是数字")
    if not (value[17] in ASCII_DIGITS or value[17] == "X"):
        return _fail(value, f"身份证号码第18位应为数字或X，当前为“{value[17]}”")
    province = PROVINCE_CODES.get(value[:2])
    if province is None:
        return _fail(value, f"地址码错误：“{value[:2]}”不是有效的省级行政区划代码")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _fail(value, f"出生日期错误：“{value[6:14]}”不是有效日期")
    if birth > today:
        return _fail(value, f"出生日期错误：{birth.isoformat()}晚于今天")
    if birth.year < 1890:
        return _fail(value, f"出生日期错误：{birth.isoformat()}早于1890年")
    expected = id_check_char(value[:17])
    if value[17] != expected:
        return _fail(value, f"校验位错误，应为 {expected}")
    sex = "男" if int(value[16]) % 2 == 1 else "女"
    return Validation(
        ok=True,
        value=value,
        details={"birth_date": birth.isoformat(), "sex": sex, "province": province},
    )


# --- 统一社会信用代码 (GB 32100-2015) ----------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I O S V Z
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

USCC_AUTHORITIES = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政",
    "6": "旅游", "7": "宗教", "8": "工会", "9": "市场监督管理", "A": "中央军委改革和编制办公室",
    "N": "农业农村", "Y": "其他",
}


# Institution categories (第2位) per registration authority, GB 32100-2015 appendix as
# reproduced in public copies (https://osuse.cn/post/10002590.html; blog.csdn.net/lh1424573495/
# article/details/108776492); not checked against the standard's own text, so a mismatch is
# a warning, not an error.
USCC_CATEGORIES = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129", "7": "129", "8": "19",
    "9": "123", "A": "19", "N": "1239", "Y": "1",
}


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an organisation code (positions 9–17 of a credit code)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 symbols."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


@lru_cache(maxsize=4096)
def validate_uscc(raw: str) -> Validation:
    """Validate a 统一社会信用代码. Letters are allowed in the first two positions."""
    value = _normalise(raw)
    if not value:
        return _fail(value, "统一社会信用代码不能为空")
    if (lookalike := _lookalike_digit(value, "统一社会信用代码")) is not None:
        return lookalike
    if len(value) != 18:
        return _fail(value, f"统一社会信用代码应为18位，当前为{len(value)}位")
    for pos, char in enumerate(value, start=1):
        if char not in _USCC_VALUE:
            if char in "IOSVZ":
                return _fail(value, f"第{pos}位“{char}”不可使用：信用代码不含字母 I、O、S、V、Z")
            return _fail(value, f"第{pos}位“{char}”不是有效字符")
    if not _digits(value[2:8]):
        return _fail(value, f"第3至8位应为行政区划代码（6位数字），当前为“{value[2:8]}”")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return _fail(value, f"校验位错误，应为 {expected}")
    if value[0] not in USCC_AUTHORITIES:  # GB 32100-2015: 1–9, A, N, Y
        return _fail(value, f"第1位“{value[0]}”不是登记管理部门代码（应为1–9、A、N、Y）")
    organisation = value[8:17]
    if not all(c.isascii() and c.isalnum() for c in organisation[:8]) or \
            organisation[8] != org_code_check(organisation[:8]):
        return _fail(value, f"第9至17位组织机构代码校验位错误（GB 11714），应为 {org_code_check(organisation[:8])}")
    details = {"authority": USCC_AUTHORITIES[value[0]], "division": value[2:8], "organisation_code": organisation}
    warning = ""
    if value[1] not in USCC_CATEGORIES[value[0]]:
        warning = (f"第2位机构类别“{value[1]}”不在{USCC_AUTHORITIES[value[0]]}的类别表中"
                   f"（{'、'.join(USCC_CATEGORIES[value[0]])}），请核对证照")
    return Validation(ok=True, value=value, details=details, warning=warning)


# --- Phones --------------------------------------------------------------------

_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9][0-9]{9})$", re.ASCII)
_LANDLINE = re.compile(r"^(0[0-9]{2,3})-?([0-9]{7,8})(?:-([0-9]{1,6}))?$", re.ASCII)


def validate_mobile(raw: str) -> Validation:
    value = _normalise(raw).replace("-", "")
    if not value:
        return _fail(value, "手机号码不能为空")
    if (lookalike := _lookalike_digit(value, "手机号码")) is not None:
        return lookalike
    match = _MOBILE.match(value)
    if match is None:
        digits = re.sub(r"[^0-9]", "", value)
        if len(digits) == 11 and digits.startswith("1"):
            return _fail(value, "手机号码第2位应为3至9")
        return _fail(value, "手机号码应为1开头的11位数字")
    return Validation(ok=True, value=match.group(1), details={"kind": "手机"})


def validate_landline(raw: str) -> Validation:
    value = _normalise(raw)
    if (lookalike := _lookalike_digit(value, "固定电话")) is not None:
        return lookalike
    match = _LANDLINE.match(value)
    if match is None:
        return _fail(value, "固定电话格式应为“区号-号码”，如 010-12345678")
    area, number, ext = match.groups()
    normalised = f"{area}-{number}" + (f"-{ext}" if ext else "")
    return Validation(ok=True, value=normalised, details={"kind": "固定电话"})


def validate_phone(raw: str) -> Validation:
    """A mobile or landline number; the message names both accepted forms."""
    value = _normalise(raw)
    if not value:
        return _fail(value, "联系电话不能为空")
    if (lookalike := _lookalike_digit(value, "联系电话")) is not None:
        return lookalike
    digits = value.replace("-", "")
    if digits.startswith("0") and not digits.startswith("0086"):
        return validate_landline(value)
    mobile = validate_mobile(value)
    if mobile.ok:
        return mobile
    return _fail(value, mobile.error + "；固定电话请写作“区号-号码”")


# --- 出生医学证明 --------------------------------------------------------------

_BIRTH_CERT = re.compile(r"^[A-Z][0-9]{9}$", re.ASCII)


def validate_birth_cert(raw: str) -> Validation:
    """出生医学证明编号: one letter and nine digits. There is no public check digit."""
    value = _normalise(raw)
    if not value:
        return _fail(value, "出生医学证明编号不能为空")
    if (lookalike := _lookalike_digit(value, "出生医学证明编号")) is not None:
        return lookalike
    if not _BIRTH_CERT.match(value):
        return _fail(value, "出生医学证明编号应为1位字母加9位数字，如 X320101001")
    return Validation(ok=True, value=value)


# --- Bank cards (Luhn) -----------------------------------------------------------


def luhn_check_digit(payload: str) -> str:
    """The Luhn digit that makes `payload + digit` valid."""
    total = 0
    for i, char in enumerate(reversed(payload)):
        digit = int(char)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def validate_bank_card(raw: str) -> Validation:
    value = _normalise(raw).replace("-", "")
    if not value:
        return _fail(value, "银行卡号不能为空")
    if (lookalike := _lookalike_digit(value, "银行卡号")) is not None:
        return lookalike
    if not _digits(value):
        return _fail(value, "银行卡号只能包含数字")
    if not 12 <= len(value) <= 19:
        return _fail(value, f"银行卡号应为12至19位数字，当前为{len(value)}位")
    expected = luhn_check_digit(value[:-1])
    if value[-1] != expected:
        return _fail(value, f"银行卡号校验位错误，应为 {expected}，请核对卡号")
    return Validation(ok=True, value=value)

