from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from window_tui.domain.masking import DEFAULT_POLICY, MASK, MaskPolicy, split_surname


def test_examples() -> None:
    p = DEFAULT_POLICY
    assert p.name("张小三") == "张*三"
    assert p.name("李四") == "李*"
    assert p.name("欧阳锋") == "欧阳*"
    assert p.name("欧阳小锋") == "欧阳*锋"
    assert p.name("张王小明") == "张**明"
    assert p.id_number("11010519491231002X") == "110105********002X"
    assert p.phone("13812345678") == "138****5678"
    assert p.phone("0537-2345678") == "0537-*****78"
    assert p.uscc("91350100M000100Y43") == "91350100********43"


def test_policy_is_configurable() -> None:
    p = MaskPolicy(id_keep_head=3, id_keep_tail=1, name_keep_last=False)
    assert p.id_number("11010519491231002X") == "110" + "*" * 14 + "X"
    assert p.name("张小三") == "张**"


han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@given(st.text(han, min_size=1, max_size=6))
def test_name_masking_reveals_at_most_surname_and_last(name: str) -> None:
    masked = DEFAULT_POLICY.name(name)
    assert len(masked) == len(name)
    assert MASK in masked
    surname, _ = split_surname(name)
    revealed = [c for c, m in zip(name, masked, strict=True) if c == m]
    assert len(revealed) <= len(surname) + 1


@given(st.text("0123456789X", min_size=1, max_size=20))
def test_id_masking_never_reveals_more_than_policy(value: str) -> None:
    masked = DEFAULT_POLICY.id_number(value)
    shown = sum(1 for c in masked if c != MASK)
    assert shown <= 10
    assert shown <= len(value) // 2 or len(value) >= 11


def test_licence_numbers_show_at_most_half_and_a_newborns_a_quarter() -> None:
    from window_tui.domain.masking import DEFAULT_POLICY, MASK

    for number in ("Y370124817", "370100202400012345", "J370811-2012-000003", "ABC"):
        shown = len(number) - DEFAULT_POLICY.licence(number).count(MASK)
        assert shown <= len(number) // 2
        assert len(number) - DEFAULT_POLICY.licence(number, sensitive=True).count(MASK) <= len(number) // 4
    assert DEFAULT_POLICY.licence("Y370124817") == "Y3*****817"  # was Y370**4817: 8 of 10 shown


def test_one_value_is_masked_one_way_on_a_receipt() -> None:
    """The business licence's e-licence number is the credit code: printed with the same mask
    as the 信用代码 line, so the two together reveal no more than one."""
    from printers.decoder import decode
    from printers.samples import sample_case
    from printers.service import PrintService
    from printers.templates import HallInfo

    case = sample_case("accepted")
    uscc = "91370811MA3C4K7X2B"
    case["applicant"] = {**case["applicant"], "org_name": "济宁某某餐饮有限公司", "uscc": uscc}
    case["materials"] = [*case["materials"], {"id": "business_licence", "name": "营业执照", "kind": "elicence",
                                              "reason": "电子证照：营业执照", "evidence": uscc, "matters": []}]
    service = PrintService.from_config("preview", "80mm-gb18030", role="receipt", hall=HallInfo())
    paper = "\n".join(decode(service.render("receipt", case), "gb18030").text)
    shown = {part for line in paper.splitlines() for part in line.split() if part.startswith(uscc[:4])}
    assert len(shown) == 1, shown  # one masked form only
