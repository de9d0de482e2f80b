"""Time-limit alerts (时限预警): cases due soon or overdue, their escalation (督办) level, and the
messages that tell the people responsible.

The clock is the case service's (`overdue`, `working_days_left`); this module only reads it. The
database first narrows the cases by due date, so the per-case clock check runs on few rows.
Messages go to the outbox under keys that name the case, the level and the due date: computing
again sends nothing twice, while a due date moved by a clock stop alerts afresh.

Deferred materials (容缺) are followed up the same way: a promise due soon or today reminds the
first agent; a promise broken climbs the 督办 ladder by the working days past it, and the case
goes back to 补正 (the workflow's `return_for_correction`, made by the platform) where that step
can be taken, as the 受理单 tells the applicant.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from daiban.access import NOTHING, Principal, scoped
from daiban.cases.service import overdue, system_step, working_days_left
from daiban.catalog.calendar import WorkCalendar
from daiban.catalog.settings import Escalation, SupervisionSettings
from daiban.catalog.workflow import Workflow
from daiban.models import Case, CaseMaterial, Handoff, MatterVersion, ServiceCenter, User
from daiban.supervision.counting import late_condition
from daiban.supervision.models import Rectification
from daiban.supervision.outbox import enqueue

CORRECTION = "return_for_correction"  # the step a broken deferral promise makes (退回补正)
BUREAU_ROLE = "bureau"
LIAISON_ROLE = "department_liaison"


@dataclass(frozen=True)
class Alert:
    """One case in a queue: working days left (negative once overdue) and the escalation reached."""

    case: Case
    days_left: int
    is_overdue: bool
    escalation: Escalation | None = None

    @property
    def overdue_days(self) -> int:
        """Working days past the due date (0 when not overdue, or overdue only over a weekend)."""
        return max(0, -self.days_left) if self.is_overdue else 0

    @property
    def level(self) -> int:
        """The escalation level reached, 0 for none."""
        return self.escalation.level if self.escalation else 0


@dataclass(frozen=True)
class Queues:
    """A scope's due-soon and overdue cases, the most urgent first."""

    due_soon: list[Alert]
    overdue: list[Alert]


def _department_condition(principal: Principal):
    """A department answers for the cases relayed to it and still open there, and for the matters it
    decides; a finished leg no longer puts a case in its queue."""
    if principal.department_id is None:
        return NOTHING
    open_legs = Handoff.select(Handoff.case).where(
        (Handoff.to_department == principal.department_id) & (Handoff.status != "done"))
    decided = MatterVersion.select(MatterVersion.code).where(
        MatterVersion.responsible_unit == principal.department_code)
    return Case.id.in_(open_legs) | Case.matter_code.in_(decided)


def candidate_cases(today: datetime.date, settings: SupervisionSettings, calendar: WorkCalendar,
                    workflow: Workflow, principal: Principal | None = None) -> list[Case]:
    """Unfinished cases without a result, due on or before the due-soon horizon (in the principal's
    scope when one is given): the only ones that can be due soon or overdue."""
    query = (_candidates(Case.select(Case, User, ServiceCenter), today, settings, calendar, workflow,
                         principal)
             .join(User, on=Case.first_agent)
             .switch(Case).join(ServiceCenter, on=Case.center)
             .order_by(Case.due_on, Case.id))
    return list(query)


def _candidates(query, today, settings, calendar, workflow, principal):
    horizon = calendar.add_working_days(today, settings.due_soon_working_days).on
    finals = [s.id for s in workflow.states if workflow.is_final(s.id)]
    query = query.where(Case.status.not_in(finals) & Case.result_on.is_null() & Case.due_on.is_null(False)
                        & (Case.due_on <= horizon))
    if principal is not None:
        query = scoped(query, Case, principal)
        if principal.scope == "department":
            query = query.where(_department_condition(principal))
    return query


