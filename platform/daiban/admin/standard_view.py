"""The center standard (八有一能) in the browser: every center in scope as a grid of nine items,
each center's evidence and assessment history, and the assessor's form with a photo.

Which centers a user sees comes from `access.scoped`: a center or finding out of scope is not
found (404). Photos are served only through `evidence`, after that scope check.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban.access import scoped
from daiban.admin.base import RoleGuard, current_principal, in_scope_or_404
from daiban.catalog.model import LEVEL_LABELS
from daiban.db import parse_id
from daiban.models import OrgUnit, ServiceCenter
from daiban.supervision.models import STANDARD_ITEMS, CenterAssessment
from daiban.supervision.standard import (
    ASSESSED_ITEMS,
    COMPUTED_ITEMS,
    SOURCE_LABELS,
    STATUS_LABELS,
    AssessmentRefused,
    assessment_history,
    center_standard,
    center_standards,
    open_evidence,
    record_assessment,
)

# Column heads of the grid: the policy's words, shortened to fit nine columns.
SHORT_LABELS = {
    "window": "窗口", "agents": "人员", "equipment": "设备", "guide": "指南", "matter_list": "事项清单",
    "duty_list": "责任清单", "rules": "制度", "ledger": "台账", "can_handle": "能办事",
}


class StandardView(RoleGuard, BaseView):
    """八有一能: the nine items of every service center and station in the user's scope."""

    resource = "center_standard"

    def _settings(self):
        return current_app.extensions["daiban"].supervision

    def _centers(self):
        return scoped(ServiceCenter.select(), ServiceCenter, current_principal())

    def _center(self, center_id: int) -> ServiceCenter:
        return in_scope_or_404(ServiceCenter, center_id)

    def _townships(self):
        """Townships with a center in the user's scope, for the filter."""
        units = self._centers().select(ServiceCenter.unit).order_by()
        parents = OrgUnit.select(OrgUnit.parent).where(OrgUnit.id.in_(units))
        return list(OrgUnit.select().where((OrgUnit.level == "township")
                                           & (OrgUnit.id.in_(units) | OrgUnit.id.in_(parents)))
                    .order_by(OrgUnit.code))

    @expose("/")
    def index(self):
        """All active centers in scope with their nine items; filters: gaps only, level, township."""
        today = datetime.date.today()
        only_gaps = request.args.get("gaps") == "1"
        level = request.args.get("level", "")
        township = request.args.get("township", "")
        query = self._centers().where(ServiceCenter.active == True)  # noqa: E712 - peewee needs ==
        if level in LEVEL_LABELS:
            query = query.where(ServiceCenter.level == level)
        township_id = parse_id(township)  # "²" is a digit to str.isdigit, not to int()
        if township_id is not None:
            units = OrgUnit.select(OrgUnit.id).where((OrgUnit.id == township_id)
                                                     | (OrgUnit.parent == township_id))
            query = query.where(ServiceCenter.unit.in_(units))
        standards = center_standards(query, today, self._settings())
        gapped = [s for s in standards if s.gaps]
        return self.render(
            "admin/supervision/standard_index.html", standards=gapped if only_gaps else standards,
            total=len(standards), gapped=len(gapped), gaps=sum(len(s.gaps) for s in standards),
            unknown=sum(len(s.unknown) for s in standards), only_gaps=only_gaps, level=level,
            township=township, levels=LEVEL_LABELS, townships=self._townships(), items=STANDARD_ITEMS,
            short=SHORT_LABELS, computed=COMPUTED_ITEMS, sources=SOURCE_LABELS, today=today,
        )

    def _details(self, center: ServiceCenter, form: dict | None = None):
        today = datetime.date.today()
        return self.render(
            "admin/supervision/standard_details.html",
            standard=center_standard(center, today, self._settings()), history=assessment_history(center),
            can_assess=self.allowed("create") and center.active, levels=LEVEL_LABELS,
            assessed=ASSESSED_ITEMS, items=STANDARD_ITEMS, statuses=STATUS_LABELS, today=today,
            form=form or {"item": "", "met": "", "day": today.isoformat(), "note": ""},
            catalog_url=url_for("catalog.index", level=center.level),
            min_agents=self._settings().min_agents_per_center,
        )

    @expose("/<int:center_id>/")
    def details(self, center_id: int):
        """One center: its nine items with evidence, the assessment form and every finding so far."""
        return self._details(self._center(center_id))

    @expose("/<int:center_id>/assess", methods=("POST",))
    def assess(self, center_id: int):
        """Record an assessor's finding on one item, with a note and an optional photo."""
        if not self.allowed("create"):
            abort(403)
        center = self._center(center_id)
        form = {key: request.form.get(key, "").strip() for key in ("item", "met", "day", "note")}
        sent = request.files.get("photo")
        photo = sent.read() if sent is not None and sent.filename else None
        try:
            try:
                day = datetime.date.fromisoformat(form["day"])
            except ValueError:
                raise AssessmentRefused("请填写评估日期（年-月-日）") from None
            met = {"1": True, "0": False}.get(form["met"])
            if not form["item"]:
                raise AssessmentRefused("请选择评估项目")
            record_assessment(center, form["item"], met, form["note"], current_user.user, day,
                              photo=photo, upload_dir=Path(current_app.config["UPLOAD_DIR"]))
        except AssessmentRefused as exc:
            flash(str(exc), "error")
            return self._details(center, form)
        flash(f"已记录评估：{STANDARD_ITEMS[form['item']]}", "success")
        return redirect(self.get_url(".details", center_id=center.id))

    @expose("/evidence/<int:assessment_id>")
    def evidence(self, assessment_id: int):
        """The photo of a finding, to a user who may see its center."""
        finding = in_scope_or_404(CenterAssessment, assessment_id)
        if not finding.evidence_sha256:
            abort(404)
        try:
            data = open_evidence(finding, Path(current_app.config["UPLOAD_DIR"]))
        except AssessmentRefused as exc:
            return render_template("error.html", title="无法打开照片", message=str(exc)), 404
        response = current_app.response_class(data, mimetype=finding.evidence_type)
        response.headers["Content-Disposition"] = "inline"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response
