"""Prefill of a merged form from shared data (population and enterprise
registries, e-licences), keeping for every value where it came from.

The form's values are a pure function of three things held here: what the clerk
typed (`entries`), the shared-data records fetched so far (`records`) and the
registries that could not be reached (`unreachable`). That keeps the rules
simple: changing a key number re-derives everything from it, and a late answer
from a registry verifies what was typed without overwriting it.

The engine does no I/O. `lookups_needed()` says which records to fetch; the
caller fetches them (over HTTP, in a worker) and hands them to `add_record()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from window_tui.domain.catalog import FillSpec
from window_tui.domain.fieldcheck import check_value
from window_tui.domain.forms import FormField, MergedForm
from window_tui.domain.shared import LookupKey, SharedRecord, rule_lookup
from window_tui.domain.validators import Validation, validate_id_number, validate_uscc

REGISTRY_SOURCES = {
    "person": "公安人口库",
    "birth": "卫健出生医学证明库",
    "social": "人社社保信息库",
    "fund": "住房公积金信息库",
    "death": "卫健民政死亡殡葬信息",
    "enterprise": "市场监管企业登记库",
    "elicence": "电子证照库",
    "clock": "系统默认",
}


class ValueState(StrEnum):
    EMPTY = "empty"
    PREFILLED = "prefilled"  # from a registry
    DEFAULT = "default"  # a system default or a copy from another person; editable
    MANUAL = "manual"  # typed; no registry holds it
    UNVERIFIED = "unverified"  # typed while the registry was unreachable: 人工录入，待核验
    VERIFIED = "verified"  # typed, then confirmed by the registry
    MISMATCH = "mismatch"  # typed, then contradicted by the registry: raised to the clerk
    OVERRIDDEN = "overridden"  # registry value changed by the clerk, with a reason


STATE_LABELS = {
    ValueState.EMPTY: "",
    ValueState.PREFILLED: "共享",
    ValueState.DEFAULT: "默认",
    ValueState.MANUAL: "录入",
    ValueState.UNVERIFIED: "录入·待核验",
    ValueState.VERIFIED: "录入·已核验",
    ValueState.MISMATCH: "与共享数据不一致",
    ValueState.OVERRIDDEN: "已更正",
}


class LockedFieldError(ValueError):
    """A locked (authoritative) value may only be changed by an override with a reason."""


@dataclass(frozen=True)
class Entry:
    """What the clerk typed for a field."""

    value: str
    reason: str = ""  # required to override a locked value
    typed_while_unreachable: bool = False


@dataclass(frozen=True)
class FieldValue:
    value: str
    state: ValueState
    source: str = ""
    record_date: str = ""
    locked: bool = False
    original: str | None = None  # the registry's value, when the clerk's differs
    reason: str = ""

    @property
    def label(self) -> str:
        text = STATE_LABELS[self.state]
        if self.source and self.state in (ValueState.PREFILLED, ValueState.VERIFIED, ValueState.DEFAULT):
            text = self.source if self.state != ValueState.VERIFIED else f"已核验·{self.source}"
        return text


_MISSING = object()


@dataclass
class FormData:
    form: MergedForm
    today: date = field(default_factory=date.today)
    entries: dict[str, Entry] = field(default_factory=dict)
    records: dict[LookupKey, SharedRecord | None] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    _memo: dict[str, FieldValue] | None = field(default=None, repr=False, compare=False)

    # --- what the clerk does -----------------------------------------------------------

    def enter(self, field_id: str, raw: str) -> Validation:
        """Type a value. Invalid text is kept (nothing is lost) and reported."""
        form_field = self.form.field(field_id)
        current = self.value(field_id)
        if current.locked and raw.strip() != current.value:
            raise LockedFieldError(
                f"{form_field.label}来自{current.source}，已锁定；如需更改请使用“更正”并填写理由"
            )
        if not raw.strip():
            self.entries.pop(field_id, None)
            return Validation(True, "")
        spec = form_field.definition.fill
        unreachable = bool(spec and spec.registry in self.unreachable)
        self.entries[field_id] = Entry(raw.strip(), typed_while_unreachable=unreachable)
        return self.check(field_id)

    def override(self, field_id: str, raw: str, reason: str) -> Validation:
        if not reason.strip():
            raise ValueError("更正共享数据必须填写理由")
        self.entries[field_id] = Entry(raw.strip(), reason=reason.strip())
        return self.check(field_id)

    def clear(self, field_id: str) -> None:
        self.entries.pop(field_id, None)

    def mark_unreachable(self, registry: str) -> None:
        self.unreachable.add(registry)

    def add_record(self, key: LookupKey, record: SharedRecord | None) -> None:
        """A registry answered (None: it holds nothing for that key)."""
        self.records[key] = record
        self.unreachable.discard(key.registry)

    # --- what the form shows ---------------------------------------------------------

    def value(self, field_id: str) -> FieldValue:
        if self._memo is not None and field_id in self._memo:
            return self._memo[field_id]
        value = self._resolve(field_id, set())
        if self._memo is not None:
            self._memo[field_id] = value
        return value

    def values(self) -> dict[str, FieldValue]:
        with self._memoised():
            return {f.id: self.value(f.id) for f in self.form.fields}

    @contextmanager
    def _memoised(self) -> Iterator[None]:
        """Within one read of the whole form, resolve each field once (nothing changes meanwhile)."""
        outer = self._memo is not None
        if not outer:
            self._memo = {}
        try:
            yield
        finally:
            if not outer:
                self._memo = None

    def check(self, field_id: str) -> Validation:
        form_field = self.form.field(field_id)
        current = self.value(field_id)
        return check_value(form_field.definition.type, form_field.label, current.value,
                           options=form_field.definition.options, max_length=form_field.max_length,
                           not_after=self.today if form_field.definition.past else None)

    def errors(self) -> dict[str, str]:
        """Chinese messages for every required intake field that is empty or invalid."""
        with self._memoised():
            return self._errors()

    def _errors(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        for form_field in self.form.intake_fields:
            current = self.value(form_field.id)
            if not current.value:
                if form_field.required:
                    problems[form_field.id] = f"{form_field.label}为必填项"
                continue
            result = self.check(form_field.id)
            if not result.ok:
                problems[form_field.id] = result.error
        return problems

    def mismatches(self) -> dict[str, tuple[str, str]]:
        """Fields typed by hand that the registry contradicts: (typed, registry)."""
        out = {}
        for field_id, current in self.values().items():
            if current.state == ValueState.MISMATCH and current.original is not None:
                out[field_id] = (current.value, current.original)
        return out

    def lookups_needed(self) -> set[LookupKey]:
        needed: set[LookupKey] = set()
        for form_field in self.form.fields:
            spec = form_field.definition.fill
            if spec is None or spec.registry == "clock" or spec.registry in self.unreachable:
                continue
            key = self._lookup_key(spec)
            if key is not None and key not in self.records:
                needed.add(key)
        # Materials may be exempt by a shared-data check or an e-licence: fetch those too.
        for material in self.form.materials:
            for rule in material.exempt:
                target = rule_lookup(rule)
                if target is None or target[0] in self.unreachable:
                    continue
                registry, subject = target
                key_value = self.subject_key(subject)
                if key_value and LookupKey(registry, key_value) not in self.records:
                    needed.add(LookupKey(registry, key_value))
        return needed

    # --- resolution ----------------------------------------------------------------------

    def subject_key(self, subject: str, *, registry: str = "person") -> str | None:
        """The valid identifier of a subject (ID number, or credit code for enterprises)."""
        if subject == "enterprise":
            field_id, validate = "enterprise.uscc", validate_uscc
        else:
            field_id, validate = f"{subject}.id_number", validate_id_number
        if not self.form.has(field_id):
            return None
        value = self.value(field_id).value
        if not value:
            return None
        result = validate(value)
        return result.value if result.ok else None

    def _lookup_key(self, spec: FillSpec) -> LookupKey | None:
        key = self.subject_key(spec.key_subject, registry=spec.registry)
        return LookupKey(spec.registry, key) if key else None

    def _registry_value(self, spec: FillSpec, visiting: set[str]) -> tuple[Any, SharedRecord | None]:
        if spec.registry == "clock":
            if spec.attribute == "year":
                return str(self.today.year), None
            if spec.attribute == "today":
                return self.today.isoformat(), None
            return _MISSING, None
        key = self._lookup_key(spec)
        if key is None:
            return _MISSING, None
        record = self.records.get(key)
        if record is None:
            return _MISSING, None
        if spec.registry == "elicence":
            for licence in record.attributes.get("licences", []):
                if licence.get("type") == spec.attribute:
                    return licence.get("number", _MISSING), record
            return _MISSING, record
        value = record.attributes.get(spec.attribute, _MISSING)
        if spec.index_subject and isinstance(value, dict):
            index = self.subject_key(spec.index_subject)
            value = value.get(index, _MISSING) if index else _MISSING
        return value, record

    def _resolve(self, field_id: str, visiting: set[str]) -> FieldValue:
        if field_id in visiting:  # a cycle in fill specs: treat as empty rather than recurse
            return FieldValue("", ValueState.EMPTY)
        visiting = visiting | {field_id}
        form_field: FormField | None = self.form.get(field_id)
        if form_field is None:
            return FieldValue("", ValueState.EMPTY)
        definition = form_field.definition
        entry = self.entries.get(field_id)
        registry_value: Any = _MISSING
        record: SharedRecord | None = None
        if definition.fill is not None:
            registry_value, record = self._registry_value(definition.fill, visiting)
        if registry_value is not _MISSING and registry_value is not None:
            registry_text = str(registry_value)
            source = REGISTRY_SOURCES[definition.fill.registry] if definition.fill else ""
            record_date = record.record_date if record else self.today.isoformat()
            is_default = definition.fill is not None and definition.fill.registry == "clock"
            locked = not definition.editable and not is_default
            if entry is None or entry.value == registry_text:
                if entry is not None and entry.typed_while_unreachable:
                    return FieldValue(registry_text, ValueState.VERIFIED, source, record_date)
                state = ValueState.DEFAULT if is_default else ValueState.PREFILLED
                return FieldValue(registry_text, state, source, record_date, locked=locked)
            if entry.reason:
                return FieldValue(entry.value, ValueState.OVERRIDDEN, source, record_date,
                                  original=registry_text, reason=entry.reason)
            if entry.typed_while_unreachable:
                return FieldValue(entry.value, ValueState.MISMATCH, source, record_date,
                                  original=registry_text)
            # An editable value changed by the clerk: keep the registry's for the record.
            return FieldValue(entry.value, ValueState.MANUAL, source, record_date, original=registry_text)
        if entry is not None:
            # Typed while the registry was down and not confirmed since: 待核验.
            unverified = entry.typed_while_unreachable and definition.fill is not None
            return FieldValue(entry.value, ValueState.UNVERIFIED if unverified else ValueState.MANUAL,
                              reason=entry.reason)
        default = self._default(field_id, visiting)
        if default is not None:
            return default
        return FieldValue("", ValueState.EMPTY)

    def _default(self, field_id: str, visiting: set[str]) -> FieldValue | None:
        # "applicant_default": the applicant is, unless the clerk says otherwise, this person.
        other = self.form.bundle.applicant_default
        if other and field_id == "applicant.id_number":
            copied = self._resolve(f"{other}.id_number", visiting)
            if copied.value:
                return FieldValue(copied.value, ValueState.DEFAULT, source=f"同{_SUBJECT_NAMES.get(other, other)}")
        return None

    # --- serialisation -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": {k: {"value": e.value, "reason": e.reason, "unreachable": e.typed_while_unreachable}
                        for k, e in self.entries.items()},
            "records": [r.to_json() if r else {"registry": k.registry, "key": k.key, "missing": True}
                        for k, r in self.records.items()],
            "unreachable": sorted(self.unreachable),
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.entries = {k: Entry(v["value"], v.get("reason", ""), v.get("unreachable", False))
                        for k, v in data.get("entries", {}).items()}
        self.records = {}
        for item in data.get("records", []):
            key = LookupKey(item["registry"], item["key"])
            self.records[key] = None if item.get("missing") else SharedRecord.from_json(item)
        self.unreachable = set(data.get("unreachable", []))


_SUBJECT_NAMES = {"mother": "母亲", "father": "父亲", "applicant": "申请人", "deceased": "逝者",
                  "legal_rep": "法定代表人", "enterprise": "企业", "newborn": "新生儿"}


Fetcher = Callable[[LookupKey], SharedRecord | None]


class RegistryUnavailable(Exception):
    """A registry could not be reached (network down, platform error)."""


def run_prefill(data: FormData, fetch: Fetcher, *, max_rounds: int = 10) -> int:
    """Fetch until nothing more is needed; returns the number of lookups made.

    Synchronous, for tests, the efficiency report and the sync engine; the console
    runs the same loop in a worker with an async fetcher.
    """
    made = 0
    for _ in range(max_rounds):
        needed = sorted(data.lookups_needed(), key=lambda k: (k.registry, k.key))
        if not needed:
            break
        for key in needed:
            try:
                record = fetch(key)
            except RegistryUnavailable:
                data.mark_unreachable(key.registry)
                continue
            data.add_record(key, record)
            made += 1
    return made


def typed_fields(data: FormData, fields: Iterable[FormField]) -> list[str]:
    """Intake fields whose value the clerk had to type (not prefilled or defaulted)."""
    typed = []
    for form_field in fields:
        state = data.value(form_field.id).state
        if state in (ValueState.MANUAL, ValueState.UNVERIFIED, ValueState.VERIFIED,
                     ValueState.MISMATCH, ValueState.OVERRIDDEN):
            typed.append(form_field.id)
    return typed
