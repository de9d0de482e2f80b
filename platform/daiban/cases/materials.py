"""A case's materials checklist (收件清单): what the one-time notice asked for, and what came in.

- **Built from the notice.** `build_checklist` resolves the matter's materials against the case's
  intake form with `intake.notice.one_time_notice` and keeps one row per material that is needed
  or still depends on something; building again adds nothing.
- **Received**, with the counts of originals and copies, possibly as an alternative or fallback
  ("A 或 B"), or through the electronic licence where the matter allows it.
- **Deferred** (容缺受理): only a deferrable material, with the date the applicant promises to
  supply it, by default the end of its deferrable limit counted in working days; later supplied.
- A material the notice could not decide is received, deferred, or ruled out with a note.

The checklist is complete when nothing needed is still missing and no deferred material is past
its promised date: the guard `materials_complete` (`cases.guards`, where the readers live) that
材料收齐 and 报送 ask. Rows change only here, by UPDATEs guarded by their `lock_version`,
and every change leaves an immutable `CaseMaterialEvent`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import peewee

from daiban.cases import personal
from daiban.cases.guards import BUILD as BUILD
from daiban.cases.guards import SETTLED as SETTLED
from daiban.cases.guards import blocks as blocks
from daiban.cases.guards import checklist as checklist
from daiban.cases.guards import checklist_built as checklist_built
from daiban.cases.guards import materials_complete
from daiban.cases.guards import missing as missing
from daiban.cases.service import Actor, CaseConflict, CaseError, _write_transaction, audit_step
from daiban.catalog.calendar import WorkCalendar
from daiban.catalog.model import Matter as CompiledMatter
from daiban.catalog.model import TimeLimit
from daiban.intake.notice import DEPENDS, NEEDED, limit_label, one_time_notice
from daiban.models import Case, CaseMaterial, CaseMaterialEvent, User

RECEIVE, DEFER, SUPPLY, NOT_NEEDED, UPLOAD = (
    "material:receive", "material:defer", "material:supply", "material:not_needed",
    "material:upload")
ACTION_LABELS = {BUILD: "生成材料清单", RECEIVE: "收取材料", DEFER: "容缺受理", SUPPLY: "补交材料",
                 NOT_NEEDED: "核实不需要", UPLOAD: "上传扫描件"}


class MaterialRefused(CaseError):
    """A checklist operation that did not happen; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Outstanding:
    """A deferred material not supplied yet, and whether its promised date has passed."""

    material: CaseMaterial
    promised_on: datetime.date
    provisional: bool
    overdue: bool


# --- shared by the case services ---------------------------------------------------------------

def acting_user(actor: Actor | User, refused=MaterialRefused) -> tuple[User, str]:
    """The acting user, fresh from the database and active, and the role recorded for the step."""
    if isinstance(actor, User):
        actor = Actor.of(actor)
    user = User.get_or_none(User.id == actor.user.id)
    if user is None or not user.active:
        raise refused("账号不存在或已停用")
    not_held = [r for r in actor.roles if r not in user.role_ids]
    if not_held:
        raise refused(f"{user.display_name} 没有 {'、'.join(not_held)} 角色")
    return user, (actor.roles[0] if actor.roles else "")


def refuse_if_closed(case: Case, refused=MaterialRefused) -> None:
    """Refuse a change to a case that has ended (办结 or 终止)."""
    if case.closed_on is not None:
        raise refused(f"办件 {case.number} 已于 {case.closed_on} 终结，不能再修改")


def record_event(case_id: int, row: CaseMaterial | None, user: User, role: str, action: str,
                 day: datetime.date, **fields) -> None:
    """Append one immutable step to the case's materials history, and its audit row."""
    CaseMaterialEvent.insert(case=case_id, case_material=row.id if row else None,
                             at=datetime.datetime.now(), day=day, actor=user, role=role,
                             action=action, **fields).execute()
    number = Case.select(Case.number).where(Case.id == case_id).scalar()
    label = ACTION_LABELS.get(action, action)
    audit_step(user, number, f"{number}：{label}" + (f"“{row.name}”" if row is not None else ""))


