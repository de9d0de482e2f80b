"""Marshmallow fields for the form's field types, and the schema built from a list of form fields.

Every field speaks plain Chinese and names its label. Fields check type, format and bounds only:
whether a field is visible or required depends on other values, which `validation` decides.
Blank input (None, blank text, an empty list) loads as None everywhere, so "empty" means one thing.
Values come out as rules see them: text, dates as YYYY-MM-DD, int, float (decimal), bool, lists.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, validate

from daiban.catalog import idnumbers
from daiban.catalog.model import FormField

MOBILE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}")
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
EXTENSIONS = {
    "image": {"jpg", "jpeg", "png", "gif", "bmp", "webp", "heic", "heif", "tif", "tiff"},
    "pdf": {"pdf"},
}
ACCEPT_LABELS = {"image": "图片", "pdf": "PDF"}
# What a form sends for yes and no: HTML checkboxes, JSON, and the words on the buttons.
TRUTHY = {True, "true", "True", "1", "on", "yes", "是"}
FALSY = {False, "false", "False", "0", "off", "no", "否"}


def is_blank(value) -> bool:
    """True for what a form sends when nothing was entered: None, blank text, an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple)) and not value


def quoted(label: str) -> str:
    """A label in Chinese quotation marks, the way messages name a field."""
    return f"“{label}”"


def number_text(number) -> str:
    """A bound as people write it: 1 rather than 1.0."""
    return str(int(number)) if float(number).is_integer() else str(number)


def ascii_text(text: str) -> str:
    """Text with full-width digits, letters and dashes (as Chinese input methods type them) made plain."""
    return unicodedata.normalize("NFKC", text).strip()


def _literal(text: str) -> str:
    # marshmallow formats error messages with str.format; a label must not be read as a placeholder.
    return text.replace("{", "{{").replace("}", "}}")


class Between(validate.Validator):
    """Lower and upper bounds on an amount (a number, a length), each bound with its own message."""

    def __init__(self, minimum, maximum, too_small: str, too_large: str,
                 measure: Callable = lambda value: value):
        self.minimum = minimum
        self.maximum = maximum
        self.too_small = too_small
        self.too_large = too_large
        self.measure = measure

    def __call__(self, value):
        amount = self.measure(value)
        if self.minimum is not None and amount < self.minimum:
            raise ValidationError(self.too_small)
        if self.maximum is not None and amount > self.maximum:
            raise ValidationError(self.too_large)
        return value


class _BlankIsEmpty:
    """Mixin: blank input loads as None, so `required` is decided in one place, not per type."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is not missing and is_blank(value):
            value = None
        return super().deserialize(value, attr, data, **kwargs)


def _options(form_field: FormField) -> str:
    return "、".join(o.label for o in form_field.options)


class Text(_BlankIsEmpty, fields.String):
    """text, textarea and region: text with surrounding spaces removed."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class WholeNumber(_BlankIsEmpty, fields.Integer):
    """integer: a whole number, typed or written as digits."""

    def _validated(self, value):
        # Plain int() would turn 2.5 into 2; a form wants exactly a whole number.
        if isinstance(value, str) and INTEGER_TEXT.fullmatch(ascii_text(value)):
            value = int(ascii_text(value))
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        if abs(value) >= 2**63:  # beyond what a CEL int holds
            raise self.make_error("too_large")
        return super()._validated(value)


class DecimalNumber(_BlankIsEmpty, fields.Float):
    """decimal: a float, because rules compare decimals as CEL doubles and case records are JSON."""

    def _validated(self, value):
        if isinstance(value, str):
            value = ascii_text(value)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._validated(value)


