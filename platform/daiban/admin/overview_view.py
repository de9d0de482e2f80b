"""The dashboard (工作概况) of each level: the figures and charts of the user's own scope.

The bureau and the inspector see the banner, a township agent the township, a department
liaison the department, a village agent the station. Every number comes from the SQL
aggregations of `daiban.supervision.series`; the charts are inline SVG (`supervision.charts`), each
with a sentence saying what it shows and its figures as a table behind 以表格查看.
"""

from __future__ import annotations

import datetime

from flask import current_app, request
from flask_admin import BaseView, expose

from daiban.access import scoped
from daiban.admin.base import RoleGuard, current_principal
from daiban.models import ServiceCenter
from daiban.supervision import charts, series, units
from daiban.supervision.alerts import queue_counts
from daiban.supervision.models import RATING_LEVELS, Rectification

PERIODS = {6: "近 6 个月", 12: "近 12 个月", 24: "近 24 个月"}


def period(months: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first day of the month `months - 1` months back, and today."""
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1), today


def scope_title(principal) -> str:
    """Whose dashboard this is, in Chinese: the banner, a township, a department or a center."""
    unit = units.own_unit(principal)
    if unit is not None:
        return "全旗" if unit.kind == "banner" else unit.name
    center = ServiceCenter.get_or_none(ServiceCenter.id == principal.center_id)
    return center.name if center else "本人经办"


class OverviewView(RoleGuard, BaseView):
    """工作概况: one page per level with its figures and charts."""

    resource = "ledger"

    @expose("/")
    def index(self):
        """Figures and charts of the user's scope over the chosen period."""
        principal = current_principal()
        ref = current_app.extensions["daiban"]
        today = datetime.date.today()
        months = request.args.get("months", type=int)
        months = months if months in PERIODS else 12
        start, end = period(months, today)
        trend = series.monthly_trend(principal, start, end, today)
        grid = series.period_grid(principal, start, end, today)  # shared by the two rankings
        domains = series.by_domain(principal, start, end, today, grid=grid)
        said = series.satisfaction(principal, start, end)
        totals = {key: sum(m[key] for m in trend) for key in ("received", "assist", "proxy", "finished",
                                                               "on_time", "late")}
        finished = totals["finished"]
        totals["on_time_rate"] = round(100 * totals["on_time"] / finished, 1) if finished else None
        wide = principal.scope == "all"
        due_soon, overdue = queue_counts(principal, today, ref.supervision, ref.calendar, ref.workflow)
        open_rectifications = (scoped(Rectification.select(), Rectification, principal)
                               .where(Rectification.status.in_(("open", "appealed", "appeal_rejected")))
                               .count())
        during = PERIODS[months]
        shown = [charts.monthly(trend, during), charts.on_time(trend, during),
                 charts.ranking("domain", "按领域受理与办结（件）", "领域", domains, during)]
        if wide:
            shown.append(charts.ranking("township", "按苏木乡镇受理与办结（件）", "苏木乡镇",
                                        series.by_township(principal, start, end, today, grid=grid), during))
        shown.append(charts.satisfaction(said, RATING_LEVELS, during))
        return self.render(
            "admin/supervision/overview.html", title=scope_title(principal), months=months,
            periods=PERIODS, start=start, end=end, totals=totals, said=said, overdue=overdue,
            due_soon=due_soon, open_rectifications=open_rectifications, charts=shown,
        )
