"""The data of the one-time notice (一次性告知单): conditions and every material, resolved for this case.

A material is `needed`, `not_needed`, or `depends` (what decides it is not entered yet):
`applicant_types` are matched against the form's `applicant_type` value, `required_when` is decided
like a condition's rule (undecided while a field it reads is missing or wrong). No HTML here.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from daiban.catalog.model import (
    FORM_LABELS,
    SOURCE_LABELS,
    Attachment,
    Fee,
    Material,
    Matter,
    TimeLimit,
)
from daiban.intake.decide import decide_on_form
from daiban.intake.eligibility import Check, assess
from daiban.intake.validation import IntakeResult, validate_intake

NEEDED, NOT_NEEDED, DEPENDS = "needed", "not_needed", "depends"
VERIFIED_LABEL = "部门核验，无需提交"
EXEMPT_LABEL = "能调取电子证照的，免于提交"
RULE_WHEN = "视申请情况而定"


def count_label(originals: int, copies: int) -> str:
    """Counts in words, e.g. 原件1份、复印件1份; empty when neither is asked for."""
    parts = [f"原件{originals}份"] if originals else []
    parts += [f"复印件{copies}份"] if copies else []
    return "、".join(parts)


def limit_label(limit: TimeLimit | None) -> str | None:
    """A time limit in words with its note, e.g. 10个工作日（不含公示时间）."""
    if limit is None:
        return None
    return f"{limit.label}（{limit.note}）" if limit.note else limit.label


@dataclass(frozen=True)
class MaterialOption:
    """A material that may be brought instead (an alternative) or as a last resort (the fallback)."""

    id: str
    name: str
    originals: int
    copies: int
    form_label: str
    specification: str | None = None
    note: str | None = None

    @property
    def count_label(self) -> str:
        """Counts in words."""
        return count_label(self.originals, self.copies)


@dataclass(frozen=True)
class NoticeMaterial:
    """One material as the notice lists it for this case."""

    id: str
    name: str
    status: str
    when: str | None
    waiting_for: tuple[str, ...]
    optional: bool
    originals: int
    copies: int
    form_label: str
    source_label: str
    alternatives: tuple[MaterialOption, ...] = ()
    fallback: MaterialOption | None = None
    deferrable_within: str | None = None
    deferrable_note: str | None = None
    exempt_with_electronic_licence: bool = False
    verified_by_department: bool = False
    source_note: str | None = None
    specification: str | None = None
    note: str | None = None
    acceptance_standard: str | None = None
    blank_form: str | None = None
    sample: str | None = None
    attachments: tuple[Attachment, ...] = ()  # 空表、样表 to download

    @property
    def choice_label(self) -> str:
        """The material and its alternatives as the applicant reads them: A 或 B."""
        return " 或 ".join((self.name, *(a.name for a in self.alternatives)))

    @property
    def count_label(self) -> str:
        """What to hand in: counts in words, or that the department verifies it itself."""
        return VERIFIED_LABEL if self.verified_by_department else count_label(self.originals, self.copies)

    @property
    def deferrable_label(self) -> str | None:
        """容缺 wording, e.g. 容缺受理：可在5个工作日内补交."""
        if not self.deferrable_within:
            return None
        text = f"容缺受理：可在{self.deferrable_within}内补交"
        return f"{text}（{self.deferrable_note}）" if self.deferrable_note else text

    @property
    def exempt_label(self) -> str | None:
        """电子证照 wording when the electronic licence makes it unnecessary."""
        return EXEMPT_LABEL if self.exempt_with_electronic_licence else None

    @property
    def to_hand_in(self) -> bool:
        """True when the applicant must bring it: needed, not optional, not verified by the department."""
        return self.status == NEEDED and not self.optional and not self.verified_by_department


@dataclass(frozen=True)
class Notice:
    """Everything the printed one-time notice says about this matter for this case."""

    code: str
    version: int
    name: str
    everyday_name: str | None
    issued_on: datetime.date
    responsible_unit: str
    joint_units: tuple[str, ...]
    conditions: tuple[Check, ...]
    exclusions: tuple[Check, ...]
    materials: tuple[NoticeMaterial, ...]
    promised_limit: str | None
    statutory_limit: str | None
    on_the_spot: bool
    fees: tuple[Fee, ...]
    application_windows: tuple[str, ...]
    visits_required: int
    place: str | None
    hours: str | None
    consultation_phone: str | None
    complaint_phone: str | None

    @property
    def free(self) -> bool:
        """True when no fee is due."""
        return not self.fees

    @property
    def fee_label(self) -> str:
        """不收费, or the fees in words."""
        return "不收费" if self.free else "；".join(f"{f.name}：{f.standard}" for f in self.fees)

    def with_status(self, status: str) -> list[NoticeMaterial]:
        """The materials resolved to one status (needed, not_needed, depends)."""
        return [m for m in self.materials if m.status == status]

    @property
    def total_originals(self) -> int:
        """Originals the applicant brings for the materials known to be needed."""
        return sum(m.originals for m in self.materials if m.to_hand_in)

    @property
    def total_copies(self) -> int:
        """Copies the applicant brings for the materials known to be needed."""
        return sum(m.copies for m in self.materials if m.to_hand_in)


def _option(m: Material) -> MaterialOption:
    return MaterialOption(m.id, m.name, m.originals, m.copies, FORM_LABELS[m.form], m.specification, m.note)


def _by_applicant_type(m: Material, matter: Matter, intake: IntakeResult) -> tuple[str, str, tuple]:
    field = matter.field("applicant_type")
    label = field.label if field else "办理人"
    choices = "或".join(f"“{field.option_label(t) if field else t}”" for t in m.applicant_types)
    when = f"{label}为{choices}时需要"
    chosen = intake.rule_values.get("applicant_type")
    if chosen is None:
        return DEPENDS, when, (label,)
    return (NEEDED if chosen in m.applicant_types else NOT_NEEDED), when, ()


def _resolve(m: Material, matter: Matter, intake: IntakeResult, today: datetime.date) -> NoticeMaterial:
    statuses, whens, waiting = [NEEDED], [], []
    if m.applicant_types:
        status, when, waits = _by_applicant_type(m, matter, intake)
        statuses.append(status)
        whens.append(when)
        waiting += waits
    if m.required_when:
        outcome, waits = decide_on_form(m.required_when, matter, intake, today)
        statuses.append({True: NEEDED, False: NOT_NEEDED}.get(outcome, DEPENDS))
        whens.append(RULE_WHEN)
        waiting += waits
    # One reason against is enough; otherwise one unknown keeps it open.
    status = NOT_NEEDED if NOT_NEEDED in statuses else DEPENDS if DEPENDS in statuses else NEEDED
    return NoticeMaterial(
        id=m.id, name=m.name, status=status, when="；".join(whens) or None,
        waiting_for=tuple(dict.fromkeys(waiting)) if status == DEPENDS else (),
        optional=m.necessity == "optional", originals=m.originals, copies=m.copies,
        form_label=FORM_LABELS[m.form], source_label=SOURCE_LABELS[m.source],
        alternatives=tuple(_option(a) for a in m.alternatives),
        fallback=_option(m.fallback) if m.fallback else None,
        deferrable_within=m.deferrable_within.label if m.deferrable_within else None,
        deferrable_note=m.deferrable_note,
        exempt_with_electronic_licence=m.exempt_with_electronic_licence,
        verified_by_department=m.verified_by_department, source_note=m.source_note,
        specification=m.specification, note=m.note, acceptance_standard=m.acceptance_standard,
        blank_form=m.blank_form, sample=m.sample, attachments=m.attachments,
    )


def one_time_notice(matter: Matter, values: Mapping, today: datetime.date,
                    confirmed: Collection[str] = ()) -> Notice:
    """The one-time notice of a matter for what has been entered so far, issued on `today`."""
    intake = validate_intake(matter, values, today)
    eligibility = assess(matter, intake, today, confirmed)
    guide = matter.guide
    return Notice(
        code=matter.code, version=matter.version, name=matter.name,
        everyday_name=matter.everyday_name, issued_on=today,
        responsible_unit=matter.responsible_unit, joint_units=matter.joint_units,
        conditions=eligibility.conditions, exclusions=eligibility.exclusions,
        materials=tuple(_resolve(m, matter, intake, today) for m in matter.materials),
        promised_limit=limit_label(matter.promised_limit),
        statutory_limit=limit_label(matter.statutory_limit),
        on_the_spot=matter.on_the_spot, fees=matter.fees,
        application_windows=tuple(
            f"{w.label}（{w.note}）" if w.note else w.label for w in matter.application_windows),
        visits_required=matter.visits_required,
        place=guide.place, hours=guide.hours, consultation_phone=guide.consultation_phone,
        complaint_phone=guide.complaint_phone,
    )
