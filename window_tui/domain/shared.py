"""Shared-data lookups: the key of a lookup and the record a registry returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from window_tui.domain.catalog import SHARED_CHECKS, ExemptRule

# The registry a material's shared-data check reads, and whose identifier keys it.
CHECK_REGISTRY = {check: registry for check, (registry, _) in SHARED_CHECKS.items()}


def rule_lookup(rule: ExemptRule) -> tuple[str, str] | None:
    """(registry, subject) an exemption rule needs, or None if it needs no lookup."""
    if rule.kind == "elicence":
        return "elicence", rule.holder
    if rule.kind == "shared":
        # Kinship is read from the deceased's household record, keyed by the deceased.
        subject = "deceased" if rule.check == "kinship" else rule.holder
        return CHECK_REGISTRY[rule.check], subject
    return None


@dataclass(frozen=True)
class LookupKey:
    registry: str
    key: str


@dataclass(frozen=True)
class SharedRecord:
    registry: str
    key: str
    attributes: dict[str, Any]
    source: str
    record_date: str
    fetched_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"registry": self.registry, "key": self.key, "attributes": self.attributes,
                "source": self.source, "record_date": self.record_date, "fetched_at": self.fetched_at}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SharedRecord:
        return cls(data["registry"], data["key"], dict(data["attributes"]), data["source"],
                   data["record_date"], data.get("fetched_at", ""))
