"""Quarterly reports (季度报告) and the counts the dashboards share, all counted by the database.

The policy asks every township, department and the banner to report its 帮办代办 work before the
`report_deadline_day` (15th) of each quarter's last month (config/supervision.yaml).

How the figures are counted:

- One GROUP BY query per kind of record (cases, deferred materials, ratings, rectifications,
  consultations, agents) counts with COUNT and SUM over CASE per service center and matter
  version. That small grid (centers × matters, never cases) is folded into townships,
  departments, domains or the banner, so one unit and the bureau's overview of every unit cost
  the same few queries.
- A township's cases are those accepted at its centers (its own and its villages'); a
  department's are those of the matters it is the responsible unit for, by the version the case
  was opened under (so each case counts for exactly one department); the banner's are all.
  Deferred materials, ratings and rectifications follow their case, as in `access`.
- Received: accepted in the period. Finished (办结): the result came in the period. On time is the
  rule of `cases.service.overdue` in SQL: COALESCE(result_on, clock_stopped_on, closed_on, as_of)
  <= due_on, or no due date. A rating struck off by an upheld appeal (申诉成立) is not counted.
- The period runs from the quarter's first day to its last day or `as_of` (today), whichever
  comes first; states (material still deferred, rectification still open) are as on `as_of`.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import peewee
from peewee import JOIN, fn

from daiban import audit
from daiban.access import Principal, scope_filter
from daiban.catalog.model import CHANNEL_LABELS
from daiban.catalog.settings import SupervisionSettings
from daiban.db import database, is_postgres
from daiban.models import (
    CASE_CHANNELS,
    Agent,
    Case,
    CaseMaterial,
    Consultation,
    Department,
    MatterVersion,
    OrgUnit,
    ServiceCenter,
    User,
)
from daiban.supervision.models import (
    RATING_LEVELS,
    RECTIFICATION_STATUSES,
    REPORT_UNIT_KINDS,
    Rating,
    Rectification,
    ReportSubmission,
)

TERMINATED = "terminated"  # the workflow's state for cases ended without a result (终止)
STRUCK_OFF = "appeal_upheld"  # a rectification whose appeal makes its rating not count

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


@dataclass(frozen=True)
class ReportUnit:
    """A unit that reports: the banner, a township (by org unit code) or a department (by code)."""

    kind: str  # banner / township / department
    code: str
    name: str

    @property
    def key(self) -> str:
        """The unit as one word, for URLs and forms: 'township:yinde-er'."""
        return f"{self.kind}:{self.code}"

    @property
    def kind_label(self) -> str:
        """The kind in Chinese."""
        return REPORT_UNIT_KINDS.get(self.kind, self.kind)


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


# ---- units ----------------------------------------------------------------------------------------

def report_units(kind: str | None = None) -> list[ReportUnit]:
    """The banner, then every township, then every department (only `kind` when given)."""
    units: list[ReportUnit] = []
    for level in ("banner", "township"):
        if kind in (None, level):
            rows = OrgUnit.select().where((OrgUnit.level == level) & OrgUnit.active).order_by(OrgUnit.id)
            units += [ReportUnit(level, u.code, u.name) for u in rows]
    if kind in (None, "department"):
        departments = Department.select().order_by(Department.id)
        units += [ReportUnit("department", d.code, d.name) for d in departments]
    return units


def unit_by_key(key: str | None) -> ReportUnit | None:
    """The unit named by its key ('township:yinde-er'), or None."""
    kind, _, code = (key or "").partition(":")
    if kind not in REPORT_UNIT_KINDS:
        return None
    return next((u for u in report_units(kind) if u.code == code), None)


def _township_of(principal: Principal) -> ReportUnit | None:
    unit = (OrgUnit.select().where(OrgUnit.id.in_(list(principal.unit_ids)) & (OrgUnit.level == "township"))
            .first()) if principal.unit_ids else None
    return ReportUnit("township", unit.code, unit.name) if unit else None


def own_unit(principal: Principal) -> ReportUnit | None:
    """The unit whose report this user's scope makes theirs: the banner (scope all), their township
    or their department; None for the narrower scopes."""
    if principal.scope == "all":
        return next(iter(report_units("banner")), None)
    if principal.scope == "township":
        return _township_of(principal)
    if principal.scope == "department" and principal.department_code:
        department = Department.get_or_none(Department.code == principal.department_code)
        return ReportUnit("department", department.code, department.name) if department else None
    return None


def units_for(principal: Principal) -> list[ReportUnit]:
    """The units whose reports the user may see: every unit for scope all, else their own."""
    if principal.scope == "all":
        return report_units()
    own = own_unit(principal)
    return [own] if own else []


def may_submit(principal: Principal, unit: ReportUnit) -> bool:
    """True when the user may submit this unit's report: township agents their township's,
    department liaisons their department's, the bureau the banner's."""
    return principal.can("report", "submit") and own_unit(principal) == unit


# ---- SQL pieces ---------------------------------------------------------------------------------

def _between(column, start: datetime.date, end: datetime.date):
    return (column >= start) & (column <= end)


def _count_if(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): NULL conditions count as false."""
    return fn.SUM(peewee.Case(None, ((condition, 1),), 0))


