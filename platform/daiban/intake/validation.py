"""Validate what was entered on a matter's intake form: types, visibility, requiredness, groups.

Order of work: every value is loaded by the matter's schema (type, format, bounds); then
`visible_when` and `required_when` are decided on the loaded values, top level and inside each
group entry (an entry's rules see the top-level values with the entry's own values shadowing
them, as docs/config.md §3.10 says); hidden values are dropped and never required; last, empty
required fields and group sizes are reported. A rule that cannot be evaluated yet (an ordering
comparison with an empty field, age() of a missing ID number) leaves its field visible and does
not make it required: the form should not hide questions or demand answers on a guess.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from marshmallow import Schema, ValidationError

from daiban.catalog import idnumbers
from daiban.catalog.model import FormField, Matter
from daiban.intake.decide import decide
from daiban.intake.schema import Group, build_schema, is_blank, quoted

# Visibility that depends on fields which are themselves hidden settles in a pass or two; a
# config whose visible_when rules chase each other in a circle is cut off here instead of looping.
_MAX_PASSES = 8


@dataclass(frozen=True)
class IntakeResult:
    """What came of validating a form.

    `values`: the cleaned, typed values of visible fields that hold one (group entries likewise).
    `errors`: messages by path, a field id or `members.0.id_number` inside a group entry.
    `visible`, `required`: paths of the fields shown and required now (entries included).
    `derived`: `{path}.birth_date` (YYYY-MM-DD), `{path}.sex` ('male'/'female') and `{path}.age`
    (on `today`) for every valid ID number.
    `rule_values`: every top-level field as rules see it (empty or hidden is None; a group is a
    list of maps holding every field of the entry).
    """

    values: dict
    errors: dict[str, list[str]]
    visible: frozenset[str]
    required: frozenset[str]
    derived: dict
    rule_values: dict

    @property
    def ok(self) -> bool:
        """True when nothing needs correcting."""
        return not self.errors

    def has_errors(self, field_id: str) -> bool:
        """True when the field, or anything inside it (a group's entries), has an error."""
        prefix = f"{field_id}."
        return any(path == field_id or path.startswith(prefix) for path in self.errors)


class _Version:
    """A matter as a cache key: one schema per (code, version, content hash)."""

    __slots__ = ("matter", "key")

    def __init__(self, matter: Matter):
        self.matter = matter
        self.key = (matter.code, matter.version, matter.content_hash)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Version) and other.key == self.key


@lru_cache(maxsize=256)
def _schema(version: _Version) -> type[Schema]:
    matter = version.matter
    return build_schema(matter.fields, name=f"{matter.code} 第{matter.version}版 表单")


def schema_for(matter: Matter) -> type[Schema]:
    """The marshmallow schema of the matter's form, built once per matter version."""
    return _schema(_Version(matter))


def _messages(error: ValidationError) -> list[str]:
    found = error.messages
    if isinstance(found, str):
        return [found]
    if isinstance(found, dict):  # not expected from our fields; flatten rather than lose it
        return [str(m) for ms in found.values() for m in (ms if isinstance(ms, list) else [ms])]
    return [str(m) for m in found]


def _load(schema: Schema, raw: Mapping, prefix: str, errors: dict) -> dict:
    """Load every field of one scope by type; a value that does not load becomes None."""
    loaded = {}
    for name, field in schema.fields.items():
        path = prefix + name
        value = raw.get(name)
        if isinstance(field, Group):
            loaded[name] = _load_entries(field, value, path, errors)
            continue
        try:
            loaded[name] = field.deserialize(value)
        except ValidationError as exc:
            loaded[name] = None
            errors[path] = _messages(exc)
    return loaded


def _load_entries(field: Group, value, path: str, errors: dict) -> list[dict] | None:
    if is_blank(value):
        return None
    if not isinstance(value, (list, tuple)):
        errors[path] = [field.error_messages["invalid"]]
        return None
    entries = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            errors[f"{path}.{index}"] = [field.inner.error_messages["type"]]
            item = {}
        entries.append(_load(field.entry_schema, item, f"{path}.{index}.", errors))
    return entries


def _rule_scope(form_fields: tuple[FormField, ...], scope: Mapping) -> dict:
    """One scope as rules see it: every field present, None when empty, groups as lists of maps."""
    seen = {}
    for f in form_fields:
        value = scope.get(f.id)
        if f.type == "group" and value is not None:
            value = [_rule_scope(f.fields, entry) for entry in value]
        seen[f.id] = value
    return seen


