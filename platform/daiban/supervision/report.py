"""Quarterly reports (季度报告): each unit's figures for a quarter, and their submission.

The policy asks every township, department and the banner to report its 帮办代办 work before the
`report_deadline_day` (15th) of each quarter's last month (config/supervision.yaml). Received:
accepted in the period; finished (办结): the result came in the period. The period runs from the
quarter's first day to its last day or `as_of` (today), whichever comes first; states (material still
deferred, rectification still open) are as on `as_of`. The figures are counted by the database with
the grid of `counting`, for one unit or every unit in the same few queries.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import peewee
from peewee import JOIN, fn

from daiban import audit
from daiban.catalog.model import CHANNEL_LABELS
from daiban.catalog.settings import SupervisionSettings
from daiban.db import database
from daiban.models import CASE_CHANNELS, Agent, Department, ServiceCenter, User
from daiban.supervision.counting import (
    Grid,
    Reference,
    case_condition,
    case_grid,
    consultation_grid,
    fold,
    material_grid,
    rate,
    rating_grid,
    rectification_grid,
    township_center_ids,
)
from daiban.supervision.models import RATING_LEVELS, RECTIFICATION_STATUSES, ReportSubmission
from daiban.supervision.units import ReportUnit, report_units

# The report's rows: (key, label, depth); depth 1 rows are "其中" parts of the row above.
FIGURES: tuple[tuple[str, str, int], ...] = (
    ("received", "受理办件（件）", 0),
    ("assist", "帮办", 1),
    ("proxy", "代办", 1),
    *((f"channel_{c}", CHANNEL_LABELS.get(c, c), 1) for c in CASE_CHANNELS),
    ("finished", "办结办件（件）", 0),
    ("on_time", "按时办结", 1),
    ("late", "超期办结", 1),
    ("on_time_rate", "按时办结率（%）", 1),
    ("terminated", "终止办件（件）", 0),
    ("consultations", "咨询服务（人次，未建档）", 0),
    ("deferred", "容缺受理材料（份）", 0),
    ("deferred_supplied", "已补齐", 1),
    ("deferred_pending", "待补交", 1),
    ("deferred_overdue", "逾期未补交", 1),
    ("ratings", "评价（次）", 0),
    *((f"rating_{level}", RATING_LEVELS[level], 1) for level in sorted(RATING_LEVELS, reverse=True)),
    ("bad_ratings", "差评", 1),
    ("good_rate", "好评率（%）", 1),
    ("ratings_struck", "申诉成立不计的评价", 1),
    ("rectifications", "差评整改（件）", 0),
    *((f"rectification_{s}", label, 1) for s, label in RECTIFICATION_STATUSES.items()),
    ("rectification_overdue", "逾期未整改", 1),
    ("agents", "在岗代办员（人）", 0),
    ("centers", "服务中心（站）（个）", 0),
    ("centers_short", "代办员少于配备标准的中心（站）", 1),
)
FIGURE_LABELS = {key: label for key, label, _ in FIGURES}
RATES = ("on_time_rate", "good_rate")
SUBMISSION_STATUSES = {"on_time": "按时报送", "late": "逾期报送", "not_yet": "未报送",
                       "overdue": "逾期未报送"}


class ReportRefused(RuntimeError):
    """A report that cannot be submitted; the message is for the user, in Chinese."""


# ---- periods and settings ----------------------------------------------------------------------

def quarter_of(day: datetime.date) -> tuple[int, int]:
    """The (year, quarter) a day falls in."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_period(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a quarter."""
    if quarter not in (1, 2, 3, 4):
        raise ReportRefused(f"季度应为 1–4，收到 {quarter}")
    start = datetime.date(year, quarter * 3 - 2, 1)
    following = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, quarter * 3 + 1, 1)
    return start, following - datetime.timedelta(days=1)


def _settings(settings: SupervisionSettings | None) -> SupervisionSettings:
    """The given settings, else the running app's, else the schema's defaults."""
    if settings is not None:
        return settings
    from flask import current_app, has_app_context

    if has_app_context() and "daiban" in current_app.extensions:
        return current_app.extensions["daiban"].supervision
    return SupervisionSettings()


# ---- quarterly figures ------------------------------------------------------------------------