def clock_day(as_of: datetime.date):
    """The day a case's time limit is judged on, in SQL (see `cases.service._clock_day`)."""
    return fn.COALESCE(Case.result_on, Case.clock_stopped_on, Case.closed_on, as_of)


def late_condition(as_of: datetime.date):
    """Cases past their due date as of `as_of`: the rule of `cases.service.overdue` in SQL."""
    return Case.due_on.is_null(False) & (clock_day(as_of) > Case.due_on)


def on_time_condition(as_of: datetime.date):
    """Cases not past their due date as of `as_of` (no due date counts as on time)."""
    return Case.due_on.is_null() | (clock_day(as_of) <= Case.due_on)


def township_center_ids(code: str) -> list[int]:
    """Ids of the service centers of a township: its own and its villages'."""
    township = OrgUnit.get_or_none((OrgUnit.code == code) & (OrgUnit.level == "township"))
    if township is None:
        return []
    units = OrgUnit.select(OrgUnit.id).where((OrgUnit.id == township.id) | (OrgUnit.parent == township.id))
    return [c.id for c in ServiceCenter.select(ServiceCenter.id).where(ServiceCenter.unit.in_(units))]


def township_names_by_center() -> dict[int, str]:
    """Each service center's township name; the banner's own centers have none."""
    names = dict(OrgUnit.select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "township").tuples())
    return {center: names.get(code, "") for center, code in _Reference.load().township_of_center.items()}


def department_versions(code: str):
    """A subquery of the (matter code, version) pairs a department is the responsible unit for."""
    return MatterVersion.select(MatterVersion.code, MatterVersion.version).where(
        MatterVersion.responsible_unit == code)


def case_condition(scope: ReportUnit | Principal | None):
    """A condition on Case for a report unit, a user's access scope, or everything (None)."""
    if scope is None:
        return None
    if isinstance(scope, Principal):
        return scope_filter(Case, scope)
    if scope.kind == "township":
        return Case.center.in_(township_center_ids(scope.code))
    if scope.kind == "department":
        return peewee.Tuple(Case.matter_code, Case.matter_version).in_(department_versions(scope.code))
    return None


def _month(column):
    """'YYYY-MM' of a date column, in the database's own dialect."""
    if is_postgres(database):
        return fn.to_char(column, "YYYY-MM")
    return fn.strftime("%Y-%m", column)


def _where(query, *conditions):
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


# ---- the grid: counts per (center, matter code, matter version) ---------------------------------

GridKey = tuple[int | None, str | None, int | None]
Grid = list[tuple[GridKey, dict[str, int]]]
_KEY = (Case.center, Case.matter_code, Case.matter_version)


