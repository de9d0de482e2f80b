"""The only writer of cases (办件): open a case, move it along the configured workflow.

- **Numbers** come from the row id (`BD20261128-000123`): the row is inserted with a
  placeholder and renamed from its own id in the same transaction, so two cases opened at the
  same moment can never be given the same number, whatever the database.
- **Optimistic locking.** Each case carries `lock_version`. A transition names the version the
  user saw; the write is `UPDATE … WHERE id = ? AND lock_version = ?`, so when two people act at
  once exactly one wins and the other gets `CaseConflict` with nothing lost or overwritten.
- **The clock** (限时办结). The due date is the matter's promised limit (else statutory) counted
  in working days from the day the case is opened. A `stops_clock` transition (中止, 退回补正)
  records the day; the `resumes_clock` transition adds the working days in between to the due
  date (行政许可法第四十五条: time of special procedures is not counted).
- **One case per applicant and matter in progress**: opening a second one (a form posted twice,
  two agents at once) is refused inside the write transaction with `DuplicateCase`, whose text
  names only the center to contact (the case's number only for a user whose scope holds it);
  each such lookup is audited.
- **First-contact responsibility** (首问负责): `first_agent` is whoever opened the case and never
  changes; the database refuses an UPDATE of it.
- **Guards.** What must hold before a step (materials complete before 材料收齐 and 报送, a
  signed commission in force for a proxy case, every parallel department's decision before the
  result) is named per transition in the workflow config and checked by `cases.guards`, the one
  registry that a relay leg (`cases.relay`) consults too.

Every change leaves an immutable `CaseEvent`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from daiban.access import Principal, scoped
from daiban.cases import guards, personal
from daiban.catalog.calendar import WorkCalendar
from daiban.catalog.model import CHANNEL_LABELS
from daiban.catalog.model import Matter as CompiledMatter
from daiban.catalog.workflow import OPEN_TRANSITION, Transition, Workflow
from daiban.db import database, is_postgres
from daiban.models import (
    CASE_CHANNELS,
    CASE_MODES,
    Case,
    CaseEvent,
    MatterVersion,
    ServiceCenter,
    User,
)

NUMBER_PREFIX = "BD"
SUBMITTING = ("submit", "resubmit")  # transitions that send the case on to the next office


class CaseError(RuntimeError):
    """A case operation that did not happen; the message is for the user, in Chinese."""


class OpenRefused(CaseError):
    """A case could not be opened."""


class DuplicateCase(OpenRefused):
    """The applicant already has this matter in progress (`existing`). Its text says only that and
    which center to contact, never the case's number: `message_for(principal)` names the case
    to someone whose data scope holds it."""

    def __init__(self, existing: Case):
        self.existing = existing
        center = ServiceCenter.get_or_none(ServiceCenter.id == existing.center_id)
        where = f"请联系{center.name}" if center is not None else "请联系受理的服务中心"
        super().__init__(f"该申请人已有在办的同一事项，请勿重复受理；如需了解办理情况，{where}")

    def visible_to(self, principal: Principal | None) -> bool:
        """True when the existing case is in the principal's data scope."""
        if principal is None:
            return False
        return scoped(Case.select(Case.id), Case, principal).where(Case.id == self.existing.id).exists()

    def message_for(self, principal: Principal | None) -> str:
        """The refusal as this user may read it: with the case's number only within their scope."""
        if self.visible_to(principal):
            return f"该申请人已有在办的同一事项办件 {self.existing.number}，请勿重复受理"
        return str(self)


class TransitionRefused(CaseError):
    """A transition is not allowed: wrong state, wrong role, missing note …"""


class CaseConflict(CaseError):
    """Someone else changed the case since the user loaded it."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a user and the role ids they act in (a subset of the roles they hold)."""

    user: User
    roles: tuple[str, ...]

    @classmethod
    def of(cls, user: User, roles: Iterable[str] | None = None) -> Actor:
        """The user acting in `roles`, or in every role they hold."""
        return cls(user, tuple(user.role_ids if roles is None else roles))

    @classmethod
    def from_principal(cls, principal: Principal) -> Actor:
        """The signed-in user (as access control sees them) acting in all their configured roles."""
        return cls(User.get_by_id(principal.user_id), tuple(r.id for r in principal.roles))


