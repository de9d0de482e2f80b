"""办理记录: every step of a case as one time-ordered list, read from the tables that record them.

State changes (`CaseEvent`), materials steps (`CaseMaterialEvent`), relay legs (`Handoff`: sent,
received, finished with the department's decision), commissions (drafted, signed, renewed,
ended), ratings and rectifications each keep their own rows; this module only reads them and
words each step in Chinese with the person's name and unit. Where a table keeps only the day of
a step (a signature, a leg's finish, a rectification's call or closure), the time and the person
come from the step's own audit row, written in the same transaction; without one the step is
placed at the start of its day.
"""

from __future__ import annotations

import datetime
from collections import defaultdict, deque
from dataclasses import dataclass

import peewee

from daiban.cases.materials import ACTION_LABELS, BUILD, DEFER, RECEIVE, UPLOAD
from daiban.cases.service import RESULT_DECISIONS, SYSTEM
from daiban.catalog.workflow import OPEN_TRANSITION, Workflow
from daiban.models import (
    AuditLog,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseMaterialEvent,
    Commission,
    Department,
    Handoff,
    ServiceCenter,
    User,
    person_label,
)
from daiban.supervision.models import Rating, Rectification

OPEN_LABEL = "受理建档"
CITIZEN = "群众本人"  # a rating left through the link has no account behind it
PLATFORM = "系统"  # a step the platform made by itself (结果已反馈, 容缺逾期退回补正)


@dataclass(frozen=True)
class Step:
    """One line of 办理记录: when, what (in Chinese), who (name and unit), the state change if any,
    and the details (counts, decisions, notes)."""

    at: datetime.datetime
    kind: str  # state, material, relay, commission, rating, rectification
    label: str
    person: str
    detail: str = ""
    state: str = ""


class _People:
    """"名（单位）" by user id and by username, read once for the whole history."""

    def __init__(self):
        self._by_id: dict[int, str] = {}
        self._by_name: dict[str, str] = {}

    def load(self, ids, usernames) -> None:
        ids = {i for i in ids if i}
        usernames = {u for u in usernames if u}
        if ids or usernames:
            query = (User.select(User.id, User.username, User.display_name, ServiceCenter.name,
                                 Department.name)
                     .join(ServiceCenter, peewee.JOIN.LEFT_OUTER, on=(User.center == ServiceCenter.id))
                     .switch(User)
                     .join(Department, peewee.JOIN.LEFT_OUTER, on=(User.department == Department.id)))
            condition = None
            if ids:
                condition = User.id.in_(list(ids))
            if usernames:
                clause = User.username.in_(list(usernames))
                condition = clause if condition is None else condition | clause
            for user_id, username, display, center, department in query.where(condition).tuples():
                self._by_id[user_id] = self._by_name[username] = person_label(
                    display, center or department or "")

    def of_id(self, user_id) -> str:
        return self._by_id.get(user_id, "") if user_id else ""

    def of_name(self, username) -> str:
        if username == "citizen":
            return CITIZEN
        return self._by_name.get(username, username or "")


def _start_of(day: datetime.date | None) -> datetime.datetime | None:
    return datetime.datetime.combine(day, datetime.time.min) if day else None


def _joined(*parts: str) -> str:
    return "；".join(dict.fromkeys(p for p in (p.strip() for p in parts if p) if p))


def _audit_rows(case: Case, leg_case: bool, rectification_ids: list[int]) -> dict[str, deque]:
    """The case's audit rows that time the steps whose tables keep only a day, by summary."""
    condition = (AuditLog.object_type == "case") & (AuditLog.object_id == case.number)
    if leg_case:
        condition |= (AuditLog.object_type == "handoff") & (AuditLog.object_id == str(case.id))
    if rectification_ids:
        condition |= ((AuditLog.object_type == "rectification")
                      & AuditLog.object_id.in_([str(i) for i in rectification_ids]))
    rows: dict[str, deque] = defaultdict(deque)
    # The outcome is checked here, not in SQL: next to an OR of objects, a condition on the outcome
    # lets SQLite pick the outcome's index, which holds nearly every row (2 s on 9M audit rows).
    for at, actor, object_type, object_id, summary, outcome in (
            AuditLog.select(AuditLog.at, AuditLog.actor, AuditLog.object_type, AuditLog.object_id,
                            AuditLog.summary, AuditLog.outcome)
            .where(condition).order_by(AuditLog.id).tuples()):
        if outcome != "success":
            continue
        key = f"rectification:{object_id}" if object_type == "rectification" else summary
        if object_type == "handoff" and "）：" in summary:  # a finish with its decision: by target
            key = summary.partition("）：")[0] + "）"
        rows[key].append((at, actor, summary))
    return rows


