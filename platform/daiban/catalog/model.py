"""Frozen, typed objects the rest of the platform asks questions of, compiled from config files."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

UNIT_LABELS = {
    "working_days": "个工作日",
    "natural_days": "个自然日",
    "months": "个月",
}
LEVEL_LABELS = {"village": "嘎查村（社区）", "township": "苏木乡镇", "banner": "旗"}
MATTER_TYPE_LABELS = {
    "administrative_license": "行政许可",
    "administrative_payment": "行政给付",
    "administrative_confirmation": "行政确认",
    "public_service": "公共服务",
    "other": "其他",
}
CHANNEL_LABELS = {
    "window": "窗口办理",
    "home_visit": "上门办",
    "mobile_point": "流动代办点",
    "postal": "邮政+代办",
    "online": "政务服务网",
    "app": "蒙速办 APP",
    "hotline": "12345 热线",
}
SPECIAL_GROUP_LABELS = {
    "elderly": "老年人",
    "disabled": "残疾人",
    "minors": "未成年人",
    "low_income": "低收入人口",
    "veterans": "退役军人",
    "students": "学生",
    "farmers_herders": "农牧民",
    "migrant_workers": "外出务工人员",
    "left_behind": "留守人员",
}
SOURCE_LABELS = {"applicant": "申请人自备", "government": "政府部门核发", "third_party": "第三方机构出具"}
FORM_LABELS = {"paper": "纸质", "electronic": "电子", "paper_or_electronic": "纸质或电子"}


@dataclass(frozen=True)
class TimeLimit:
    """A time limit: `amount` `unit`, or on the spot (即办) when unit is 'on_the_spot'."""

    unit: str
    amount: int | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        """Chinese wording, e.g. 5个工作日 or 即办."""
        if self.unit == "on_the_spot":
            return "即办"
        return f"{self.amount}{UNIT_LABELS[self.unit]}"


@dataclass(frozen=True)
class Option:
    """One choice of a choice or multi_choice field."""

    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One field of the intake form (a repeating group holds `fields` of its own)."""

    id: str
    label: str
    type: str
    required: bool = False
    help: str | None = None
    placeholder: str | None = None
    section: str | None = None
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    visible_when: str | None = None
    required_when: str | None = None
    in_register: bool = False
    personal: bool = False  # sealed at rest and shown masked (cases.personal)
    fields: tuple[FormField, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    item_label: str | None = None  # a group's entry on the form: "第 {n} 位家庭成员"
    accept: tuple[str, ...] = ()

    def option_label(self, value: str) -> str:
        """Label of an option value, or the value itself when unknown."""
        return next((o.label for o in self.options if o.value == value), value)

    def item_name(self, index: int) -> str:
        """What entry `index` (from 0) of a repeating group is called on the form: 第 2 位家庭成员."""
        # replace, not format: a config author's other braces stay as written.
        return (self.item_label or f"{self.label} 第 {{n}} 项").replace("{n}", str(index + 1))


@dataclass(frozen=True)
class Condition:
    """An acceptance condition or exclusion; without rule or alternatives a person decides."""

    id: str
    text: str
    rule: str | None = None
    any_of: tuple[Condition, ...] = ()
    basis: str | None = None

    @property
    def needs_judgement(self) -> bool:
        """True when the form cannot decide it and an agent must confirm it."""
        if self.any_of:
            return all(alt.needs_judgement for alt in self.any_of)
        return self.rule is None


ATTACHMENT_KIND_LABELS = {"blank": "空表", "sample": "样表"}


@dataclass(frozen=True)
class Attachment:
    """A downloadable blank form (空表) or filled sample (样表) of a material, by its content hash."""

    kind: str
    title: str
    file: str
    sha256: str | None = None

    @property
    def kind_label(self) -> str:
        """空表 or 样表."""
        return ATTACHMENT_KIND_LABELS[self.kind]

    @property
    def suffix(self) -> str:
        """The file's suffix in lower case, without the dot (pdf, docx …)."""
        return self.file.rpartition(".")[2].lower()


@dataclass(frozen=True)
class Material:
    """One application material, with its alternatives, fallback and deferral."""

    id: str
    name: str
    originals: int = 0
    copies: int = 0
    form: str = "paper"
    specification: str | None = None
    note: str | None = None
    source: str = "applicant"
    source_note: str | None = None
    necessity: str = "required"
    required_when: str | None = None
    applicant_types: tuple[str, ...] = ()
    alternatives: tuple[Material, ...] = ()
    fallback: Material | None = None
    deferrable_within: TimeLimit | None = None
    deferrable_note: str | None = None
    exempt_with_electronic_licence: bool = False
    verified_by_department: bool = False
    blank_form: str | None = None
    sample: str | None = None
    acceptance_standard: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @property
    def conditional(self) -> bool:
        """True when whether it is needed depends on the case."""
        return bool(self.required_when or self.applicant_types)


@dataclass(frozen=True)
class ApplicationWindow:
    """A period in which applications are accepted."""

    every: str
    from_day: int | None = None
    to_day: int | None = None
    start: str | None = None
    end: str | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        """Chinese wording of the period."""
        if self.every == "month":
            return f"每月 {self.from_day} 日至 {self.to_day} 日"
        start_month, start_day = (int(x) for x in self.start.split("-"))
        end_month, end_day = (int(x) for x in self.end.split("-"))
        return f"每年 {start_month} 月 {start_day} 日至 {end_month} 月 {end_day} 日"


@dataclass(frozen=True)
class Fee:
    """A fee the law requires."""

    name: str
    standard: str
    basis: str
    reducible: str | None = None


@dataclass(frozen=True)
class Step:
    """One step of the handling process."""

    name: str
    description: str | None = None
    by: str | None = None
    limit: TimeLimit | None = None


@dataclass(frozen=True)
class Guide:
    """Service guide (办事指南) details beyond the structured parts."""

    place: str | None = None
    hours: str | None = None
    consultation_phone: str | None = None
    complaint_phone: str | None = None
    steps: tuple[Step, ...] = ()
    result_name: str | None = None
    result_kind: str | None = None
    result_delivery: tuple[str, ...] = ()
    faq: tuple[tuple[str, str], ...] = ()
    raw_text: str | None = None


@dataclass(frozen=True)
class LegalReference:
    """A law or document the matter rests on."""

    title: str
    articles: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Matter:
    """One version of one matter, compiled and immutable."""

    code: str
    version: int
    name: str
    domain: str
    matter_type: str
    levels: tuple[str, ...]
    responsible_unit: str
    effective_from: datetime.date
    content_hash: str
    status: str = "active"
    everyday_name: str | None = None
    aliases: tuple[str, ...] = ()
    basic_code: str | None = None
    implementation_code: str | None = None
    legal_basis: tuple[LegalReference, ...] = ()
    effective_until: datetime.date | None = None
    service_objects: tuple[str, ...] = ("natural_person",)
    joint_units: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("window",)
    visits_required: int = 1
    special_groups: tuple[str, ...] = ()
    proxy_allowed: bool = True
    guardian_allowed: bool = True
    statutory_limit: TimeLimit | None = None
    promised_limit: TimeLimit | None = None
    application_windows: tuple[ApplicationWindow, ...] = ()
    fees: tuple[Fee, ...] = ()
    fields: tuple[FormField, ...] = ()
    conditions: tuple[Condition, ...] = ()
    exclusions: tuple[Condition, ...] = ()
    materials: tuple[Material, ...] = ()
    guide: Guide = field(default_factory=Guide)
    notes: str | None = None

    @property
    def is_free(self) -> bool:
        """True when no fee is due (帮办代办 itself is always free)."""
        return not self.fees

    @property
    def on_the_spot(self) -> bool:
        """True for 即办件, handled on the spot."""
        return self.promised_limit is not None and self.promised_limit.unit == "on_the_spot"

    def field(self, field_id: str) -> FormField | None:
        """The top-level form field with this id, if any."""
        return next((f for f in self.fields if f.id == field_id), None)

    def material(self, material_id: str) -> Material | None:
        """The material with this id, if any."""
        return next((m for m in self.materials if m.id == material_id), None)

    def sections(self) -> list[tuple[str | None, list[FormField]]]:
        """Fields grouped by section title, in the order sections first appear."""
        grouped: dict[str | None, list[FormField]] = {}
        for f in self.fields:
            grouped.setdefault(f.section, []).append(f)
        return list(grouped.items())