@dataclass(frozen=True)
class QueueSummary:
    """A scope's queues for a page: the counts over every case, the most urgent cases in full."""

    due_soon_count: int
    overdue_count: int
    levels: dict[int, int]  # escalation level -> overdue cases at that level
    queues: Queues  # at most `listed` alerts each, most urgent first


def queue_summary(principal: Principal, today: datetime.date, settings: SupervisionSettings,
                  calendar: WorkCalendar, workflow: Workflow, listed: int | None = 300) -> QueueSummary:
    """Count every due-soon and overdue case of the scope (and each escalation level) from three
    columns per case, then load only the `listed` most urgent of each queue (None: all) as full
    alerts."""
    rows = _candidates(Case.select(Case.id, Case.due_on, Case.clock_stopped_on), today, settings,
                       calendar, workflow, principal).tuples()
    judged: dict[tuple, tuple[int, bool]] = {}  # (due_on, clock day) -> (days left, overdue)
    soon, late = [], []
    for case_id, due_on, stopped_on in rows:
        day = stopped_on or today  # no result and not closed: the clock stands there or runs
        if (due_on, day) not in judged:
            left = (calendar.working_days_between(day, due_on) if day <= due_on
                    else -calendar.working_days_between(due_on, day))
            judged[due_on, day] = (left, day > due_on)
        left, is_late = judged[due_on, day]
        if is_late:
            late.append((left, due_on, case_id))
        elif stopped_on is None and left <= settings.due_soon_working_days:
            soon.append((-left, due_on, case_id))  # sorted below: fewest days left first
    levels = {e.level: 0 for e in settings.escalations}
    for left, _, _ in late:
        reached = settings.escalation(max(0, -left))
        if reached is not None:
            levels[reached.level] += 1
    late.sort(key=lambda r: (r[0], r[1], r[2]))  # most working days overdue first
    soon.sort(key=lambda r: (-r[0], r[2]))
    wanted = [r[2] for r in late[:listed]] + [r[2] for r in soon[:listed]]
    loaded = {c.id: c for c in (Case.select(Case, User, ServiceCenter).join(User, on=Case.first_agent)
                                .switch(Case).join(ServiceCenter, on=Case.center)
                                .where(Case.id.in_(wanted)))}
    alerts = {cid: assess(loaded[cid], today, settings, calendar) for cid in wanted if cid in loaded}
    return QueueSummary(
        len(soon), len(late), levels,
        Queues([alerts[r[2]] for r in soon[:listed] if alerts.get(r[2])],
               [alerts[r[2]] for r in late[:listed] if alerts.get(r[2])]))


def queue_counts(principal: Principal, today: datetime.date, settings: SupervisionSettings,
                 calendar: WorkCalendar, workflow: Workflow) -> tuple[int, int]:
    """How many cases of the principal's scope are due soon and overdue on `today`, counted in SQL
    by the same rules as `assess` (for dashboards, where the lists themselves are not shown)."""
    base = _candidates(Case.select(Case.id), today, settings, calendar, workflow, principal)
    late = base.where(late_condition(today)).count()
    # Not late, clock running, due within the horizon: what `assess` reports as due soon.
    soon = base.where(~late_condition(today) & Case.clock_stopped_on.is_null()).count()
    return soon, late


def assess(case: Case, today: datetime.date, settings: SupervisionSettings,
           calendar: WorkCalendar) -> Alert | None:
    """The case's alert on `today`: overdue (with its escalation) or due soon, or None."""
    left = working_days_left(case, today, calendar)
    if left is None:
        return None
    if overdue(case, today):
        return Alert(case, left, True, settings.escalation(max(0, -left)))
    # While the clock is stopped (中止, 补正) the days left do not run down: no reminder is due.
    if case.clock_stopped_on is None and left <= settings.due_soon_working_days:
        return Alert(case, left, False)
    return None


