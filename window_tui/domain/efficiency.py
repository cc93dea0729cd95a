"""The efficiency report: fields typed and materials brought, one merged,
pre-filled form against the separate forms of the same matters.

Every figure comes from running the real merge, prefill and exemption code on
the shipped catalog and a synthetic registry; nothing here is a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from window_tui.domain.catalog import Catalog, default_catalog
from window_tui.domain.forms import merge_bundle
from window_tui.domain.materials import evaluate_materials, materials_to_bring
from window_tui.domain.prefill import FormData, ValueState, run_prefill
from window_tui.domain.synthetic import Registry, generate_registry


@dataclass(frozen=True)
class BundleEfficiency:
    bundle: str
    name: str
    matters: int
    separate_fields: int
    merged_fields: int
    typed_fields: int
    typed_ids: tuple[str, ...]
    separate_materials: int
    merged_materials: int
    materials_to_bring: int
    bring_names: tuple[str, ...]

    @property
    def typed_share(self) -> float:
        return self.typed_fields / self.separate_fields if self.separate_fields else 0.0


def typical_form(catalog: Catalog, registry: Registry, bundle_code: str, sample: int = 0) -> FormData:
    """A form for a typical applicant: the clerk types the key numbers, prefill does the rest."""
    bundle = catalog.bundle(bundle_code)
    data = FormData(merge_bundle(catalog, bundle), today=registry.as_of)
    key = registry.samples[bundle_code][sample]
    if bundle_code == "posthumous":
        deceased, heir = key.split(":")
        data.enter("deceased.id_number", deceased)
        data.enter("applicant.id_number", heir)
    elif bundle.key_subject == "enterprise":
        data.enter("enterprise.uscc", key)
    else:
        data.enter(f"{bundle.key_subject}.id_number", key)
    run_prefill(data, registry.lookup)
    return data


def bundle_efficiency(catalog: Catalog, registry: Registry, bundle_code: str, sample: int = 0) -> BundleEfficiency:
    data = typical_form(catalog, registry, bundle_code, sample)
    form = data.form
    typed = []
    for form_field in form.intake_fields:
        state = data.value(form_field.id).state
        # Typed: what the clerk entered, plus every required field prefill left empty.
        if state in (ValueState.MANUAL, ValueState.UNVERIFIED) or (
            state == ValueState.EMPTY and form_field.required
        ):
            typed.append(form_field.id)
    statuses = evaluate_materials(data)
    bring = materials_to_bring(statuses)
    return BundleEfficiency(
        bundle=bundle_code,
        name=form.bundle.name,
        matters=len(form.matters),
        separate_fields=form.separate_field_count(),
        merged_fields=len(form.intake_fields),
        typed_fields=len(typed),
        typed_ids=tuple(typed),
        separate_materials=sum(len(m.materials) for m in form.matters),
        merged_materials=len(form.materials),
        materials_to_bring=len(bring),
        bring_names=tuple(s.name for s in bring),
    )


def efficiency_report(as_of: date | None = None, seed: int = 20240101,
                      persons: int = 10_000) -> list[BundleEfficiency]:
    catalog = default_catalog()
    registry = generate_registry(seed=seed, persons=persons, as_of=as_of)
    return [bundle_efficiency(catalog, registry, b.code) for b in catalog.bundles.values() if b.complete]
