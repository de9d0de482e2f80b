"""JSON Schemas under `schemas/`: loading, validation with plain-Chinese messages, and defaults.

Defaults are declared in the schemas, so config files hold only what differs; `fill_defaults`
returns a copy with them applied, which is what the compiler sees.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker, validators
from referencing import Registry, Resource

from daiban.catalog.sources import join_pointer

SCHEMA_FILES = {
    "matter": "matter.schema.json",
    "role": "role.schema.json",
    "org": "org.schema.json",
    "calendar": "calendar.schema.json",
    "domains": "domains.schema.json",
    "workflow": "workflow.schema.json",
    "supervision": "supervision.schema.json",
    "security": "security.schema.json",
}

TYPE_NAMES = {
    "object": "映射（键: 值）",
    "array": "列表",
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "布尔值（true 或 false）",
    "null": "空值",
}


def schemas_dir() -> Path:
    """Folder holding the JSON Schemas: $DAIBAN_SCHEMAS, else `schemas/` of the source tree."""
    configured = os.environ.get("DAIBAN_SCHEMAS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "schemas"


@lru_cache(maxsize=4)
def _load(folder: str) -> tuple[dict, Registry]:
    schemas = {}
    resources = []
    for path in sorted(Path(folder).glob("*.schema.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(document)
        # Register under both the $id and the bare file name so relative $refs resolve.
        resources.append((document["$id"], resource))
        resources.append((path.name, resource))
        schemas[path.name] = document
    return schemas, Registry().with_resources(resources)


def load_schema(kind: str, folder: Path | None = None) -> tuple[dict, Registry]:
    """Return the schema for a kind of config file ('matter', 'role', …) and the shared registry."""
    schemas, registry = _load(str(folder or schemas_dir()))
    return schemas[SCHEMA_FILES[kind]], registry


def _validator(kind: str, folder: Path | None = None, cls=Draft202012Validator):
    schema, registry = load_schema(kind, folder)
    return cls(schema, registry=registry, format_checker=FormatChecker())


def _type_name(value) -> str:
    if isinstance(value, bool):
        return TYPE_NAMES["boolean"]
    if isinstance(value, dict):
        return TYPE_NAMES["object"]
    if isinstance(value, list):
        return TYPE_NAMES["array"]
    if isinstance(value, str):
        return TYPE_NAMES["string"]
    if isinstance(value, int):
        return TYPE_NAMES["integer"]
    if isinstance(value, float):
        return TYPE_NAMES["number"]
    if value is None:
        return TYPE_NAMES["null"]
    return type(value).__name__


def _show(value) -> str:
    if isinstance(value, str):
        return f"“{value}”"
    return json.dumps(value, ensure_ascii=False)


def _hint(word, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f"，是不是 “{close[0]}”？" if close else ""


def _allowed_keys(schema: dict, resolver) -> list[str]:
    keys = list(schema.get("properties", {}))
    parts = [s for s in schema.get("allOf", []) if isinstance(s, dict)]
    if "$ref" in schema:
        parts.append({"$ref": schema["$ref"]})
    for sub in parts:
        if "$ref" in sub and resolver is not None:
            sub = resolver.lookup(sub["$ref"]).contents
        keys.extend(sub.get("properties", {}))
    return keys


def translate(error, pointer: str, resolver=None) -> list[tuple[str, str]]:
    """Turn one jsonschema error into (pointer, plain-Chinese message) pairs."""
    kind = error.validator
    value = error.validator_value
    instance = error.instance
    if kind == "required":
        match = re.match(r"^'(.+)' is a required property", error.message)
        name = match.group(1) if match else "?"
        return [(pointer, f"缺少必填项 “{name}”")]
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = _allowed_keys(error.schema, resolver)
        extras = [k for k in instance if k not in allowed] if isinstance(instance, dict) else []
        return [
            (join_pointer(pointer, key), f"不认识的键 “{key}”{_hint(key, allowed)}")
            for key in extras
        ] or [(pointer, "有不认识的键")]
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        names = "或".join(TYPE_NAMES.get(t, t) for t in wanted)
        return [(pointer, f"这里应当是{names}，实际是{_type_name(instance)}")]
    if kind == "enum":
        options = "、".join(str(v) for v in value)
        return [(pointer, f"{_show(instance)} 不是允许的取值{_hint(instance, value)}（可选：{options}）")]
    if kind == "const":
        return [(pointer, f"这里只能是 {_show(value)}")]
    if kind == "minimum":
        return [(pointer, f"不能小于 {value}（现在是 {instance}）")]
    if kind == "maximum":
        return [(pointer, f"不能大于 {value}（现在是 {instance}）")]
    if kind == "minLength":
        return [(pointer, "不能为空" if value == 1 else f"至少 {value} 个字符")]
    if kind == "maxLength":
        return [(pointer, f"最多 {value} 个字符（现在 {len(instance)} 个）")]
    if kind == "pattern":
        rule = error.schema.get("description") or f"应匹配 {value}"
        return [(pointer, f"{_show(instance)} 格式不对：{rule}")]
    if kind == "format":
        if value == "date":
            return [(pointer, f"{_show(instance)} 不是有效的日期（格式为 YYYY-MM-DD）")]
        return [(pointer, f"{_show(instance)} 不是有效的 {value}")]
    if kind == "minItems":
        return [(pointer, "列表不能为空" if value == 1 else f"至少需要 {value} 项")]
    if kind == "maxItems":
        return [(pointer, f"最多 {value} 项")]
    if kind == "uniqueItems":
        return [(pointer, "列表中有重复的项")]
    if kind == "minProperties":
        return [(pointer, "不能是空的映射")]
    if kind == "not":
        present = [k for k in value.get("required", []) if isinstance(instance, dict) and k in instance]
        if len(present) > 1:
            keys = " 与 ".join(f"“{k}”" for k in present)
            return [(pointer, f"{keys} 不能同时出现")]
        if present:
            keys = "、".join(f"“{k}”" for k in present)
            return [(pointer, f"这里不应有 {keys}")]
        return [(pointer, "这里的内容不被允许")]
    return [(pointer, error.message)]


def _error_pointer(error) -> str:
    pointer = ""
    for token in error.absolute_path:
        pointer = join_pointer(pointer, token)
    return pointer


def _leaves(errors):
    """Yield the most specific errors: a failed branch of an if/then or allOf says more."""
    for error in errors:
        if error.context and error.validator in ("anyOf", "oneOf"):
            yield from _leaves(error.context)
        else:
            yield error


def check_schema(kind: str, data, folder: Path | None = None) -> list[tuple[str, str]]:
    """Validate `data` against the schema of `kind`; return (pointer, message) for every error."""
    schema, registry = load_schema(kind, folder)
    resolver = registry.resolver(base_uri=schema["$id"])
    found = []
    for error in _leaves(_validator(kind, folder).iter_errors(data)):
        found.extend(translate(error, _error_pointer(error), resolver))
    return list(dict.fromkeys(found))


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


_DefaultFilling = _with_defaults(Draft202012Validator)


def fill_defaults(kind: str, data, folder: Path | None = None):
    """Return a deep copy of schema-valid `data` with every schema default filled in."""
    filled = copy.deepcopy(data)
    for _ in _validator(kind, folder, cls=_DefaultFilling).iter_errors(filled):
        pass
    return filled
