"""不予受理: the written decision a counter issues when the law says no.

行政许可法 art. 32 requires a dated, sealed written decision; art. 38 requires the
reasons and notice of the right to administrative review (行政复议法 2023, art. 20:
60 days from knowing of the act) or litigation (行政诉讼法 art. 46: 6 months).
The grounds below are the ones a comprehensive window meets; each names its law,
so the paper never refuses without a basis.
"""

from __future__ import annotations

from dataclasses import dataclass

REVIEW_DAYS = 60  # 行政复议法 (2023) art. 20
LITIGATION_MONTHS = 6  # 行政诉讼法 art. 46


@dataclass(frozen=True)
class Ground:
    code: str
    label: str  # what the clerk picks
    basis: str  # printed: the law the refusal rests on
    needs_text: bool = False  # the clerk must say more (e.g. where to apply instead)


GROUNDS: tuple[Ground, ...] = (
    Ground("conditions", "申请人不符合法定条件",
           "《中华人民共和国行政许可法》第三十八条第二款"),
    Ground("not_competent", "申请事项不属于本机关职权范围（须告知向何机关申请）",
           "《中华人民共和国行政许可法》第三十二条第一款第（二）项", needs_text=True),
    Ground("not_required", "申请事项依法不需要取得行政许可",
           "《中华人民共和国行政许可法》第三十二条第一款第（一）项"),
    Ground("other", "其他法定理由（须写明）", "", needs_text=True),
)
GROUNDS_BY_CODE = {g.code: g for g in GROUNDS}

# The basis a failed precondition rule adds to the decision.
RULE_BASIS = {
    "retirement_age": "《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》（2024年9月13日）"
                      "及《国务院关于渐进式延迟法定退休年龄的办法》第一条",
    "min_contribution": "《国务院关于渐进式延迟法定退休年龄的办法》第二条",
}


class RefusalError(ValueError):
    """A refusal that cannot be issued as it is (no reason, no basis)."""


@dataclass(frozen=True)
class Refusal:
    """What the clerk decided: the reasons and the law, and where to turn."""

    reasons: tuple[str, ...]
    ground: str
    basis: str
    review_body: str
    court: str

    def to_json(self) -> dict[str, object]:
        return {"reasons": list(self.reasons), "ground": self.ground, "basis": self.basis,
                "review_body": self.review_body, "court": self.court,
                "review_days": REVIEW_DAYS, "litigation_months": LITIGATION_MONTHS}

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons)


def make_refusal(*, reasons: list[str], ground: str, extra: str, rule_codes: list[str],
                 review_body: str, court: str) -> Refusal:
    """Reasons are the failed rules chosen plus what the clerk typed; the basis is the
    ground's law plus each failed rule's own."""
    found = GROUNDS_BY_CODE.get(ground)
    if found is None:
        raise RefusalError(f"未知的不予受理理由类型 {ground}")
    extra = extra.strip()
    if found.needs_text and not extra:
        raise RefusalError(f"“{found.label}”须写明具体理由")
    all_reasons = [r for r in reasons if r.strip()] + ([extra] if extra else [])
    if not all_reasons:
        raise RefusalError("不予受理必须写明理由")
    if not review_body.strip() or not court.strip():
        raise RefusalError("配置中缺少行政复议机关或人民法院（[hall] review_body / court），无法出具不予受理决定")
    bases = [found.basis] if found.basis else []
    bases += [RULE_BASIS[c] for c in rule_codes if c in RULE_BASIS and RULE_BASIS[c] not in bases]
    return Refusal(tuple(all_reasons), ground, "；".join(bases) or "见上述理由", review_body, court)
