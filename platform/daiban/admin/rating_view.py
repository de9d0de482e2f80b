"""Ratings and rectifications in the browser: the agent records a rating or hands the citizen a
rating link (QR code); whoever answers for a bad rating works its rectification; the bureau
decides appeals. Every change goes through `daiban.supervision.ratings` and `.rectification`.
"""

from __future__ import annotations

import datetime

import segno
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban.access import scoped
from daiban.admin.base import RoleGuard, current_principal, in_scope_or_404
from daiban.cases.service import CaseError
from daiban.db import parse_id
from daiban.models import Case
from daiban.supervision import rectification as rect
from daiban.supervision.models import RATING_CHANNELS, RECTIFICATION_STATUSES, Rectification
from daiban.supervision.ratings import Given, RatingRefused, issue_link, record_rating

AGENT_CHANNELS = {k: v for k, v in RATING_CHANNELS.items() if k != "link"}  # the link is the citizen's


def _ref():
    return current_app.extensions["daiban"]


def _version(form) -> int | None:
    """The lock version the page was made from; None when it is not a plain number ("²")."""
    return parse_id(form.get("lock_version", ""))  # an integer column, the same range as ids


class RatingView(RoleGuard, BaseView):
    """好差评: record a rating given on site, on the call or the hotline; issue a rating link."""

    resource = "rating"

    def is_visible(self):
        """Reached from the case page, not from the menu."""
        return False

    def _case(self, case_id: int) -> Case:
        case = in_scope_or_404(Case, case_id)
        if not self.allowed("create"):
            abort(403)
        return case

    @expose("/")
    def index(self):
        """Ratings live on each case's page."""
        return redirect(url_for("cases.index"))

    @expose("/<int:case_id>/record", methods=("POST",))
    def record(self, case_id: int):
        """Record the rating the citizen gave the agent."""
        case = self._case(case_id)
        ref = _ref()
        try:
            rating = record_rating(case, Given.from_form(request.form), request.form.get("channel", ""),
                                   current_user.user, datetime.date.today(), ref.supervision, ref.calendar)
            message = f"已登记评价：{rating.level_label}"
            if rating.bad:
                message += "（差评，已生成整改任务）"
            flash(message, "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(url_for("cases.details", case_id=case.id))

    @expose("/<int:case_id>/link", methods=("POST",))
    def link(self, case_id: int):
        """A new rating link and its QR code, to print or show to the citizen (shown only now)."""
        case = self._case(case_id)
        try:
            token, link = issue_link(case, current_user.user, datetime.date.today(), _ref().supervision)
        except RatingRefused as exc:  # no result yet, or this visit is rated already
            flash(str(exc), "error")
            return redirect(url_for("cases.details", case_id=case.id))
        address = url_for("rating.rate", token=token, _external=True)
        qr = segno.make(address, error="m").svg_inline(scale=5, dark="#000")
        return self.render("admin/supervision/rating_link.html", case=case, link=link, address=address,
                           qr=qr)


class RectificationView(RoleGuard, BaseView):
    """差评整改: the list of rectifications in scope and each one's page."""

    resource = "rectification"

    def _rows(self):
        return scoped(Rectification.select(), Rectification, current_principal())

    def _one(self, rectification_id: int) -> Rectification:
        return in_scope_or_404(Rectification, rectification_id)

    @expose("/")
    def index(self):
        """Rectifications, open ones first, with their deadlines."""
        status = request.args.get("status", "")
        query = self._rows()
        if status in RECTIFICATION_STATUSES:
            query = query.where(Rectification.status == status)
        rows = list(query.order_by(Rectification.closed_on.is_null(False), Rectification.due_on).limit(500))
        return self.render("admin/supervision/rectifications.html", rows=rows, status=status,
                           statuses=RECTIFICATION_STATUSES, today=datetime.date.today())

    @expose("/<int:rectification_id>/")
    def details(self, rectification_id: int):
        """One rectification: the rating, its case, the steps taken and the next ones."""
        row = self._one(rectification_id)
        principal = current_principal()
        return self.render("admin/supervision/rectification.html", row=row, rating=row.rating,
                           can_edit=principal.can("rectification", "edit"),
                           can_decide=principal.can("rectification", "approve"),
                           today=datetime.date.today())

    @expose("/<int:rectification_id>/<step>", methods=("POST",))
    def act(self, rectification_id: int, step: str):
        """One step: call, measures, close, appeal, or the bureau's decision on an appeal."""
        row = self._one(rectification_id)
        principal = current_principal()
        needed = "approve" if step == "decide" else "edit"
        if not principal.can("rectification", needed):
            abort(403)
        user, form, today = current_user.user, request.form, datetime.date.today()
        expected = _version(form)
        try:
            if step == "call":
                rect.record_call(row, user, today, form.get("call_note", ""), expected)
            elif step == "measures":
                rect.record_measures(row, user, form.get("measures", ""), form.get("reply", ""), expected)
            elif step == "close":
                rect.close(row, user, today, expected)
            elif step == "appeal":
                rect.appeal(row, user, form.get("appeal_reason", ""), expected)
            elif step == "decide":
                rect.decide_appeal(row, user, form.get("decision") == "upheld",
                                   form.get("appeal_decision_note", ""), today, expected)
            else:
                abort(404)
            flash("整改记录已更新", "success")
        except CaseError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details", rectification_id=row.id))
