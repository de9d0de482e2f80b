"""The work ledger (工作台账) in the browser: filters as GET parameters, keyset pages, .xlsx export.

Rows come from `supervision.ledger`, which keeps every query inside the user's access scope.
"""

from __future__ import annotations

import datetime
import io

from flask import abort, current_app, request, send_file
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban import audit
from daiban.admin.base import RoleGuard, current_principal
from daiban.cases.search import audit_search, parse_search
from daiban.catalog.model import CHANNEL_LABELS
from daiban.db import database, parse_id
from daiban.models import CASE_MODES, Department, OrgUnit, ServiceCenter
from daiban.supervision.exports import XLSX_MIMETYPE, ledger_xlsx
from daiban.supervision.ledger import (
    COLUMNS,
    LINKABLE,
    ON_TIME_CHOICES,
    LedgerFilter,
    filter_choices,
    ledger_page,
    ledger_rows,
    ledger_summary,
)
from daiban.supervision.units import own_unit


class LedgerView(RoleGuard, BaseView):
    """工作台账: the cases of the user's scope in a period, filtered, paged and exported."""

    resource = "ledger"

    def _workflow(self):
        return current_app.extensions["daiban"].workflow

    def _filter(self) -> LedgerFilter:
        """The filter from the URL; a search (查找) is posted, so no ID number lands in an access log."""
        args = {k: v for k, v in request.args.items() if k != "q"}
        if request.method == "POST":
            args.update({k: v for k, v in request.form.items() if k != "csrf_token"})
        else:
            search = parse_search(request.args.get("q"))
            if search is not None and search.kind in LINKABLE:  # a next-page link of a name search
                args["q"] = request.args["q"]
        return LedgerFilter.from_args(args, datetime.date.today())

    def _subject(self, flt: LedgerFilter) -> str:
        """Whose ledger this is, in Chinese: the filtered unit, else the user's own."""
        if flt.center:
            center = ServiceCenter.get_or_none(ServiceCenter.id == flt.center)
            if center:
                return center.name
        if flt.township:
            township = OrgUnit.get_or_none(OrgUnit.code == flt.township)
            if township:
                return township.name
        if flt.department:
            department = Department.get_or_none(Department.code == flt.department)
            if department:
                return department.name
        principal = current_principal()
        unit = own_unit(principal)
        if unit is not None:
            return unit.name if unit.kind != "banner" else "全旗"
        user = current_user.user
        return user.center.name if user.center else ""

    def _title(self, flt: LedgerFilter) -> str:
        search = flt.search
        if search is not None:
            return f"{self._subject(flt)}帮办代办工作台账（按{search.kind_label}查找“{search.shown}”）"
        return f"{self._subject(flt)}帮办代办工作台账（{flt.start:%Y-%m-%d} 至 {flt.end:%Y-%m-%d}）"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        """The ledger: filters, totals and one page of rows, newest first."""
        flt = self._filter()
        today = datetime.date.today()
        principal = current_principal()
        before = parse_id(request.args.get("before"))  # keyset: the last case id of the page before
        page = ledger_page(principal, flt, today, self._workflow(), before=before)
        summary = ledger_summary(principal, flt, today)
        if flt.search is not None:
            with database.atomic():
                audit_search(flt.search, current_user.user, request.remote_addr or "", summary["cases"],
                             "工作台账")
        return self.render(
            "admin/supervision/ledger.html", flt=flt, page=page, title=self._title(flt),
            summary=summary, choices=filter_choices(principal),
            columns=COLUMNS, statuses=[(s.id, s.label) for s in self._workflow().states],
            modes=CASE_MODES, channels=CHANNEL_LABELS, on_time_choices=ON_TIME_CHOICES,
            can_export=self.allowed("export"), args=flt.to_args(),
        )

    @expose("/export.xlsx")
    def export(self):
        """Every row of the filtered ledger as an .xlsx workbook laid out for printing."""
        if not self.allowed("export"):
            abort(403)
        flt = self._filter()
        principal = current_principal()
        title = self._title(flt)
        data = ledger_xlsx(ledger_rows(principal, flt, datetime.date.today(), self._workflow()), title)
        if flt.search is not None:
            audit_search(flt.search, current_user.user, request.remote_addr or "", None, "导出工作台账")
        audit.record("export", principal.username, roles=",".join(r.id for r in principal.roles),
                     ip=request.remote_addr or "", object_type="ledger", summary=f"导出{title}"[:255],
                     after=flt.to_args())
        name = f"工作台账-{flt.start:%Y%m%d}-{flt.end:%Y%m%d}.xlsx"
        response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                             download_name=name)
        response.headers["Cache-Control"] = "private, no-store"  # personal data, masked or not
        return response