def _state_steps(case: Case, workflow: Workflow, people: _People) -> list[Step]:
    steps = []
    for e in CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id):
        t = workflow.transition(e.transition)
        label = t.label_for(case.mode) if t is not None else (
            OPEN_LABEL if e.transition == OPEN_TRANSITION else e.transition)
        state = (f"{workflow.label(e.from_status)} → {workflow.label(e.to_status)}" if e.from_status
                 else workflow.label(e.to_status))
        person = PLATFORM if e.role == SYSTEM else people.of_id(e.actor_id)
        steps.append(Step(e.at, "state", label, person, e.note or "", state))
    return steps


def _material_steps(case: Case, people: _People) -> list[Step]:
    steps = []
    names = dict(CaseMaterial.select(CaseMaterial.id, CaseMaterial.name)
                 .where(CaseMaterial.case == case.id).tuples())
    query = CaseMaterialEvent.select().where(CaseMaterialEvent.case == case.id).order_by(CaseMaterialEvent.id)
    for e in query:
        name = names.get(e.case_material_id, "")
        label = ACTION_LABELS.get(e.action, e.action) + (f"“{name}”" if name and e.action != BUILD else "")
        detail = ""
        if e.action == RECEIVE:
            detail = f"原件 {e.originals} 份，复印件 {e.copies} 份"
        elif e.action == DEFER and e.promised_on:
            detail = f"承诺 {e.promised_on} 前补交"
        elif e.action == UPLOAD and e.upload_id:
            detail = e.upload.filename
        steps.append(Step(e.at, "material", label, people.of_id(e.actor_id), _joined(detail, e.note)))
    return steps


def _relay_steps(case: Case, legs: list[Handoff], people: _People, audit: dict) -> list[Step]:
    steps = []
    for h in legs:
        target = h.target_name
        sent = f"转至{target}" if h.to_center_id else f"报送{target}"
        steps.append(Step(h.sent_at, "relay", "接力转出", people.of_name(h.sent_by), _joined(sent, h.note)))
        finished_row = None
        if h.status == "done":  # the finish's own audit row, the legs to one target in order
            finishes = audit.get(f"{case.number} 办结接力（{target}）")
            finished_row = finishes.popleft() if finishes else None
        received = audit.get(f"{case.number} 接收接力（{target}）")
        if received:  # taken into the queue before it was finished
            at, actor, _ = received.popleft()
            steps.append(Step(at, "relay", "接力接收", people.of_name(actor), target))
        elif h.received_at and h.status != "done":
            steps.append(Step(h.received_at, "relay", "接力接收", people.of_name(h.received_by), target))
        if h.status == "done":
            decision = RESULT_DECISIONS.get(h.result_decision or "", "")
            if decision and h.result_number:
                decision += f"（{h.result_number}）"
            at, actor = (finished_row[0], finished_row[1]) if finished_row else (
                h.received_at or h.sent_at, h.received_by)
            detail = _joined(target, f"办理结果：{decision}" if decision else "")
            steps.append(Step(at, "relay", "接力办结", people.of_name(actor), detail))
    return steps


