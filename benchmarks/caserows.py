"""The rows of the bench fill: each planned case as the services would have left it.

For every working day of the years filled, cases are accepted at the service centers, each with
its applicant (sealed by `cases.personal`, with the blind indexes), its checklist, its commission
(a proxy case), its relay legs, its rating and rectification, and every step of its history
(`case_event`) with the audit row the service writes beside it, chained (`security.audit_chain`).
History and audit rows are released in the order they happened, so their ids run in time order
as the services' do; cases take their ids in the order they were accepted, so `BD<day>-<id>`
numbers sort by day.
"""

from __future__ import annotations

import datetime
import heapq
import json
import random
from collections.abc import Callable

import peewee
from bulk import BulkWriter
from casework import Plan, Workdays, plan_case
from forms import MatterInfo, form_values
from people import person
from staff import Staff

from daiban.cases import personal
from daiban.cases.commission import DEFAULT_PROHIBITIONS, default_scope
from daiban.cases.service import case_number
from daiban.models import AuditLog, Case, CaseEvent, CaseMaterial, Commission, Consultation, Handoff
from daiban.security import audit_chain, keys
from daiban.supervision.models import Rating, Rectification

CASE_FIELDS = ("id", "number", "matter_code", "matter_version", "mode", "channel", "status", "first_agent",
               "center", "applicant_name", "applicant_id_number_sealed", "applicant_phone_sealed",
               "applicant_id_number_index", "applicant_phone_index", "values", "accepted_on", "due_on",
               "due_provisional", "clock_stopped_on", "stopped_working_days", "result_on", "result_decision",
               "result_number", "closed_on", "lock_version", "created_at", "updated_at")
EVENT_FIELDS = ("id", "case", "at", "day", "actor", "role", "transition", "from_status", "to_status", "note",
                "due_on", "lock_version")
AUDIT_FIELDS = ("id", "at", "actor", "roles", "ip", "action", "object_type", "object_id", "summary",
                "before", "after", "outcome", "prev_hash", "row_hash")
MATERIAL_FIELDS = ("id", "case", "material_id", "name", "position", "notice_status", "optional",
                   "verified_by_department", "exempt_with_electronic_licence", "originals_required",
                   "copies_required", "options", "deferrable_amount", "deferrable_unit", "deferrable_label",
                   "status", "originals_received", "copies_received", "received_as", "received_as_name",
                   "via_electronic_licence", "received_on", "deferred_on", "promised_on",
                   "promised_provisional", "supplied_on", "note", "lock_version", "created_at", "updated_at")
HANDOFF_FIELDS = ("id", "case", "group", "from_center", "to_center", "to_department", "status", "sent_by",
                  "sent_at", "received_by", "received_at", "result_decision", "result_number", "note")
COMMISSION_FIELDS = ("id", "case", "kind", "previous", "status", "citizen_name", "citizen_id_masked", "agent",
                     "agent_name", "center_name", "matter_code", "matter_version", "matter_name", "scope",
                     "prohibitions", "valid_days", "reason", "drafted_on", "drafted_by", "valid_from",
                     "valid_until", "signed_on", "recorded_by", "terminated_on", "lock_version", "created_at")
RATING_FIELDS = ("id", "case", "visit", "level", "efficiency", "skill", "attitude", "channel", "comment",
                 "staff", "center", "recorded_by", "rated_on", "rated_at", "bad")
RECTIFICATION_FIELDS = ("id", "rating", "case", "responsible", "center", "status", "opened_on", "due_on",
                        "due_provisional", "call_on", "call_note", "measures", "reply", "closed_on",
                        "closed_by", "appeal_reason", "appeal_decision_note", "appeal_decided_by",
                        "appeal_decided_on", "lock_version")
CONSULTATION_FIELDS = ("id", "at", "agent", "center", "matter_code", "channel", "note")

BATCH_ROWS = 60_000
PROXY_SHARE = 0.45
DEFERRED_SHARE = 0.12  # deferrable materials accepted missing (容缺受理)
CONSULTATIONS_PER_CASE = 0.15
RESIDENTS_PER_CASE = 0.38  # applicants come back: about 2.6 cases per resident
MAX_RESIDENTS = 380_000  # about the banner's population
CHANNELS = (("window", 55), ("home_visit", 15), ("mobile_point", 10), ("app", 8), ("online", 6),
            ("hotline", 4), ("postal", 2))
