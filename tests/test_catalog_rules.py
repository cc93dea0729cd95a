"""Exemptions a hall can defend, matters chosen by answers, promises the chain honours:
each bad entry found in the audit (issue "What the counter decides…") is refused by
`window-tui catalog check`, and the shipped catalog passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from window_tui.domain.catalog import DATA_DIR, CatalogError, chain_days, load_catalog
from window_tui.domain.efficiency import typical_form
from window_tui.domain.materials import evaluate_materials
from window_tui.domain.shared import LookupKey, SharedRecord

BAD_EXEMPTIONS = {
    # (file, text to replace, replacement, the key the error names)
    "food rules 'issued' by 市场监督管理局": (
        "materials.toml", 'exempt = [{ kind = "commitment", basis = "食品经营许可告知承诺制',
        'exempt = [{ kind = "government", department = "市场监督管理局", basis = "x', "kind"),
    "fire commitment 'issued' by 消防救援机构": (
        "materials.toml", 'exempt = [{ kind = "commitment", basis = "《中华人民共和国消防法》第十五条',
        'exempt = [{ kind = "government", department = "消防救援机构", basis = "x', "kind"),
    "personnel file 'issued' by 人才服务中心": (
        "materials.toml", 'exempt = [{ kind = "shared", check = "file_custody", holder = "applicant" }]',
        'exempt = [{ kind = "government", department = "人才服务中心" }]', "kind"),
    "premises proof by any property of the representative": (
        "materials.toml", ', match = "enterprise.address" }]', " }]", "match"),
    "health certificates by the representative's own": (
        "materials.toml", 'exempt = []  # concerns every food handler',
        'exempt = [{ kind = "elicence", licence = "健康证明", holder = "legal_rep" }]  #', "licence"),
    "childbirth bills by a birth record called a settlement": (
        "materials.toml", 'exempt = [{ kind = "shared", check = "settlement", holder = "mother" }]',
        'exempt = [{ kind = "shared", check = "birth", holder = "mother", source = "医保直接结算记录" }]', "source"),
    "a surrendered licence replaced by the e-licence": (
        "materials.toml", "exempt = []\ncollected = true",
        'exempt = [{ kind = "elicence", licence = "营业执照", holder = "enterprise" }]\ncollected = true', "kind"),
    "customs clearance by a check that always passes": (
        "materials.toml", 'check = "customs_clear"', 'check = "enterprise"', "check"),
    "an optional matter nobody is asked about": (
        "bundles.toml", 'questions = { CL03 = "是否办理过海关报关单位备案？" }', "", "questions"),
    "a newborn promise shorter than its chain": (
        "bundles.toml", 'promised_days = 11\nkey_subject = "mother"', 'promised_days = 5\nkey_subject = "mother"',
        "promised_days"),
}


def broken_catalog(tmp_path: Path, file: str, old: str, new: str) -> Path:
    directory = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, directory, ignore=shutil.ignore_patterns("*.md"))
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the shipped {file} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return directory


def test_the_shipped_catalog_passes_the_check() -> None:
    result = subprocess.run([sys.executable, "-m", "window_tui.cli", "catalog", "check"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "目录检查通过" in result.stdout


@pytest.mark.parametrize("case", list(BAD_EXEMPTIONS))
def test_each_audited_bad_entry_is_refused(tmp_path: Path, case: str) -> None:
    file, old, new, key = BAD_EXEMPTIONS[case]
    directory = broken_catalog(tmp_path, file, old, new)
    with pytest.raises(CatalogError) as error:
        load_catalog(directory)
    assert error.value.key == key, str(error.value)


def test_the_command_line_says_why_in_one_line(tmp_path: Path) -> None:
    directory = broken_catalog(tmp_path, *BAD_EXEMPTIONS["premises proof by any property of the representative"][:3])
    result = subprocess.run([sys.executable, "-m", "window_tui.cli", "catalog", "check", "--dir", str(directory)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "经营场所地址一致" in result.stderr


def test_promises_follow_the_chain(catalog) -> None:  # noqa: ANN001
    for bundle in catalog.bundles.values():
        if bundle.complete:
            matters = [catalog.matters[c] for c in bundle.matters + bundle.optional_matters]
            assert bundle.promised_days >= chain_days(matters)
    newborn = catalog.merged("newborn")
    assert chain_days(newborn.matters) == 11  # NB02 → NB04 (5) → NB06 (5)


def test_optional_matters_follow_the_answers(catalog) -> None:  # noqa: ANN001
    plain = catalog.merged("restaurant")
    assert [m.code for m in plain.matters] == ["FD01", "FD02"]
    assert "fire_commitment" not in {m.id for m in plain.materials}
    gathering = catalog.merged("restaurant", ("FD04",))
    assert gathering.optional == ("FD04",)
    assert "fire_commitment" in {m.id for m in gathering.materials}
    assert [m.code for m in catalog.merged("deregistration").matters] == ["CL01", "CL02", "CL04", "CL05", "CL06"]


def _record(data, registry: str, key: str, **attributes) -> None:  # noqa: ANN001
    old = data.records[LookupKey(registry, key)]
    data.records[LookupKey(registry, key)] = SharedRecord(registry, key, {**old.attributes, **attributes},
                                                          old.source, old.record_date)


def _kinds(data) -> dict[str, str]:  # noqa: ANN001
    return {s.material_id: s.kind for s in evaluate_materials(data)}


def test_exemptions_are_tied_to_this_case(catalog, registry) -> None:  # noqa: ANN001
    # Premises: the property certificate proves use only at the premises' address.
    seen = set()
    for index, uscc in enumerate(registry.samples["restaurant"]):
        owner = registry.enterprises[uscc]["legal_rep_id"]
        licence = next((lic for lic in registry.licences.get(owner, []) if lic["type"] == "不动产权证书"), None)
        if licence is None:
            continue
        data = typical_form(catalog, registry, "restaurant", index)
        same = licence["address"] == data.value("enterprise.address").value
        assert _kinds(data)["premises_proof"] == ("elicence" if same else "bring")
        seen.add(same)
    assert seen == {True, False}  # both kinds of owner were met
    assert _kinds(data)["health_cert"] == "bring" and _kinds(data)["food_safety_rules"] == "commitment"
    # Childbirth bills: only a direct settlement exempts them.
    data = typical_form(catalog, registry, "newborn")
    mother = data.value("mother.id_number").value
    _record(data, "birth", mother, direct_settlement=True)
    assert _kinds(data)["childbirth_bills"] == "shared"
    _record(data, "birth", mother, direct_settlement=False)
    assert _kinds(data)["childbirth_bills"] == "bring"
    # Personnel file: carried only when it is not in public custody.
    data = typical_form(catalog, registry, "retirement")
    applicant = data.value("applicant.id_number").value
    _record(data, "social", applicant, file_keeper="济宁市公共就业和人才服务中心")
    assert _kinds(data)["personnel_file"] == "shared"
    _record(data, "social", applicant, file_keeper="用人单位")
    assert _kinds(data)["personnel_file"] == "bring"


def test_simplified_deregistration_needs_no_liquidation_report(catalog, registry) -> None:  # noqa: ANN001
    data = typical_form(catalog, registry, "deregistration")
    data.enter("enterprise.cancel_mode", "简易注销")
    kinds = _kinds(data)
    assert "liquidation_report" not in kinds and "shareholder_resolution" not in kinds
    assert kinds["investor_commitment"] == "bring" and kinds["licence_surrender"] == "bring"
    data.enter("enterprise.cancel_mode", "一般注销")
    kinds = _kinds(data)
    assert kinds["liquidation_report"] == "bring" and "investor_commitment" not in kinds
    # Customs: only with a customs registration, and only a clean one is exempt.
    customs = typical_form(catalog, registry, "deregistration")
    customs.form = catalog.merged("deregistration", ("CL03",))
    uscc = customs.value("enterprise.uscc").value
    _record(customs, "enterprise", uscc, customs_code="3708123456", customs_pending=True)
    assert _kinds(customs)["customs_clearance"] == "bring"
    _record(customs, "enterprise", uscc, customs_code="3708123456", customs_pending=False)
    assert _kinds(customs)["customs_clearance"] == "shared"


def test_a_commitment_prints_on_the_receipt(catalog, registry) -> None:  # noqa: ANN001
    from datetime import datetime

    from printers.service import PrintService
    from printers.templates import HallInfo
    from tests.conftest import START
    from window_tui.domain.case import build_case
    from window_tui.domain.workdays import WorkCalendar

    data = typical_form(catalog, registry, "restaurant")
    for field_id, value in {"premises.area": "86", "premises.seats": "40", "food.items": "热食类食品制售",
                            "result.delivery": "窗口领取", "food.safety_manager": "王五"}.items():
        if not data.value(field_id).value:
            data.enter(field_id, value)
    case = build_case(data, case_id="c" * 32, case_number="370800-20261120-05-0001", hall="370800", window=5,
                      clerk="1005", accepted_at=datetime(2026, 11, 20, 10, 0, tzinfo=START.tzinfo),
                      calendar=WorkCalendar.load(), received={"premises_layout", "health_cert", "premises_proof"})
    service = PrintService.from_config("preview", "80mm-gb18030", role="receipt", hall=HallInfo())
    from printers.decoder import decode

    paper = "".join(decode(service.render("receipt", case.to_json()), "gb18030").text)
    assert "告知承诺（申请人已签署）" in paper and "食品安全管理制度" in paper
    assert case.to_json()["promised_days"] == 11
    assert date.fromisoformat(case.promised_date) > date(2026, 11, 20)
