"""What the counter and the platform share after intake: the 办不成事 categories, and the
key that tells whether an ID number is a case's applicant's without sending the number."""

from __future__ import annotations

import hashlib

REPORT_CATEGORIES = ("政策不明", "材料无法提供", "系统故障", "跨部门推诿", "办理时限过长", "其他")


def applicant_key(case_id: str, id_number: str) -> str:
    return hashlib.sha256(f"{case_id}:{id_number.strip().upper()}".encode()).hexdigest()
