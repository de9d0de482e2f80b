"""An HTML form generated from a JSON Schema, for editing config documents such as matters.

The schema is walked generically: `$ref`s are resolved, `allOf` parts merged, and the properties of
`then`/`else` branches shown alongside the rest. Every input is named by the JSON pointer of the value
it holds (`/materials/2/deferrable/within/amount`), so validator errors land beside their input and
`parse` rebuilds the document from a plain form post. Lists are edited with submit buttons named `op`
(`add:/materials`, `remove:/materials/2`, `up:…`, `down:…`) that `apply_operation` carries out; no
JavaScript is needed. The markup starts with an invisible submit button `op=""`, so that Enter in a
text box (which presses a form's first submit button) saves instead of adding or moving an item.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup

from daiban.catalog.schemas import load_schema
from daiban.catalog.sources import join_pointer

LONG_TEXT = {"raw_text", "text", "help", "note", "notes", "description", "answer"}  # shown as textareas
SUMMARY_KEYS = ("name", "label", "title", "question", "text", "id")  # names a list item in its legend
MISSING = object()
_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_MISSING_KEY = re.compile(r"^缺少必填项 “(.+)”$")


@dataclass(eq=False)
class Node:
    """One part of the schema as the form sees it.

    kind is object, list (of objects), enums (checkboxes), lines (strings, one a line), enum,
    boolean, integer, number or text.
    """

    kind: str
    title: str = ""
    help: str = ""
    default: object = MISSING
    properties: dict[str, Node] = field(default_factory=dict)
    required: frozenset = frozenset()
    items: Node | None = None
    choices: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)


def _merge(pairs) -> tuple[dict, dict, set]:
    """Merge (schema, resolver) pairs with their `$ref`s and `allOf` parts; the first keyword wins.

    Returns the keywords (each with its resolver), the properties (key → list of (schema, resolver),
    including those of `then`/`else` branches) and the required keys.
    """
    info, props, required = {}, {}, set()
    for schema, resolver in pairs:
        if not isinstance(schema, dict):
            continue
        parts = [(part, resolver) for part in schema.get("allOf", [])]
        if "$ref" in schema:
            found = resolver.lookup(schema["$ref"])
            parts.insert(0, (found.contents, found.resolver))
        branches = [(schema.get(name), resolver) for name in ("then", "else")]
        own = ({k: (v, resolver) for k, v in schema.items()},
               {k: [(v, resolver)] for k, v in schema.get("properties", {}).items()},
               set(schema.get("required", [])))
        for part_info, part_props, part_required in (own, _merge(parts), ({}, _merge(branches)[1], set())):
            for key, value in part_info.items():
                info.setdefault(key, value)
            for key, subs in part_props.items():
                props.setdefault(key, []).extend(subs)
            required |= part_required
    return info, props, required


def _tokens(pointer: str) -> list[str]:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _text(value) -> str:
    if value is None or value is MISSING:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _blank(value) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    return value in ("", None, [])


class _Form:
    """What was submitted: a MultiDict, or a plain dict of values or lists of values."""

    def __init__(self, form):
        self.form = form
        self.keys = list(form.keys())

    def getlist(self, key) -> list:
        if hasattr(self.form, "getlist"):
            return list(self.form.getlist(key))
        value = self.form.get(key, [])
        return list(value) if isinstance(value, (list, tuple)) else [value]

    def indices(self, pointer: str) -> list[int]:
        prefix = pointer + "/"
        found = {k[len(prefix):].split("/", 1)[0] for k in self.keys if k.startswith(prefix)}
        return sorted(int(t) for t in found if _INDEX.match(t))


class SchemaForm:
    """A form for documents of one JSON Schema: render to HTML, parse a post back, edit lists."""

    def __init__(self, schema: dict | None = None, registry=None):
        """Build the form from `(schema, registry)`; by default the matter schema."""
        if schema is None:
            schema, registry = load_schema("matter")
        resolver = registry.resolver(base_uri=schema.get("$id", "")) if registry is not None else None
        self._memo: dict[tuple, Node] = {}
        self.root = self._node([(schema, resolver)])

    def _node(self, pairs: list) -> Node:
        key = tuple(id(schema) for schema, _ in pairs)
        if key in self._memo:  # a recursive structure: a group field's nested fields
            return self._memo[key]
        info, props, required = _merge(pairs)
        get = {k: v for k, (v, _) in info.items()}
        types = [get["type"]] if isinstance(get.get("type"), str) else get.get("type", [])
        types = [t for t in types if t != "null"]
        kind = "enum" if "enum" in get else types[0] if types else "object" if props else "text"
        node = Node(kind, title=get.get("title", ""), help=get.get("x-help", ""),
                    default=get.get("default", MISSING), choices=list(get.get("enum", [])),
                    labels=dict(get.get("x-enum-titles", {})), required=frozenset(required))
        self._memo[key] = node
        if kind == "object":
            node.properties = {k: self._node(v) for k, v in props.items()}
        elif kind == "array":
            node.items = self._node([info["items"]]) if "items" in info else Node("text")
            node.kind = {"object": "list", "enum": "enums"}.get(node.items.kind, "lines")
        elif kind not in ("enum", "boolean", "integer", "number"):
            node.kind = "text"
        return node

    def _walk(self, document, tokens: list[str], create: bool = False) -> list[tuple[Node, object]]:
        """(node, value) for the root and each token followed, as far as the form renders them.

        With `create`, missing lists and objects on the way are added (for `add:`).
        """
        node, value = self.root, document
        path = [(node, value)]
        for token in tokens:
            if node.kind == "object" and token in node.properties:
                node = node.properties[token]
                if create and isinstance(value, dict) and node.kind in ("object", "list"):
                    value.setdefault(token, {} if node.kind == "object" else [])
                value = value.get(token, MISSING) if isinstance(value, dict) else MISSING
            elif node.kind == "list" and isinstance(value, list) and _INDEX.match(token) \
                    and int(token) < len(value):
                node, value = node.items, value[int(token)]
            else:
                break
            path.append((node, value))
        return path

    def _anchor(self, pointer: str, message: str, document) -> tuple[str, str]:
        """Where an error is shown, and how: at its own part, else at the nearest rendered ancestor.

        A missing required key is shown at its (empty) input, named by its title.
        """
        tokens = _tokens(pointer)
        path = self._walk(document, tokens)
        anchor = "".join(join_pointer("", t) for t in tokens[:len(path) - 1])
        node = path[-1][0]
        missing = _MISSING_KEY.match(message)
        if node.kind == "object" and missing and missing.group(1) in node.properties:
            child = node.properties[missing.group(1)]
            return join_pointer(anchor, missing.group(1)), f"缺少必填项 “{child.title or missing.group(1)}”"
        return anchor, message

    def describe(self, pointer: str, message: str, document) -> tuple[str, str]:
        """Where a problem is, in the form's own titles (申请材料 › 第 3 项 › 材料名称), and what it
        is, in words; no JSON pointer."""
        return self.locate(pointer, message, document)[1:]

    def locate(self, pointer: str, message: str, document) -> tuple[str, str, str]:
        """The pointer of the part of the form that shows a problem, then `describe`'s two texts."""
        anchor, shown = self._anchor(pointer, message, document)
        tokens = _tokens(anchor)
        path = self._walk(document, tokens)
        names = [f"第 {int(token) + 1} 项" if _INDEX.match(token) else (node.title or token)
                 for (node, _), token in zip(path[1:], tokens, strict=False)]
        if len(path) - 1 < len(tokens):  # beyond what the form renders: name the rest as they are
            names.extend(tokens[len(path) - 1:])
        if _MISSING_KEY.match(message) and anchor != pointer:
            shown = "必填，尚未填写"
        return anchor, " › ".join(names) or "事项", shown

    def _empty(self, node: Node):
        """A new item: its required keys present but empty, so the author sees what to fill."""
        if node.kind == "object":
            return {k: self._empty(c) for k, c in node.properties.items() if k in node.required}
        return [] if node.kind in ("list", "enums", "lines") else ""

    def apply_operation(self, document: dict, op: str) -> dict:
        """Return a copy of `document` with one list operation done: `add:`, `remove:`, `up:`, `down:`."""
        verb, _, pointer = (op or "").partition(":")
        tokens = _tokens(pointer)
        changed = copy.deepcopy(document)
        if verb == "add" and tokens:
            path = self._walk(changed, tokens, create=True)
            node, items = path[-1]
            if len(path) == len(tokens) + 1 and node.kind == "list" and isinstance(items, list):
                items.append(self._empty(node.items))
                return changed
            return copy.deepcopy(document)
        if verb not in ("remove", "up", "down") or not tokens or not _INDEX.match(tokens[-1]):
            return changed
        path = self._walk(changed, tokens[:-1])
        node, items = path[-1]
        index = int(tokens[-1])
        other = {"up": index - 1, "down": index + 1}.get(verb, index)
        if len(path) < len(tokens) or node.kind != "list" or not isinstance(items, list) \
                or not 0 <= min(index, other) <= max(index, other) < len(items):
            return changed
        if verb == "remove":
            del items[index]
        else:
            items[index], items[other] = items[other], items[index]
        return changed

    def parse(self, form) -> dict:
        """Rebuild the document from submitted values (a MultiDict or a dict), typed per the schema."""
        value = self._parse(self.root, _Form(form), "", True)
        return value if isinstance(value, dict) else {}

    def _parse(self, node: Node, form: _Form, pointer: str, required: bool):
        if node.kind == "object":
            out = {}
            for key, child in node.properties.items():
                value = self._parse(child, form, join_pointer(pointer, key), key in node.required)
                if value is not MISSING and (key in node.required or not _blank(value)):
                    out[key] = value
            return out
        if node.kind == "list":  # items stay even when blank: the author added them
            items = [self._parse(node.items, form, f"{pointer}/{i}", True) for i in form.indices(pointer)]
            return items if items or required else MISSING
        raw = [v.replace("\r\n", "\n").replace("\r", "\n") for v in form.getlist(pointer)
               if isinstance(v, str)]
        if node.kind in ("enums", "lines"):
            if node.kind == "lines":
                raw = [line.strip() for text in raw for line in text.split("\n")]
            values = [self._scalar(node.items, v) for v in raw if v.strip()]
            return values if values or required else MISSING
        if not raw:
            return MISSING
        if not raw[0].strip():  # required: kept empty, so the error is shown at the input
            return "" if required else MISSING
        return self._scalar(node, raw[0])

    @staticmethod
    def _scalar(node: Node, raw: str):
        """One submitted string converted per the node's type; what does not convert stays the string."""
        text = raw.strip()
        if node.kind == "enum":
            return {_text(c): c for c in node.choices}.get(raw, raw)
        if node.kind == "boolean":
            return {"true": True, "false": False}.get(text, raw)
        if node.kind in ("integer", "number") and re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
        if node.kind == "number" and re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", text):
            number = float(text)
            return number if math.isfinite(number) else raw
        return raw

    def render(self, document: dict, errors=None, choices=None) -> Markup:
        """Render `document` as Bootstrap 4 form markup, each error (pointer, message) beside its part.

        `choices` maps a pointer to (value, label) pairs, turning that text input into a select
        (e.g. /domain from config/domains.yaml).
        """
        pairs = errors.items() if isinstance(errors, dict) else [(p, [m]) for p, m in errors or []]
        placed: dict[str, list[str]] = {}
        for pointer, messages in pairs:
            for message in [messages] if isinstance(messages, str) else messages:
                anchor, shown = self._anchor(pointer, message, document)
                placed.setdefault(anchor, []).append(shown)
        from daiban.admin.schema_markup import Renderer  # the markup builds on this module's Node

        return Renderer(placed, choices or {}).root(self.root, document)


@lru_cache(maxsize=1)
def matter_form() -> SchemaForm:
    """The form for the matter schema, built once."""
    return SchemaForm()


def apply_operation(document: dict, op: str, form: SchemaForm | None = None) -> dict:
    """Return a copy of a matter (or of a document of `form`'s schema) with one list operation done."""
    return (form or matter_form()).apply_operation(document, op)
