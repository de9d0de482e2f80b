"""Compile schema-valid, default-filled documents into the frozen objects of `model` and `org`."""

from __future__ import annotations

import datetime
import hashlib
import json

from daiban.catalog.model import (
    ApplicationWindow,
    Attachment,
    Condition,
    Fee,
    FormField,
    Guide,
    LegalReference,
    Material,
    Matter,
    Option,
    Step,
    TimeLimit,
)


def canonical_json(data) -> str:
    """Serialise data the same way every time (sorted keys, no spaces) for hashing and storage."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(normalized: dict) -> str:
    """SHA-256 of a matter's default-filled content, so equal meaning gives equal hashes."""
    return hashlib.sha256(canonical_json(normalized).encode("utf-8")).hexdigest()


def _limit(data) -> TimeLimit | None:
    if not data:
        return None
    return TimeLimit(unit=data["unit"], amount=data.get("amount"), note=data.get("note"))


def _field(data: dict) -> FormField:
    return FormField(
        id=data["id"], label=data["label"], type=data["type"],
        required=data.get("required", False), help=data.get("help"),
        placeholder=data.get("placeholder"), section=data.get("section"),
        options=tuple(Option(o["value"], o["label"]) for o in data.get("options", ())),
        min=data.get("min"), max=data.get("max"),
        min_length=data.get("min_length"), max_length=data.get("max_length"),
        pattern=data.get("pattern"), pattern_message=data.get("pattern_message"),
        visible_when=data.get("visible_when"), required_when=data.get("required_when"),
        in_register=data.get("in_register", False), personal=data.get("personal", False),
        fields=tuple(_field(f) for f in data.get("fields", ())),
        min_items=data.get("min_items"), max_items=data.get("max_items"), item_label=data.get("item_label"),
        accept=tuple(data.get("accept", ())),
    )


def _condition(data: dict) -> Condition:
    return Condition(
        id=data["id"], text=data["text"], rule=data.get("rule"),
        any_of=tuple(_condition(a) for a in data.get("any_of", ())), basis=data.get("basis"),
    )


def _material(data: dict) -> Material:
    deferrable = data.get("deferrable") or {}
    fallback = data.get("fallback")
    return Material(
        id=data["id"], name=data["name"],
        originals=data.get("originals", 0), copies=data.get("copies", 0),
        form=data.get("form", "paper"), specification=data.get("specification"),
        note=data.get("note"), source=data.get("source", "applicant"),
        source_note=data.get("source_note"), necessity=data.get("necessity", "required"),
        required_when=data.get("required_when"),
        applicant_types=tuple(data.get("applicant_types", ())),
        alternatives=tuple(_material(a) for a in data.get("alternatives", ())),
        fallback=_material(fallback) if fallback else None,
        deferrable_within=_limit(deferrable.get("within")),
        deferrable_note=deferrable.get("note"),
        exempt_with_electronic_licence=data.get("exempt_with_electronic_licence", False),
        verified_by_department=data.get("verified_by_department", False),
        blank_form=data.get("blank_form"), sample=data.get("sample"),
        acceptance_standard=data.get("acceptance_standard"),
        attachments=tuple(Attachment(a["kind"], a["title"], a["file"], a.get("sha256"))
                          for a in data.get("attachments", ())),
    )


def _guide(data: dict | None) -> Guide:
    data = data or {}
    result = data.get("result") or {}
    return Guide(
        place=data.get("place"), hours=data.get("hours"),
        consultation_phone=data.get("consultation_phone"),
        complaint_phone=data.get("complaint_phone"),
        steps=tuple(
            Step(s["name"], s.get("description"), s.get("by"), _limit(s.get("limit")))
            for s in data.get("steps", ())
        ),
        result_name=result.get("name"), result_kind=result.get("kind"),
        result_delivery=tuple(result.get("delivery", ())),
        faq=tuple((q["question"], q["answer"]) for q in data.get("faq", ())),
        raw_text=data.get("raw_text"),
    )


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def compile_matter(normalized: dict) -> Matter:
    """Build a Matter from a schema-valid document whose defaults are filled in."""
    d = normalized
    return Matter(
        code=d["code"], version=d["version"], name=d["name"], domain=d["domain"],
        matter_type=d["matter_type"], levels=tuple(d["levels"]),
        responsible_unit=d["responsible_unit"], effective_from=_date(d["effective_from"]),
        content_hash=content_hash(d), status=d.get("status", "active"),
        everyday_name=d.get("everyday_name"), aliases=tuple(d.get("aliases", ())),
        basic_code=d.get("basic_code"), implementation_code=d.get("implementation_code"),
        legal_basis=tuple(
            LegalReference(r["title"], r.get("articles"), r.get("text"))
            for r in d.get("legal_basis", ())
        ),
        effective_until=_date(d.get("effective_until")),
        service_objects=tuple(d.get("service_objects", ("natural_person",))),
        joint_units=tuple(d.get("joint_units", ())), channels=tuple(d.get("channels", ("window",))),
        visits_required=d.get("visits_required", 1),
        special_groups=tuple(d.get("special_groups", ())),
        proxy_allowed=d.get("proxy_allowed", True), guardian_allowed=d.get("guardian_allowed", True),
        statutory_limit=_limit(d.get("statutory_limit")),
        promised_limit=_limit(d.get("promised_limit")),
        application_windows=tuple(
            ApplicationWindow(w["every"], w.get("from_day"), w.get("to_day"), w.get("from"),
                              w.get("to"), w.get("note"))
            for w in d.get("application_windows", ())
        ),
        fees=tuple(Fee(f["name"], f["standard"], f["basis"], f.get("reducible"))
                   for f in d.get("fees", ())),
        fields=tuple(_field(f) for f in d.get("fields", ())),
        conditions=tuple(_condition(c) for c in d.get("conditions", ())),
        exclusions=tuple(_condition(c) for c in d.get("exclusions", ())),
        materials=tuple(_material(m) for m in d.get("materials", ())),
        guide=_guide(d.get("guide")), notes=d.get("notes"),
    )