def _fresh(row: CaseMaterial) -> tuple[CaseMaterial, Case]:
    """The row as stored now, if the caller saw this version of it, and its case."""
    current = CaseMaterial.get_or_none(CaseMaterial.id == row.id)
    if current is None:
        raise MaterialRefused("办件材料不存在")
    if current.lock_version != row.lock_version:
        raise CaseConflict(f"材料“{current.name}”已被他人更新（现为“{current.status_label}”），"
                           f"请刷新后重试")
    case = Case.get_by_id(current.case_id)
    refuse_if_closed(case)
    return current, case


def _write(current: CaseMaterial, **changes) -> None:
    changes.update(lock_version=current.lock_version + 1, updated_at=datetime.datetime.now())
    updated = (CaseMaterial.update(**changes)
               .where((CaseMaterial.id == current.id)
                      & (CaseMaterial.lock_version == current.lock_version))
               .execute())
    if updated != 1:  # changed between our read and our write (PostgreSQL, read committed)
        raise CaseConflict(f"材料“{current.name}”已被他人更新，请刷新后重试")


def _today(today: datetime.date | None) -> datetime.date:
    return today or datetime.date.today()


# --- building ----------------------------------------------------------------------------------

def build_checklist(case: Case, matter: CompiledMatter, today: datetime.date, *,
                    actor: Actor | User | None = None) -> list[CaseMaterial]:
    """Make the case's checklist from the one-time notice of `matter` (the case's version) on its
    intake form; rows already there are kept as they are. Recorded as done by `actor`, else by the
    case's first agent. Returns the checklist.

    The form is read masked: a material whose rule reads an ID number or phone stays `depends`
    and is decided by a person."""
    case = Case.get_by_id(case.id)
    if (matter.code, matter.version) != (case.matter_code, case.matter_version):
        raise MaterialRefused(f"办件 {case.number} 办理的是 {case.matter_code} 第{case.matter_version}版，"
                              f"不是 {matter.code} 第{matter.version}版")
    refuse_if_closed(case)
    user, role = acting_user(actor if actor is not None else Actor(case.first_agent, ()))
    notice = one_time_notice(matter, personal.masked_values(case), today)
    try:
        with _write_transaction():
            have = {r.material_id for r in CaseMaterial.select(CaseMaterial.material_id)
                    .where(CaseMaterial.case == case.id)}
            built = CaseMaterialEvent.select().where(
                (CaseMaterialEvent.case == case.id) & (CaseMaterialEvent.action == BUILD)).exists()
            added = []
            for position, item in enumerate(notice.materials):
                if item.status not in (NEEDED, DEPENDS) or item.id in have:
                    continue
                source = matter.material(item.id)
                limit = source.deferrable_within
                row = CaseMaterial.create(
                    case=case.id, material_id=item.id, name=item.name, position=position,
                    notice_status=item.status, optional=item.optional,
                    verified_by_department=item.verified_by_department,
                    exempt_with_electronic_licence=item.exempt_with_electronic_licence,
                    originals_required=item.originals, copies_required=item.copies,
                    options=json.dumps(
                        [{"id": a.id, "name": a.name, "originals": a.originals, "copies": a.copies,
                          "kind": "alternative"} for a in item.alternatives]
                        + ([{"id": item.fallback.id, "name": item.fallback.name,
                             "originals": item.fallback.originals, "copies": item.fallback.copies,
                             "kind": "fallback"}] if item.fallback else []),
                        ensure_ascii=False),
                    deferrable_amount=limit.amount if limit else None,
                    deferrable_unit=limit.unit if limit else None,
                    deferrable_label=limit_label(limit),
                    status="verified" if item.verified_by_department else "pending",
                )
                added.append(row.name)
            if added or not built:
                record_event(case.id, None, user, role, BUILD, today,
                             note="、".join(added) or "无需申请人提交材料")
    except peewee.IntegrityError:
        pass  # someone built it at the same moment: theirs is the same checklist
    return checklist(case)


# --- reading -----------------------------------------------------------------------------------