def _grid(query, counts: Mapping[str, object], key=_KEY) -> Grid:
    """Run an aggregate query grouped by `key` with the named SUM/COUNT columns."""
    names = list(counts)
    query = query.select(*key, *(counts[n].alias(n) for n in names)).group_by(*key)
    rows = []
    for row in query.tuples():
        head, values = row[:len(key)], row[len(key):]
        rows.append(((*head, *(None,) * (3 - len(key))), {n: int(v or 0) for n, v in
                                                           zip(names, values, strict=True)}))
    return rows


def _case_grid(condition, start, end, as_of) -> Grid:
    received = _between(Case.accepted_on, start, end)
    finished = _between(Case.result_on, start, end)
    terminated = (Case.status == TERMINATED) & _between(Case.closed_on, start, end)
    counts = {
        "received": _count_if(received),
        "assist": _count_if(received & (Case.mode == "assist")),
        "proxy": _count_if(received & (Case.mode == "proxy")),
        **{f"channel_{c}": _count_if(received & (Case.channel == c)) for c in CASE_CHANNELS},
        "finished": _count_if(finished),
        "on_time": _count_if(finished & on_time_condition(as_of)),
        "late": _count_if(finished & late_condition(as_of)),
        "terminated": _count_if(terminated),
    }
    return _grid(_where(Case.select(), condition, received | finished | terminated), counts)


def _material_grid(condition, start, end, as_of) -> Grid:
    pending = CaseMaterial.status == "deferred"
    counts = {
        "deferred": fn.COUNT(CaseMaterial.id),
        "deferred_supplied": _count_if(CaseMaterial.supplied_on.is_null(False)),
        "deferred_pending": _count_if(pending),
        "deferred_overdue": _count_if(pending & (CaseMaterial.promised_on < as_of)),
    }
    query = CaseMaterial.select().join(Case, on=(CaseMaterial.case == Case.id))
    return _grid(_where(query, condition, _between(CaseMaterial.deferred_on, start, end)), counts)


def _rating_grid(condition, start, end) -> Grid:
    struck = fn.COALESCE(Rectification.status, "") == STRUCK_OFF
    counted = fn.COALESCE(Rectification.status, "") != STRUCK_OFF
    counts = {
        "ratings": _count_if(counted),
        **{f"rating_{level}": _count_if(counted & (Rating.level == level)) for level in RATING_LEVELS},
        "bad_ratings": _count_if(counted & (Rating.bad == True)),  # noqa: E712 - SQL, not Python
        "ratings_struck": _count_if(struck),
        **{f"{name}_sum": fn.SUM(peewee.Case(None, ((counted, getattr(Rating, name)),), None))
           for name in ("efficiency", "skill", "attitude")},
        **{f"{name}_n": _count_if(counted & getattr(Rating, name).is_null(False))
           for name in ("efficiency", "skill", "attitude")},
    }
    query = (Rating.select().join(Case, on=(Rating.case == Case.id)).switch(Rating)
             .join(Rectification, JOIN.LEFT_OUTER, on=(Rectification.rating == Rating.id)))
    return _grid(_where(query, condition, _between(Rating.rated_on, start, end)), counts)


def _rectification_grid(condition, start, end, as_of) -> Grid:
    counts = {
        "rectifications": fn.COUNT(Rectification.id),
        **{f"rectification_{s}": _count_if(Rectification.status == s) for s in RECTIFICATION_STATUSES},
        "rectification_overdue": _count_if((Rectification.status == "open") & (Rectification.due_on < as_of)),
    }
    query = Rectification.select().join(Case, on=(Rectification.case == Case.id))
    return _grid(_where(query, condition, _between(Rectification.opened_on, start, end)), counts)


