"""One masking policy for everything shown to the public: calling displays,
receipts, notices (GB/T 35273 §7.2: de-identify personal data on screens and
paper). Callers never mask by hand; they ask a `MaskPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass

MASK = "*"

# Two-character surnames (复姓) in common use; the longest match wins.
COMPOUND_SURNAMES = frozenset(
    ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "万俟", "闻人", "赫连", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "申屠", "仲孙", "钟离", "拓跋", "东郭", "第五", "左丘", "梁丘", "鲜于", "闾丘", "司空", "司寇", "亓官", "公羊", "谷梁", "乐正", "漆雕", "壤驷", "公西", "巫马", "颛孙", "子车", "羊舌", "微生", "梁丘", "段干", "百里", "呼延", "南门", "东门", "西门", "万俟"]
)


def split_surname(name: str) -> tuple[str, str]:
    """Split a Chinese name into (surname, given name)."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


@dataclass(frozen=True)
class MaskPolicy:
    """How much of each kind of personal data may be shown.

    Defaults follow common practice in Chinese halls: 张*三, 110105********002X,
    138****5678.
    """

    id_keep_head: int = 6
    id_keep_tail: int = 4
    phone_keep_head: int = 3
    phone_keep_tail: int = 4
    uscc_keep_head: int = 8
    uscc_keep_tail: int = 2
    card_keep_head: int = 4
    card_keep_tail: int = 4
    name_keep_last: bool = True  # 张*三 rather than 张**

    def name(self, name: str) -> str:
        name = name.strip()
        if not name:
            return ""
        if len(name) == 1:
            return MASK
        if "·" in name:  # transliterated names: keep the first character only
            return name[0] + MASK * (len(name) - 1)
        surname, given = split_surname(name)
        if len(given) <= 1:
            return surname + MASK * len(given)
        tail = given[-1] if self.name_keep_last else ""
        return surname + MASK * (len(given) - len(tail)) + tail

    def id_number(self, value: str) -> str:
        return _keep_ends(value, self.id_keep_head, self.id_keep_tail)

    def phone(self, value: str) -> str:
        if "-" in value and value.startswith("0"):  # landline: keep area code and last 2
            area, _, rest = value.partition("-")
            return area + "-" + _keep_ends(rest, 0, 2)
        return _keep_ends(value, self.phone_keep_head, self.phone_keep_tail)

    def uscc(self, value: str) -> str:
        return _keep_ends(value, self.uscc_keep_head, self.uscc_keep_tail)

    def bank_card(self, value: str) -> str:
        return _keep_ends(value, self.card_keep_head, self.card_keep_tail)

    def licence(self, value: str, *, sensitive: bool = False) -> str:
        """E-licence numbers can embed an ID number: at most half is shown (a quarter for
        sensitive ones, such as a newborn's birth certificate: 个人信息保护法 art. 28)."""
        budget = len(value) // (4 if sensitive else 2)
        head = min(self.card_keep_head, budget // 2)
        tail = min(self.card_keep_tail, budget - head)
        return value[:head] + MASK * (len(value) - head - tail) + (value[len(value) - tail:] if tail else "")


# Licences about a child under 14 (个人信息保护法 art. 28: sensitive personal information).
SENSITIVE_LICENCES = frozenset({"出生医学证明"})


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Keep `head` and `tail` characters; always hide at least half of a short value."""
    n = len(value)
    if n == 0:
        return ""
    if head + tail >= n:
        # Too short for the policy: show less rather than more.
        keep = n // 4
        head, tail = min(head, keep), min(tail, keep)
    return value[:head] + MASK * (n - head - tail) + (value[n - tail :] if tail else "")


DEFAULT_POLICY = MaskPolicy()
