"""Relay (接力办): a case handed village → township → banner center, or to the departments that
decide it, in parallel where the matter names joint units; the case waits for every department.

The only writer of `handoff`. The case's own state still moves by the workflow's transitions;
a relay leg says where the case physically is and who must act next.

**A leg out of the center is the 报送 step.** From a state the submitting transitions (`submit`,
`resubmit`) leave, sending a case up or to its departments makes that transition in the same
transaction, with its guards (`cases.guards`: materials complete and, for a proxy case, a signed
commission in force). A case already submitted may be passed on further only while the same
guards still hold; a case not yet accepted and collected goes nowhere.

**The last department's decision feeds the result back.** When the last department leg of the
latest batch is finished (办结 with its decision), the platform makes the `system` transition
`result_fed_back` (结果已反馈 → 已出结果; from 中止 `result_fed_back_after_suspension`, which resumes
the clock) in the same transaction as the leg, audited: the result
is recorded with `result_on` that day (the time limit is judged on it), combined over the
parallel departments (`combined`: 不予办理 if any refused, 准予办理 if all approved, else 其他),
and the case's first agent gets an in-app message (outbox kind `result`) to take the next step.
While the case is back with its agent for correction (退回补正) no department decides: the
corrected materials are resubmitted first.

**Receiving is 部门接收.** A department taking its leg of a case that waits for it (已报送) moves
the case to 部门办理中 in the same transaction; the case page's 部门接收 takes the leg the same way.
"""

from __future__ import annotations

import datetime

from daiban import audit
from daiban.cases import guards
from daiban.cases.guards import legs as legs
from daiban.cases.guards import waiting_departments as waiting_departments
from daiban.cases.service import (
    RESULT_DECISIONS,
    SUBMITTING,
    Actor,
    CaseError,
    Result,
    _write_transaction,
    system_step,
    transition,
)
from daiban.catalog.calendar import WorkCalendar
from daiban.catalog.workflow import Workflow
from daiban.models import Case, CaseEvent, Department, Handoff, ServiceCenter, User
from daiban.supervision import outbox

# The system transitions the last department's decision makes: from 已报送/部门办理中, and from 中止
# (the decision ends the special procedure: the clock resumes, the stopped days are not counted).
FED_BACK = ("result_fed_back", "result_fed_back_after_suspension")
RECEIVE = "receive"  # the case's 部门接收, made when a department takes its leg
UP = {"village": ("township", "banner"), "township": ("banner",), "banner": ()}


class RelayRefused(CaseError):
    """A relay step that is not allowed; the message says why."""


def _open_legs(case: Case) -> list[Handoff]:
    return [h for h in legs(case) if h.status != "done"]


def _record(user: User, case: Case, summary: str) -> None:
    audit.record("update", user.username, roles=user.roles, object_type="handoff", object_id=case.id,
                 summary=f"{case.number} {summary}")


def higher_centers(center: ServiceCenter) -> list[ServiceCenter]:
    """Centers a case may be relayed up to from `center`: its township's center, the banner's."""
    allowed = UP.get(center.level, ())
    found = []
    unit = center.unit
    township = unit.parent if center.level == "village" else unit
    for candidate in ServiceCenter.select().where(ServiceCenter.active & ServiceCenter.level.in_(allowed)):
        if candidate.level == "banner" or (township is not None and candidate.unit_id == township.id):
            found.append(candidate)
    # The next level first: a village hands to its township before the banner.
    return sorted(found, key=lambda c: ("village", "township", "banner").index(c.level))


def _submit_with_leg(case: Case, user: User, note: str, workflow: Workflow, calendar: WorkCalendar,
                     today: datetime.date, expected_lock_version: int | None) -> Case:
    """Inside the leg's transaction: make the 报送 transition the leg stands for, or check that a
    case submitted earlier still passes its guards; refuse a case that was never submitted."""
    current = Case.get_by_id(case.id)
    if workflow.is_final(current.status):
        raise RelayRefused(f"办件 {current.number} 已{workflow.label(current.status)}，不能再转出")
    if current.result_on is not None:
        raise RelayRefused(f"办件 {current.number} 已有办理结果（{current.result_on}），不能再报送")
    lock = current.lock_version if expected_lock_version is None else expected_lock_version
    steps = [t for t in (workflow.transition(i) for i in SUBMITTING) if t is not None]
    step = next((t for t in steps if current.status in t.from_states), None)
    if step is not None:
        return transition(current, step.id, Actor.of(user), note, lock, today, calendar,
                          workflow=workflow)
    submit = steps[0] if steps else None
    found = guards.problems(submit, current, today) if submit is not None else []
    submitted = CaseEvent.select().where((CaseEvent.case == current.id)
                                         & CaseEvent.transition.in_(SUBMITTING)).exists()
    if not submitted:
        allowed = "、".join(f"“{workflow.label(s)}”" for t in steps for s in t.from_states)
        why = "".join(f"；{p}" for p in found)
        raise RelayRefused(f"办件 {current.number} 当前为“{workflow.label(current.status)}”，还不能报送"
                           f"（须先受理委托、收齐材料，在 {allowed} 时报送）{why}")
    if found:
        raise RelayRefused(f"办件 {current.number} 还不能转出：" + "；".join(found))
    return current