def _walk(form_fields, scope: Mapping, outer: Mapping, prefix: str, today: datetime.date,
          visible: set, required: set) -> None:
    """Decide visibility and requiredness of one scope and, recursively, of its group entries."""
    context = {**outer, **_rule_scope(form_fields, scope)}
    for f in form_fields:
        path = prefix + f.id
        if f.visible_when and decide(f.visible_when, context, today) is False:
            continue
        visible.add(path)
        if f.required or (f.required_when and decide(f.required_when, context, today) is True):
            required.add(path)
        if f.type == "group":
            for index, entry in enumerate(scope.get(f.id) or ()):
                _walk(f.fields, entry, context, f"{path}.{index}.", today, visible, required)


def _shown(form_fields, scope: Mapping, visible: set, prefix: str) -> dict:
    """The scope with the values of hidden fields dropped (set to None)."""
    kept = {}
    for f in form_fields:
        path = prefix + f.id
        value = scope.get(f.id) if path in visible else None
        if f.type == "group" and value is not None:
            value = [_shown(f.fields, entry, visible, f"{path}.{i}.") for i, entry in enumerate(value)]
        kept[f.id] = value
    return kept


def _settle(matter: Matter, loaded: dict, today: datetime.date) -> tuple[dict, set, set]:
    """Visibility decided on the values that stay visible, repeated until nothing changes."""
    current = loaded
    for _ in range(_MAX_PASSES):
        visible, required = set(), set()
        _walk(matter.fields, current, {}, "", today, visible, required)
        settled = _shown(matter.fields, loaded, visible, "")
        if settled == current:
            break
        current = settled
    return settled, visible, required


@dataclass
class _Report:
    """What `_finish` collects while walking the settled values."""

    visible: set
    required: set
    type_errors: dict
    today: datetime.date
    errors: dict
    derived: dict


def _finish(schema: Schema, scope: Mapping, prefix: str, report: _Report) -> dict:
    """Collect errors of visible fields in form order, derive ID facts, return the cleaned values."""
    cleaned = {}
    errors = report.errors
    for name, field in schema.fields.items():
        f: FormField = field.metadata["form_field"]
        path = prefix + name
        value = scope.get(name)
        if path not in report.visible:
            continue  # a hidden field's value and errors are dropped
        if path in report.type_errors:
            errors[path] = list(report.type_errors[path])
        if value is None:
            if path in report.required and path not in errors:
                errors[path] = [f"请填写{quoted(f.label)}"]
            continue
        if isinstance(field, Group):
            try:
                for validator in field.validators:  # the group's own min_items / max_items check
                    validator(value)
            except ValidationError as exc:
                errors.setdefault(path, []).extend(_messages(exc))
            entries = []
            for index, entry in enumerate(value):
                if f"{path}.{index}" in report.type_errors:
                    errors[f"{path}.{index}"] = list(report.type_errors[f"{path}.{index}"])
                entries.append(_finish(field.entry_schema, entry, f"{path}.{index}.", report))
            value = entries
        elif f.type == "id_number" and idnumbers.birth_date_of(value) > report.today:
            # The field checked against the real date; the form may be judged on another day.
            born = idnumbers.birth_date_of(value)
            errors[path] = [f"{quoted(f.label)}中的出生日期 {born} 晚于今天，请核对号码"]
            continue
        elif f.type == "id_number":
            report.derived[f"{path}.birth_date"] = idnumbers.birth_date_of(value).isoformat()
            report.derived[f"{path}.sex"] = idnumbers.sex_of(value)
            report.derived[f"{path}.age"] = idnumbers.age_on(value, report.today)
        cleaned[name] = value
    return cleaned


def validate_intake(matter: Matter, values: Mapping, today: datetime.date) -> IntakeResult:
    """Validate raw form values against the matter's form on `today`; never raises on bad input."""
    schema = schema_for(matter)()
    raw = values if isinstance(values, Mapping) else {}
    type_errors: dict[str, list[str]] = {}
    loaded = _load(schema, raw, "", type_errors)
    settled, visible, required = _settle(matter, loaded, today)
    report = _Report(visible, required, type_errors, today, errors={}, derived={})
    cleaned = _finish(schema, settled, "", report)
    return IntakeResult(
        values=cleaned,
        errors=report.errors,
        visible=frozenset(visible),
        required=frozenset(required),
        derived=report.derived,
        rule_values=_rule_scope(matter.fields, settled),
    )