CENTER_SHARES = {"banner": 0.12, "township": 0.48, "village": 0.40}
COMMENTS = {5: "跑一次就办好了", 4: "代办员很耐心", 3: "还可以", 2: "等的时间有点长", 1: "来回跑了好几趟"}
DECISIONS = (("approved", 90), ("refused", 6), ("other", 4))


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


def _address(unit) -> str:
    """The unit's name under its parents: 扎赉特旗音德尔镇红星村."""
    names = []
    while unit is not None:
        names.append(unit.name)
        unit = unit.parent
    return "".join(reversed(names))


class CaseFill:
    """Fills `cases` cases over the years before `cut` (the fill's day) into an upgraded database."""

    def __init__(self, db: peewee.Database, staff: Staff, reference, matters: list[MatterInfo],
                 cut: datetime.date, years: int, seed: int = 2026):
        self.db, self.staff, self.matters, self.cut = db, staff, matters, cut
        self.workflow, self.calendar = reference.workflow, reference.calendar
        self.settings = reference.supervision
        self.rng = random.Random(seed)
        self.first = cut - datetime.timedelta(days=round(365.25 * years) - 1)
        self.workdays = Workdays(self.calendar, self.first - datetime.timedelta(days=30),
                                 cut + datetime.timedelta(days=400))
        w = self.writer = BulkWriter(db)
        # Parents before children: each batch is written in this order.
        self.t_case = w.table(Case, CASE_FIELDS)
        self.t_commission = w.table(Commission, COMMISSION_FIELDS)
        self.t_material = w.table(CaseMaterial, MATERIAL_FIELDS)
        self.t_handoff = w.table(Handoff, HANDOFF_FIELDS)
        self.t_rating = w.table(Rating, RATING_FIELDS)
        self.t_rect = w.table(Rectification, RECTIFICATION_FIELDS)
        self.t_consult = w.table(Consultation, CONSULTATION_FIELDS)
        self.t_event = w.table(CaseEvent, EVENT_FIELDS)
        self.t_audit = w.table(AuditLog, AUDIT_FIELDS)
        self.ids = {t.name: self._next_id(t.model) for t in w.tables}
        last = AuditLog.select(AuditLog.row_hash).order_by(AuditLog.id.desc()).first()
        self.prev_hash = (last.row_hash if last else None) or audit_chain.GENESIS
        self.audit_key = keys.keyring().audit_key
        self.heap: list[tuple] = []  # (at, sequence, kind, payload): history waiting for its time
        self.sequence = 0
        self.open_pairs: set[tuple[int, str]] = set()  # (resident, matter) of cases still in progress
        self.residents: dict[int, tuple] = {}
        self.due_cache: dict[tuple, object] = {}
        self.samples: list[dict] = []
        self.centers = list(staff.centers.values())
        shares = {level: sum(1 for c in self.centers if c.level == level) for level in CENTER_SHARES}
        self.center_weights = [CENTER_SHARES[c.level] / shares[c.level] for c in self.centers]
        self.channels = _weighted(CHANNELS)
        self.offered = {}
        for level in CENTER_SHARES:
            offered = [m for m in matters if level in m.matter.levels]
            self.offered[level] = (offered, [m.weight for m in offered])
        self.addresses = {c.id: _address(c.unit) for c in self.centers}
        self.decisions = _weighted(DECISIONS)

    @staticmethod
    def _next_id(model) -> int:
        return (model.select(peewee.fn.MAX(model.id)).scalar() or 0) + 1

    def _id(self, table) -> int:
        value = self.ids[table.name]
        self.ids[table.name] = value + 1
        return value

    # --- the days ---------------------------------------------------------------------------------

    def run(self, cases: int, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """Fill `cases` cases; `progress(n)` after each day's n cases. Returns rows written per table."""
        days = [d for d in self.workdays.days if self.first <= d <= self.cut]
        weights = [1 + 2 * i / max(1, len(days) - 1) for i in range(len(days))]  # the work grows
        total, done, share = sum(weights), 0, 0.0
        self.resident_count = max(1000, min(int(cases * RESIDENTS_PER_CASE), MAX_RESIDENTS))
        # A few cases kept with their applicants in clear (in bench_meta), for the search benchmarks:
        # three across the years, and one of each center from the middle of the fill on.
        self.sample_ids = {max(1, cases // 10), max(1, cases // 2), max(1, cases - 50)}
        self.sample_ids_from, self.sampled = cases // 2, set()
        for day, weight in zip(days, weights, strict=True):
            share += weight
            today = round(cases * share / total) - done
            self._release(datetime.datetime.combine(day, datetime.time()))
            for _ in range(today):
                self._case(day)
            self._consultations(day, today)
            done += today
            if self.writer.pending() >= BATCH_ROWS:
                self.writer.flush()
            if progress:
                progress(today)
        self._release(None)
        self.writer.flush()
        return {t.name: t.written for t in self.writer.tables}

    def _release(self, before: datetime.datetime | None) -> None:
        """Write the history that happened before `before` (all of it for None), in time order."""
        while self.heap and (before is None or self.heap[0][0] < before):
            at, _, kind, payload = heapq.heappop(self.heap)
            if kind == "event":
                case_id, step_fields, audit = payload
                self.t_event.append((self._id(self.t_event), case_id, at, *step_fields))
            else:
                audit = payload
            self._audit(at, *audit)

    def _audit(self, at, actor, roles, ip, action, object_type, object_id, summary) -> None:
        row_id = self._id(self.t_audit)
        row = {"id": row_id, "at": at, "actor": actor, "roles": roles, "ip": ip, "action": action,
               "object_type": object_type, "object_id": object_id, "summary": summary[:255],
               "before": None, "after": None, "outcome": "success"}
        digest = audit_chain.row_hash(self.audit_key, self.prev_hash, row)
        self.t_audit.append((row_id, at, actor, roles, ip, action, object_type, object_id, summary[:255],
                             None, None, "success", self.prev_hash, digest))
        self.prev_hash = digest

    def _consultations(self, day: datetime.date, cases_today: int) -> None:
        rng = self.rng
        for _ in range(round(cases_today * CONSULTATIONS_PER_CASE)):
            center = rng.choices(self.centers, self.center_weights)[0]
            agent = rng.choice(self.staff.agents[center.id])
            at = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
            self.t_consult.append((self._id(self.t_consult), at, agent.id, center.id,
                                   rng.choice(self.matters).matter.code,
                                   rng.choice(("window", "hotline", "home_visit")), "政策咨询"))

    # --- one case ---------------------------------------------------------------------------------

    def _resident(self, index: int) -> tuple:
        found = self.residents.get(index)
        if found is None:
            p = person(index)
            found = (p, personal.blind_index("id_number", p.id_number),
                     personal.blind_index("phone", p.phone))
            self.residents[index] = found
        return found

    def _due(self, day: datetime.date, limit):
        key = (day, limit)
        if key not in self.due_cache:
            self.due_cache[key] = self.calendar.due_date(day, limit)
        return self.due_cache[key]

    def _case(self, day: datetime.date) -> None:
        rng, staff = self.rng, self.staff
        center = rng.choices(self.centers, self.center_weights)[0]
        offered, weights = self.offered[center.level]
        info = rng.choices(offered, weights)[0]
        matter = info.matter
        due = self._due(day, matter.promised_limit or matter.statutory_limit)
        plan = plan_case(rng, day, due.on if due else None, self.workdays, self.cut,
                         center.level == "village")
        still_open = plan.steps[-1].transition not in ("close", "terminate")
        for _ in range(8):  # one case per applicant and matter in progress, as open_case insists
            resident = rng.randrange(self.resident_count)
            if not still_open or (resident, matter.code) not in self.open_pairs:
                break
        if still_open:
            self.open_pairs.add((resident, matter.code))
        applicant, id_index, phone_index = self._resident(resident)
        agent = rng.choice(staff.agents[center.id])
        proxy = matter.proxy_allowed and rng.random() < PROXY_SHARE
        case_id = self._id(self.t_case)
        number = case_number(case_id, day)
        address = self.addresses[center.id]
        values = personal.seal_values(matter.fields, form_values(
            matter, applicant.name, applicant.id_number, applicant.phone, address, day, rng))
        case = _CaseState(self, case_id, number, info, center, agent, proxy, due, plan)
        case.walk()
        channel = rng.choices(*self.channels)[0]
        self.t_case.append((
            case_id, number, matter.code, matter.version, "proxy" if proxy else "assist",
            channel if channel in matter.channels else "window", case.status, agent.id, center.id,
            applicant.name, personal.seal(applicant.id_number, "id_number"),
            personal.seal(applicant.phone, "phone"), id_index, phone_index,
            json.dumps(values, ensure_ascii=False, default=str), day, case.due_on,
            bool(due and due.provisional), case.stopped_on, case.stopped_days, case.result_on,
            case.decision, case.result_number, case.closed_on, case.lock_version, case.created_at,
            case.updated_at))
        case.write_children(applicant)
        if case_id in self.sample_ids or (case_id >= self.sample_ids_from
                                          and center.code not in self.sampled):
            self.sampled.add(center.code)
            self.samples.append({"id": case_id, "number": number, "name": applicant.name,
                                 "id_number": applicant.id_number, "phone": applicant.phone,
                                 "center": center.code, "status": case.status})

    def push(self, at: datetime.datetime, kind: str, payload) -> None:
        """Queue a history row until its time comes."""
        self.sequence += 1
        heapq.heappush(self.heap, (at, self.sequence, kind, payload))


class _CaseState:
    """One case walked along its plan: its state after each step, and the rows it leaves."""

    def __init__(self, fill: CaseFill, case_id, number, info: MatterInfo, center, agent, proxy, due,
                 plan: Plan):
        self.fill, self.id, self.number, self.info = fill, case_id, number, info
        self.center, self.agent, self.proxy, self.plan = center, agent, proxy, plan
        self.mode = "proxy" if proxy else "assist"
        self.status, self.lock_version = None, -1
        self.due_on = due.on if due else None
        self.stopped_on, self.stopped_days = None, 0
        self.result_on = self.decision = self.result_number = self.closed_on = None
        self.created_at = self.updated_at = None
        self.legs: list[list] = []  # open relay legs of the latest group, as mutable rows
        self.all_legs: list[list] = []
        self.group = 0
        self.days: dict[str, datetime.date] = {}
        self.ip = f"10.20.{center.id}.{10 + fill.rng.randint(0, 40)}"

    def _clock(self, day: datetime.date) -> datetime.datetime:
        rng = self.fill.rng
        start = datetime.datetime.combine(day, datetime.time(8, 30)) + datetime.timedelta(
            minutes=rng.randint(0, 510), seconds=rng.randint(0, 59), microseconds=rng.randint(0, 999_999))
        if self.updated_at is not None and start <= self.updated_at:
            start = self.updated_at + datetime.timedelta(minutes=rng.randint(2, 30))
        return start

    def _who(self, who: str):
        staff = self.fill.staff
        if who == "liaison":
            return staff.liaisons[self.info.departments[0]]
        if who == "township":
            return staff.agents[staff.township_center[self.center.id]][0]
        return self.agent

    def walk(self) -> None:
        """Apply the plan's steps: state, clock, result, legs; queue their history and audit rows."""
        fill, workflow = self.fill, self.fill.workflow
        for step in self.plan.steps:
            at = self._clock(step.day)
            self.created_at = self.created_at or at
            self.updated_at = at
            self.days.setdefault(step.transition, step.day)
            if step.transition == "pass_on":
                self._pass_on(at)
                continue
            actor = self._who(step.who)
            system = step.who == "system"
            role = "system" if system else actor.roles
            before = self.status
            to = workflow.initial if step.transition == "open" else workflow.transition(step.transition).to
            note = self._apply(step, at)
            self.status = to
            self.lock_version += 1
            fields = (step.day, actor.id, role, step.transition, before, to, note, self.due_on,
                      self.lock_version)
            if step.transition == "open":
                audit = (actor.username, actor.roles, self.ip, "create", "case", self.number,
                         f"受理 {self.info.matter.code} {self.number}")
            else:
                t = workflow.transition(step.transition)
                label = t.label if system else t.label_for(self.mode)
                summary = f"{self.number}：{label}（{workflow.label(before)} → {workflow.label(to)}）"
                audit = ("system" if system else actor.username, "system" if system else actor.roles,
                         "" if system else self.ip, "update", "case", self.number,
                         summary + (f"：{note}" if note else ""))
            fill.push(at, "event", (self.id, fields, audit))

    def _apply(self, step, at) -> str:
        """The step's effect on the case's clock, result and legs; returns the event's note."""
        fill, t = self.fill, step.transition
        if t in ("return_for_correction", "suspend"):
            self.stopped_on = step.day
            if t == "return_for_correction":
                self._close_legs(None, "退回补正")
        elif t in ("resubmit", "result_fed_back_after_suspension") and self.stopped_on is not None:
            days = fill.workdays.between(self.stopped_on, step.day)
            self.stopped_days += days
            if self.due_on is not None:
                self.due_on = fill.workdays.add(self.due_on, days)
            self.stopped_on = None
        if t in ("submit", "resubmit"):
            if t == "submit" and self.center.level == "village":
                self.group += 1
                self._send(at, self.agent, self.center.id, fill.staff.township_center[self.center.id], None,
                           "请转报")
            else:
                self._send_to_departments(at, self._who("township" if self.center.level == "village"
                                                        else "agent"))
        elif t == "receive":
            for leg in self.legs:
                leg[6:11] = ["received", leg[7], leg[8], fill.staff.liaisons[leg[5]].username, at]
        elif t.startswith("result_fed_back"):
            self.decision = fill.rng.choices(*fill.decisions)[0]
            self.result_number = f"扎政〔{step.day.year}〕{self.id:07d}号"
            self.result_on = step.day
            return self._close_legs(self.decision, "")
        elif t in ("close", "terminate"):
            self.closed_on = step.day
        return step.note

    def _send(self, at, user, from_center, to_center, to_department, note) -> None:
        leg = [None, self.id, self.group, from_center, to_center, to_department, "sent", user.username,
               at, None, None, None, None, note]
        self.legs.append(leg)
        self.all_legs.append(leg)

    def _send_to_departments(self, at, user) -> None:
        """A new group of legs, one per department (并联办理), from where the case now is."""
        self.group += 1
        self.legs = []
        from_center = self.fill.staff.township_center.get(self.center.id, self.center.id)
        for department in self.info.departments:
            self._send(at, user, from_center, None, department, "请办理")

    def _pass_on(self, at) -> None:
        """The township's center takes the village's leg and sends the case to its departments."""
        township = self._who("township")
        for leg in self.legs:
            leg[6:11] = ["done", leg[7], leg[8], township.username, at]
        self._send_to_departments(at, township)
        self.fill.push(at, "relay", (township.username, township.roles, self.ip, "update", "handoff",
                                     str(self.id), f"{self.number} 并联报送{self.info.department_names}"))

    def _close_legs(self, decision, note) -> str:
        names = []
        for leg in self.legs:
            if leg[9] is None:
                leg[9], leg[10] = self.fill.staff.liaisons[leg[5]].username, self.updated_at
            leg[6], leg[13] = "done", note or leg[13]
            if decision:
                leg[11], leg[12] = decision, self.result_number
                names.append(self.fill.staff.departments_by_id[leg[5]].name)
        self.legs = []
        if not decision:
            return note
        labels = {"approved": "准予办理", "refused": "不予办理", "other": "其他（见说明）"}
        return "责任单位办理结果：" + "；".join(f"{n}：{labels[decision]}" for n in names)

    # --- the rows beside the case -------------------------------------------------------------------

    def write_children(self, applicant) -> None:
        """Checklist, commission, relay legs, rating and rectification of the case."""
        fill = self.fill
        for leg in self.all_legs:
            leg[0] = fill._id(fill.t_handoff)
            fill.t_handoff.append(tuple(leg))
        self._materials()
        accepted = self.days.get("accept")
        if self.proxy and accepted:
            agent = self.agent
            fill.t_commission.append((
                fill._id(fill.t_commission), self.id, "commission", None, "signed", applicant.name,
                personal.mask_id_number(applicant.id_number), agent.id, agent.display_name, self.center.name,
                self.info.matter.code, self.info.matter.version, self.info.matter.name,
                default_scope(self.info.matter.name, self.info.department_names.split("、")[0]),
                json.dumps(list(DEFAULT_PROHIBITIONS), ensure_ascii=False), 90, "", accepted, agent.id,
                accepted, accepted + datetime.timedelta(days=89), accepted, agent.id, None, 1,
                self.created_at))
        if self.plan.rating is not None:
            self._rating(self.days["follow_up"])

    def _materials(self) -> None:
        fill, rng = self.fill, self.fill.rng
        accepted = self.days["open"]
        collected = self.days.get("collect_materials")
        for item in self.info.items_for(rng, self.proxy):
            status, received, deferred, promised, supplied = "pending", None, None, None, None
            provisional = False
            if item.verified_by_department:
                status = "verified"
            elif collected and item.deferrable is not None and rng.random() < DEFERRED_SHARE:
                due = fill._due(accepted, item.deferrable)
                deferred, promised, provisional = accepted, due.on, due.provisional
                handed = fill.workdays.add(accepted, rng.randint(1, 6))
                ended = self.closed_on or fill.cut
                if handed <= min(ended, fill.cut):
                    status, supplied = "supplied", handed
                else:
                    status = "deferred"
            elif collected:
                status, received = "received", collected
            counts = (item.originals, item.copies) if status in ("received", "supplied") else (0, 0)
            limit = item.deferrable
            fill.t_material.append((
                fill._id(fill.t_material), self.id, item.material_id, item.name, item.position,
                item.notice_status, item.optional, item.verified_by_department,
                item.exempt_with_electronic_licence, item.originals, item.copies, item.options,
                limit.amount if limit else None, limit.unit if limit else None, item.deferrable_label, status,
                counts[0], counts[1], None, None, False, received, deferred, promised, provisional,
                supplied, "", 0 if status == "pending" else 1, self.created_at, self.updated_at))

    def _rating(self, day: datetime.date) -> None:
        fill, rng, level = self.fill, self.fill.rng, self.plan.rating
        rating_id = fill._id(fill.t_rating)

        def near(n):
            return max(1, min(5, n + rng.choice((-1, 0, 0, 0, 1))))

        at = datetime.datetime.combine(day, datetime.time(rng.randint(9, 17), rng.randint(0, 59)))
        fill.t_rating.append((rating_id, self.id, 1, level, near(level), near(level), near(level),
                              rng.choice(("on_site", "follow_up_call")), COMMENTS[level], self.agent.id,
                              self.center.id, self.agent.id, day, at, level <= 2))
        if level > 2:
            return
        due = fill.workdays.add(day, fill.settings.rectification_working_days)
        status, closed, call = "open", None, None
        if due <= fill.cut:
            closed = min(fill.workdays.add(day, rng.randint(1, fill.settings.rectification_working_days)),
                         fill.cut)
            call = closed
            status = "closed"
        appeal = status == "closed" and rng.random() < 0.08
        if appeal:
            status = rng.choice(("appeal_upheld", "appeal_rejected"))
        fill.t_rect.append((
            fill._id(fill.t_rect), rating_id, self.id, self.agent.id, self.center.id, status, day, due, False,
            call, "已电话回访申请人，说明情况并致歉" if call else "",
            "加强业务培训，缩短办理时间" if closed else "",
            "已向群众答复整改情况" if closed else "", closed if status == "closed" else None,
            self.agent.id if status == "closed" else None, "评价与事实不符" if appeal else "",
            "经核查" + ("申诉成立" if status == "appeal_upheld" else "申诉不成立") if appeal else "",
            fill.staff.agents[self.center.id][0].id if appeal else None, closed if appeal else None,
            1 if closed else 0))