@dataclass(frozen=True)
class Applicant:
    """The applicant's identity as the case keeps it."""

    name: str = ""
    id_number: str | None = None
    phone: str | None = None

    @classmethod
    def from_values(cls, values: Mapping) -> Applicant:
        """Take the applicant from the intake form's conventional fields name, id_number, phone."""
        def text(key):
            value = values.get(key)
            return value.strip() if isinstance(value, str) and value.strip() else None

        return cls(text("name") or "", text("id_number"), text("phone"))


RESULT_DECISIONS = {"approved": "准予办理", "refused": "不予办理", "other": "其他（见说明）"}


@dataclass(frozen=True)
class Result:
    """What the department decided, and the number of the certificate or decision it issued."""

    decision: str
    number: str | None = None

    def stored_number(self) -> str | None:
        """The number as stored (stripped, None when blank); refused when longer than its column."""
        number = (self.number or "").strip() or None
        if number is not None and len(number) > Case.result_number.max_length:
            raise CaseError(f"证件/文书编号不能超过 {Case.result_number.max_length} 个字符")
        return number


def _write_transaction():
    """A transaction that takes the write lock at once on SQLite (BEGIN IMMEDIATE): a deferred
    transaction that read first could not wait for another writer and would fail with 'locked'."""
    if is_postgres(database):
        return database.atomic()
    return database.atomic(lock_type="IMMEDIATE")


def case_number(case_id: int, day: datetime.date) -> str:
    """The human-readable number of a case: prefix, the day opened, the row id."""
    return f"{NUMBER_PREFIX}{day:%Y%m%d}-{case_id:06d}"


def _due(matter: CompiledMatter, today: datetime.date, calendar: WorkCalendar):
    limit = matter.promised_limit or matter.statutory_limit
    return calendar.due_date(today, limit)


def open_case(
    matter: CompiledMatter,
    version,
    values: Mapping,
    mode: str,
    channel: str,
    agent: User,
    center: ServiceCenter,
    today: datetime.date,
    calendar: WorkCalendar,
    *,
    workflow: Workflow,
    applicant: Applicant | None = None,
) -> Case:
    """Open a case of `matter` (the compiled version `version`: a MatterVersion row or its number)
    for the applicant in `values` (or `applicant`), received at `center` by `agent`, who becomes
    its first agent. The case starts in the workflow's initial state."""
    number = version.version if isinstance(version, MatterVersion) else version
    if isinstance(version, MatterVersion) and version.code != matter.code:
        raise OpenRefused(f"事项版本属于 {version.code}，不是 {matter.code}")
    if number != matter.version:
        raise OpenRefused(f"事项 {matter.code} 的版本不一致（{number} 与 {matter.version}）")
    if matter.status == "withdrawn":
        raise OpenRefused(f"事项“{matter.name}”已撤销，不能受理")
    if mode not in CASE_MODES:
        raise OpenRefused(f"办理方式 “{mode}” 不对：应为帮办（assist）或代办（proxy）")
    if mode == "proxy" and not matter.proxy_allowed:
        raise OpenRefused(f"事项“{matter.name}”须由本人办理，不能代办，可以帮办")
    if channel not in CASE_CHANNELS:
        choices = "、".join(f"{CHANNEL_LABELS[c]}（{c}）" for c in CASE_CHANNELS)
        raise OpenRefused(f"受理渠道 “{channel}” 不对：可选 {choices}")
    agent = User.get_or_none(User.id == agent.id)
    if agent is None or not agent.active:
        raise OpenRefused("代办员账号不存在或已停用")
    role = workflow.may_open(agent.role_ids)
    if role is None:
        names = "、".join(workflow.role_label(r) for r in workflow.opened_by)
        raise OpenRefused(f"只有{names}可以新建办件")
    center = ServiceCenter.get_or_none(ServiceCenter.id == center.id)
    if center is None or not center.active:
        raise OpenRefused("受理的服务中心（站）不存在或已停用")

    applicant = applicant or Applicant.from_values(values)
    due = _due(matter, today, calendar)
    now = datetime.datetime.now()
    case = Case(
        number=f"~{uuid.uuid4().hex}",  # replaced by the id-derived number before commit
        matter_code=matter.code, matter_version=matter.version, mode=mode, channel=channel,
        status=workflow.initial, first_agent=agent, center=center, applicant_name=applicant.name,
        values=json.dumps(personal.seal_values(matter.fields, dict(values)), ensure_ascii=False,
                          default=str),
        accepted_on=today, due_on=due.on if due else None,
        due_provisional=bool(due and due.provisional), lock_version=0, created_at=now,
        updated_at=now,
    )
    personal.store_id_number(case, applicant.id_number)
    personal.store_phone(case, applicant.phone)
    try:
        case_id = _insert_case(case, matter, applicant, agent, role, today, workflow)
    except DuplicateCase as refused:
        _audit_duplicate_lookup(agent, matter, refused.existing)
        raise
    return Case.get_by_id(case_id)


