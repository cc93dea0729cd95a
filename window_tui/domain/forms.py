"""Merging a bundle's matters into one form: data asked by several matters is
asked once, the strictest constraint wins, and fields are grouped in sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from window_tui.domain.catalog import Bundle, Catalog, FieldDef, Material, Matter


@dataclass(frozen=True)
class FormField:
    definition: FieldDef
    required: bool
    max_length: int | None
    matters: tuple[str, ...]  # the matters that ask for it

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def label(self) -> str:
        return self.definition.label


@dataclass(frozen=True)
class FormSection:
    name: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class MergedForm:
    bundle: Bundle
    matters: tuple[Matter, ...]
    sections: tuple[FormSection, ...]
    materials: tuple[Material, ...] = ()

    @property
    def optional(self) -> tuple[str, ...]:
        """The optional matters this form includes (the applicant's "yes" answers)."""
        return tuple(m.code for m in self.matters if m.code in self.bundle.optional_matters)

    @cached_property
    def fields(self) -> tuple[FormField, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    @cached_property
    def _by_id(self) -> dict[str, FormField]:
        return {f.id: f for f in self.fields}

    def field(self, field_id: str) -> FormField:
        return self._by_id[field_id]

    def has(self, field_id: str) -> bool:
        return field_id in self._by_id

    def get(self, field_id: str) -> FormField | None:
        return self._by_id.get(field_id)

    @cached_property
    def intake_fields(self) -> tuple[FormField, ...]:
        """Fields asked at the counter (not the ones a matter issues later)."""
        return tuple(f for f in self.fields if f.definition.origin == "intake")

    def separate_field_count(self) -> int:
        """Fields across the separate forms of the same matters (the baseline)."""
        return sum(len(m.fields) for m in self.matters)


def bundle_matters(catalog: Catalog, bundle: Bundle, optional: tuple[str, ...] = ()) -> tuple[Matter, ...]:
    unknown = set(optional) - set(bundle.optional_matters)
    if unknown:
        raise ValueError(f"“{bundle.name}”没有可选事项 {', '.join(sorted(unknown))}")
    chosen = [c for c in bundle.matters + bundle.optional_matters if c in bundle.matters or c in optional]
    return tuple(catalog.matters[c] for c in chosen)


def merge_bundle(catalog: Catalog, bundle: Bundle, optional: tuple[str, ...] = ()) -> MergedForm:
    if not bundle.complete:
        raise ValueError(f"“{bundle.name}”尚未完成梳理，暂不受理")
    matters = bundle_matters(catalog, bundle, optional)
    merged: dict[str, tuple[bool, int | None, list[str], int]] = {}
    for matter in matters:
        for requirement in matter.fields:
            required, max_length, asked_by, first_seen = merged.get(
                requirement.field_id, (False, None, [], len(merged))
            )
            # The strictest constraint wins: required if any matter requires it,
            # the shortest maximum length.
            lengths = [x for x in (max_length, requirement.max_length) if x is not None]
            merged[requirement.field_id] = (
                required or requirement.required,
                min(lengths) if lengths else None,
                [*asked_by, matter.code],
                first_seen,
            )
    by_section: dict[str, list[tuple[int, FormField]]] = {}
    for field_id, (required, max_length, asked_by, first_seen) in merged.items():
        definition = catalog.fields[field_id]
        form_field = FormField(definition, required, max_length, tuple(asked_by))
        by_section.setdefault(definition.section, []).append((_field_rank(definition, first_seen), form_field))
    sections = tuple(
        FormSection(name, tuple(f for _, f in sorted(by_section[name], key=lambda pair: pair[0])))
        for name in catalog.sections
        if name in by_section
    )
    material_ids = dict.fromkeys(m for matter in matters for m in matter.materials)
    materials = tuple(catalog.materials[m] for m in material_ids)
    return MergedForm(bundle, matters, sections, materials)


def _field_rank(definition: FieldDef, first_seen: int) -> tuple[int, int]:
    # Within a section the key identifier comes first: it drives the prefill.
    return (0 if definition.is_key else 1, first_seen)
