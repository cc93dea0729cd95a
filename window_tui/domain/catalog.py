"""The bundle catalog: matters, bundles, fields and materials, loaded from the
TOML files shipped in `window_tui/catalog_data` and validated on load.

A broken file raises `CatalogError` naming the file, the entry and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "catalog_data"

FIELD_TYPES = frozenset(
    {"id", "uscc", "phone", "bankcard", "birthcert", "name", "date", "choice", "number", "text", "address"}
)
REGISTRIES = frozenset({"person", "birth", "social", "fund", "death", "enterprise", "elicence", "clock"})
EXEMPT_KINDS = frozenset({"elicence", "shared", "produced", "commitment"})
# Each shared-data check: the registry it reads and the source a receipt names. Every
# check tests a fact of this case (see materials._CHECKS); none passes by itself.
SHARED_CHECKS: dict[str, tuple[str, str]] = {
    "household": ("person", "公安人口库"),
    "marriage": ("person", "公安人口库"),
    "person": ("person", "公安人口库"),
    "kinship": ("person", "公安人口库（同户关系）"),
    "birth": ("birth", "卫健出生医学证明库"),
    "settlement": ("birth", "医保直接结算记录"),
    "death": ("death", "卫健死亡医学证明"),
    "cremation": ("death", "民政殡葬信息"),
    "social": ("social", "人社社保卡信息"),
    "file_custody": ("social", "人社档案管理信息（公共人才服务机构保管）"),
    "fire_acceptance": ("enterprise", "住建消防验收备案系统"),
    "customs_clear": ("enterprise", "海关企业信息"),
}
# E-licences that concern more people than their holder: one person's cannot exempt the material.
GROUP_LICENCES = {"健康证明": "从业人员健康证明涉及每一名从业人员，不能以一人的电子证照免交"}
# E-licences that prove a material only when tied to this case by a field (match = "field id").
TIED_LICENCES = {"不动产权证书": "不动产权证书须与经营场所地址一致才能证明使用权（match = \"enterprise.address\"）"}
RULES = frozenset({"retirement_age", "min_contribution"})

_FILL = re.compile(r"^(?P<registry>[a-z]+)\.(?P<attr>[^\[\]@]+)(?:\[(?P<index>[a-z_]+)\])?(?:@(?P<subject>[a-z_]+))?$")


class CatalogError(ValueError):
    """A catalog file is broken. `file`, `entry` and `key` say where."""

    def __init__(self, file: str, entry: str, key: str, problem: str) -> None:
        self.file, self.entry, self.key, self.problem = file, entry, key, problem
        super().__init__(f"目录文件 {file} 的条目 {entry!r} 的 {key!r}：{problem}")


@dataclass(frozen=True)
class FillSpec:
    """Where a field's value can come from: `registry.attribute[index]@subject`."""

    registry: str
    attribute: str
    key_subject: str  # whose identifier keys the lookup
    index_subject: str | None = None  # for mapping attributes, e.g. relatives[applicant]

    def __str__(self) -> str:
        index = f"[{self.index_subject}]" if self.index_subject else ""
        return f"{self.registry}.{self.attribute}{index}@{self.key_subject}"


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: str
    type: str
    section: str
    fill: FillSpec | None = None
    editable: bool = False
    origin: str = "intake"  # "issued": produced while the case is handled
    options: tuple[str, ...] = ()
    past: bool = False  # a date that cannot be after the day of intake (births, deaths)

    @property
    def subject(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def is_key(self) -> bool:
        """The identifier that keys the lookups for its subject."""
        return self.id.endswith(".id_number") or self.id == "enterprise.uscc"


@dataclass(frozen=True)
class FieldRequirement:
    field_id: str
    required: bool = True
    max_length: int | None = None


@dataclass(frozen=True)
class ExemptRule:
    kind: str
    holder: str = ""
    licence: str = ""
    check: str = ""
    matter: str = ""
    source: str = ""
    note: str = ""
    match: str = ""  # elicence: a form field whose value must equal the licence's address
    basis: str = ""  # commitment: the rule that allows a signed commitment instead of the document


@dataclass(frozen=True)
class Condition:
    """A material needed only for one answer on the form (e.g. 普通注销 needs a 清算报告)."""

    field_id: str
    value: str

    def holds(self, values: dict[str, str]) -> bool:
        return values.get(self.field_id, "") == self.value


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    exempt: tuple[ExemptRule, ...] = ()
    when: Condition | None = None  # needed only when this answer is given
    collected: bool = False  # the original is surrendered (收缴): nothing can replace it


@dataclass(frozen=True)
class Matter:
    code: str
    name: str
    department: str
    statutory_days: int
    promised_days: int
    fee: str
    fields: tuple[FieldRequirement, ...]
    materials: tuple[str, ...]
    after: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    contribution: str = ""  # a social-insurance contribution the applicant pays: not a fee (art. 58)


@dataclass(frozen=True)
class Bundle:
    code: str
    name: str
    initials: str
    complete: bool
    matters: tuple[str, ...] = ()
    optional_matters: tuple[str, ...] = ()
    promised_days: int = 0
    key_subject: str = ""
    applicant_default: str = ""
    questions: tuple[tuple[str, str], ...] = ()  # (optional matter, the question that includes it)

    def matches(self, query: str) -> bool:
        """Search by Chinese name or pinyin initials ("xse" finds 新生儿出生)."""
        query = query.strip().lower()
        return not query or query in self.name or self.initials.startswith(query) or query == self.code


@dataclass
class Catalog:
    sections: tuple[str, ...]
    fields: dict[str, FieldDef]
    materials: dict[str, Material]
    matters: dict[str, Matter]
    bundles: dict[str, Bundle]
    version: str = ""
    _merged: dict[tuple[str, tuple[str, ...]], Any] = field(default_factory=dict, repr=False, compare=False)

    def merged(self, bundle_code: str, optional: tuple[str, ...] = ()):  # noqa: ANN201 (MergedForm)
        """The merged form of a bundle, built once per catalog (forms are immutable)."""
        from window_tui.domain.forms import merge_bundle

        key = (bundle_code, tuple(sorted(optional)))
        if key not in self._merged:
            self._merged[key] = merge_bundle(self, self.bundle(bundle_code), key[1])
        return self._merged[key]

    def bundle(self, code_or_name: str) -> Bundle:
        for bundle in self.bundles.values():
            if code_or_name in (bundle.code, bundle.name):
                return bundle
        raise KeyError(f"没有名为“{code_or_name}”的一件事")

    def search(self, query: str, *, complete_only: bool = True) -> list[Bundle]:
        found = [b for b in self.bundles.values() if b.matches(query)]
        return [b for b in found if b.complete or not complete_only]


# --- loading ---------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(path.name, "-", "-", "文件不存在") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path.name, "-", "-", f"TOML 语法错误：{exc}") from exc


class _Entry:
    """Typed access to one table of a catalog file, raising named errors."""

    def __init__(self, file: str, entry: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise CatalogError(file, entry, "-", "应为一个表")
        self.file, self.entry, self.data = file, entry, data

    def error(self, key: str, problem: str) -> CatalogError:
        return CatalogError(self.file, self.entry, key, problem)

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.error(key, "缺少此项")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"类型应为 {kind.__name__}，当前为 {value!r}")
        return value

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        values = self.get(key, list, default)
        if not all(isinstance(v, str) for v in values):
            raise self.error(key, "应为字符串列表")
        return tuple(values)

    def check_keys(self, allowed: set[str]) -> None:
        unknown = set(self.data) - allowed
        if unknown:
            raise self.error(sorted(unknown)[0], "未知的配置项")


def parse_fill(entry: _Entry, field_id: str, text: str) -> FillSpec:
    match = _FILL.match(text)
    if match is None:
        raise entry.error("fill", f"格式应为 registry.attribute[@subject]，当前为 {text!r}")
    if match["registry"] not in REGISTRIES:
        raise entry.error("fill", f"未知的共享数据来源 {match['registry']!r}")
    subject = match["subject"] or field_id.split(".", 1)[0]
    return FillSpec(match["registry"], match["attr"], subject, match["index"])


def _load_fields(path: Path) -> tuple[tuple[str, ...], dict[str, FieldDef]]:
    data = _read(path)
    sections = _Entry(path.name, "sections", data.get("sections", {})).strings("order")
    result: dict[str, FieldDef] = {}
    for field_id, raw in _Entry(path.name, "fields", data.get("fields")).data.items():
        entry = _Entry(path.name, field_id, raw)
        entry.check_keys({"label", "type", "section", "fill", "editable", "origin", "options", "past"})
        if "." not in field_id:
            raise entry.error("-", "字段 id 应为 subject.attribute")
        ftype = entry.get("type", str)
        if ftype not in FIELD_TYPES:
            raise entry.error("type", f"未知的字段类型 {ftype!r}")
        section = entry.get("section", str)
        if section not in sections:
            raise entry.error("section", f"分组 {section!r} 不在 sections.order 中")
        options = entry.strings("options", ())
        if ftype == "choice" and not options:
            raise entry.error("options", "选择型字段必须给出选项")
        origin = entry.get("origin", str, "intake")
        if origin not in ("intake", "issued"):
            raise entry.error("origin", "应为 intake 或 issued")
        fill_text = entry.get("fill", str, "")
        result[field_id] = FieldDef(
            id=field_id,
            label=entry.get("label", str),
            type=ftype,
            section=section,
            fill=parse_fill(entry, field_id, fill_text) if fill_text else None,
            editable=entry.get("editable", bool, False),
            origin=origin,
            options=options,
            past=entry.get("past", bool, False),
        )
        if result[field_id].past and ftype != "date":
            raise entry.error("past", "只有日期字段可以设置 past")
    return sections, result


def _load_materials(path: Path, fields: dict[str, FieldDef]) -> dict[str, Material]:
    data = _read(path)
    result: dict[str, Material] = {}
    for material_id, raw in _Entry(path.name, "materials", data.get("materials")).data.items():
        entry = _Entry(path.name, material_id, raw)
        entry.check_keys({"name", "exempt", "when", "collected"})
        collected = entry.get("collected", bool, False)
        rules = []
        for i, rule_raw in enumerate(entry.get("exempt", list, [])):
            rule_entry = _Entry(path.name, f"{material_id}.exempt[{i}]", rule_raw)
            rule = _exempt_rule(rule_entry, fields)
            if collected:
                raise rule_entry.error("kind", "须收缴原件的材料（collected）不能免交，电子证照不能代替收缴")
            rules.append(rule)
        when = None
        when_text = entry.get("when", str, "")
        if when_text:
            field_id, _, value = when_text.partition("=")
            definition = fields.get(field_id)
            if definition is None or value not in definition.options:
                raise entry.error("when", f"应为 选择型字段=选项，当前为 {when_text!r}")
            when = Condition(field_id, value)
        result[material_id] = Material(material_id, entry.get("name", str), tuple(rules), when, collected)
    return result


def _exempt_rule(rule_entry: _Entry, fields: dict[str, FieldDef]) -> ExemptRule:
    """An exemption must name a source the hall can query and a fact that ties it to this case."""
    raw = rule_entry.data
    if raw.get("kind") == "government":
        raise rule_entry.error("kind", "“政府部门核发”无法核验：请写明可查询的电子证照类型（elicence）"
                                       "或共享核验项（shared），或改为告知承诺（commitment）")
    rule_entry.check_keys(set(ExemptRule.__dataclass_fields__))
    rule = ExemptRule(**{k: rule_entry.get(k, str) for k in raw})
    if rule.kind not in EXEMPT_KINDS:
        raise rule_entry.error("kind", f"未知的免提交类型 {rule.kind!r}")
    required = {"elicence": ("licence", "holder"), "shared": ("check", "holder"),
                "produced": ("matter",), "commitment": ("basis",)}[rule.kind]
    for key in required:
        if not getattr(rule, key):
            raise rule_entry.error(key, f"{rule.kind} 类型必须给出此项")
    if rule.kind == "shared":
        if rule.check not in SHARED_CHECKS:
            raise rule_entry.error("check", f"未知的共享核验 {rule.check!r}（可选：{'、'.join(SHARED_CHECKS)}）")
        source = SHARED_CHECKS[rule.check][1]
        if rule.source and rule.source != source:
            raise rule_entry.error("source", f"核验项 {rule.check} 查询的是“{source}”，与写明的来源“{rule.source}”不符")
    if rule.kind == "elicence":
        if rule.licence in GROUP_LICENCES:
            raise rule_entry.error("licence", GROUP_LICENCES[rule.licence])
        if rule.licence in TIED_LICENCES and not rule.match:
            raise rule_entry.error("match", TIED_LICENCES[rule.licence])
        if rule.match and rule.match not in fields:
            raise rule_entry.error("match", f"未定义的字段 {rule.match!r}")
    return rule


def _load_matters(path: Path, fields: dict[str, FieldDef], materials: dict[str, Material]) -> dict[str, Matter]:
    data = _read(path)
    result: dict[str, Matter] = {}
    for code, raw in _Entry(path.name, "matters", data.get("matters")).data.items():
        entry = _Entry(path.name, code, raw)
        entry.check_keys({"name", "department", "statutory_days", "promised_days", "fee", "fields",
                          "materials", "after", "rules", "contribution"})
        requirements = []
        for item in entry.get("fields", list):
            if isinstance(item, str):
                item = {"id": item}
            item_entry = _Entry(path.name, code, item)
            item_entry.check_keys({"id", "required", "max_length"})
            field_id = item_entry.get("id", str)
            if field_id not in fields:
                raise entry.error("fields", f"未定义的字段 {field_id!r}")
            requirements.append(
                FieldRequirement(field_id, item_entry.get("required", bool, True),
                                 item_entry.get("max_length", int, None))
            )
        material_ids = entry.strings("materials")
        for material_id in material_ids:
            if material_id not in materials:
                raise entry.error("materials", f"未定义的材料 {material_id!r}")
        rules = entry.strings("rules", ())
        for rule in rules:
            if rule not in RULES:
                raise entry.error("rules", f"未知的前置条件规则 {rule!r}")
        statutory = entry.get("statutory_days", int)
        promised = entry.get("promised_days", int)
        if not 0 < promised <= statutory:
            raise entry.error("promised_days", "承诺时限应大于0且不超过法定时限")
        result[code] = Matter(
            code=code, name=entry.get("name", str), department=entry.get("department", str),
            statutory_days=statutory, promised_days=promised, fee=entry.get("fee", str),
            fields=tuple(requirements), materials=material_ids,
            after=entry.strings("after", ()), rules=rules, contribution=entry.get("contribution", str, ""),
        )
    for matter in result.values():
        for prior in matter.after:
            if prior not in result:
                raise CatalogError(path.name, matter.code, "after", f"未定义的前置事项 {prior!r}")
    return result


def _load_bundles(path: Path, matters: dict[str, Matter]) -> dict[str, Bundle]:
    data = _read(path)
    result: dict[str, Bundle] = {}
    for code, raw in _Entry(path.name, "bundles", data.get("bundles")).data.items():
        entry = _Entry(path.name, code, raw)
        entry.check_keys({"name", "initials", "matters", "optional_matters", "promised_days",
                          "key_subject", "applicant_default", "complete", "questions"})
        complete = entry.get("complete", bool)
        bundle = Bundle(
            code=code, name=entry.get("name", str), initials=entry.get("initials", str),
            complete=complete,
            matters=entry.strings("matters", () if not complete else ...),
            optional_matters=entry.strings("optional_matters", ()),
            promised_days=entry.get("promised_days", int, 0),
            key_subject=entry.get("key_subject", str, ""),
            applicant_default=entry.get("applicant_default", str, ""),
            questions=tuple(entry.get("questions", dict, {}).items()),
        )
        asked = {code for code, _ in bundle.questions}
        if asked != set(bundle.optional_matters):
            raise entry.error("questions", "每个可选事项须有且仅有一个提问（由申请人的回答决定是否办理）")
        if not all(isinstance(q, str) and q for _, q in bundle.questions):
            raise entry.error("questions", "提问应为非空字符串")
        if complete:
            if not bundle.key_subject:
                raise entry.error("key_subject", "完整的一件事必须给出主查询对象")
            if bundle.promised_days <= 0:
                raise entry.error("promised_days", "完整的一件事必须给出承诺时限")
            _check_bundle_order(entry, bundle, matters)
            _check_promise(entry, bundle, matters)
        result[code] = bundle
    return result


def chain_days(matters: list[Matter] | tuple[Matter, ...], limit: str = "promised_days") -> int:
    """Working days of the longest `after` chain (critical path): a matter starts when the
    matters it depends on are done, the others run in parallel."""
    done: dict[str, int] = {}
    codes = {m.code for m in matters}
    for matter in matters:  # in handling order: every prior comes first (checked at load)
        start = max((done[p] for p in matter.after if p in codes), default=0)
        done[matter.code] = start + getattr(matter, limit)
    return max(done.values(), default=0)


def _check_promise(entry: _Entry, bundle: Bundle, matters: dict[str, Matter]) -> None:
    """The bundle's promise must be one its own chain can honour, whatever the answers."""
    chosen = [matters[c] for c in bundle.matters + bundle.optional_matters]
    chain = chain_days(chosen)
    if bundle.promised_days < chain:
        path = "、".join(f"{m.code}({m.promised_days})" for m in chosen)
        raise entry.error("promised_days", f"承诺{bundle.promised_days}个工作日短于事项前后衔接所需的"
                                           f"{chain}个工作日（{path}）")


def _check_bundle_order(entry: _Entry, bundle: Bundle, matters: dict[str, Matter]) -> None:
    seen: set[str] = set()
    for code in bundle.matters + bundle.optional_matters:
        if code not in matters:
            raise entry.error("matters", f"未定义的事项 {code!r}")
        for prior in matters[code].after:
            if prior not in seen:
                raise entry.error("matters", f"事项 {code} 须排在其前置事项 {prior} 之后")
        seen.add(code)


def load_catalog(directory: Path | None = None) -> Catalog:
    directory = directory or DATA_DIR
    sections, fields = _load_fields(directory / "fields.toml")
    materials = _load_materials(directory / "materials.toml", fields)
    matters = _load_matters(directory / "matters.toml", fields, materials)
    bundles = _load_bundles(directory / "bundles.toml", matters)
    return Catalog(sections, fields, materials, matters, bundles, version=_fingerprint(directory))


def _fingerprint(directory: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in ("fields.toml", "materials.toml", "matters.toml", "bundles.toml"):
        digest.update((directory / name).read_bytes())
    return digest.hexdigest()[:16]


@cache
def default_catalog() -> Catalog:
    """The shipped catalog, loaded once per process."""
    return load_catalog()
