"""Cases in the browser: the agent's workbench, a case's page, and its transitions.

Every change goes through `daiban.cases.service` (the only writer of cases); who may make each
transition comes from config/workflow/case.yaml; which cases a user sees from `access.scoped`.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban.access import scoped
from daiban.admin.base import RoleGuard, current_principal, in_scope_or_404
from daiban.admin.rating_view import AGENT_CHANNELS
from daiban.cases import applicant, commission, documents, materials, personal, relay, uploads
from daiban.cases.application import case_application
from daiban.cases.history import case_history
from daiban.cases.search import audit_search, found_cases, open_cases, parse_search
from daiban.cases.service import (
    RESULT_DECISIONS,
    SUBMITTING,
    Actor,
    Applicant,
    CaseConflict,
    CaseError,
    Result,
    available_transitions,
    history,
    overdue,
    transition,
    working_days_left,
)
from daiban.catalog.model import CHANNEL_LABELS, Matter
from daiban.db import database, parse_id
from daiban.models import (
    Case,
    CaseMaterial,
    CaseUpload,
    Commission,
    Consultation,
    Department,
    Handoff,
    MatterVersion,
    ServiceCenter,
    User,
)
from daiban.publishing import compiled, version_in_force
from daiban.supervision import alerts, ratings
from daiban.supervision.models import RATING_INDICATORS, RATING_LEVELS
from daiban.web.pdf import pdf_response

MODE_LABELS = {"assist": "帮办", "proxy": "代办"}


def applicant_from(matter: Matter, values: dict) -> Applicant:
    """The applicant's name, ID number and phone, from the form's first fields of those kinds."""
    def first(kind):
        field = next((f for f in matter.fields if f.type == kind), None)
        value = values.get(field.id) if field else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    name_field = next((f for f in matter.fields if f.id == "name"), None) or next(
        (f for f in matter.fields if f.type == "text"), None)
    name = values.get(name_field.id) if name_field else ""
    return Applicant(str(name or "").strip(), first("id_number"), first("phone"))


COMMISSION_DAYS = 90  # validity of a new commission agreement, in natural days


def _count(text) -> int:
    """A count or an id from the form; 0 for anything that is not a plain number in the range
    of an integer column (a 30-digit count overflowed the database driver)."""
    return parse_id(text) or 0


REGISTER_LIMIT = 500  # the register shows the newest cases; older ones through the ledger
FINISHED_CHOICES = {"open": "在办", "finished": "已办结或终止"}


def _register_text(field, value) -> str:
    if value is None or value == "":
        return ""
    if field.type == "choice":
        return field.option_label(str(value))
    if field.type == "multi_choice" and isinstance(value, list):
        return "、".join(field.option_label(str(v)) for v in value)
    if field.type == "boolean":
        return "是" if value else "否"
    if field.type == "group" and isinstance(value, list):
        return f"{len(value)} 项"
    return str(value)


def _register_match(field, value, wanted: str) -> bool:
    """A filter: exact value for choices, contained text for the rest; empty means no filter."""
    if not wanted:
        return True
    if field.type in ("choice", "boolean"):
        return str(value).lower() == wanted.lower()
    if field.type == "multi_choice":
        return isinstance(value, list) and wanted in value
    return wanted in _register_text(field, value)


def matter_names(codes) -> dict[str, str]:
    """Latest published names of the given matter codes."""
    names: dict[str, str] = {}
    if codes:
        query = (MatterVersion.select(MatterVersion.code, MatterVersion.name)
                 .where(MatterVersion.code.in_(list(codes))).order_by(MatterVersion.version))
        for code, name in query.tuples():
            names[code] = name
    return names


def display_names(usernames) -> dict[str, str]:
    """Users' display names by username, for records that keep only the username (relay legs)."""
    names = set(usernames)
    if not names:
        return {}
    return dict(User.select(User.username, User.display_name).where(User.username.in_(names)).tuples())


def _scans_by_material(case: Case) -> dict[int, list]:
    """The case's scans grouped by checklist row."""
    grouped: dict[int, list] = {}
    for upload in CaseUpload.select().where(CaseUpload.case == case.id).order_by(CaseUpload.id):
        grouped.setdefault(upload.case_material_id, []).append(upload)
    return grouped