def _audit_duplicate_lookup(agent: User, matter: CompiledMatter, existing: Case) -> None:
    """Record that opening found the applicant's case in progress (each such lookup is audited:
    it tells the agent something about a citizen, whatever their scope)."""
    with _write_transaction():
        audit_step(agent, existing.number, f"重复受理核查：申请人已有在办的 {matter.code} 办件，未新建",
                   action="read")


def _insert_case(case: Case, matter: CompiledMatter, applicant: Applicant, agent: User, role: str,
                 today: datetime.date, workflow: Workflow) -> int:
    """Insert the case, its number and its first event, unless the applicant has the matter in
    progress (DuplicateCase); returns the new id."""
    with _write_transaction():
        # Checked inside the write lock, so two posts of one form cannot both pass.
        _lock_applicant(matter.code, applicant.id_number)
        existing = open_case_of(matter.code, applicant.id_number, workflow)
        if existing is not None:
            raise DuplicateCase(existing)
        case_id = Case.insert(case.__data__).execute()
        number = case_number(case_id, today)
        Case.update(number=number).where(Case.id == case_id).execute()
        CaseEvent.insert(
            case=case_id, at=case.created_at, day=today, actor=agent, role=role, transition=OPEN_TRANSITION,
            from_status=None, to_status=workflow.initial, note="", due_on=case.due_on,
            lock_version=0,
        ).execute()
        # In the same transaction: if the audit row cannot be written, no case is opened.
        audit_step(agent, number, f"受理 {matter.code} {number}", action="create")
    return case_id


