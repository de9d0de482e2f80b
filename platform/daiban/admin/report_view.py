"""The quarterly report (季度报告) in the browser: pick a quarter and a unit, see its figures,
submit it before the deadline, download it as .xlsx or PDF; the bureau sees who has submitted.

Figures come from `supervision.report`; a submitted report shows the figures it froze.
"""

from __future__ import annotations

import datetime
import io

from flask import abort, current_app, flash, redirect, request, send_file
from flask_admin import BaseView, expose
from flask_login import current_user

from daiban import audit
from daiban.admin.base import RoleGuard, current_principal
from daiban.supervision.exports import OVERVIEW_KEYS, XLSX_MIMETYPE, report_html, report_pdf, report_xlsx
from daiban.supervision.report import (
    FIGURE_LABELS,
    SUBMISSION_STATUSES,
    QuarterlyFigures,
    ReportRefused,
    overview,
    quarter_of,
    quarterly_figures,
    submission_of,
    submission_status,
    submission_statuses,
    submit,
)
from daiban.supervision.units import may_submit, own_unit, unit_by_key, units_for

FIRST_YEAR = 2024  # the years offered in the quarter picker start here


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


class ReportView(RoleGuard, BaseView):
    """季度报告: figures of a township, a department or the banner for one quarter."""

    resource = "report"

    def _settings(self):
        return current_app.extensions["daiban"].supervision

    def _quarter(self, source) -> tuple[int, int]:
        year, quarter = quarter_of(datetime.date.today())
        year = _int(source.get("year"), year)
        quarter = _int(source.get("quarter"), quarter)
        if not (FIRST_YEAR <= year <= datetime.date.today().year + 1) or quarter not in (1, 2, 3, 4):
            return quarter_of(datetime.date.today())
        return year, quarter

    def _unit(self, key: str | None):
        """The unit asked for, if the user's scope covers it (404 otherwise), else their own."""
        principal = current_principal()
        units = units_for(principal)
        if key:
            unit = unit_by_key(key)
            if unit is None or unit not in units:
                abort(404)
            return unit, units
        own = own_unit(principal)
        return (own if own in units else next(iter(units), None)), units

    def _figures(self, unit, year: int, quarter: int):
        """The frozen figures when the unit has submitted, else the figures as of today."""
        submission = submission_of(unit, year, quarter)
        if submission is not None:
            return QuarterlyFigures.from_json(submission.figures), submission
        return quarterly_figures(unit, year, quarter, datetime.date.today(), self._settings()), None

    def _statuses(self, year: int, quarter: int):
        """Every unit's submission status, for users who see every unit (the bureau, inspectors)."""
        if current_principal().scope != "all":
            return []
        return submission_statuses(year, quarter, datetime.date.today(), self._settings())

    @expose("/")
    def index(self):
        """The report of the chosen unit and quarter, its submission status and the submit form."""
        year, quarter = self._quarter(request.args)
        unit, units = self._unit(request.args.get("unit"))
        today = datetime.date.today()
        deadline = self._settings().report_deadline(year, quarter)
        figures = submission = None
        if unit is not None:
            figures, submission = self._figures(unit, year, quarter)
        statuses = self._statuses(year, quarter)
        # The bureau's view of the banner puts every unit's figures side by side.
        side_by_side = (overview(year, quarter, today, self._settings())
                        if statuses and unit is not None and unit.kind == "banner" else {})
        return self.render(
            "admin/supervision/report.html", year=year, quarter=quarter, unit=unit, units=units,
            figures=figures, submission=submission, deadline=deadline,
            status=submission_status(submission, deadline, today) if unit else None,
            statuses=statuses, side_by_side=side_by_side, overview_keys=OVERVIEW_KEYS,
            labels=FIGURE_LABELS, status_labels=SUBMISSION_STATUSES,
            years=range(FIRST_YEAR, today.year + 2),
            can_submit=bool(unit) and submission is None and may_submit(current_principal(), unit),
            can_export=self.allowed("export"),
        )

    @expose("/submit", methods=("POST",))
    def submit(self):
        """Submit the unit's report for the quarter, freezing its figures; refused twice."""
        if not self.allowed("submit"):
            abort(403)
        unit = unit_by_key(request.form.get("unit"))
        if unit is None or not request.form.get("year") or not request.form.get("quarter"):
            flash("请选择要报送的单位、年度和季度", "error")
            return redirect(self.get_url(".index"))
        year, quarter = self._quarter(request.form)
        if not may_submit(current_principal(), unit):
            flash(f"您只能报送本单位的季度报告，不能报送{unit.name}的报告", "error")
            return redirect(self.get_url(".index", year=year, quarter=quarter))
        back = redirect(self.get_url(".index", unit=unit.key, year=year, quarter=quarter))
        try:
            row = submit(unit, year, quarter, current_user.user, request.form.get("note", ""),
                         datetime.date.today(), self._settings())
        except ReportRefused as exc:
            flash(str(exc), "error")
            return back
        deadline = self._settings().report_deadline(year, quarter)
        late = "（已超过截止日期）" if row.submitted_at.date() > deadline else ""
        flash(f"已报送{unit.name}{year}年第{quarter}季度报告{late}", "success")
        return back

    def _export_subject(self):
        if not self.allowed("export"):
            abort(403)
        year, quarter = self._quarter(request.args)
        unit, _ = self._unit(request.args.get("unit"))
        if unit is None:
            abort(404)
        figures, submission = self._figures(unit, year, quarter)
        statuses = self._statuses(year, quarter) if unit.kind == "banner" else []
        principal = current_principal()
        audit.record("export", principal.username, roles=",".join(r.id for r in principal.roles),
                     ip=request.remote_addr or "", object_type="report_submission",
                     object_id=submission.id if submission else "", summary=f"导出{figures.title}报告")
        return figures, submission, statuses

    @expose("/export.xlsx")
    def export_xlsx(self):
        """The report as .xlsx; the banner's also lists every unit's status and figures."""
        figures, submission, statuses = self._export_subject()
        side_by_side = (overview(figures.year, figures.quarter, datetime.date.today(), self._settings())
                        if statuses else None)
        data = report_xlsx(figures, submission, statuses, side_by_side)
        name = f"{figures.unit.name}{figures.year}年第{figures.quarter}季度报告.xlsx"
        return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)

    @expose("/export.pdf")
    def export_pdf(self):
        """The report as PDF, from the print page."""
        figures, submission, statuses = self._export_subject()
        return report_pdf(figures, submission, statuses, **self._print_links(figures))

    @expose("/print")
    def print_report(self):
        """The report as a page to print, the same page the PDF is made from."""
        figures, submission, statuses = self._export_subject()
        return report_html(figures, submission, statuses, pdf=False, **self._print_links(figures))

    def _print_links(self, figures: QuarterlyFigures) -> dict:
        where = {"unit": figures.unit.key, "year": figures.year, "quarter": figures.quarter}
        return {"pdf_url": self.get_url(".export_pdf", **where),
                "back": ("返回季度报告", self.get_url(".index", **where))}