def _finish(counts: Counter) -> dict[str, int | float | None]:
    """Every figure's value, zero when nothing was counted, with the rates."""
    values: dict[str, int | float | None] = {key: int(counts.get(key, 0)) for key, _, _ in FIGURES}
    values["on_time_rate"] = rate(counts.get("on_time", 0), counts.get("finished", 0))
    values["good_rate"] = rate(counts.get("ratings", 0) - counts.get("bad_ratings", 0),
                               counts.get("ratings", 0))
    return values


@dataclass(frozen=True)
class QuarterlyFigures:
    """A unit's figures for a quarter, counted on `as_of` (or as frozen when submitted)."""

    unit: ReportUnit
    year: int
    quarter: int
    start: datetime.date
    end: datetime.date
    as_of: datetime.date
    values: Mapping[str, int | float | None]
    agents_by_center: tuple[tuple[str, int], ...] = ()

    def __getitem__(self, key: str):
        return self.values[key]

    @property
    def title(self) -> str:
        """The report's title in Chinese."""
        return f"{self.unit.name}{self.year}年第{self.quarter}季度帮办代办工作情况"

    def rows(self) -> list[tuple[str, str, int, int | float | None]]:
        """The report's rows: key, label, depth, value (None: not applicable or no data)."""
        return [(key, label, depth, self.values.get(key)) for key, label, depth in FIGURES]

    def to_json(self) -> str:
        """The figures as stored in a submission."""
        return json.dumps({"unit": self.unit.__dict__, "year": self.year, "quarter": self.quarter,
                           "start": self.start.isoformat(), "end": self.end.isoformat(),
                           "as_of": self.as_of.isoformat(), "values": dict(self.values),
                           "agents_by_center": [list(a) for a in self.agents_by_center]},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> QuarterlyFigures:
        """The figures a submission froze."""
        data = json.loads(text)
        day = datetime.date.fromisoformat
        return cls(ReportUnit(**data["unit"]), data["year"], data["quarter"], day(data["start"]),
                   day(data["end"]), day(data["as_of"]), data["values"],
                   tuple((name, n) for name, n in data["agents_by_center"]))


def _agents(units: list[ReportUnit], ref: Reference, minimum: int):
    """Active agents per unit and per center, centers short of agents: one GROUP BY query."""
    per_center: Counter = Counter()
    per_department: Counter = Counter()
    total = 0
    query = (Agent.select(Agent.center, Department.code, fn.COUNT(Agent.id))
             .join(Department, JOIN.LEFT_OUTER, on=(Agent.department == Department.id))
             .where(Agent.status == "active").group_by(Agent.center, Department.code))
    for center_id, department_code, n in query.tuples():
        per_center[center_id] += n
        per_department[department_code] += n
        total += n
    centers = list(ServiceCenter.select().where(ServiceCenter.active).order_by(ServiceCenter.id))
    result = {}
    for unit in units:
        if unit.kind == "department":
            result[unit] = ({"agents": per_department[unit.code], "centers": None, "centers_short": None}, ())
            continue
        mine = [c for c in centers if unit.kind == "banner" or ref.township_of_center.get(c.id) == unit.code]
        listed = tuple((c.name, per_center[c.id]) for c in mine)
        agents = total if unit.kind == "banner" else sum(n for _, n in listed)
        short = sum(1 for _, n in listed if n < minimum)
        result[unit] = ({"agents": agents, "centers": len(mine), "centers_short": short}, listed)
    return result


def _figures(units: list[ReportUnit], year: int, quarter: int, today: datetime.date | None,
             settings: SupervisionSettings | None,
             narrow: ReportUnit | None) -> dict[ReportUnit, QuarterlyFigures]:
    """Figures of `units`; with `narrow` the queries are limited to that one unit's records."""
    as_of = today or datetime.date.today()
    first, last = quarter_period(year, quarter)
    start, end = first, min(last, as_of)
    ref = Reference.load()
    condition = case_condition(narrow)
    center_ids = township_center_ids(narrow.code) if narrow and narrow.kind == "township" else None
    matter_codes = ([c for c, (d, _) in ref.latest.items() if d == narrow.code]
                    if narrow and narrow.kind == "department" else None)
    if end < start:  # a quarter that has not begun: nothing to count yet
        grids: list[Grid] = []
    else:
        grids = [case_grid(condition, start, end, as_of), material_grid(condition, start, end, as_of),
                 rating_grid(condition, start, end), rectification_grid(condition, start, end, as_of),
                 consultation_grid(center_ids, matter_codes, start, end)]
    folded = {kind: fold(grids, lambda key, kind=kind: ref.unit_code(kind, key))
              for kind in {u.kind for u in units}}
    agents = _agents(units, ref, _settings(settings).min_agents_per_center)
    result = {}
    for unit in units:
        values = _finish(folded[unit.kind].get(unit.code, Counter()))
        counts, listed = agents[unit]
        values.update(counts)
        result[unit] = QuarterlyFigures(unit, year, quarter, start, end, as_of, values, listed)
    return result


def quarterly_figures(unit: ReportUnit, year: int, quarter: int, today: datetime.date | None = None,
                      settings: SupervisionSettings | None = None) -> QuarterlyFigures:
    """One unit's figures for a quarter, counted by SQL aggregation as of `today`."""
    return _figures([unit], year, quarter, today, settings, narrow=unit)[unit]


def overview(year: int, quarter: int, today: datetime.date | None = None,
             settings: SupervisionSettings | None = None) -> dict[ReportUnit, QuarterlyFigures]:
    """Figures of the banner, every township and every department for a quarter, in a few queries."""
    return _figures(report_units(), year, quarter, today, settings, narrow=None)


# ---- submissions --------------------------------------------------------------------------------

def submission_of(unit: ReportUnit, year: int, quarter: int) -> ReportSubmission | None:
    """The unit's submitted report of the quarter, if any."""
    return ReportSubmission.get_or_none(
        (ReportSubmission.unit_kind == unit.kind) & (ReportSubmission.unit_code == unit.code)
        & (ReportSubmission.year == year) & (ReportSubmission.quarter == quarter))


def submission_status(submission: ReportSubmission | None, deadline: datetime.date,
                      today: datetime.date) -> str:
    """on_time, late, not_yet or overdue: a submission (or its absence) against the deadline."""
    if submission is not None:
        return "on_time" if submission.submitted_at.date() <= deadline else "late"
    return "not_yet" if today <= deadline else "overdue"


@dataclass(frozen=True)
class UnitStatus:
    """Where a unit stands with its quarterly report."""

    unit: ReportUnit
    status: str
    deadline: datetime.date
    submission: ReportSubmission | None

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return SUBMISSION_STATUSES[self.status]


def submission_statuses(year: int, quarter: int, today: datetime.date | None = None,
                        settings: SupervisionSettings | None = None,
                        units: list[ReportUnit] | None = None) -> list[UnitStatus]:
    """Each unit's submission status for a quarter against its deadline (one query)."""
    today = today or datetime.date.today()
    deadline = _settings(settings).report_deadline(year, quarter)
    rows = ReportSubmission.select().where((ReportSubmission.year == year)
                                           & (ReportSubmission.quarter == quarter))
    found = {(s.unit_kind, s.unit_code): s for s in rows}
    return [UnitStatus(u, submission_status(found.get((u.kind, u.code)), deadline, today), deadline,
                       found.get((u.kind, u.code)))
            for u in (report_units() if units is None else units)]


def _already(row: ReportSubmission) -> str:
    return (f"{row.unit_name}{row.year}年第{row.quarter}季度报告已于 {row.submitted_at:%Y-%m-%d %H:%M} "
            f"由 {row.submitted_by.display_name} 报送，不能重复报送；如需更正请联系旗政务服务局")


def submit(unit: ReportUnit, year: int, quarter: int, user: User, note: str = "",
           today: datetime.date | None = None,
           settings: SupervisionSettings | None = None) -> ReportSubmission:
    """Freeze the unit's figures for the quarter in a ReportSubmission; a second submission is refused."""
    today = today or datetime.date.today()
    start, _ = quarter_period(year, quarter)
    if today < start:
        raise ReportRefused(f"{year}年第{quarter}季度尚未开始，不能报送")
    existing = submission_of(unit, year, quarter)
    if existing is not None:
        raise ReportRefused(_already(existing))
    figures = quarterly_figures(unit, year, quarter, today, settings)
    try:
        with database.atomic():
            row = ReportSubmission.create(
                unit_kind=unit.kind, unit_code=unit.code, unit_name=unit.name, year=year,
                quarter=quarter, figures=figures.to_json(), note=(note or "").strip(), submitted_by=user)
            audit.record("submit", user.username, roles=user.roles, object_type="report_submission",
                         object_id=row.id, summary=f"报送{figures.title}报告")
    except peewee.IntegrityError:  # someone submitted the same report a moment ago
        raise ReportRefused(_already(submission_of(unit, year, quarter))) from None
    return row


