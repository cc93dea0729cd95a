from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from window_tui.domain.catalog import DATA_DIR, Catalog, CatalogError, load_catalog
from window_tui.domain.forms import merge_bundle

COMPLETE = ["newborn", "restaurant", "deregistration", "retirement", "posthumous"]


def test_five_complete_bundles_and_the_rest_listed(catalog: Catalog) -> None:
    complete = {b.code for b in catalog.bundles.values() if b.complete}
    assert complete == set(COMPLETE)
    names = {b.name for b in catalog.bundles.values()}
    for first_batch in ("教育入学", "扶残助困", "开办运输企业", "企业信息变更", "水电气网联合报装", "信用修复",
                        "企业破产信息核查", "企业上市合法合规信息核查"):
        assert first_batch in names
    assert all(not b.complete for b in catalog.search("jyrx", complete_only=False))
    assert catalog.search("jyrx") == []


def test_initials_match_pinyin(catalog: Catalog) -> None:
    from pypinyin import Style, lazy_pinyin

    for bundle in catalog.bundles.values():
        initials = "".join(lazy_pinyin(bundle.name, style=Style.FIRST_LETTER)).lower()
        # 一卡通's quotes and similar punctuation are dropped by pypinyin's letters.
        assert bundle.initials == "".join(c for c in initials if c.isalpha()), bundle.name


def test_search_by_initials_and_name(catalog: Catalog) -> None:
    assert [b.name for b in catalog.search("xse")] == ["新生儿出生"]
    assert [b.name for b in catalog.search("餐饮")] == ["开办餐饮店"]


@pytest.mark.parametrize("code", COMPLETE)
def test_each_bundle_merges_into_sections_in_order(catalog: Catalog, code: str) -> None:
    form = merge_bundle(catalog, catalog.bundle(code))
    ids = [f.id for f in form.fields]
    assert len(ids) == len(set(ids)), "a field asked twice"
    order = [catalog.sections.index(s.name) for s in form.sections]
    assert order == sorted(order)
    assert form.separate_field_count() > len(form.intake_fields)
    for section in form.sections:
        keys = [f.definition.is_key for f in section.fields]
        assert keys == sorted(keys, reverse=True), "the key identifier leads its section"


def test_optional_matter_is_added_only_when_chosen(catalog: Catalog) -> None:
    bundle = catalog.bundle("restaurant")
    without = merge_bundle(catalog, bundle)
    with_tobacco = merge_bundle(catalog, bundle, ("FD05",))
    assert "tobacco.distance_ok" not in [f.id for f in without.fields]
    assert "tobacco.distance_ok" in [f.id for f in with_tobacco.fields]
    with pytest.raises(ValueError, match="可选事项"):
        merge_bundle(catalog, bundle, ("NB01",))


def test_incomplete_bundle_is_not_offered(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="暂不受理"):
        merge_bundle(catalog, catalog.bundle("school_entry"))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(COMPLETE), st.data())
def test_merging_never_drops_a_required_field(code: str, data: st.DataObject) -> None:
    catalog = load_catalog()
    bundle = catalog.bundle(code)
    optional = tuple(data.draw(st.lists(st.sampled_from(bundle.optional_matters), unique=True))
                     if bundle.optional_matters else [])
    form = merge_bundle(catalog, bundle, optional)
    merged = {f.id: f for f in form.fields}
    for matter in form.matters:
        for req in matter.fields:
            assert req.field_id in merged
            if req.required:
                assert merged[req.field_id].required
            if req.max_length is not None:
                assert merged[req.field_id].max_length is not None
                assert merged[req.field_id].max_length <= req.max_length


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "entry", "key"),
    [
        ("matters.toml", 'promised_days = 1\nfee = "免费"', 'promised_days = "one"\nfee = "免费"', "NB01", "promised_days"),
        ("matters.toml", '"applicant.name", "applicant.id_number"', '"applicant.nam", "applicant.id_number"', "NB01", "fields"),
        ("fields.toml", 'type = "id"', 'type = "idcard"', "applicant.id_number", "type"),
        ("materials.toml", 'licence = "居民身份证", holder = "mother"', 'holder = "mother"', "mother_id_card.exempt[0]", "licence"),
        ("bundles.toml", '"NB01", "NB02", "NB03", "NB04"', '"NB01", "NB04", "NB02", "NB03"', "newborn", "matters"),
    ],
)
def test_broken_file_names_file_entry_and_key(tmp_path: Path, file: str, old: str, new: str, entry: str, key: str) -> None:
    directory = _broken_copy(tmp_path, file, old, new)
    with pytest.raises(CatalogError) as info:
        load_catalog(directory)
    assert info.value.file == file
    assert info.value.entry == entry
    assert info.value.key == key
    assert file in str(info.value)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    directory = _broken_copy(tmp_path, "bundles.toml", "[bundles.newborn]", "[bundles.newborn")
    with pytest.raises(CatalogError, match="bundles.toml"):
        load_catalog(directory)