class IsoDate(_BlankIsEmpty, fields.Date):
    """date: YYYY-MM-DD, kept as that text because rules compare dates as strings."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        # fromisoformat would also take 20260131 or 2026-W05-6; the form promises YYYY-MM-DD.
        if not isinstance(value, str) or not ISO_DATE.fullmatch(ascii_text(value)):
            raise self.make_error("invalid")
        return super()._deserialize(ascii_text(value), attr, data, **kwargs).isoformat()


class Choice(_BlankIsEmpty, fields.String):
    """choice: one option value (numbers are read as their text, like YAML's quoted "200")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs).strip()


class MultiChoice(_BlankIsEmpty, fields.Field):
    """multi_choice: a list of option values, each once, in the order given."""

    def __init__(self, form_field: FormField, **kwargs):
        self.form_field = form_field
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        f = self.form_field
        items = [value] if isinstance(value, (str, int)) else value
        if not isinstance(items, (list, tuple)) or not all(
                isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
            raise ValidationError(f"{quoted(f.label)}应从选项中选择（可多选）：{_options(f)}")
        chosen = list(dict.fromkeys(str(v).strip() for v in items))
        allowed = {o.value for o in f.options}
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            listed = "、".join(unknown)
            raise ValidationError(f"{quoted(f.label)}中的“{listed}”不是可选项；可选：{_options(f)}")
        return chosen


class Checked(_BlankIsEmpty, fields.String):
    """id_number and credit_code: upper case without spaces, then the GB check character."""

    def __init__(self, subject: str, problem: Callable[[str], str | None], **kwargs):
        self.subject = subject
        self.problem = problem
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = "".join(ascii_text(super()._deserialize(value, attr, data, **kwargs)).split()).upper()
        problem = self.problem(number)
        if problem:
            label = self.metadata["form_field"].label
            # The checker says "公民身份号码…"; name the field instead when its label is another.
            if label != self.subject and problem.startswith(self.subject):
                problem = quoted(label) + problem[len(self.subject):]
            raise ValidationError(problem)
        return number


class Phone(_BlankIsEmpty, fields.String):
    """phone: a mainland mobile number, or a landline with its area code."""

    def _deserialize(self, value, attr, data, **kwargs):
        number = "".join(ascii_text(super()._deserialize(value, attr, data, **kwargs)).split())
        number = number.removeprefix("+86")
        if not (MOBILE.fullmatch(number) or LANDLINE.fullmatch(number)):
            raise self.make_error("invalid")
        return number


class Files(_BlankIsEmpty, fields.Field):
    """file: a list of uploaded-file references, each a mapping with `name` and `sha256`."""

    def __init__(self, form_field: FormField, **kwargs):
        self.form_field = form_field
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        f = self.form_field
        items = [value] if isinstance(value, Mapping) else value
        if not isinstance(items, (list, tuple)):
            raise ValidationError(f"{quoted(f.label)}格式不对：应为上传的文件")
        allowed = set().union(*(EXTENSIONS[kind] for kind in f.accept)) if f.accept else None
        problems, files = [], []
        for number, item in enumerate(items, start=1):
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str) or not name.strip():
                problems.append(f"{quoted(f.label)}的第 {number} 个文件缺少文件名，请重新上传")
                continue
            name = name.strip()
            digest = item.get("sha256")
            if not isinstance(digest, str) or not SHA256.fullmatch(digest):
                problems.append(f"{quoted(f.label)}的文件“{name}”缺少校验值（SHA-256），请重新上传")
                continue
            if allowed is not None and name.rsplit(".", 1)[-1].lower() not in allowed:
                kinds = "或".join(ACCEPT_LABELS[kind] for kind in f.accept)
                problems.append(f"{quoted(f.label)}只接受{kinds}文件，“{name}”不是")
                continue
            # Keep only plain values: the reference is stored in the case record and read by rules.
            kept = {k: v for k, v in item.items() if isinstance(v, (str, int, float, bool))}
            files.append({**kept, "name": name, "sha256": digest.lower()})
        if problems:
            raise ValidationError(problems)
        return files


class Group(_BlankIsEmpty, fields.List):
    """group: a list of entries, each loaded by the schema built from the group's own fields."""

    @property
    def entry_schema(self) -> Schema:
        """The schema of one entry (an instance, made once)."""
        return self.inner.schema


class IntakeSchema(Schema):
    """Base of the generated schemas: keys the form does not define (a CSRF token …) are left out."""

    class Meta:
        unknown = EXCLUDE


def _common(form_field: FormField, label: str) -> dict:
    # Requiredness and visibility are dynamic (required_when, visible_when), so no marshmallow field
    # is `required`; the FormField rides along for the form renderer and for validation.
    return {"required": False, "allow_none": True, "metadata": {"form_field": form_field},
            "error_messages": {"null": _literal(f"请填写{label}")}}


def _text(f: FormField, label: str, kwargs: dict) -> fields.Field:
    checks = []
    if f.min_length is not None or f.max_length is not None:
        checks.append(Between(f.min_length, f.max_length, f"{label}至少要填 {f.min_length} 个字",
                              f"{label}最多只能填 {f.max_length} 个字", measure=len))
    if f.pattern:
        # The documented meaning is that the whole value matches, which validate.Regexp's match() is not.
        message = f.pattern_message or "格式不对"
        checks.append(validate.Regexp(re.compile(rf"(?:{f.pattern})\Z"),
                                      error=_literal(f"{label}：{message}")))
    kwargs["error_messages"]["invalid"] = _literal(f"{label}应填写文字")
    return Text(validate=checks, **kwargs)


def _number(f: FormField, label: str, kwargs: dict) -> fields.Field:
    whole = f.type == "integer"
    kwargs["error_messages"]["invalid"] = _literal(f"{label}应填写{'整数' if whole else '数字'}")
    kwargs["error_messages"]["special"] = kwargs["error_messages"]["invalid"]
    kwargs["error_messages"]["too_large"] = _literal(f"{label}的数字太大")
    checks = []
    if f.min is not None or f.max is not None:
        checks.append(Between(
            f.min, f.max,
            f"{label}不能小于 {number_text(f.min) if f.min is not None else ''}",
            f"{label}不能大于 {number_text(f.max) if f.max is not None else ''}",
        ))
    return (WholeNumber if whole else DecimalNumber)(validate=checks, **kwargs)


def build_field(f: FormField) -> fields.Field:
    """The marshmallow field of one form field, with Chinese messages naming its label."""
    label = quoted(f.label)
    kwargs = _common(f, label)
    messages = kwargs["error_messages"]
    if f.type in ("text", "textarea", "region"):
        return _text(f, label, kwargs)
    if f.type in ("integer", "decimal"):
        return _number(f, label, kwargs)
    if f.type == "date":
        messages["invalid"] = messages["format"] = _literal(f"{label}应为日期，格式如 2026-01-31")
        return IsoDate(format="iso", **kwargs)
    if f.type == "choice":
        message = _literal(f"{label}应从选项中选择：{_options(f)}")
        messages["invalid"] = message
        return Choice(validate=validate.OneOf([o.value for o in f.options], error=message), **kwargs)
    if f.type == "multi_choice":
        return MultiChoice(f, **kwargs)
    if f.type == "boolean":
        messages["invalid"] = _literal(f"{label}请选择“是”或“否”")
        return fields.Boolean(truthy=TRUTHY, falsy=FALSY, **kwargs)
    if f.type == "id_number":
        messages["invalid"] = _literal(f"{label}应为 18 位公民身份号码")
        return Checked("公民身份号码", idnumbers.id_number_problem, **kwargs)
    if f.type == "credit_code":
        messages["invalid"] = _literal(f"{label}应为 18 位统一社会信用代码")
        return Checked("统一社会信用代码", idnumbers.credit_code_problem, **kwargs)
    if f.type == "phone":
        messages["invalid"] = _literal(
            f"{label}应为 11 位手机号码（如 13912345678）或带区号的固定电话（如 0482-6012345）")
        return Phone(**kwargs)
    if f.type == "file":
        return Files(f, **kwargs)
    if f.type == "group":
        messages["invalid"] = _literal(f"{label}格式不对：应为若干项")
        count = Between(f.min_items, f.max_items, f"{label}至少要填 {f.min_items} 项",
                        f"{label}最多只能填 {f.max_items} 项", measure=len)
        entry = build_schema(f.fields, name=f"{f.id} 的一项")
        nested = fields.Nested(entry, error_messages={"type": _literal(f"{label}中的一项格式不对")})
        return Group(nested, validate=[count], **kwargs)
    raise ValueError(f"未知的字段类型 “{f.type}”")  # the schema check keeps this from happening


def build_schema(form_fields: tuple[FormField, ...], name: str) -> type[Schema]:
    """A schema class with one field per form field, in form order (groups nest their own schema)."""
    return IntakeSchema.from_dict({f.id: build_field(f) for f in form_fields}, name=name)