def send_up(case: Case, to_center: ServiceCenter, user: User, note: str = "", *, workflow: Workflow,
            calendar: WorkCalendar, today: datetime.date | None = None,
            expected_lock_version: int | None = None) -> Handoff:
    """Hand a case to a higher service center (village → township → banner): the 报送 step when
    the case is ready for it (see the module's note), in one transaction with the leg."""
    today = today or datetime.date.today()
    current_center = ServiceCenter.get_by_id(current_center_id(case))
    if to_center.id not in {c.id for c in higher_centers(current_center)}:
        raise RelayRefused(f"“{current_center.name}”不能把办件转到“{to_center.name}”：只能逐级上报到"
                           "所属苏木乡镇便民服务中心或旗帮办代办服务中心")
    with _write_transaction():
        if _open_legs(case):
            raise RelayRefused("办件还有未办结的接力，请等对方处理")
        current = _submit_with_leg(case, user, note, workflow, calendar, today, expected_lock_version)
        leg = Handoff.create(case=current.id, group=_next_group(current), from_center=current_center,
                             to_center=to_center, sent_by=user.username, note=note.strip())
        _record(user, current, f"转至{to_center.name}")
    return leg


def send_to_departments(case: Case, departments: list[Department], user: User, note: str = "", *,
                        workflow: Workflow, calendar: WorkCalendar, today: datetime.date | None = None,
                        expected_lock_version: int | None = None) -> list[Handoff]:
    """Hand a case to the departments that decide it, all at once (并联办理): the 报送 step when
    the case is ready for it (see the module's note), in one transaction with the legs."""
    if not departments:
        raise RelayRefused("请选择至少一个责任单位")
    today = today or datetime.date.today()
    with _write_transaction():
        if _open_legs(case):
            raise RelayRefused("办件还有未办结的接力，请等对方处理")
        current = _submit_with_leg(case, user, note, workflow, calendar, today, expected_lock_version)
        group = _next_group(current)
        current_center = ServiceCenter.get_by_id(current_center_id(current))
        sent = [Handoff.create(case=current.id, group=group, from_center=current_center, to_department=d,
                               sent_by=user.username, note=note.strip()) for d in departments]
        _record(user, current, "并联报送" + "、".join(d.name for d in departments))
    return sent


def receive(leg: Handoff, user: User, *, workflow: Workflow, calendar: WorkCalendar,
            today: datetime.date | None = None) -> Handoff:
    """The receiving side takes the case into its queue; a department taking a case that waits
    for it (已报送) makes the case's 部门接收 in the same transaction, so the case and its leg agree."""
    if leg.status != "sent":
        raise RelayRefused("该接力已被接收")
    today = today or datetime.date.today()
    with _write_transaction():
        updated = (Handoff.update(status="received", received_by=user.username,
                                  received_at=datetime.datetime.now())
                   .where((Handoff.id == leg.id) & (Handoff.status == "sent")).execute())
        if not updated:
            raise RelayRefused("该接力已被他人接收，请刷新")
        _record(user, leg.case, f"接收接力（{leg.target_name}）")
        step = workflow.transition(RECEIVE)
        current = Case.get_by_id(leg.case_id)
        if leg.to_department_id is not None and step is not None and current.status in step.from_states:
            transition(current, RECEIVE, Actor.of(user), "", current.lock_version, today, calendar,
                       workflow=workflow)
    return Handoff.get_by_id(leg.id)


def sent_leg_for(case: Case, user: User) -> Handoff | None:
    """The leg of `case` sent to the user's department and not yet received, if any."""
    if user.department_id is None:
        return None
    return next((h for h in legs(case) if h.status == "sent" and h.to_department_id == user.department_id),
                None)


def _refuse_decision_unless_movable(case: Case, workflow: Workflow) -> None:
    """A department decides only while the case can take the result: not while it is back with the
    agent for correction (the corrected materials are resubmitted first), nor in any other state
    the feed-back steps do not leave; a case already ended just lets its leg close."""
    current = Case.get_by_id(case.id)
    steps = [t for t in (workflow.transition(i) for i in FED_BACK) if t is not None]
    if workflow.is_final(current.status) or any(current.status in t.from_states for t in steps):
        return
    allowed = "、".join(dict.fromkeys(f"“{workflow.label(s)}”" for t in steps for s in t.from_states))
    raise RelayRefused(f"办件 {current.number} 当前为“{workflow.label(current.status)}”，不能作出办理决定"
                       f"（只能在 {allowed} 时）；退回补正的办件待补正后重新报送再办结")