def checklist_complete(case: Case, today: datetime.date | None = None) -> bool:
    """True when the checklist was made and every needed material is received or deferred (and
    no deferred one is past its promised date)."""
    return materials_complete(case, _today(today)) is None


def outstanding(case: Case, today: datetime.date | None = None) -> list[Outstanding]:
    """Deferred materials not supplied yet, soonest promise first, overdue once past `today`."""
    today = _today(today)
    rows = (CaseMaterial.select()
            .where((CaseMaterial.case == case.id) & (CaseMaterial.status == "deferred"))
            .order_by(CaseMaterial.promised_on, CaseMaterial.position))
    return [Outstanding(r, r.promised_on, r.promised_provisional, r.promised_on < today) for r in rows]


def events(case: Case) -> list[CaseMaterialEvent]:
    """The checklist's history, oldest first."""
    return list(CaseMaterialEvent.select().where(CaseMaterialEvent.case == case.id)
                .order_by(CaseMaterialEvent.id))


def submission_problem(case: Case, today: datetime.date | None = None) -> str | None:
    """Why the checklist keeps the case from going on, in Chinese, or None (the guard
    `materials_complete` of `cases.guards`)."""
    return materials_complete(case, _today(today))


# --- changing ----------------------------------------------------------------------------------

def _required(row: CaseMaterial, received_as: str | None) -> tuple[int, int, str | None]:
    """Counts asked for when `received_as` (an alternative's or fallback's id) is handed in."""
    if received_as in (None, row.material_id):
        return row.originals_required, row.copies_required, None
    option = next((o for o in row.option_list if o["id"] == received_as), None)
    if option is None:
        choices = "、".join(f"{o['name']}（{o['id']}）" for o in row.option_list)
        raise MaterialRefused(f"“{received_as}”不是“{row.name}”的可替代材料"
                              + (f"；可替代的有：{choices}" if choices else "；该材料没有可替代材料"))
    return option["originals"], option["copies"], option["name"]


