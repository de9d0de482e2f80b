"""The registry of intake-form field types, keyed by the word used in matter files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldType:
    """What the platform knows about one field type."""

    word: str
    label: str
    value_kind: str  # what the value is in rules: string, int, double, bool, list, map
    numeric: bool = False
    textual: bool = False


FIELD_TYPES: dict[str, FieldType] = {
    ft.word: ft
    for ft in (
        FieldType("text", "单行文本", "string", textual=True),
        FieldType("textarea", "多行文本", "string", textual=True),
        FieldType("integer", "整数", "int", numeric=True),
        FieldType("decimal", "小数", "double", numeric=True),
        FieldType("date", "日期", "string"),
        FieldType("choice", "单选", "string"),
        FieldType("multi_choice", "多选", "list"),
        FieldType("boolean", "是/否", "bool"),
        FieldType("id_number", "公民身份号码", "string"),
        FieldType("credit_code", "统一社会信用代码", "string"),
        FieldType("phone", "电话号码", "string"),
        FieldType("region", "行政区划", "string"),
        FieldType("file", "附件", "list"),
        FieldType("group", "重复组", "list"),
    )
}
