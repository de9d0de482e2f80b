"""Step guards (门槛): what must hold before a case takes a step, in one registry.

A transition names its guards in config/workflow/case.yaml (`guards: [materials_complete, …]`);
`GUARDS` maps each word to a function `(case, today, note) -> problem or None` (the note is what
the person wrote with the step: `deferred_settled` reads it), and the workflow
schema lists the same words, so an unknown one fails when the config is loaded. Every path to a
step asks `refusal`: `service.transition`, and `relay.send_up` / `relay.send_to_departments`
(a relay leg out of the center is the 报送 step itself), so a 代办 case reaches no higher level
and no department before it is accepted, its materials are in and a signed commission is in force.

The guards read the tables themselves and import none of the modules that consult them
(service, materials, commission, relay), so there is no import cycle: those modules take
their readers (`checklist`, `missing`, `in_force`, `waiting_departments` …) from here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from daiban.catalog.workflow import Transition
from daiban.intake.notice import DEPENDS
from daiban.models import Case, CaseMaterial, CaseMaterialEvent, Commission, Handoff

BUILD = "material:build"  # the materials event that records the checklist was made
SETTLED = ("received", "deferred", "supplied", "not_needed", "verified")  # nothing more is needed now
MANDATES = ("commission", "renewal")  # the commission kinds that give the agent a mandate

Guard = Callable[[Case, datetime.date, str], "str | None"]


# --- materials (收件清单) -----------------------------------------------------------------------

def checklist(case: Case) -> list[CaseMaterial]:
    """The case's checklist in the notice's order."""
    return list(CaseMaterial.select().where(CaseMaterial.case == case.id)
                .order_by(CaseMaterial.position, CaseMaterial.id))


def checklist_built(case: Case) -> bool:
    """True once the checklist was made (a matter may need no materials at all)."""
    return CaseMaterialEvent.select().where(
        (CaseMaterialEvent.case == case.id) & (CaseMaterialEvent.action == BUILD)).exists()


def blocks(row: CaseMaterial) -> bool:
    """True when the row keeps the checklist from being complete: a needed material (or one the
    notice could not decide) that is neither received, deferred nor ruled out."""
    if row.status in SETTLED:
        return False
    return row.notice_status == DEPENDS or not row.optional


def missing(case: Case) -> list[CaseMaterial]:
    """The materials still missing before the case can go on."""
    return [row for row in checklist(case) if blocks(row)]


def overdue_deferrals(case: Case, today: datetime.date) -> list[CaseMaterial]:
    """Deferred (容缺) materials whose promised date has passed without them being supplied."""
    return list(CaseMaterial.select()
                .where((CaseMaterial.case == case.id) & (CaseMaterial.status == "deferred")
                       & (CaseMaterial.promised_on < today))
                .order_by(CaseMaterial.promised_on, CaseMaterial.position))


def materials_complete(case: Case, today: datetime.date, note: str = "") -> str | None:
    """The checklist is made, every needed material is received, deferred or ruled out, and no
    deferred one is past its promised date."""
    if not checklist_built(case):
        return "尚未生成材料清单"
    rows = missing(case)
    if rows:
        names = "、".join(f"{r.name}（{r.status_label}）" for r in rows)
        return f"材料未收齐：{names}；可容缺的材料可先登记容缺受理"
    late = overdue_deferrals(case, today)
    if late:
        names = "、".join(f"{r.name}（承诺 {r.promised_on} 前补交）" for r in late)
        return f"容缺材料逾期未补交：{names}"
    return None


def deferred_pending(case: Case) -> list[CaseMaterial]:
    """Deferred (容缺) materials still to be supplied, in the checklist's order: what the case page
    marks 容缺待补, the ledger counts as 待补 and the quarterly report as 待补交."""
    return [row for row in checklist(case) if row.status == "deferred"]


def deferred_settled(case: Case, today: datetime.date, note: str = "") -> str | None:
    """No deferred material is still outstanding, or the note names every one still outstanding
    (the recorded reason for closing without them, kept in the step's event)."""
    unnamed = [row.name for row in deferred_pending(case) if row.name not in (note or "")]
    if not unnamed:
        return None
    return (f"容缺材料尚未补交：{'、'.join(unnamed)}；请先登记补交，或在说明中逐一写明这些材料及"
            f"办结原因")


# --- the commission (代办服务委托书) -------------------------------------------------------------

def in_force(case: Case, today: datetime.date) -> Commission | None:
    """The signed commission or renewal that is valid on `today`, if any."""
    return (Commission.select()
            .where((Commission.case == case.id) & (Commission.kind.in_(MANDATES))
                   & (Commission.status == "signed") & (Commission.valid_from <= today)
                   & (Commission.valid_until >= today))
            .order_by(Commission.valid_until.desc(), Commission.id.desc())
            .first())


def latest_signed(case_id: int) -> Commission | None:
    """The most recently signed commission or renewal of the case, terminated or not."""
    return (Commission.select()
            .where((Commission.case == case_id) & (Commission.kind.in_(MANDATES))
                   & (Commission.status.in_(("signed", "terminated"))))
            .order_by(Commission.signed_on.desc(), Commission.id.desc())
            .first())


def commission_in_force(case: Case, today: datetime.date, note: str = "") -> str | None:
    """A proxy case acts only under a signed commission valid today (an assisted case needs none)."""
    if case.mode != "proxy" or in_force(case, today) is not None:
        return None
    latest = latest_signed(case.id)
    if latest is None:
        drafted = Commission.select().where((Commission.case == case.id) & (Commission.status == "drafted"))
        if drafted.exists():
            return "代办服务委托书尚未签署"
        return "代办件须先签订代办服务委托书"
    if latest.status == "terminated":
        return f"委托已于 {latest.terminated_on} 终止，须重新签订代办服务委托书"
    if latest.valid_from > today:
        return f"{latest.kind_label}自 {latest.valid_from} 起生效"
    return f"{latest.kind_label}已于 {latest.valid_until} 到期，请签订续办委托书"


# --- relay (接力办) -----------------------------------------------------------------------------

def legs(case: Case) -> list[Handoff]:
    """Every relay leg of a case, oldest first."""
    return list(Handoff.select().where(Handoff.case == case.id).order_by(Handoff.id))


def waiting_departments(case: Case) -> list[Handoff]:
    """Department legs of the latest group still without a result: the case waits for them."""
    department_legs = [h for h in legs(case) if h.to_department_id is not None]
    if not department_legs:
        return []
    group = max(h.group for h in department_legs)
    return [h for h in department_legs if h.group == group and h.status != "done"]


def departments_decided(case: Case, today: datetime.date, note: str = "") -> str | None:
    """Every department the case was routed to in parallel has recorded its decision."""
    waiting = waiting_departments(case)
    if not waiting:
        return None
    return "还在等待并联办理的部门：" + "、".join(h.target_name for h in waiting)


# --- the registry ------------------------------------------------------------------------------

GUARDS: dict[str, Guard] = {
    "materials_complete": materials_complete,
    "commission_in_force": commission_in_force,
    "departments_decided": departments_decided,
    "deferred_settled": deferred_settled,
}


def problems(step: Transition, case: Case, today: datetime.date, note: str = "") -> list[str]:
    """What keeps `case` from taking `step` on `today` (with `note`), in Chinese; empty when
    nothing does."""
    return [p for p in (GUARDS[word](case, today, note) for word in step.guards) if p]


def refusal(step: Transition, case: Case, today: datetime.date, note: str = "") -> str | None:
    """The message refusing `step` on `case`, naming everything that is missing, or None."""
    found = problems(step, case, today, note)
    if not found:
        return None
    return f"办件 {case.number} 还不能“{step.label_for(case.mode)}”：" + "；".join(found)