def receive(case_material: CaseMaterial, originals: int, copies: int, actor: Actor | User,
            note: str = "", *, today: datetime.date | None = None, alternative: str | None = None,
            electronic_licence: bool = False) -> CaseMaterial:
    """Record what was handed in: counts of originals and copies (added to what came before), as
    the material itself or as `alternative` (an alternative's or the fallback's id), or checked
    through the electronic licence where the matter allows it. Complete counts mark the material
    received (supplied, when it had been deferred); fewer mark it short."""
    today, note = _today(today), (note or "").strip()
    user, role = acting_user(actor)
    for label, n in (("原件", originals), ("复印件", copies)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise MaterialRefused(f"{label}份数应为不小于 0 的整数")
    with _write_transaction():
        current, case = _fresh(case_material)
        if current.verified_by_department:
            raise MaterialRefused(f"“{current.name}”由部门核验，无需申请人提交")
        if current.status not in ("pending", "short", "deferred"):
            raise MaterialRefused(f"“{current.name}”{current.status_label}，无需再收取")
        if electronic_licence:
            if not current.exempt_with_electronic_licence:
                raise MaterialRefused(f"“{current.name}”不能以电子证照代替，须提交纸质材料")
            want_o, want_c, as_name, alternative = 0, 0, None, None
        else:
            want_o, want_c, as_name = _required(current, alternative)
            if alternative == current.material_id:
                alternative = None
            if originals == copies == 0 and (want_o or want_c):
                raise MaterialRefused(f"请填写收到“{as_name or current.name}”的原件或复印件份数")
        same = (current.received_as == alternative) and not current.via_electronic_licence
        got_o = (current.originals_received if same else 0) + originals
        got_c = (current.copies_received if same else 0) + copies
        complete = electronic_licence or (got_o >= want_o and got_c >= want_c)
        status = ("supplied" if current.status == "deferred" else "received") if complete else (
            "deferred" if current.status == "deferred" else "short")
        changes = dict(status=status, originals_received=got_o, copies_received=got_c,
                       received_as=alternative, received_as_name=as_name,
                       via_electronic_licence=electronic_licence)
        if complete:
            changes["received_on" if status == "received" else "supplied_on"] = today
        if note:
            changes["note"] = note
        _write(current, **changes)
        record_event(case.id, current, user, role, RECEIVE, today, from_status=current.status,
                     to_status=status, originals=originals, copies=copies, received_as=alternative,
                     note=note or ("电子证照核验" if electronic_licence else ""))
    return CaseMaterial.get_by_id(current.id)


def defer(case_material: CaseMaterial, actor: Actor | User, promised_on: datetime.date | None,
          today: datetime.date, calendar: WorkCalendar, note: str = "") -> CaseMaterial:
    """Accept the case without a deferrable material (容缺受理): the applicant promises to supply
    it by `promised_on`, by default the last day of its deferrable limit (in working days)."""
    user, role = acting_user(actor)
    note = (note or "").strip()
    with _write_transaction():
        current, case = _fresh(case_material)
        if current.deferrable_unit is None:
            raise MaterialRefused(f"“{current.name}”不在容缺受理范围内，必须收齐后才能报送")
        if current.status not in ("pending", "short"):
            raise MaterialRefused(f"“{current.name}”{current.status_label}，不能再容缺受理")
        latest = calendar.due_date(today, TimeLimit(current.deferrable_unit, current.deferrable_amount))
        if promised_on is None:
            promised_on, provisional = latest.on, latest.provisional
        elif promised_on < today:
            raise MaterialRefused(f"承诺补交日期 {promised_on} 早于今天（{today}）")
        elif promised_on > latest.on:
            raise MaterialRefused(f"承诺补交日期 {promised_on} 超过了容缺期限：“{current.name}”须在"
                                  f"{current.deferrable_label}内补交，即最晚 {latest.on}")
        else:
            provisional = not calendar.is_covered(promised_on)
        changes = dict(status="deferred", deferred_on=today, promised_on=promised_on,
                       promised_provisional=provisional)
        if note:
            changes["note"] = note
        _write(current, **changes)
        record_event(case.id, current, user, role, DEFER, today, from_status=current.status,
                     to_status="deferred", promised_on=promised_on, note=note)
    return CaseMaterial.get_by_id(current.id)


def supply(case_material: CaseMaterial, actor: Actor | User, today: datetime.date,
           note: str = "") -> CaseMaterial:
    """Record that a deferred material was supplied in full (补交)."""
    user, role = acting_user(actor)
    note = (note or "").strip()
    with _write_transaction():
        current, case = _fresh(case_material)
        if current.status != "deferred":
            raise MaterialRefused(f"“{current.name}”{current.status_label}，不是容缺待补的材料")
        want_o, want_c, _ = _required(current, current.received_as)
        changes = dict(status="supplied", supplied_on=today,
                       originals_received=max(want_o, current.originals_received),
                       copies_received=max(want_c, current.copies_received))
        if note:
            changes["note"] = note
        _write(current, **changes)
        late = today > current.promised_on
        record_event(case.id, current, user, role, SUPPLY, today, from_status="deferred",
                     to_status="supplied", originals=want_o, copies=want_c,
                     promised_on=current.promised_on,
                     note=note or (f"逾期补交（承诺 {current.promised_on}）" if late else ""))
    return CaseMaterial.get_by_id(current.id)


def mark_not_needed(case_material: CaseMaterial, actor: Actor | User, note: str,
                    today: datetime.date | None = None) -> CaseMaterial:
    """Rule out a material the notice could not decide (视情况而定), with what was checked."""
    today, note = _today(today), (note or "").strip()
    user, role = acting_user(actor)
    if not note:
        raise MaterialRefused("请写明核实情况（为什么不需要这项材料）")
    with _write_transaction():
        current, case = _fresh(case_material)
        if current.notice_status != DEPENDS:
            raise MaterialRefused(f"“{current.name}”是一次性告知中必须提交的材料，不能标为不需要")
        if current.status not in ("pending", "short"):
            raise MaterialRefused(f"“{current.name}”{current.status_label}，不能再标为不需要")
        _write(current, status="not_needed", note=note)
        record_event(case.id, current, user, role, NOT_NEEDED, today, from_status=current.status,
                     to_status="not_needed", note=note)
    return CaseMaterial.get_by_id(current.id)

