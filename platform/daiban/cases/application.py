"""The application as filled (申请表): a case's form values laid out by the form definition of the
matter version the case was opened under.

Labels, sections, option labels and repeating groups come from that compiled version, so a case
opened before a catalog change still reads as it was applied for. ID numbers, phones and fields
marked `personal` arrive masked from `cases.personal.masked_values`: the case page and the
printed 申请表 never show them in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from daiban.cases import personal
from daiban.catalog.model import FormField
from daiban.catalog.model import Matter as CompiledMatter

EMPTY = "—"


@dataclass(frozen=True)
class GroupTable:
    """A repeating group (e.g. the household members) as a table: its label, headers and rows."""

    label: str
    head: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Section:
    """One section of the form: label/value rows, then the section's repeating groups."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    tables: list[GroupTable] = field(default_factory=list)


def field_text(f: FormField, value) -> str:
    """One answer in words: options by their labels, 是/否, files by name, blanks as a dash."""
    if value is None or value == "" or value == []:
        return EMPTY
    if f.type == "choice":
        return f.option_label(str(value))
    if f.type == "multi_choice" and isinstance(value, list):
        return "、".join(f.option_label(str(v)) for v in value)
    if f.type == "boolean":
        return "是" if value in (True, "true", "True", 1) else "否"
    if f.type == "file" and isinstance(value, list):
        return "、".join(str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def _answered(value) -> bool:
    return value not in (None, "", [])


def _group_table(f: FormField, value) -> GroupTable:
    items = value if isinstance(value, list) else []
    rows = [tuple(field_text(sub, item.get(sub.id)) if isinstance(item, dict) else EMPTY
                  for sub in f.fields) for item in items]
    return GroupTable(f.label, tuple(sub.label for sub in f.fields), rows)


def application_sections(matter: CompiledMatter, masked: dict) -> list[Section]:
    """The filled form by section; a field shown only under a condition (`visible_when`) is left
    out when it was not answered, every other field is listed (a dash when blank)."""
    sections = []
    for title, fields in matter.sections():
        rows, tables = [], []
        for f in fields:
            value = masked.get(f.id)
            if f.visible_when and not _answered(value):
                continue
            if f.type == "group":
                tables.append(_group_table(f, value))
            else:
                rows.append((f.label, field_text(f, value)))
        if rows or tables:
            sections.append(Section(title or "申请信息", rows, tables))
    return sections


def case_application(case) -> list[Section]:
    """The case's application, masked, by the form of the version it was opened under ([] when
    that version was never published)."""
    from daiban.publishing import compiled  # publishing imports the web-free catalog only

    row = case.pinned_version()
    if row is None:
        return []
    return application_sections(compiled(row), personal.masked_values(case))
