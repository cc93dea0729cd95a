"""Which materials a case needs, which are exempt and why (免于提交), and the
content of the one-time notice of what is missing (一次性告知)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from window_tui.domain.catalog import ExemptRule, Material
from window_tui.domain.shared import LookupKey, rule_lookup

if TYPE_CHECKING:
    from window_tui.domain.prefill import FormData

EXEMPT_LABELS = {
    "elicence": "电子证照",
    "shared": "数据共享核验",
    "government": "政府部门核发",
    "produced": "前序事项产生",
    "bring": "需提交",
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
    for material in form.materials:
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
    if rule.kind == "government":
        note = f"（{rule.note}）" if rule.note else ""
        return f"由{rule.department}核发，窗口内部获取{note}", ""
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
        for licence in attributes.get("licences", []):
            valid_to = licence.get("valid_to") or "9999-12-31"
            if licence.get("type") == rule.licence and valid_to >= today.isoformat():
                return f"电子证照：{rule.licence}", str(licence.get("number", ""))
        return "", ""
    source = rule.source or record.source
    holds = {
        "household": lambda: bool(attributes.get("household_no")),
        "marriage": lambda: attributes.get("marital_status") == "已婚",
        "person": lambda: True,
        "kinship": lambda: bool(data.subject_key(rule.holder))
        and data.subject_key(rule.holder) in attributes.get("relatives", {}),
        "birth": lambda: True,
        "death": lambda: bool(attributes.get("death_cert_no")),
        "cremation": lambda: bool(attributes.get("cremation_cert_no")),
        "social": lambda: bool(attributes.get("card_no")),
        "enterprise": lambda: True,
        "fire_acceptance": lambda: bool(attributes.get("fire_acceptance")),
    }[rule.check]()
    return (f"数据共享核验：{source}（{record.record_date}）", "") if holds else ("", "")


def materials_to_bring(statuses: list[MaterialStatus]) -> list[MaterialStatus]:
    return [s for s in statuses if not s.exempt]


def missing_materials(statuses: list[MaterialStatus], received: set[str]) -> list[MaterialStatus]:
    """Everything still missing, all at once (一次性告知)."""
    return [s for s in materials_to_bring(statuses) if s.material_id not in received]
