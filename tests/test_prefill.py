from __future__ import annotations

import pytest

from tests.conftest import AS_OF
from window_tui.domain.catalog import Catalog
from window_tui.domain.efficiency import bundle_efficiency, typical_form
from window_tui.domain.forms import merge_bundle
from window_tui.domain.materials import evaluate_materials, missing_materials
from window_tui.domain.prefill import (
    FormData,
    LockedFieldError,
    RegistryUnavailable,
    ValueState,
    run_prefill,
)
from window_tui.domain.shared import LookupKey
from window_tui.domain.synthetic import Registry


def newborn_form(catalog: Catalog) -> FormData:
    return FormData(merge_bundle(catalog, catalog.bundle("newborn")), today=AS_OF)


def test_newborn_fills_from_mother_id_with_sources(catalog: Catalog, registry: Registry) -> None:
    mother = registry.samples["newborn"][0]
    data = newborn_form(catalog)
    data.enter("mother.id_number", mother)
    run_prefill(data, registry.lookup)
    person = registry.persons[mother]
    father = registry.persons[person["spouse_id"]]
    assert data.value("mother.name").value == person["name"]
    assert data.value("mother.name").source == "公安人口库"
    assert data.value("mother.name").locked
    assert data.value("father.id_number").value == father["id_number"]
    assert data.value("father.name").value == father["name"]
    assert data.value("newborn.birth_cert_no").value == registry.births[mother]["birth_cert_no"]
    assert data.value("newborn.birth_cert_no").source == "卫健出生医学证明库"
    assert data.value("applicant.id_number").state == ValueState.DEFAULT
    assert data.value("marriage.cert_no").value.startswith("J")
    assert not data.value("mother.phone").locked  # editable: phones change


def test_newborn_meets_the_reform_targets(catalog: Catalog, registry: Registry) -> None:
    for sample in range(5):
        e = bundle_efficiency(catalog, registry, "newborn", sample)
        assert e.typed_fields <= 0.2 * e.separate_fields, e.typed_ids
        assert e.materials_to_bring <= 2, e.bring_names


def test_locked_field_needs_override_with_reason(catalog: Catalog, registry: Registry) -> None:
    data = typical_form(catalog, registry, "newborn")
    original = data.value("mother.name").value
    with pytest.raises(LockedFieldError, match="更正"):
        data.enter("mother.name", "王芳芳")
    with pytest.raises(ValueError, match="理由"):
        data.override("mother.name", "王芳芳", " ")
    data.override("mother.name", "王芳芳", "户籍信息未更新，持新身份证")
    value = data.value("mother.name")
    assert value.state == ValueState.OVERRIDDEN
    assert value.original == original and value.value == "王芳芳"
    assert value.reason.startswith("户籍")


def test_unreachable_registry_marks_manual_values_then_verifies(catalog: Catalog, registry: Registry) -> None:
    mother = registry.samples["newborn"][1]
    data = newborn_form(catalog)
    data.enter("mother.id_number", mother)

    def down(key: LookupKey) -> None:
        raise RegistryUnavailable(key.registry)

    run_prefill(data, down)
    assert "person" in data.unreachable
    name = registry.persons[mother]["name"]
    data.enter("mother.name", name)
    data.enter("mother.phone", "13900000000")
    assert data.value("mother.name").state == ValueState.UNVERIFIED
    # The network returns: the same value is verified, a different one is raised, not overwritten.
    data.add_record(LookupKey("person", mother), registry.lookup(LookupKey("person", mother)))
    assert data.value("mother.name").state == ValueState.VERIFIED
    data.entries["mother.name"] = data.entries["mother.name"].__class__("李错名", typed_while_unreachable=True)
    assert data.value("mother.name").state == ValueState.MISMATCH
    assert data.value("mother.name").value == "李错名"
    assert data.mismatches()["mother.name"] == ("李错名", name)


def test_changing_the_key_re_derives_everything(catalog: Catalog, registry: Registry) -> None:
    first, second = registry.samples["newborn"][:2]
    data = newborn_form(catalog)
    data.enter("mother.id_number", first)
    run_prefill(data, registry.lookup)
    data.enter("mother.id_number", second)
    run_prefill(data, registry.lookup)
    assert data.value("mother.name").value == registry.persons[second]["name"]


def test_invalid_input_is_kept_and_reported(catalog: Catalog) -> None:
    data = newborn_form(catalog)
    result = data.enter("bank.card_no", "6222021234567890123")
    assert not result.ok and "校验位" in result.error
    assert data.value("bank.card_no").value == "6222021234567890123"
    assert "bank.card_no" in data.errors()


def test_materials_exempt_with_reasons(catalog: Catalog, registry: Registry) -> None:
    data = typical_form(catalog, registry, "newborn")
    statuses = {s.material_id: s for s in evaluate_materials(data)}
    assert statuses["marriage_cert"].kind == "elicence"
    assert "结婚证" in statuses["marriage_cert"].reason
    assert statuses["newborn_household_page"].kind == "produced"
    assert "出生登记" in statuses["newborn_household_page"].reason
    assert statuses["mother_bank_card"].kind == "bring"
    missing = missing_materials(list(statuses.values()), received={"mother_bank_card"})
    assert [m.material_id for m in missing] == ["newborn_photo"]


@pytest.mark.parametrize("code", ["restaurant", "deregistration", "retirement", "posthumous"])
def test_every_bundle_prefills_most_fields(catalog: Catalog, registry: Registry, code: str) -> None:
    e = bundle_efficiency(catalog, registry, code)
    assert e.typed_fields < e.merged_fields / 2, e.typed_ids
    assert e.materials_to_bring < e.merged_materials


def test_formdata_json_round_trip(catalog: Catalog, registry: Registry) -> None:
    data = typical_form(catalog, registry, "posthumous")
    copy = FormData(data.form, today=data.today)
    copy.load_json(data.to_json())
    assert copy.values() == data.values()