class CaseView(RoleGuard, BaseView):
    """办件: the workbench and each case's page."""

    resource = "case"

    def _ref(self):
        return current_app.extensions["daiban"]

    def _cases(self):
        return scoped(Case.select(), Case, current_principal())

    def _case(self, case_id: int) -> Case:
        return in_scope_or_404(Case, case_id)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        """The workbench: my cases by state, due soon, overdue, relays coming in."""
        ref = self._ref()
        today = datetime.date.today()
        in_progress = list(open_cases(current_principal(), ref.workflow))
        me = current_user.user.id
        mine = [c for c in in_progress if c.first_agent_id == me]
        soon = ref.supervision.due_soon_working_days
        left = {c.id: working_days_left(c, today, ref.calendar) for c in in_progress}
        due_soon = [c for c in in_progress if not overdue(c, today)
                    and left[c.id] is not None and left[c.id] <= soon]
        late = [c for c in in_progress if overdue(c, today)]
        relayed = {h.case_id for h in relay.incoming(current_user.user)}
        incoming = [c for c in in_progress if c.id in relayed]
        by_state: dict[str, list] = {}
        for case in mine:
            by_state.setdefault(case.status, []).append(case)
        month_start = today.replace(day=1)
        consultations = (Consultation.select().where((Consultation.agent == me)
                                                     & (Consultation.at >= month_start)).count())
        found, search = self._found(ref.workflow)
        deferred = alerts.deferred_materials(today, ref.supervision, ref.calendar, ref.workflow,
                                             current_principal())
        return self.render("admin/cases/workbench.html", mine=mine, by_state=by_state,
                           consultations=consultations, found=found, search=search, deferred=deferred,
                           statuses=[(s.id, s.label) for s in ref.workflow.states],
                           finished_choices=FINISHED_CHOICES, args=request.values,
                           names=matter_names({c.matter_code for c in in_progress}
                                              | {c.matter_code for c in found or ()}),
                           due_soon=due_soon, late=late, incoming=incoming,
                           workflow=ref.workflow, modes=MODE_LABELS, today=today)

    def _found(self, workflow):
        """查找办件: cases of the user's scope matching the search text (posted, so that no ID
        number lands in an access log) and the filters (status, in progress or finished), newest
        first; None when nothing was asked."""
        search = parse_search(request.form.get("q")) if request.method == "POST" else None
        status = request.values.get("status", "")
        finished = request.values.get("finished", "")
        states = {s.id for s in workflow.states}
        if search is None and status not in states and finished not in FINISHED_CHOICES:
            return None, search
        found = list(found_cases(current_principal(), workflow, search, status if status in states else "",
                                 finished if finished in FINISHED_CHOICES else ""))
        if request.method == "POST":
            with database.atomic():
                audit_search(search, current_user.user, request.remote_addr or "", len(found), "工作台")
        return found, search

    @expose("/queue/")
    def queue(self):
        """The receiving side's queue (接力办): legs sent to my department or center, waiting to be
        received or finished, oldest first, with each case's due date."""
        ref = self._ref()
        today = datetime.date.today()
        user = current_user.user
        legs = relay.incoming(user)
        cases = {c.id: c for c in self._cases().where(Case.id.in_([h.case_id for h in legs]))}
        legs = [h for h in legs if h.case_id in cases]  # within scope only
        rows = [(h, cases[h.case_id], overdue(cases[h.case_id], today),
                 working_days_left(cases[h.case_id], today, ref.calendar)) for h in legs]
        rows.sort(key=lambda row: (not row[2], row[0].id))  # overdue first, then oldest
        where = user.department.name if user.department_id else (user.center.name if user.center_id else "")
        return self.render("admin/cases/queue.html", rows=rows, where=where, workflow=ref.workflow,
                           people=display_names(h.sent_by for h in legs),
                           names=matter_names({c.matter_code for c in cases.values()}), modes=MODE_LABELS)

    @expose("/open/<code>/", methods=("POST",))
    def open(self, code: str):
        """Open a case from a filled intake form (the form itself posts to intake.open)."""
        if not self.allowed("create"):
            abort(403)
        from daiban.admin.intake_view import open_from_form

        return open_from_form(self, code)

    @expose("/consult/<code>/", methods=("POST",))
    def consult(self, code: str):
        """Record a visit that ends without a case as a consultation (咨询), counted in reports."""
        from daiban.admin.intake_view import consult_from_form

        return consult_from_form(self, code)

    @expose("/register/<code>/")
    def register(self, code: str):
        """The matter's own register: its cases, with columns and filters from its in_register fields."""
        row = version_in_force(code)
        if row is None:
            abort(404)
        matter = compiled(row)
        columns = [f for f in matter.fields if f.in_register]
        filters = {f.id: request.args.get(f"f_{f.id}", "").strip() for f in columns}
        status = request.args.get("status", "")
        query = self._cases().where(Case.matter_code == code)
        if status:
            query = query.where(Case.status == status)
        rows = []
        for case in query.order_by(Case.id.desc()).limit(REGISTER_LIMIT):
            values = personal.masked_values(case)
            if all(_register_match(f, values.get(f.id), filters[f.id]) for f in columns):
                rows.append((case, [_register_text(f, values.get(f.id)) for f in columns]))
        return self.render("admin/cases/register.html", matter=matter, columns=columns, rows=rows,
                           filters=filters, status=status, workflow=self._ref().workflow,
                           modes=MODE_LABELS, limit=REGISTER_LIMIT)

    @expose("/<int:case_id>/")
    def details(self, case_id: int):
        """A case: applicant (masked), matter, status, due date, history and the next steps."""
        case = self._case(case_id)
        try:
            return self._details(case)
        except (personal.TamperedData, personal.SealError) as exc:
            # A sealed value that does not open: say so plainly (never garbage, never a 500).
            return render_template("error.html", title=f"办件 {case.number} 的个人信息无法解开",
                                   message=str(exc)), 409

    def _details(self, case):
        ref = self._ref()
        today = datetime.date.today()
        actor = Actor.from_principal(current_principal())
        legs = relay.legs(case)
        events = history(case)  # the history table and the slips read the same events
        higher = relay.higher_centers(ServiceCenter.get_by_id(relay.current_center_id(case)))
        departments = self._departments_of(case)
        steps = available_transitions(case, actor, ref.workflow)
        if (current_principal().can("handoff", "create") and (higher or departments)
                and not any(h.status != "done" for h in legs)):
            steps = [t for t in steps if t.id not in SUBMITTING]  # 报送 is the relay form: one action
        return self.render(
            "admin/cases/details.html", case=case, workflow=ref.workflow, events=events,
            steps=case_history(case, ref.workflow), application=case_application(case),
            transitions=steps, modes=MODE_LABELS,
            channels=CHANNEL_LABELS, late=overdue(case, today),
            days_left=working_days_left(case, today, ref.calendar),
            id_number=personal.masked_id_number(case), phone=personal.masked_phone(case),
            acting=applicant.acting_person(case), guardian=applicant.guardian_of(case),
            names=matter_names({case.matter_code}),
            checklist=materials.checklist(case), built=materials.checklist_built(case),
            decisions=RESULT_DECISIONS,
            legs=legs, me=current_user.user, people=display_names(h.sent_by for h in legs),
            can_relay=current_principal().can("handoff", "create"),
            relay_open=case.result_on is None and not ref.workflow.is_final(case.status),
            can_take=current_principal().can("handoff", "edit"),
            higher=higher, departments=departments,
            commissions=commission.commissions(case),
            can_material=current_principal().can("material", "edit"),
            can_commission=current_principal().can("commission", "create"),
            slips=documents.issued(case, ref.workflow, events),
            scans=_scans_by_material(case),
            ratings=ratings.ratings(case),
            can_rate=current_principal().can("rating", "create"),
            rating_open=ratings.rating_refusal(case) is None,
            rating_channels=AGENT_CHANNELS, rating_levels=sorted(RATING_LEVELS.items(), reverse=True),
            rating_indicators=RATING_INDICATORS,
        )

    # ---- materials and commission --------------------------------------------------------
    def _need(self, resource: str, action: str) -> None:
        if not current_principal().can(resource, action):
            abort(403)

    def _departments_of(self, case: Case) -> list:
        row = case.pinned_version()
        if row is None:
            return []
        matter = compiled(row)
        codes = [matter.responsible_unit, *matter.joint_units]
        found = {d.code: d for d in Department.select().where(Department.code.in_(codes))}
        return [found[c] for c in codes if c in found]

    def _matter_of(self, case: Case):
        row = case.pinned_version()
        if row is None:
            abort(404)
        return compiled(row)

    @expose("/<int:case_id>/materials/build", methods=("POST",))
    def build_materials(self, case_id: int):
        """Build the case's materials checklist from the matter's one-time notice."""
        case = self._case(case_id)
        self._need("material", "create")
        try:
            materials.build_checklist(case, self._matter_of(case), datetime.date.today(),
                                      actor=Actor.from_principal(current_principal()))
            flash("已生成材料清单", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/materials/<int:row_id>/<action>", methods=("POST",))
    def material(self, case_id: int, row_id: int, action: str):
        """Receive, defer (容缺), supply or rule out one material of the checklist."""
        case = self._case(case_id)
        self._need("material", "edit")
        row = CaseMaterial.get_or_none((CaseMaterial.id == row_id) & (CaseMaterial.case == case.id))
        if row is None:
            abort(404)
        actor = Actor.from_principal(current_principal())
        today = datetime.date.today()
        note = request.form.get("note", "")
        try:
            if action == "receive":
                materials.receive(row, _count(request.form.get("originals")),
                                  _count(request.form.get("copies")), actor, note, today=today)
            elif action == "defer":
                materials.defer(row, actor, None, today, self._ref().calendar, note)
            elif action == "supply":
                materials.supply(row, actor, today, note)
            elif action == "not_needed":
                materials.mark_not_needed(row, actor, note, today)
            else:
                abort(404)
            flash(f"“{row.name}”已更新", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/materials/<int:row_id>/scans", methods=("POST",))
    def upload_scan(self, case_id: int, row_id: int):
        """Upload a scan (JPEG, PNG or PDF) of one material; stored outside the web root."""
        case = self._case(case_id)
        self._need("material", "edit")
        row = CaseMaterial.get_or_none((CaseMaterial.id == row_id) & (CaseMaterial.case == case.id))
        if row is None:
            abort(404)
        sent = request.files.get("scan")
        if sent is None or not sent.filename:
            flash("请选择要上传的扫描件", "error")
            return redirect(self.get_url(".details", case_id=case_id))
        try:
            stored = uploads.store_scan(row, sent.filename, sent.mimetype, sent.read(),
                                        Actor.from_principal(current_principal()), self._upload_dir(),
                                        today=datetime.date.today())
            done = "该文件已上传过，未重复保存" if stored.duplicate else f"已上传“{stored.upload.filename}”"
            flash(f"{row.name}：{done}", "success")
        except CaseError as exc:
            flash(f"{row.name}：{exc}", "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/scans/<int:upload_id>")
    def scan(self, case_id: int, upload_id: int):
        """Show one scan to a user who may see its case; each viewing is audited."""
        case = self._case(case_id)  # scoped: a case out of scope is not found
        upload = CaseUpload.get_or_none((CaseUpload.id == upload_id) & (CaseUpload.case == case.id))
        if upload is None:
            abort(404)
        try:
            data = uploads.open_scan(upload, True, by=current_user.user)
        except CaseError as exc:
            return render_template("error.html", title="无法打开扫描件", message=str(exc)), 404
        response = current_app.response_class(data, mimetype=upload.content_type)
        response.headers["Content-Disposition"] = "inline"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"  # ID cards: not in shared caches
        if upload.content_type.startswith("image/"):  # Chromium's PDF viewer refuses a sandbox
            response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response

    def _upload_dir(self) -> Path:
        return Path(current_app.config["UPLOAD_DIR"])

    @expose("/<int:case_id>/commission/draft", methods=("POST",))
    def draft_commission(self, case_id: int):
        """Draft the commission agreement (代办服务委托书) of a proxy case, to print and sign."""
        case = self._case(case_id)
        self._need("commission", "create")
        try:
            commission.draft_commission(case, None, COMMISSION_DAYS,
                                        Actor.from_principal(current_principal()),
                                        datetime.date.today(), matter=self._matter_of(case))
            flash("已生成代办服务委托书，请打印后由委托人签字", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    def _commission(self, case: Case, commission_id: int) -> Commission:
        row = Commission.get_or_none((Commission.id == commission_id) & (Commission.case == case.id))
        if row is None:
            abort(404)
        return row

    @expose("/<int:case_id>/commission/<int:commission_id>/sign", methods=("POST",))
    def sign_commission(self, case_id: int, commission_id: int):
        """Record that the citizen signed the printed commission."""
        case = self._case(case_id)
        self._need("commission", "edit")
        try:
            commission.record_signed(self._commission(case, commission_id),
                                     Actor.from_principal(current_principal()), datetime.date.today())
            flash("已登记委托书签署", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/commission/<int:commission_id>/renew", methods=("POST",))
    def renew_commission(self, case_id: int, commission_id: int):
        """Draft a renewal (续办委托书) of the latest signed commission, to print and sign."""
        case = self._case(case_id)
        self._need("commission", "create")
        try:
            commission.renew(self._commission(case, commission_id), COMMISSION_DAYS,
                             Actor.from_principal(current_principal()), datetime.date.today())
            flash("已生成续办委托书，请打印后由委托人签字", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/commission/<int:commission_id>/terminate", methods=("POST",))
    def terminate_commission(self, case_id: int, commission_id: int):
        """End the mandate (the citizen withdraws it, or the agent can no longer act): 终止单."""
        case = self._case(case_id)
        self._need("commission", "edit")
        try:
            commission.terminate(self._commission(case, commission_id),
                                 Actor.from_principal(current_principal()), datetime.date.today(),
                                 request.form.get("reason", ""))
            flash("委托已终止，已生成代办服务终止单", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/commission/<int:commission_id>/print")
    def print_commission(self, case_id: int, commission_id: int):
        """The commission agreement (or its renewal or termination) as a printable page."""
        case = self._case(case_id)
        row = self._commission(case, commission_id)
        return self._print(case, documents.commission_document(row),
                           self.get_url(".commission_pdf", case_id=case.id, commission_id=row.id))

    @expose("/<int:case_id>/commission/<int:commission_id>/pdf")
    def commission_pdf(self, case_id: int, commission_id: int):
        """The commission agreement as a PDF."""
        case = self._case(case_id)
        row = self._commission(case, commission_id)
        return self._pdf(case, documents.commission_document(row),
                         self.get_url(".commission_pdf", case_id=case.id, commission_id=row.id))

    @expose("/<int:case_id>/application/print")
    def print_application(self, case_id: int):
        """The application as filled (申请表), to print; personal data masked."""
        case = self._case(case_id)
        return self._unless_tampered(case, lambda doc: self._print(
            case, doc, self.get_url(".application_pdf", case_id=case.id)))

    @expose("/<int:case_id>/application/pdf")
    def application_pdf(self, case_id: int):
        """The application as filled (申请表), as a PDF."""
        case = self._case(case_id)
        return self._unless_tampered(case, lambda doc: self._pdf(
            case, doc, self.get_url(".application_pdf", case_id=case.id)))

    def _unless_tampered(self, case: Case, show):
        """Show the 申请表, or say plainly that a sealed value does not open (never a 500)."""
        try:
            doc = documents.application_form(case)
        except (personal.TamperedData, personal.SealError) as exc:
            return render_template("error.html", title=f"办件 {case.number} 的个人信息无法解开",
                                   message=str(exc)), 409
        return show(doc)

    @expose("/<int:case_id>/documents/<int:event_id>")
    def document(self, case_id: int, event_id: int):
        """A slip the case issued (受理单, 中止单, 终止单, 办结单, 材料归还清单), to print."""
        case = self._case(case_id)
        return self._print(case, self._slip(case, event_id),
                           self.get_url(".document_pdf", case_id=case.id, event_id=event_id))

    @expose("/<int:case_id>/documents/<int:event_id>/pdf")
    def document_pdf(self, case_id: int, event_id: int):
        """A slip the case issued, as a PDF."""
        case = self._case(case_id)
        return self._pdf(case, self._slip(case, event_id),
                         self.get_url(".document_pdf", case_id=case.id, event_id=event_id))

    def _slip(self, case: Case, event_id: int) -> documents.Document:
        doc = documents.slip(case, event_id, self._ref().workflow)
        if doc is None:
            abort(404)
        return doc

    def _print(self, case: Case, doc: documents.Document, pdf_url: str, pdf: bool = False) -> str:
        return render_template("print/document.html", doc=doc, pdf=pdf, pdf_url=pdf_url,
                               back=("返回办件", self.get_url(".details", case_id=case.id)))

    def _pdf(self, case: Case, doc: documents.Document, pdf_url: str):
        return pdf_response(lambda pdf: self._print(case, doc, pdf_url, pdf),
                            f"{doc.title}-{doc.case_number}.pdf")

    # ---- relay --------------------------------------------------------------------------
    def _leg(self, case: Case, leg_id: int) -> Handoff:
        leg = Handoff.get_or_none((Handoff.id == leg_id) & (Handoff.case == case.id))
        if leg is None:
            abort(404)
        return leg

    @expose("/<int:case_id>/relay/<target>", methods=("POST",))
    def relay_send(self, case_id: int, target: str):
        """报送: hand the case up a level, or to its departments in parallel; from a state the
        submitting transition leaves, this makes that transition too, with the same guards."""
        case = self._case(case_id)
        self._need("handoff", "create")
        ref = self._ref()
        user = current_user.user
        sent = request.form.get("lock_version")
        expected = _count(sent) if sent not in (None, "") else None
        options = dict(workflow=ref.workflow, calendar=ref.calendar, today=datetime.date.today(),
                       expected_lock_version=expected)
        try:
            if target == "up":
                to = ServiceCenter.get_or_none(ServiceCenter.id == _count(request.form.get("center")))
                if to is None:
                    raise relay.RelayRefused("请选择接收的服务中心")
                relay.send_up(case, to, user, request.form.get("note", ""), **options)
            elif target == "departments":
                ids = [_count(v) for v in request.form.getlist("department")]
                departments = list(Department.select().where(Department.id.in_(ids)))
                relay.send_to_departments(case, departments, user, request.form.get("note", ""), **options)
            else:
                abort(404)
            flash("已报送，等待对方接收", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/relay/<int:leg_id>/<step>", methods=("POST",))
    def relay_step(self, case_id: int, leg_id: int, step: str):
        """The receiving side takes the leg, or finishes it (a department with its decision)."""
        case = self._case(case_id)
        self._need("handoff", "edit")
        leg = self._leg(case, leg_id)
        user = current_user.user
        if not ((leg.to_center_id and leg.to_center_id == user.center_id)
                or (leg.to_department_id and leg.to_department_id == user.department_id)):
            abort(403)
        decision = request.form.get("result_decision")
        try:
            ref = self._ref()
            if step == "receive":
                relay.receive(leg, user, workflow=ref.workflow, calendar=ref.calendar,
                              today=datetime.date.today())
            elif step == "finish":
                result = Result(decision, request.form.get("result_number")) if decision else None
                relay.finish(leg, user, result, request.form.get("note", ""), workflow=ref.workflow,
                             calendar=ref.calendar, today=datetime.date.today())
            else:
                abort(404)
            flash("已更新接力", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))

    @expose("/<int:case_id>/act", methods=("POST",))
    def act(self, case_id: int):
        """Make one transition; a stale page gets a clear conflict message and nothing is lost."""
        case = self._case(case_id)
        ref = self._ref()
        try:
            expected = int(request.form.get("lock_version", "-1"))
        except ValueError:
            expected = -1
        decision = request.form.get("result_decision")
        result = Result(decision, request.form.get("result_number")) if decision else None
        step = request.form.get("transition", "")
        # 部门接收 of a case sent to the user's department is taking its leg: one action, one name.
        leg = relay.sent_leg_for(case, current_user.user) if step == relay.RECEIVE else None
        try:
            if leg is not None:
                if case.lock_version != expected:
                    raise CaseConflict(f"该件已被他人更新（办件 {case.number}），请刷新后重试")
                relay.receive(leg, current_user.user, workflow=ref.workflow, calendar=ref.calendar,
                              today=datetime.date.today())
                case = Case.get_by_id(case.id)
                flash(f"已更新：现为“{ref.workflow.label(case.status)}”", "success")
                return redirect(self.get_url(".details", case_id=case_id))
            case = transition(case, step,
                              Actor.from_principal(current_principal()), request.form.get("note", ""),
                              expected, datetime.date.today(), ref.calendar, workflow=ref.workflow,
                              result=result)
            flash(f"已更新：现为“{ref.workflow.label(case.status)}”", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", case_id=case_id))
