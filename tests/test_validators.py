from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from window_tui.domain.validators import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    id_check_char,
    luhn_check_digit,
    org_code_check,
    uscc_check_char,
    validate_bank_card,
    validate_birth_cert,
    validate_id_number,
    validate_phone,
    validate_uscc,
)


def test_domain_notes_id_vector() -> None:
    result = validate_id_number("11010519491231002X")
    assert result.ok
    assert result.details["birth_date"] == "1949-12-31"
    assert result.details["sex"] == "女"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1101051949123100", "应为18位"),
        ("11010519491231002Y", "第18位"),
        ("99010519491231002X", "地址码错误"),
        ("11010519491331002X", "出生日期错误"),
        ("11010519491231003X", "校验位错误，应为 8"),
        ("", "不能为空"),
    ],
)
def test_id_failures_have_precise_chinese_messages(value: str, message: str) -> None:
    result = validate_id_number(value)
    assert not result.ok
    assert message in result.error


def test_id_in_future_is_rejected() -> None:
    future = date.today() + timedelta(days=2)
    body = f"110105{future:%Y%m%d}002"
    result = validate_id_number(body + id_check_char(body))
    assert not result.ok and "晚于今天" in result.error


def test_id_normalises_lowercase_and_fullwidth() -> None:
    assert validate_id_number(" １１０１０５１９４９１２３１００２x ").value == "11010519491231002X"


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest = draw(st.text("0123456789", min_size=4, max_size=4))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    body = f"{province}{rest}{birth:%Y%m%d}{seq}"
    return body + id_check_char(body)


@given(id_numbers())
def test_generated_ids_pass(value: str) -> None:
    assert validate_id_number(value).ok


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_changed_character_fails(value: str, pos: int, char: str) -> None:
    if value[pos] == char:
        return
    changed = value[:pos] + char + value[pos + 1 :]
    assert not validate_id_number(changed).ok


def test_uscc_domain_vector_and_letters_in_first_two_positions() -> None:
    assert validate_uscc("91350100M000100Y43").ok
    body = "N1350100MA0000007"  # MA000000 + its GB 11714 check 7
    assert validate_uscc(body + uscc_check_char(body)).ok
    body = "Y1350100MA0000007"
    assert validate_uscc(body + uscc_check_char(body)).ok and not validate_uscc(body + uscc_check_char(body)).warning


def test_uscc_authority_and_embedded_organisation_code() -> None:
    """GB 32100-2015: the first character is a registration authority (1–9, A, N, Y); the
    9th to 17th are a GB 11714 organisation code with its own check character."""
    for authority in "0BCXW":
        body = authority + "1350100M000100Y4"
        result = validate_uscc(body + uscc_check_char(body))
        assert not result.ok and "登记管理部门代码" in result.error
    body = "91350100M000100Y5"  # organisation code check should be 4
    result = validate_uscc(body + uscc_check_char(body))
    assert not result.ok and "GB 11714" in result.error and "应为 4" in result.error
    body = "Y2350100M000100Y4"  # Y has one category only: accepted with a warning (source unverified)
    result = validate_uscc(body + uscc_check_char(body))
    assert result.ok and "类别" in result.warning


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100O43", "不含字母"),
        ("91350100M000100Y44", "校验位错误，应为 3"),
        ("91ABCDEFM000100Y43", "行政区划代码"),
    ],
)
def test_uscc_failures(value: str, message: str) -> None:
    result = validate_uscc(value)
    assert not result.ok and message in result.error


@st.composite
def usccs(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from("123456789ANY")) + draw(st.text(USCC_ALPHABET, min_size=1, max_size=1))
    division = draw(st.text(string.digits, min_size=6, max_size=6))
    org = draw(st.text(string.digits + "ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
    org += org_code_check(org)
    body = head + division + org
    if any(c not in USCC_ALPHABET for c in body):  # a check "X" is fine, but not an excluded letter
        body = head + division + "M000100Y4"
    return body + uscc_check_char(body)


@given(usccs())
def test_generated_usccs_pass(value: str) -> None:
    assert validate_uscc(value).ok


@given(usccs(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_uscc_single_change_fails(value: str, pos: int, char: str) -> None:
    if value[pos] == char:
        return
    assert not validate_uscc(value[:pos] + char + value[pos + 1 :]).ok


def test_phones() -> None:
    assert validate_phone("13812345678").value == "13812345678"
    assert validate_phone("+86 138 1234 5678").value == "13812345678"
    assert validate_phone("0537-2345678").value == "0537-2345678"
    assert validate_phone("010-12345678-123").ok
    assert "第2位" in validate_phone("12812345678").error
    assert not validate_phone("1381234567").ok
    assert not validate_phone("0537-12").ok


def test_birth_cert_format() -> None:
    assert validate_birth_cert("X320101001").ok
    assert not validate_birth_cert("320101001").ok
    assert not validate_birth_cert("XX20101001").ok


@given(st.text("0123456789", min_size=11, max_size=18))
def test_luhn_generated_cards_pass_and_changes_fail(payload: str) -> None:
    card = payload + luhn_check_digit(payload)
    assert validate_bank_card(card).ok
    last = str((int(card[-1]) + 1) % 10)
    assert not validate_bank_card(card[:-1] + last).ok


def test_bank_card_length() -> None:
    assert "12至19位" in validate_bank_card("4242").error


@pytest.mark.parametrize("value", ["1101051949123100²X", "①10105194912310021", "11010519491231002\u0669"])
def test_lookalike_digits_are_refused_with_a_message_never_a_crash(value: str) -> None:
    result = validate_id_number(value)
    assert not result.ok and "不是半角数字" in result.error


@pytest.mark.parametrize("check, value", [
    ("phone", "13٨١٢٣٤٥٦٧٨"), ("mobile", "1381234567٨"), ("bank", "622202000000000000٠"),
    ("birthcert", "X37030152٠"), ("uscc", "91370800MA3C0٠0R1X"),
])
def test_only_ascii_digits_anywhere(check: str, value: str) -> None:
    from window_tui.domain import validators

    validate = {"phone": validators.validate_phone, "mobile": validators.validate_mobile,
                "bank": validators.validate_bank_card, "birthcert": validators.validate_birth_cert,
                "uscc": validators.validate_uscc}[check]
    result = validate(value)
    assert not result.ok and "不是半角数字" in result.error