def _consultation_grid(center_ids, matter_codes, start, end) -> Grid:
    after = datetime.datetime.combine(start, datetime.time())
    before = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
    query = _where(Consultation.select(), (Consultation.at >= after) & (Consultation.at < before),
                   None if center_ids is None else Consultation.center.in_(center_ids),
                   None if matter_codes is None else Consultation.matter_code.in_(matter_codes))
    return _grid(query, {"consultations": fn.COUNT(Consultation.id)},
                 key=(Consultation.center, Consultation.matter_code))


@dataclass
class _Reference:
    """The small reference tables the grid is folded with, read once per call."""

    banner: str = ""
    township_of_center: dict[int, str] = field(default_factory=dict)
    department_of: dict[tuple[str, int], str] = field(default_factory=dict)
    domain_of: dict[tuple[str, int], str] = field(default_factory=dict)
    latest: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (department, domain)

    @classmethod
    def load(cls) -> _Reference:
        ref = cls()
        units = {u.id: u for u in OrgUnit.select()}
        ref.banner = next((u.code for u in units.values() if u.level == "banner"), "")
        for center in ServiceCenter.select():
            unit = units.get(center.unit_id)
            while unit is not None and unit.level not in ("township", "banner"):
                unit = units.get(unit.parent_id)
            if unit is not None and unit.level == "township":
                ref.township_of_center[center.id] = unit.code
        versions = MatterVersion.select(MatterVersion.code, MatterVersion.version,
                                        MatterVersion.responsible_unit, MatterVersion.domain)
        for row in versions.order_by(MatterVersion.version).tuples():
            code, version, unit_code, domain = row
            ref.department_of[(code, version)] = unit_code
            ref.domain_of[(code, version)] = domain
            ref.latest[code] = (unit_code, domain)
        return ref

    def unit_code(self, kind: str, key: GridKey) -> str | None:
        """The code of the unit of `kind` a grid cell belongs to (None: none of that kind)."""
        center, code, version = key
        if kind == "banner":
            return self.banner
        if kind == "township":
            return self.township_of_center.get(center)
        if version is None:  # consultations name a matter, not a version: its latest one
            department, domain = self.latest.get(code, (None, None))
            return department if kind == "department" else domain
        return (self.department_of if kind == "department" else self.domain_of).get((code, version))


def _fold(grids: Iterable[Grid], keyfn: Callable[[GridKey], str | None]) -> dict[str, Counter]:
    folded: dict[str, Counter] = {}
    for grid in grids:
        for key, values in grid:
            target = keyfn(key)
            if target is not None:
                folded.setdefault(target, Counter()).update(values)
    return folded


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _finish(counts: Counter) -> dict[str, int | float | None]:
    """Every figure's value, zero when nothing was counted, with the rates."""
    values: dict[str, int | float | None] = {key: int(counts.get(key, 0)) for key, _, _ in FIGURES}
    values["on_time_rate"] = _rate(counts.get("on_time", 0), counts.get("finished", 0))
    values["good_rate"] = _rate(counts.get("ratings", 0) - counts.get("bad_ratings", 0),
                                counts.get("ratings", 0))
    return values


# ---- quarterly figures ------------------------------------------------------------------------

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


