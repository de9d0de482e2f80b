"""The matters as the bench fill uses them: how often each is asked for, its checklist and a
filled-in intake form.

The checklist rows are made once per matter from the one-time notice (`intake.notice`), as
`cases.materials.build_checklist` makes them for a case; a material the notice leaves to depend
on the case is on about a quarter of the checklists (the commission on every proxy case's).
"""

from __future__ import annotations

import datetime
import json
import random
from dataclasses import dataclass

from daiban.catalog.model import Matter
from daiban.intake.notice import DEPENDS, NEEDED, limit_label, one_time_notice
from daiban.models import Department

DEPENDS_SHARE = 0.25
COMMISSION_MATERIALS = ("commission", "pickup_commission")  # needed exactly when the case is proxy


@dataclass(frozen=True)
class ChecklistItem:
    """The fixed part of one checklist row of a matter."""

    material_id: str
    name: str
    position: int
    notice_status: str
    optional: bool
    verified_by_department: bool
    exempt_with_electronic_licence: bool
    originals: int
    copies: int
    options: str  # JSON, as build_checklist stores it
    deferrable: object  # the TimeLimit, or None
    deferrable_label: str | None


@dataclass(frozen=True)
class MatterInfo:
    """One published matter, ready for the fill."""

    matter: Matter
    weight: float
    checklist: tuple[ChecklistItem, ...]
    departments: tuple[int, ...]  # the responsible unit first, then the joint units (并联)
    department_names: str

    def items_for(self, rng: random.Random, proxy: bool) -> list[ChecklistItem]:
        """The checklist of one case: what is needed, and what depends on the case for some."""
        chosen = []
        for item in self.checklist:
            if item.notice_status == NEEDED:
                chosen.append(item)
            elif item.material_id in COMMISSION_MATERIALS:
                if proxy:
                    chosen.append(item)
            elif rng.random() < DEPENDS_SHARE:
                chosen.append(item)
        return chosen


def _checklist(matter: Matter, day: datetime.date) -> tuple[ChecklistItem, ...]:
    notice = one_time_notice(matter, {}, day)
    items = []
    for position, item in enumerate(notice.materials):
        if item.status not in (NEEDED, DEPENDS):
            continue
        limit = matter.material(item.id).deferrable_within
        options = json.dumps(
            [{"id": a.id, "name": a.name, "originals": a.originals, "copies": a.copies,
              "kind": "alternative"} for a in item.alternatives]
            + ([{"id": item.fallback.id, "name": item.fallback.name, "originals": item.fallback.originals,
                 "copies": item.fallback.copies, "kind": "fallback"}] if item.fallback else []),
            ensure_ascii=False)
        items.append(ChecklistItem(item.id, item.name, position, item.status, item.optional,
                                   item.verified_by_department, item.exempt_with_electronic_licence,
                                   item.originals, item.copies, options, limit, limit_label(limit)))
    return tuple(items)


def matter_infos(catalog, day: datetime.date, rng: random.Random) -> list[MatterInfo]:
    """Every active matter with a popularity weight (a few matters take most cases, as at a real
    counter), its checklist and its departments."""
    departments = {d.code: d for d in Department.select()}
    matters = sorted((m for m in catalog.matters.values() if m.status != "withdrawn"), key=lambda m: m.code)
    ranks = list(range(len(matters)))
    rng.shuffle(ranks)
    infos = []
    for rank, matter in zip(ranks, matters, strict=True):
        units = [departments[c] for c in (matter.responsible_unit, *matter.joint_units) if c in departments]
        infos.append(MatterInfo(matter, 1 / (rank + 2), _checklist(matter, day), tuple(u.id for u in units),
                                "、".join(u.name for u in units)))
    return infos


def form_values(matter: Matter, name: str, id_number: str, phone: str, address: str,
                accepted: datetime.date, rng: random.Random) -> dict:
    """A filled-in intake form of `matter` for the applicant (clear values; the fill seals them)."""
    values: dict = {}
    for f in matter.fields:
        if f.type == "id_number":
            values[f.id] = id_number
        elif f.type == "phone":
            values[f.id] = phone
        elif f.type == "region":
            values[f.id] = address
        elif f.type == "text":
            values[f.id] = name if f.id == "name" or "姓名" in f.label else "—"
        elif f.type == "textarea":
            values[f.id] = "无"
        elif f.type == "choice" and f.options:
            values[f.id] = rng.choice(f.options).value
        elif f.type == "multi_choice" and f.options:
            values[f.id] = [f.options[0].value]
        elif f.type == "boolean":
            values[f.id] = False
        elif f.type == "date":
            values[f.id] = accepted.isoformat()
        elif f.type == "integer":
            values[f.id] = rng.randint(1, 5)
        elif f.type == "decimal":
            values[f.id] = round(rng.uniform(100, 5000), 2)
        elif f.type == "group":
            values[f.id] = []
    return values