def _commission_steps(case: Case, people: _People, audit: dict) -> list[Step]:
    steps = []
    for c in Commission.select().where(Commission.case == case.id).order_by(Commission.id):
        if c.kind == "termination":
            steps.append(Step(c.created_at, "commission", "终止代办委托", people.of_id(c.drafted_by_id),
                              c.reason))
            continue
        verb = "起草续办委托书" if c.kind == "renewal" else f"起草{c.kind_label}"
        steps.append(Step(c.created_at, "commission", verb, people.of_id(c.drafted_by_id),
                          f"有效 {c.valid_days} 天" if c.valid_days else ""))
        if c.signed_on:
            signed = audit.get(f"{case.number}：登记签署{c.kind_label}")
            row = signed.popleft() if signed else None
            at = row[0] if row else max(c.created_at, _start_of(c.signed_on))
            person = people.of_name(row[1]) if row else people.of_id(c.recorded_by_id)
            validity = f"有效期 {c.valid_from} 至 {c.valid_until}" if c.valid_from else ""
            steps.append(Step(at, "commission", f"登记签署{c.kind_label}", person, validity))
    return steps


def _rating_steps(case: Case, people: _People, audit: dict) -> list[Step]:
    steps = []
    ratings = list(Rating.select().where(Rating.case == case.id).order_by(Rating.id))
    for r in ratings:
        person = people.of_id(r.recorded_by_id) if r.recorded_by_id else CITIZEN
        detail = _joined(f"第 {r.visit} 次服务：{r.level_label}（{r.channel_label}）", r.comment)
        steps.append(Step(r.rated_at, "rating", "服务评价", person, detail))
    for x in Rectification.select().where(Rectification.case == case.id).order_by(Rectification.id):
        rating_at = next((r.rated_at for r in ratings if r.id == x.rating_id), _start_of(x.opened_on))
        steps.append(Step(rating_at, "rectification", "差评整改立项", people.of_id(x.responsible_id),
                          f"整改期限 {x.due_on}"))
        logged = audit.get(f"rectification:{x.id}")
        if logged:
            details = {"登记差评回访": x.call_note, "登记整改措施和答复": _joined(x.measures, x.reply),
                       "差评申诉": x.appeal_reason}
            for at, actor, summary in logged:
                detail = (x.appeal_decision_note if summary.startswith("申诉审核")
                          else details.get(summary, ""))
                steps.append(Step(at, "rectification", summary, people.of_name(actor), detail))
            continue
        if x.call_on:  # rows written before the steps were audited: their days only
            steps.append(Step(_start_of(x.call_on), "rectification", "登记差评回访", "", x.call_note))
        if x.closed_on:
            steps.append(Step(_start_of(x.closed_on), "rectification", x.status_label,
                              people.of_id(x.closed_by_id or x.appeal_decided_by_id)))
    return steps


def case_history(case: Case, workflow: Workflow) -> list[Step]:
    """Every step of the case, oldest first, each with its Chinese label and the person's name."""
    legs = list(Handoff.select().where(Handoff.case == case.id).order_by(Handoff.id))
    rectification_ids = [i for (i,) in Rectification.select(Rectification.id)
                         .where(Rectification.case == case.id).tuples()]
    audit = _audit_rows(case, bool(legs), rectification_ids)
    people = _People()
    people.load(_user_ids(case), [h.sent_by for h in legs] + [h.received_by for h in legs]
                + [actor for rows in audit.values() for _, actor, _ in rows])
    steps = [*_state_steps(case, workflow, people), *_material_steps(case, people),
             *_relay_steps(case, legs, people, audit), *_commission_steps(case, people, audit),
             *_rating_steps(case, people, audit)]
    order = {id(s): n for n, s in enumerate(steps)}
    return sorted(steps, key=lambda s: (s.at, order[id(s)]))


def _user_ids(case: Case) -> set[int]:
    ids: set[int] = set()
    for query in (CaseEvent.select(CaseEvent.actor).where(CaseEvent.case == case.id),
                  CaseMaterialEvent.select(CaseMaterialEvent.actor).where(CaseMaterialEvent.case == case.id),
                  Commission.select(Commission.drafted_by).where(Commission.case == case.id),
                  Commission.select(Commission.recorded_by).where(Commission.case == case.id),
                  Rating.select(Rating.recorded_by).where(Rating.case == case.id),
                  Rectification.select(Rectification.responsible).where(Rectification.case == case.id),
                  Rectification.select(Rectification.closed_by).where(Rectification.case == case.id)):
        ids.update(i for (i,) in query.tuples() if i)
    return ids