def _agents(units: list[ReportUnit], ref: _Reference, minimum: int):
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
    ref = _Reference.load()
    condition = case_condition(narrow)
    center_ids = township_center_ids(narrow.code) if narrow and narrow.kind == "township" else None
    matter_codes = ([c for c, (d, _) in ref.latest.items() if d == narrow.code]
                    if narrow and narrow.kind == "department" else None)
    if end < start:  # a quarter that has not begun: nothing to count yet
        grids: list[Grid] = []
    else:
        grids = [_case_grid(condition, start, end, as_of), _material_grid(condition, start, end, as_of),
                 _rating_grid(condition, start, end), _rectification_grid(condition, start, end, as_of),
                 _consultation_grid(center_ids, matter_codes, start, end)]
    folded = {kind: _fold(grids, lambda key, kind=kind: ref.unit_code(kind, key))
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
    except peewee.IntegrityError:  # someone submitted the same report a moment ago
        raise ReportRefused(_already(submission_of(unit, year, quarter))) from None
    audit.record("submit", user.username, roles=user.roles, object_type="report_submission",
                 object_id=row.id, summary=f"报送{figures.title}报告")
    return row


# ---- what the dashboards share ------------------------------------------------------------------

def _period_grid(scope, start, end, today):
    as_of = today or datetime.date.today()
    return _case_grid(case_condition(scope), start, end, as_of)


def _with_rates(counts: Counter) -> dict:
    row = {k: int(counts.get(k, 0)) for k in ("received", "assist", "proxy", "finished", "on_time",
                                               "late", "terminated")}
    row["on_time_rate"] = _rate(row["on_time"], row["finished"])
    return row


def monthly_trend(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
                  today: datetime.date | None = None) -> list[dict]:
    """Cases received (assist, proxy) and finished (on time, late) per month of the period."""
    as_of = today or datetime.date.today()
    condition = case_condition(scope)
    month = _month(Case.accepted_on)
    received = _where(Case.select(month, fn.COUNT(Case.id), _count_if(Case.mode == "assist"),
                                  _count_if(Case.mode == "proxy")),
                      condition, _between(Case.accepted_on, start, end)).group_by(month)
    done = _month(Case.result_on)
    finished = _where(Case.select(done, fn.COUNT(Case.id), _count_if(on_time_condition(as_of))),
                      condition, _between(Case.result_on, start, end)).group_by(done)
    months: dict[str, Counter] = {}
    day = start.replace(day=1)
    while day <= end:
        months[f"{day:%Y-%m}"] = Counter()
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    for name, n, assist, proxy in received.tuples():
        months[name].update(received=n, assist=assist or 0, proxy=proxy or 0)
    for name, n, on_time in finished.tuples():
        months[name].update(finished=n, on_time=on_time or 0, late=n - (on_time or 0))
    return [{"month": name, **_with_rates(counts)} for name, counts in months.items()]


def _domain_names() -> dict[str, str]:
    from flask import current_app, has_app_context

    if has_app_context() and "daiban" in current_app.extensions:
        return {d: domain.name for d, domain in current_app.extensions["daiban"].domains.items()}
    return {}


def by_domain(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
              today: datetime.date | None = None) -> list[dict]:
    """Cases received and finished per service domain (领域), largest first."""
    ref = _Reference.load()
    folded = _fold([_period_grid(scope, start, end, today)], lambda key: ref.unit_code("domain", key))
    names = _domain_names()
    rows = [{"domain": d, "name": names.get(d, d), **_with_rates(c)} for d, c in folded.items()]
    return sorted(rows, key=lambda r: (-r["received"], r["domain"]))


def by_township(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
                today: datetime.date | None = None) -> list[dict]:
    """Cases received and finished per township (every township listed), then the banner's own centers."""
    ref = _Reference.load()
    folded = _fold([_period_grid(scope, start, end, today)],
                   lambda key: ref.township_of_center.get(key[0], ""))
    rows = [{"code": u.code, "name": u.name, **_with_rates(folded.get(u.code, Counter()))}
            for u in report_units("township")]
    if folded.get(""):
        rows.append({"code": "", "name": "旗本级", **_with_rates(folded[""])})
    return rows


def satisfaction(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date) -> dict:
    """Ratings (好差评) rated in the period: count per level, bad ones, good rate, indicator averages."""
    total: Counter = Counter()
    for _key, values in _rating_grid(case_condition(scope), start, end):
        total.update(values)
    result = {key: int(total.get(key, 0)) for key in
              ("ratings", "bad_ratings", "ratings_struck", *(f"rating_{lv}" for lv in RATING_LEVELS))}
    result["good_rate"] = _rate(result["ratings"] - result["bad_ratings"], result["ratings"])
    for name in ("efficiency", "skill", "attitude"):
        n = total.get(f"{name}_n", 0)
        result[f"{name}_average"] = round(total.get(f"{name}_sum", 0) / n, 2) if n else None
    return result