def _lock_applicant(matter_code: str, id_number: str | None) -> None:
    """On PostgreSQL, serialise openings for one applicant and matter until the transaction ends
    (SQLite's BEGIN IMMEDIATE already lets one writer in at a time)."""
    if not id_number or not is_postgres(database):
        return
    normalized = personal.normalize_id_number(id_number) or id_number
    digest = hashlib.sha256(f"{matter_code}|{normalized}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


def open_case_of(matter_code: str, id_number: str | None, workflow: Workflow) -> Case | None:
    """The applicant's case of this matter still in progress, if any."""
    if not id_number:
        return None
    finals = [s.id for s in workflow.states if workflow.is_final(s.id)]
    return (Case.select()
            .where(personal.find_cases_by_id_number(id_number) & (Case.matter_code == matter_code)
                   & Case.status.not_in(finals))
            .order_by(Case.id).first())


def _refuse_unless_allowed(current: Case, t: Transition | None, transition_id: str, user: User | None,
                           roles: tuple[str, ...], note: str, workflow: Workflow) -> str:
    """Check the transition for this case and actor; return the role it is made in."""
    if t is None:
        raise TransitionRefused(f"流程中没有 “{transition_id}” 这一步")
    label = t.label_for(current.mode)
    if current.status not in t.from_states:
        allowed = "、".join(f"“{workflow.label(s)}”" for s in t.from_states)
        raise TransitionRefused(
            f"办件 {current.number} 当前为“{workflow.label(current.status)}”，不能“{label}”"
            f"（只能在 {allowed} 时进行）"
        )
    if t.system:
        raise TransitionRefused(f"“{t.label}”由系统自动完成，不能手动操作")
    if user is None or not user.active:
        raise TransitionRefused("账号不存在或已停用")
    not_held = [r for r in roles if r not in user.role_ids]
    if not_held:
        names = "、".join(workflow.role_label(r) for r in not_held)
        raise TransitionRefused(f"{user.display_name} 没有{names}角色")
    role = t.allowed_role(roles)
    if role is None:
        names = "、".join(workflow.role_label(r) for r in t.roles)
        yours = "、".join(workflow.role_label(r) for r in roles) or "无角色"
        raise TransitionRefused(f"“{label}”只能由{names}操作，您的角色（{yours}）不能操作")
    if t.requires_note and not note:
        raise TransitionRefused(f"“{label}”须填写说明（{t.note_label or '原因或需补正的内容'}）")
    return role


def _clock_changes(current: Case, t: Transition, today: datetime.date, calendar: WorkCalendar) -> dict:
    changes: dict = {}
    if t.stops_clock and current.clock_stopped_on is None:
        changes["clock_stopped_on"] = today
    if t.resumes_clock and current.clock_stopped_on is not None:
        stopped = current.clock_stopped_on
        days = calendar.working_days_between(stopped, today)
        # Days counted in a year without a calendar file are a Monday–Friday guess.
        guessed = days > 0 and any(
            not calendar.is_covered(datetime.date(year, 1, 1)) for year in range(stopped.year, today.year + 1)
        )
        changes.update(clock_stopped_on=None, stopped_working_days=current.stopped_working_days + days)
        if current.due_on is not None:
            extended = calendar.add_working_days(current.due_on, days)
            changes.update(due_on=extended.on,
                           due_provisional=current.due_provisional or extended.provisional or guessed)
    return changes


def transition(
    case: Case,
    transition_id: str,
    actor: Actor | User,
    note: str | None,
    expected_lock_version: int,
    today: datetime.date,
    calendar: WorkCalendar,
    *,
    workflow: Workflow,
    result: Result | None = None,
) -> Case:
    """Make one transition of the workflow on `case`, as `actor` (an Actor, or a User acting in
    all their roles), if the case is still at `expected_lock_version`; return the case as it now is.
    A transition that records the result needs `result`: the decision and the certificate number.

    Raises TransitionRefused (wrong state, role or missing note; a guard of `cases.guards` that
    does not hold, such as submitting without the materials or, for a proxy case, the
    commission) or CaseConflict (stale version); either way nothing is written."""
    if isinstance(actor, User):
        actor = Actor.of(actor)
    note = (note or "").strip()
    with _write_transaction():
        current = Case.get_or_none(Case.id == case.id)
        if current is None:
            raise CaseError("办件不存在")
        if current.lock_version != expected_lock_version:
            raise CaseConflict(_conflict_message(current, workflow))
        if today < current.accepted_on:
            raise TransitionRefused(f"日期 {today} 早于受理日期 {current.accepted_on}")
        t = workflow.transition(transition_id)
        user = User.get_or_none(User.id == actor.user.id)
        role = _refuse_unless_allowed(current, t, transition_id, user, tuple(actor.roles), note, workflow)
        refused = guards.refusal(t, current, today, note)  # the one registry every path to a step asks
        if refused:
            raise TransitionRefused(refused)

        changes = {"status": t.to, "lock_version": expected_lock_version + 1,
                   "updated_at": datetime.datetime.now()}
        changes.update(_clock_changes(current, t, today, calendar))
        if t.records_result:
            if result is None or result.decision not in RESULT_DECISIONS:
                choices = "、".join(RESULT_DECISIONS.values())
                raise TransitionRefused(f"“{t.label}”须写明办理结果（{choices}）")
            changes.update(result_on=today, result_decision=result.decision,
                           result_number=result.stored_number())
        _write_step(current, t, changes, user, role, note, today, workflow)
        summary = (f"{current.number}：{t.label_for(current.mode)}（{workflow.label(current.status)} → "
                   f"{workflow.label(t.to)}）")
        audit_step(user, current.number, summary + (f"：{note}" if note else ""))
    return Case.get_by_id(case.id)


def _write_step(current: Case, t: Transition, changes: dict, user: User, role: str, note: str,
                today: datetime.date, workflow: Workflow) -> None:
    """Write the case's new state (only over the version read) and its event."""
    if workflow.is_final(t.to):
        changes["closed_on"] = today
    updated = (Case.update(**changes)
               .where((Case.id == current.id) & (Case.lock_version == current.lock_version))
               .execute())
    if updated != 1:  # changed between our read and our write (PostgreSQL, read committed)
        raise CaseConflict(_conflict_message(Case.get_by_id(current.id), workflow))
    CaseEvent.insert(
        case=current.id, at=changes["updated_at"], day=today, actor=user, role=role,
        transition=t.id, from_status=current.status, to_status=t.to, note=note,
        due_on=changes.get("due_on", current.due_on), lock_version=current.lock_version + 1,
    ).execute()


SYSTEM = "system"  # the role and audit actor of a step the platform makes by itself


def system_step(case: Case, transition_id: str, note: str, today: datetime.date, calendar: WorkCalendar,
                *, workflow: Workflow, result: Result | None = None) -> Case | None:
    """Make a transition the platform makes by itself (the alerts run: a deferred material past its
    promised date sends the case back to 补正; the relay: the last department's decision feeds the
    result back, `result`), if the case is in a state the transition leaves; None otherwise. The
    event names the case's first agent (who answers for it, 首问负责) in the role `system`; the
    audit row's actor is `system`. Inside a caller's transaction it joins that transaction."""
    from daiban import audit  # audit imports the models; the cases layer builds on both

    t = workflow.transition(transition_id)
    if t is None:
        return None
    with _write_transaction():
        current = Case.get_or_none(Case.id == case.id)
        if current is None or current.status not in t.from_states or today < current.accepted_on:
            return None
        changes = {"status": t.to, "lock_version": current.lock_version + 1,
                   "updated_at": datetime.datetime.now()}
        changes.update(_clock_changes(current, t, today, calendar))
        if t.records_result and result is not None:
            changes.update(result_on=today, result_decision=result.decision,
                           result_number=result.stored_number())
        _write_step(current, t, changes, current.first_agent, SYSTEM, note, today, workflow)
        audit.record("update", SYSTEM, roles=SYSTEM, object_type="case", object_id=current.number,
                     summary=f"{current.number}：{t.label}（{workflow.label(current.status)} → "
                             f"{workflow.label(t.to)}）：{note}")
    return Case.get_by_id(case.id)


def audit_step(user: User, case_number: str, summary: str, action: str = "update") -> None:
    """Write the audit row of one step on a case inside the caller's transaction, so that no step
    is kept without its row (a failed audit write rolls the step back)."""
    from daiban import audit  # audit imports the models; the cases layer builds on both

    audit.record(action, user.username, roles=user.roles or "", object_type="case",
                 object_id=case_number, summary=summary)


def _conflict_message(current: Case, workflow: Workflow) -> str:
    return (f"该件已被他人更新（办件 {current.number} 现为“{workflow.label(current.status)}”），"
            f"请刷新后重试")


def available_transitions(case: Case, actor: Actor, workflow: Workflow) -> list[Transition]:
    """The transitions `actor` may make on `case` now (for buttons; `transition` checks again)."""
    return workflow.available(case.status, actor.roles)


def history(case: Case) -> list[CaseEvent]:
    """The case's events, oldest first."""
    return list(CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id))


def _clock_day(case: Case, today: datetime.date) -> datetime.date:
    """The day the time limit is judged on: the result's day, else the day the clock stopped,
    else the day the case ended, else today."""
    return case.result_on or case.clock_stopped_on or case.closed_on or today


def overdue(case: Case, today: datetime.date) -> bool:
    """True when the case went past its due date: still without a result after it (the clock's
    stopped days excluded), or with a result that came after it."""
    if case.due_on is None:
        return False
    return _clock_day(case, today) > case.due_on


def working_days_left(case: Case, today: datetime.date, calendar: WorkCalendar) -> int | None:
    """Working days until the due date (0 on the due date itself; negative once overdue), or None
    without a due date. Counted from the day the clock stands at (see `overdue`)."""
    if case.due_on is None:
        return None
    day = _clock_day(case, today)
    if day <= case.due_on:
        return calendar.working_days_between(day, case.due_on)
    return -calendar.working_days_between(case.due_on, day)