def finish(leg: Handoff, user: User, result: Result | None = None, note: str = "", *,
           workflow: Workflow, calendar: WorkCalendar, today: datetime.date | None = None) -> Handoff:
    """Close a leg: a department records its decision and certificate number; a center passes it on.
    The last department of the batch to decide feeds the result back to the case's first agent
    (see the module's note), in the same transaction."""
    if leg.status == "done":
        raise RelayRefused("该接力已办结")
    today = today or datetime.date.today()
    changes = {"status": "done", "note": (leg.note + "\n" + note).strip() if note else leg.note}
    if leg.to_department_id is not None:
        if result is None or result.decision not in RESULT_DECISIONS:
            raise RelayRefused("部门办结须写明办理结果（" + "、".join(RESULT_DECISIONS.values()) + "）")
        changes.update(result_decision=result.decision, result_number=result.stored_number())
    if leg.status == "sent":
        changes.update(received_by=user.username, received_at=datetime.datetime.now())
    fed_back = None
    with _write_transaction():
        if leg.to_department_id is not None:
            _refuse_decision_unless_movable(leg.case, workflow)
        updated = (Handoff.update(**changes)
                   .where((Handoff.id == leg.id) & (Handoff.status != "done")).execute())
        if not updated:
            raise RelayRefused("该接力已被他人办结，请刷新")
        _record(user, leg.case, f"办结接力（{leg.target_name}）"
                + (f"：{RESULT_DECISIONS[result.decision]}" if result is not None and
                   leg.to_department_id is not None else ""))
        if leg.to_department_id is not None:
            fed_back = _feed_back(Case.get_by_id(leg.case_id), leg.group, workflow, calendar, today)
    if fed_back is not None:
        outbox.deliver_pending([outbox.InAppSender()], key=fed_back)
    return Handoff.get_by_id(leg.id)


def combined(batch: list[Handoff]) -> tuple[Result, str]:
    """The case's result from its departments' decisions (并联办理): 不予办理 if any refused, 准予办理
    if all approved, else 其他; the numbers by department (cut to the column, the note keeps all),
    and a note naming each department's decision."""
    decisions = {h.result_decision for h in batch}
    decision = "refused" if "refused" in decisions else "approved" if decisions == {"approved"} else "other"
    numbered = [h for h in batch if h.result_number]
    if len(batch) == 1:
        number = batch[0].result_number
    else:
        number = "；".join(f"{h.target_name}：{h.result_number}" for h in numbered) or None
    limit = Case.result_number.max_length
    if number and len(number) > limit:
        number = number[:limit - 1] + "…"
    parts = [f"{h.target_name}：{RESULT_DECISIONS.get(h.result_decision, '')}"
             + (f"（{h.result_number}）" if h.result_number else "") for h in batch]
    return Result(decision, number), "责任单位办理结果：" + "；".join(parts)


def _feed_back(case: Case, group: int, workflow: Workflow, calendar: WorkCalendar,
               today: datetime.date) -> str | None:
    """Inside the leg's transaction: when no department of the latest batch is still deciding,
    record the combined result on the case (结果已反馈) and queue the first agent's message;
    returns the message's key, or None when the case waits on (or is not where it can move)."""
    batch = [h for h in legs(case) if h.to_department_id is not None and h.group == group]
    latest = max((h.group for h in legs(case) if h.to_department_id is not None), default=group)
    if group != latest or any(h.status != "done" for h in batch):
        return None
    result, note = combined(batch)
    moved = None
    for step in FED_BACK:  # the one that leaves the case's state
        moved = moved or system_step(case, step, note, today, calendar, workflow=workflow, result=result)
    if moved is None:
        return None
    key = f"result:{case.id}:{group}"
    title = f"办理结果已反馈：办件 {case.number}（{RESULT_DECISIONS[result.decision]}）"
    body = (f"办件 {case.number} 的责任单位已反馈办理结果（{note}）。请告知申请人，归还材料并归档，"
            f"再回访评价。")
    outbox.enqueue(key, "result", case.first_agent_id, title, body, case=case.id)
    return key


def incoming(user: User) -> list[Handoff]:
    """Legs waiting for the user's center or department."""
    condition = None
    if user.center_id is not None:
        condition = Handoff.to_center == user.center_id
    if user.department_id is not None:
        clause = Handoff.to_department == user.department_id
        condition = clause if condition is None else condition | clause
    if condition is None:
        return []
    return list(Handoff.select().where(condition & (Handoff.status != "done")).order_by(Handoff.id))


def current_center_id(case: Case) -> int:
    """The center where the case is now: the last center it was relayed to, else where it was received."""
    last_center = next((h for h in reversed(legs(case)) if h.to_center_id is not None), None)
    return last_center.to_center_id if last_center else case.center_id


def _next_group(case: Case) -> int:
    return max((h.group for h in legs(case)), default=0) + 1
