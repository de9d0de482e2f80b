"""The markup of a SchemaForm: Bootstrap 4 inputs named by JSON pointer, each error beside its part.

Plain HTML that works without JavaScript: lists are edited with submit buttons named `op`, long
lists fold their items into <details>, and the markup starts with an invisible submit button
`op=""`, so that Enter in a text box saves instead of pressing a list button.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from daiban.admin.schema_form import LONG_TEXT, MISSING, SUMMARY_KEYS, Node, _blank, _text
from daiban.catalog.sources import join_pointer


def _attrs(**attrs) -> Markup:
    parts = []
    for name, value in attrs.items():
        name = name.replace("_", "-")
        if value is not None and value is not False:
            parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Markup("".join(parts))


def _button(op: str, label: str, style: str, disabled: bool = False) -> Markup:
    return Markup('<button type="submit" name="op"{} class="btn btn-sm {}">{}</button>').format(
        _attrs(value=op, disabled=disabled, formnovalidate=True), style, label)


def _join(parts) -> Markup:
    return Markup("").join(parts)


def _filled(value) -> bool:
    """True when a list item holds any non-blank value (a fresh item is shown open)."""
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    return not _blank(value) and value is not MISSING


class Renderer:
    """Writes the markup of one document, with the errors already placed by pointer."""

    def __init__(self, errors: dict[str, list[str]], choices: dict | None = None):
        self.errors = errors
        self.choices = choices or {}

    def feedback(self, pointer: str) -> Markup:
        return _join(Markup('<div class="invalid-feedback d-block" id="sf{}-error-{}">{}</div>').format(
            pointer, index, m) for index, m in enumerate(self.errors.get(pointer, []), start=1))

    def described(self, pointer: str, has_help: bool = False) -> Markup:
        """aria-invalid and aria-describedby of the element of `pointer`: its messages, then its help."""
        ids = [f"sf{pointer}-error-{i}" for i in range(1, len(self.errors.get(pointer, [])) + 1)]
        ids += [f"sf{pointer}-help"] if has_help else []
        return _attrs(aria_invalid="true" if self.errors.get(pointer) else None,
                      aria_describedby=" ".join(ids) or None)

    def errors_within(self, pointer: str) -> bool:
        return any(p == pointer or p.startswith(pointer + "/") for p in self.errors)

    def invalid(self, pointer: str) -> str:
        return " is-invalid" if self.errors.get(pointer) else ""

    @staticmethod
    def help_text(node: Node, extra: str = "") -> str:
        return " ".join(t for t in (node.help, extra) if t)

    def help(self, node: Node, extra: str, pointer: str) -> Markup:
        text = self.help_text(node, extra)
        return Markup('<small class="form-text text-muted" id="sf{}-help">{}</small>').format(
            pointer, text) if text else Markup("")

    @staticmethod
    def label(title: str, required: bool) -> Markup:
        # The star is for the eye; a screen reader hears （必填） as part of the field's name.
        star = Markup(' <span class="text-danger" aria-hidden="true">*</span>'
                      '<span class="sr-only">（必填）</span>')
        return Markup("{}{}").format(title, star if required else "")

    def root(self, node: Node, document) -> Markup:
        enter = Markup('<button type="submit" name="op" value="" tabindex="-1" aria-hidden="true" style="'
                       'position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden">保存</button>')
        return Markup('<div class="schema-form" data-pointer="" id="sf">{}{}{}</div>').format(
            enter, self.feedback(""), self.children(node, document, ""))

    def children(self, node: Node, value, pointer: str) -> Markup:
        value = value if isinstance(value, dict) else {}
        return _join(self.part(child, value.get(k, MISSING), join_pointer(pointer, k), k, k in node.required)
                     for k, child in node.properties.items())

    def part(self, node: Node, value, pointer: str, key: str, required: bool) -> Markup:
        title = node.title or key
        if node.kind == "object":
            body = self.children(node, value, pointer)
            inner = self.fieldset(pointer, self.label(title, required), node, body)
            if value is MISSING and not required and not self.errors_within(pointer):
                return Markup('<details class="mb-3" data-pointer="{}"><summary>{}（未填）</summary>'
                              '{}</details>').format(pointer, title, inner)
            return inner
        if node.kind == "list":
            return self.array(node, value if isinstance(value, list) else [], pointer, title, required)
        if node.kind == "enums":
            return self.checkboxes(node, value, pointer, title, required)
        return self.control(node, value, pointer, key, title, required)

    def fieldset(self, pointer: str, legend, node: Node, body, tools="", item_of=None) -> Markup:
        # The id is where the error summary's link leads (a list's or an object's own messages).
        return Markup('<fieldset class="border rounded px-3 pb-2 mb-3" data-pointer="{}" id="sf{}"{}{}>'
                      '<legend class="w-auto px-2 h6 mb-1">{}</legend>{}{}{}{}</fieldset>'
                      ).format(pointer, pointer, _attrs(data_item_of=item_of),
                               self.described(pointer, bool(self.help_text(node))), legend, tools,
                               self.help(node, "", pointer), self.feedback(pointer), body)

    def array(self, node: Node, items: list, pointer: str, title: str, required: bool) -> Markup:
        rendered = []
        for index, item in enumerate(items):
            at = f"{pointer}/{index}"
            summary = next((item[k] for k in SUMMARY_KEYS if isinstance(item, dict)
                            and isinstance(item.get(k), str) and item[k].strip()), "")
            legend = f"{title} {index + 1}" + (f"：{summary[:40]}" if summary else "")
            tools = Markup('<div class="btn-group float-right" role="group">{}{}{}</div>').format(
                _button(f"up:{at}", "上移", "btn-outline-secondary", index == 0),
                _button(f"down:{at}", "下移", "btn-outline-secondary", index == len(items) - 1),
                _button(f"remove:{at}", "删除", "btn-outline-danger"))
            marker = Markup("<input{}>").format(_attrs(type="hidden", name=at, value=""))  # keeps blank items
            body = marker + self.children(node.items, item, at)
            box = self.fieldset(at, legend, Node("object"), body, tools, item_of=pointer)
            # Long lists stay readable: items fold to their legend, unless they need attention.
            is_open = self.errors_within(at) or not _filled(item)
            rendered.append(Markup('<details class="mb-2" data-item="{}"{}><summary>{}</summary>{}'
                                   '</details>').format(at, Markup(" open") if is_open else "", legend, box))
        add = _button(f"add:{pointer}", f"添加{title}", "btn-outline-primary mb-2")
        return self.fieldset(pointer, self.label(title, required), node, _join(rendered) + add)

    def checkboxes(self, node: Node, value, pointer: str, title: str, required: bool) -> Markup:
        chosen = [c for c in value if not isinstance(c, (dict, list))] if isinstance(value, list) else []
        labels = node.items.labels
        boxes = []
        for choice in dict.fromkeys([*chosen, *node.items.choices]):  # in the document's order
            box_id = f"sf{pointer}={_text(choice)}"
            box = _attrs(type="checkbox", name=pointer, id=box_id, value=_text(choice),
                         checked=choice in chosen)
            boxes.append(Markup('<div class="form-check form-check-inline">'
                                '<input class="form-check-input{}"{}>'
                                '<label class="form-check-label" for="{}">{}</label></div>').format(
                self.invalid(pointer), box, box_id, labels.get(choice, _text(choice))))
        default = node.default if isinstance(node.default, list) else []
        extra = f"不选则为默认：{'、'.join(labels.get(c, _text(c)) for c in default)}。" if default else ""
        return Markup('<fieldset class="form-group" data-pointer="{}" id="sf{}"{}>'
                      '<legend class="col-form-label pt-0">{}</legend><div>{}</div>{}{}</fieldset>').format(
            pointer, pointer, self.described(pointer, bool(self.help_text(node, extra))),
            self.label(title, required), _join(boxes), self.feedback(pointer),
            self.help(node, extra, pointer))

    def control(self, node: Node, value, pointer: str, key: str, title: str, required: bool) -> Markup:
        css = f"form-control{self.invalid(pointer)}"
        extra = self.default_note(node, value, key, pointer)
        aria = self.described(pointer, bool(self.help_text(node, extra)))
        named = _attrs(name=pointer, id=f"sf{pointer}") + aria
        if pointer in self.choices and node.kind not in ("enum", "boolean"):
            options = [("", "请选择")] + [(_text(v), label) for v, label in self.choices[pointer]]
            if value is not MISSING and _text(value) not in dict(options):
                options.append((_text(value), _text(value)))
            chosen = _text(value)
            body = _join(Markup("<option{}>{}</option>").format(_attrs(value=v, selected=v == chosen), text)
                         for v, text in options)
            tag = Markup('<select class="{}"{}>{}</select>').format(css, named, body)
        elif node.kind in ("enum", "boolean"):
            choices, labels = ([True, False], {True: "是", False: "否"}) if node.kind == "boolean" \
                else (node.choices, node.labels)
            options = [(_text(c), labels.get(c, _text(c))) for c in choices]
            if value is not MISSING and _text(value) not in dict(options):
                options.append((_text(value), _text(value)))
            if not required or value is MISSING:
                empty = "未填（默认）" if node.kind == "boolean" else "请选择" if required else "未填"
                options.insert(0, ("", empty))
            chosen = _text(value)
            body = _join(Markup("<option{}>{}</option>").format(_attrs(value=v, selected=v == chosen), text)
                         for v, text in options)
            tag = Markup('<select class="{}"{}>{}</select>').format(css, named, body)
        elif node.kind == "lines" or key in LONG_TEXT or "\n" in _text(value):
            lines = node.kind == "lines" and isinstance(value, list)
            text = "\n".join(_text(v) for v in value) if lines else _text(value)
            rows = min(20, max(2, text.count("\n") + 2))
            # A leading newline after <textarea> is dropped by the browser, so the text's own one survives.
            tag = Markup('<textarea class="{}"{} rows="{}">\n{}</textarea>').format(css, named, rows, text)
        else:
            numeric = node.kind in ("integer", "number") and (
                value is MISSING or isinstance(value, (int, float)) and not isinstance(value, bool))
            step = ("1" if node.kind == "integer" else "any") if numeric else None
            # Input that is not a number stays visible (a number box would blank it) beside its error.
            tag = Markup('<input class="{}"{}{}>').format(css, _attrs(
                type="number" if numeric else "text", name=pointer, id=f"sf{pointer}", value=_text(value),
                step=step), aria)
        return Markup('<div class="form-group" data-pointer="{}"><label for="sf{}">{}</label>{}{}{}</div>'
                      ).format(pointer, pointer, self.label(title, required), tag, self.feedback(pointer),
                               self.help(node, extra, pointer))

    def default_note(self, node: Node, value, key: str, pointer: str) -> str:
        """The words `control` adds under a field's help: its default, or 每行一项 for a list of lines."""
        if pointer in self.choices and node.kind not in ("enum", "boolean"):
            return ""
        if node.kind == "boolean" and node.default is not MISSING:
            return f"默认：{ {True: '是', False: '否'}.get(node.default, _text(node.default))}。"
        if node.kind == "enum" and node.default is not MISSING:
            return f"默认：{node.labels.get(node.default, _text(node.default))}。"
        if node.kind == "lines" or key in LONG_TEXT or "\n" in _text(value):
            return "每行一项。" if node.kind == "lines" else ""
        return f"默认：{_text(node.default)}。" if node.default is not MISSING else ""
