"""好差评 (service evaluation), as 国办发〔2019〕51号 sets it: five levels, the last two
are 差评; four indicators; every 差评 is followed up (a return visit, then a fix or an
explanation). The platform, the rating pad and the manager's screen share these words."""

from __future__ import annotations

LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
BAD_LEVELS = frozenset(LEVELS[3:])
INDICATORS = ("整体满意度", "服务效率", "服务水平", "服务态度")
# How a 差评's follow-up ended, as the manager records it.
FOLLOWUP_OUTCOMES = {"rectified": "已整改", "explained": "已解释说明", "unreachable": "多次联系不上"}


def score(level: str) -> int:
    """非常满意 5 … 非常不满意 1."""
    return 5 - LEVELS.index(level)