def queues(principal: Principal, today: datetime.date, settings: SupervisionSettings,
           calendar: WorkCalendar, workflow: Workflow) -> Queues:
    """Every due-soon and overdue case in the principal's scope on `today`, most urgent first."""
    return queue_summary(principal, today, settings, calendar, workflow, listed=None).queues


# --- recipients ----------------------------------------------------------------------------------

class _Recipients:
    """Who hears of a case, by the words of config/supervision.yaml `notify`; lookups cached per run."""

    def __init__(self, workflow: Workflow):
        self.agent_roles = set(workflow.opened_by)  # whoever may open cases is an agent
        self._center_agents: dict[int, list[User]] = {}
        self._bureau: list[User] | None = None
        self.by_word: dict[str, Callable[[Case], list[User]]] = {
            "center": lambda case: self.center_agents(case.center_id),
            "township": self.township_agents,
            "bureau": lambda _case: self.bureau(),
            "department": self.liaisons,
        }

    def center_agents(self, center_id: int) -> list[User]:
        if center_id not in self._center_agents:
            users = User.select().where((User.center == center_id) & User.active).order_by(User.id)
            self._center_agents[center_id] = [u for u in users if self.agent_roles & set(u.role_ids)]
        return self._center_agents[center_id]

    def township_agents(self, case: Case) -> list[User]:
        center = case.center
        if center.level == "township":
            return self.center_agents(center.id)
        if center.level != "village":
            return []  # a banner case has no township above it
        township_unit = center.unit.parent_id
        centers = ServiceCenter.select(ServiceCenter.id).where(
            (ServiceCenter.unit == township_unit) & (ServiceCenter.level == "township")
            & ServiceCenter.active)
        return [u for c in centers for u in self.center_agents(c.id)]

    def bureau(self) -> list[User]:
        if self._bureau is None:
            users = User.select().where(User.active & User.roles.contains(BUREAU_ROLE)).order_by(User.id)
            self._bureau = [u for u in users if BUREAU_ROLE in u.role_ids]
        return self._bureau

    def liaisons(self, case: Case) -> list[User]:
        departments = Handoff.select(Handoff.to_department).where(
            (Handoff.case == case.id) & Handoff.to_department.is_null(False) & (Handoff.status != "done"))
        users = User.select().where(User.department.in_(departments) & User.active).order_by(User.id)
        return [u for u in users if LIAISON_ROLE in u.role_ids]

    def of(self, case: Case, words: Iterable[str]) -> list[User]:
        """The first agent (if active) and everyone the words name, each once."""
        found = [case.first_agent] if case.first_agent.active else []
        for word in words:
            found.extend(self.by_word[word](case))
        unique: dict[int, User] = {}
        for user in found:
            unique.setdefault(user.id, user)
        return list(unique.values())


# --- messages ------------------------------------------------------------------------------------

@dataclass
class AlertRun:
    """How many new messages one computation queued."""

    due_soon: int = 0
    overdue: int = 0
    rectifications: int = 0
    deferred: int = 0  # messages about deferred materials (容缺), due or overdue
    returned: int = 0  # cases sent back to 补正 for a broken deferral promise (not messages)

    @property
    def total(self) -> int:
        """All new messages."""
        return self.due_soon + self.overdue + self.rectifications + self.deferred


