"""The error summary at the top of a refused form (the GOV.UK Design System pattern).

A form that comes back with errors opens with a box headed 「有 N 处需要修改」, one link per
problem to the field it is about (static/forms.js moves the focus to the box, and a link moves it
to its field). The same markup serves the agents' intake form, the catalog editor's schema form
and Flask-Admin's model forms (templates/admin/error_summary.html); this module only says, for
each kind of form, which element each message belongs to and what to call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from daiban.catalog.model import FormField, Matter

# The 办理人 block and the case-opening controls of the intake form, by error path.
INTAKE_EXTRA = {
    "acting.role": ("acting-role", "以何种身份办理"),
    "acting.guardian_name": ("acting-guardian_name", "监护人姓名"),
    "acting.guardian_relation": ("acting-guardian_relation", "监护人与申请人关系"),
    "acting.guardian_id_number": ("acting-guardian_id_number", "监护人公民身份号码"),
    "channel": ("channel", "受理渠道"),
    "consult-note": ("consult-note", "咨询内容"),
}


@dataclass(frozen=True)
class ErrorLink:
    """One line of an error summary: the id of the element it leads to ("" for none) and its words."""

    target: str
    text: str


def _line(names: list[str], messages: list[str]) -> str:
    """`names` say where (only those the message does not already say), then the message."""
    said = "；".join(messages)
    where = " ".join(n for n in names if n and n not in said)
    return f"{where}：{said}" if where else said


def intake_control_id(path: str) -> str:
    """The id of the intake form's control for an error path (`members.1.relation` →
    `f-members-1-relation`), as templates/admin/intake/form.html writes it."""
    return "f-" + path.replace(".", "-")


def _first_control(field: FormField, name: str) -> str:
    """The id of the first control a field renders (a group: its first row's first field)."""
    if field.type == "group" and field.fields:
        return _first_control(field.fields[0], f"{name}-0-{field.fields[0].id}")
    if field.type == "multi_choice":
        return f"f-{name}-1"
    if field.type == "file":
        return f"field-{name}"  # no control of its own: the scan is uploaded on the case page
    return f"f-{name}"


def _intake_link(matter: Matter, path: str, messages: list[str]) -> ErrorLink:
    if path in INTAKE_EXTRA:
        target, name = INTAKE_EXTRA[path]
        return ErrorLink(target, _line([name], messages))
    top, *rest = path.split(".")
    field = matter.field(top)
    if field is None:
        return ErrorLink("", _line([path], messages))
    if field.type == "group" and rest and rest[0].isdigit():
        row = int(rest[0])
        inner = next((g for g in field.fields if len(rest) > 1 and g.id == rest[1]), None)
        if inner is None:  # the entry as a whole
            first = field.fields[0]
            return ErrorLink(_first_control(first, f"{top}-{row}-{first.id}"),
                             _line([field.item_name(row)], messages))
        return ErrorLink(_first_control(inner, f"{top}-{row}-{inner.id}"),
                         _line([field.item_name(row), inner.label], messages))
    return ErrorLink(_first_control(field, top), _line([field.label], messages))


def intake_links(matter: Matter, errors: dict[str, list[str]]) -> list[ErrorLink]:
    """One link per field with errors, in the order the form shows them."""
    order: dict[str, int] = {}
    for _, fields in matter.sections():
        for f in fields:
            order[f.id] = len(order)
    for path in INTAKE_EXTRA:
        order[path] = len(order)

    def position(path: str) -> tuple:
        top, *rest = path.split(".")
        key = path if path in INTAKE_EXTRA else top
        field = matter.field(top)
        row = int(rest[0]) if rest and rest[0].isdigit() else -1
        column = next((i for i, g in enumerate(field.fields) if len(rest) > 1 and g.id == rest[1]), -1) \
            if field is not None else -1
        return order.get(key, len(order)), row, column

    return [_intake_link(matter, path, errors[path]) for path in sorted(errors, key=position)]


def wtforms_links(form) -> list[ErrorLink]:
    """One link per field of a WTForms form (Flask-Admin's model forms) with errors, in form order."""
    links = []
    for field in form:
        messages = [m for m in _flat(field.errors)]
        if not messages:
            continue
        hidden = getattr(field.widget, "input_type", None) == "hidden"
        links.append(ErrorLink("" if hidden else field.id, _line([str(field.label.text)], messages)))
    messages = [m for m in _flat(getattr(form, "form_errors", []))]
    if messages:
        links.append(ErrorLink("", "；".join(messages)))
    return links


def _flat(errors) -> list[str]:
    """Messages of a field, flattened (a FieldList or FormField keeps them in lists and dicts)."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _flat(value)]
    if isinstance(errors, (list, tuple)):
        return [m for value in errors for m in _flat(value)]
    return [str(errors)] if errors else []


def schema_links(form, document, problems) -> list[ErrorLink]:
    """One link per (pointer, message) problem of a document edited with a SchemaForm, to the part
    of the form that shows it (its input, or the nearest part rendered)."""
    links = []
    for pointer, message in problems:
        anchor, where, shown = form.locate(pointer, message, document)
        links.append(ErrorLink(f"sf{anchor}", f"{where}：{shown}"))
    return links
