"""Which materials a case needs, which are exempt and why (免于提交), and the
content of the one-time notice of what is missing (一次性告知)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from window_tui.domain.catalog import SHARED_CHECKS, ExemptRule, Material
from window_tui.domain.shared import LookupKey, rule_lookup

if TYPE_CHECKING:
    from window_tui.domain.prefill import FormData

EXEMPT_LABELS = {
    "elicence": "电子证照",
    "shared": "数据共享核验",
    "produced": "前序事项产生",
    "commitment": "告知承诺",
    "bring": "需提交",
}

# What each shared-data check tests on the record of this case's subject (never "always").
_CHECKS: dict[str, Callable[[dict[str, Any], str, str], bool]] = {
    "household": lambda a, key, other: bool(a.get("household_no")),
    "marriage": lambda a, key, other: a.get("marital_status") == "已婚" and bool(a.get("spouse_id")),
    "person": lambda a, key, other: a.get("id_number") == key,
    "kinship": lambda a, key, other: bool(other) and other in a.get("relatives", {}),
    "birth": lambda a, key, other: bool(a.get("birth_cert_no")),
    "settlement": lambda a, key, other: a.get("direct_settlement") is True,
    "death": lambda a, key, other: bool(a.get("death_cert_no")),
    "cremation": lambda a, key, other: bool(a.get("cremation_cert_no")),
    "social": lambda a, key, other: bool(a.get("card_no")),
    "file_custody": lambda a, key, other: "人才服务" in str(a.get("file_keeper", "")),
    "fire_acceptance": lambda a, key, other: a.get("fire_acceptance") is True,
    "customs_clear": lambda a, key, other: bool(a.get("customs_code")) and a.get("customs_pending") is False,
}


@dataclass(frozen=True)
class MaterialStatus:
    material_id: str
    name: str
    matters: tuple[str, ...]  # matter names that need it
    kind: str  # one of EXEMPT_LABELS
    reason: str  # e.g. "电子证照：结婚证"; personal numbers go in `evidence`, masked on paper
    evidence: str = ""  # the e-licence number that proves it (shown to the clerk, masked on receipts)

    @property
    def exempt(self) -> bool:
        return self.kind != "bring"


def evaluate_materials(data: FormData, today: date | None = None) -> list[MaterialStatus]:
    today = today or data.today
    form = data.form
    matter_names = {m.code: m.name for m in form.matters}
    statuses = []
    answers = {k: v.value for k, v in data.values().items()} if any(m.when for m in form.materials) else {}
    for material in form.materials:
        if material.when is not None and not material.when.holds(answers):
            continue  # e.g. a 清算报告 only for 普通注销
        needed_by = tuple(m.name for m in form.matters if material.id in m.materials)
        kind, reason, evidence = _first_exemption(data, material, matter_names, today)
        statuses.append(MaterialStatus(material.id, material.name, needed_by, kind, reason, evidence))
    return statuses


def _first_exemption(data: FormData, material: Material, matter_names: dict[str, str],
                     today: date) -> tuple[str, str, str]:
    for rule in material.exempt:
        reason, evidence = _rule_holds(data, rule, matter_names, today)
        if reason:
            return rule.kind, reason, evidence
    return "bring", "需申请人提交原件", ""


def _rule_holds(data: FormData, rule: ExemptRule, matter_names: dict[str, str],
                today: date) -> tuple[str, str]:
    """(reason, evidence) when the rule exempts the material, else ("", "")."""
    if rule.kind == "commitment":
        return f"以申请人签署的告知承诺书代替（{rule.basis}）", ""
    if rule.kind == "produced":
        if rule.matter in matter_names:
            return f"由本件“{matter_names[rule.matter]}”办结后产生", ""
        return "", ""
    target = rule_lookup(rule)
    if target is None:
        return "", ""
    registry, subject = target
    key = data.subject_key(subject)
    if not key:
        return "", ""
    record = data.records.get(LookupKey(registry, key))
    if record is None:
        return "", ""
    attributes = record.attributes
    if rule.kind == "elicence":
        tie = data.value(rule.match).value.strip() if rule.match and data.form.has(rule.match) else ""
        for licence in attributes.get("licences", []):
            valid_to = licence.get("valid_to") or "9999-12-31"
            if licence.get("type") != rule.licence or valid_to < today.isoformat():
                continue
            if rule.match and (not tie or licence.get("address", "") != tie):
                continue  # e.g. a property certificate for another address proves nothing here
            tied = "，地址与经营场所一致" if rule.match else ""
            return f"电子证照：{rule.licence}{tied}", str(licence.get("number", ""))
        return "", ""
    source = SHARED_CHECKS[rule.check][1]
    holds = _CHECKS[rule.check](attributes, key, data.subject_key(rule.holder))
    return (f"数据共享核验：{source}（{record.record_date}）", "") if holds else ("", "")


def materials_to_bring(statuses: list[MaterialStatus]) -> list[MaterialStatus]:
    return [s for s in statuses if not s.exempt]


def missing_materials(statuses: list[MaterialStatus], received: set[str]) -> list[MaterialStatus]:
    """Everything still missing, all at once (一次性告知)."""
    return [s for s in materials_to_bring(statuses) if s.material_id not in received]