def _matter_names(codes: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    if codes:
        rows = (MatterVersion.select(MatterVersion.code, MatterVersion.name)
                .where(MatterVersion.code.in_(sorted(codes))).order_by(MatterVersion.version))
        names.update(rows.tuples())  # the latest version's name wins
    return names


def _message(alert: Alert, matter_name: str) -> tuple[str, str, str, str]:
    """Key, kind, title and body of the alert's message."""
    case = alert.case
    if alert.is_overdue:
        key = f"overdue:{case.id}:{alert.level}:{case.due_on}"
        if alert.escalation:
            title = f"{alert.escalation.label}：办件 {case.number} 已超期 {alert.overdue_days} 个工作日"
        else:
            title = f"超期提醒：办件 {case.number} 已过承诺办结日期"
        kind = "overdue"
    else:
        key = f"due_soon:{case.id}:{case.due_on}"
        when = "今天到期" if alert.days_left == 0 else f"还有 {alert.days_left} 个工作日到期"
        title = f"临期提醒：办件 {case.number} {when}"
        kind = "due_soon"
    body = (f"事项：{matter_name or case.matter_code}；申请人：{case.applicant_name or '—'}；"
            f"首问负责人：{case.first_agent.display_name}（{case.center.name}）；"
            f"承诺办结日期：{case.due_on}。")
    return key, kind, title, body


def compute_notifications(today: datetime.date, settings: SupervisionSettings, calendar: WorkCalendar,
                          workflow: Workflow, *, channels: Iterable[str] = ("in_app",),
                          cases: list[Case] | None = None,
                          progress: Callable[[Case], None] | None = None) -> AlertRun:
    """Queue in the outbox the due-soon reminders (to the first agent) and overdue escalations (to whom
    each level names) of `today`; messages queued by an earlier run are not queued again."""
    channels = tuple(channels)
    if cases is None:
        cases = candidate_cases(today, settings, calendar, workflow)
    names = _matter_names({c.matter_code for c in cases})
    recipients = _Recipients(workflow)
    run = AlertRun()
    for case in cases:
        alert = assess(case, today, settings, calendar)
        if alert is not None:
            words = alert.escalation.notify if alert.escalation else ()
            key, kind, title, body = _message(alert, names.get(case.matter_code, ""))
            new = sum(enqueue(key, kind, user, title, body, case=case, level=alert.level, channel=channel)
                      for user in recipients.of(case, words) for channel in channels)
            if alert.is_overdue:
                run.overdue += new
            else:
                run.due_soon += new
        if progress:
            progress(case)
    return run


def rectification_reminders(today: datetime.date, settings: SupervisionSettings, calendar: WorkCalendar,
                            run: AlertRun | None = None, channels: Iterable[str] = ("in_app",)) -> AlertRun:
    """Remind whoever answers for an open rectification (差评整改) when its deadline is near, and
    tell the bureau too once it has passed; each reminder is queued once per deadline."""
    run = run or AlertRun()
    horizon = calendar.add_working_days(today, settings.due_soon_working_days).on
    bureau = [u for u in User.select().where(User.active) if "bureau" in u.role_ids]
    for row in (Rectification.select().where(Rectification.status.in_(("open", "appeal_rejected"))
                                             & (Rectification.due_on <= horizon))):
        late = row.due_on < today
        what = "已超过整改期限" if late else "整改期限将到"
        title = f"差评整改{what}：办件 {row.case.number}（期限 {row.due_on}）"
        body = "请尽快回访群众、落实整改措施并答复，办结整改。" if not late else \
            f"整改责任人：{row.responsible.display_name}（{row.center.name}）。请督促办结。"
        users = [row.responsible, *bureau] if late else [row.responsible]
        key = f"rectification_{'late' if late else 'due'}:{row.id}:{row.due_on}"
        run.rectifications += sum(enqueue(key, "rectification_due", user, title, body, case=row.case_id,
                                          channel=channel)
                                  for user in users for channel in channels)
    return run


# --- deferred materials (容缺) ----------------------------------------------------------------------

@dataclass(frozen=True)
class DeferredAlert(Alert):
    """A deferred material not supplied yet whose promised date is near, today or past: an Alert
    whose days count to the promised date instead of the case's due date."""

    material: CaseMaterial | None = None


def deferred_materials(today: datetime.date, settings: SupervisionSettings, calendar: WorkCalendar,
                       workflow: Workflow, principal: Principal | None = None) -> list[DeferredAlert]:
    """Deferred materials of unfinished cases (in the principal's scope when one is given) still not
    supplied and promised by the due-soon horizon: overdue ones first (longest past), then the
    soonest promise."""
    horizon = calendar.add_working_days(today, settings.due_soon_working_days).on
    finals = [s.id for s in workflow.states if workflow.is_final(s.id)]
    query = (CaseMaterial.select(CaseMaterial, Case).join(Case, on=CaseMaterial.case)
             .where((CaseMaterial.status == "deferred") & CaseMaterial.promised_on.is_null(False)
                    & (CaseMaterial.promised_on <= horizon) & Case.status.not_in(finals))
             .order_by(CaseMaterial.promised_on, CaseMaterial.case, CaseMaterial.position))
    if principal is not None:
        query = scoped(query, Case, principal)
        if principal.scope == "department":
            query = query.where(_department_condition(principal))
    found = []
    for row in query:
        promised = row.promised_on
        if promised < today:
            left = -calendar.working_days_between(promised, today)
            found.append(DeferredAlert(row.case, left, True, settings.escalation(max(0, -left)),
                                       material=row))
        else:
            found.append(DeferredAlert(row.case, calendar.working_days_between(today, promised), False,
                                       material=row))
    return sorted(found, key=lambda a: (not a.is_overdue, a.days_left, a.case.id, a.material.id))


def _deferred_message(alert: DeferredAlert, matter_name: str) -> tuple[str, str, str, str]:
    """Key, kind, title and body of a deferred material's message."""
    case, row = alert.case, alert.material
    if alert.is_overdue:
        key = f"deferred_overdue:{row.id}:{alert.level}:{row.promised_on}"
        what = f"容缺材料“{row.name}”逾期 {alert.overdue_days} 个工作日未补交"
        title = f"{alert.escalation.label}：办件 {case.number} {what}" if alert.escalation else \
            f"容缺逾期提醒：办件 {case.number} {what}"
        kind = "overdue"
    else:
        key = f"deferred_due:{row.id}:{row.promised_on}"
        when = "今天到期" if alert.days_left == 0 else f"还有 {alert.days_left} 个工作日到期"
        title = f"容缺补交提醒：办件 {case.number} 的“{row.name}”{when}"
        kind = "due_soon"
    body = (f"事项：{matter_name or case.matter_code}；申请人：{case.applicant_name or '—'}；"
            f"承诺补交日期：{row.promised_on}。逾期未补交的，办件退回补正。")
    return key, kind, title, body


def deferred_reminders(today: datetime.date, settings: SupervisionSettings, calendar: WorkCalendar,
                       workflow: Workflow, run: AlertRun | None = None,
                       channels: Iterable[str] = ("in_app",)) -> AlertRun:
    """Follow up deferred materials (容缺): remind the first agent of a promise due soon or today;
    for a promise broken, tell whom the 督办 level names and send the case back to 补正 where the
    workflow allows it. Each message is queued once per material, level and promised date."""
    run = run or AlertRun()
    channels = tuple(channels)
    alerts = deferred_materials(today, settings, calendar, workflow)
    names = _matter_names({a.case.matter_code for a in alerts})
    recipients = _Recipients(workflow)
    for alert in alerts:
        words = alert.escalation.notify if alert.escalation else ()
        key, kind, title, body = _deferred_message(alert, names.get(alert.case.matter_code, ""))
        users = recipients.of(alert.case, words) if alert.is_overdue else \
            ([alert.case.first_agent] if alert.case.first_agent.active else [])
        run.deferred += sum(enqueue(key, kind, user, title, body, case=alert.case, level=alert.level,
                                    channel=channel) for user in users for channel in channels)
    late_cases = {a.case.id: a.case for a in alerts if a.is_overdue}
    for case in late_cases.values():
        late = [a.material for a in alerts if a.is_overdue and a.case.id == case.id]
        note = "容缺材料逾期未补交：" + "、".join(f"{m.name}（承诺 {m.promised_on} 前补交）" for m in late)
        if system_step(case, CORRECTION, note, today, calendar, workflow=workflow) is not None:
            run.returned += 1
    return run
