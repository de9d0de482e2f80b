"""The SQL the supervision figures are counted with: conditions on cases, and the grid.

Each grid function is one GROUP BY query per kind of record (cases, deferred materials, ratings,
rectifications, consultations), counting with COUNT and SUM over CASE per service center and matter
version; `fold` sums that small grid (centers × matters, never cases) into townships, departments,
domains or the banner, so one unit and every unit cost the same few queries. A township's cases are
those accepted at its centers (its own and its villages'); a department's are those of the matters it
is the responsible unit for, by the version the case was opened under; materials, ratings and
rectifications follow their case, as in `access`. On time is the rule of `cases.service.overdue` in
SQL, and a rating struck off by an upheld appeal (申诉成立) is not counted.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import peewee
from peewee import JOIN, fn

from daiban.access import Principal, scope_filter
from daiban.db import database, is_postgres
from daiban.models import (
    CASE_CHANNELS,
    Case,
    CaseMaterial,
    Consultation,
    MatterVersion,
    OrgUnit,
    ServiceCenter,
)
from daiban.supervision.models import RATING_LEVELS, RECTIFICATION_STATUSES, Rating, Rectification
from daiban.supervision.units import ReportUnit

TERMINATED = "terminated"  # the workflow's state for cases ended without a result (终止)
STRUCK_OFF = "appeal_upheld"  # a rectification whose appeal makes its rating not count


# ---- SQL pieces ---------------------------------------------------------------------------------

def between(column, start: datetime.date, end: datetime.date):
    """`column` between `start` and `end`, both included."""
    return (column >= start) & (column <= end)


def count_if(condition):
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
    return {center: names.get(code, "") for center, code in Reference.load().township_of_center.items()}


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


def month(column):
    """'YYYY-MM' of a date column, in the database's own dialect."""
    if is_postgres(database):
        return fn.to_char(column, "YYYY-MM")
    return fn.strftime("%Y-%m", column)


def where(query, *conditions):
    """The query with each condition that is not None added to its WHERE."""
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


def case_grid(condition, start, end, as_of) -> Grid:
    """Cases received, finished (on time, late) and terminated in the period, per grid cell."""
    received = between(Case.accepted_on, start, end)
    finished = between(Case.result_on, start, end)
    terminated = (Case.status == TERMINATED) & between(Case.closed_on, start, end)
    counts = {
        "received": count_if(received),
        "assist": count_if(received & (Case.mode == "assist")),
        "proxy": count_if(received & (Case.mode == "proxy")),
        **{f"channel_{c}": count_if(received & (Case.channel == c)) for c in CASE_CHANNELS},
        "finished": count_if(finished),
        "on_time": count_if(finished & on_time_condition(as_of)),
        "late": count_if(finished & late_condition(as_of)),
        "terminated": count_if(terminated),
    }
    return _grid(where(Case.select(), condition, received | finished | terminated), counts)


def material_grid(condition, start, end, as_of) -> Grid:
    """Materials deferred in the period and where they stand on `as_of`, per grid cell."""
    pending = CaseMaterial.status == "deferred"
    counts = {
        "deferred": fn.COUNT(CaseMaterial.id),
        "deferred_supplied": count_if(CaseMaterial.supplied_on.is_null(False)),
        "deferred_pending": count_if(pending),
        "deferred_overdue": count_if(pending & (CaseMaterial.promised_on < as_of)),
    }
    query = CaseMaterial.select().join(Case, on=(CaseMaterial.case == Case.id))
    return _grid(where(query, condition, between(CaseMaterial.deferred_on, start, end)), counts)


def rating_grid(condition, start, end) -> Grid:
    """Ratings rated in the period (per level, bad, struck off) and the indicators' sums, per grid cell."""
    struck = fn.COALESCE(Rectification.status, "") == STRUCK_OFF
    counted = fn.COALESCE(Rectification.status, "") != STRUCK_OFF
    counts = {
        "ratings": count_if(counted),
        **{f"rating_{level}": count_if(counted & (Rating.level == level)) for level in RATING_LEVELS},
        "bad_ratings": count_if(counted & (Rating.bad == True)),  # noqa: E712 - SQL, not Python
        "ratings_struck": count_if(struck),
        **{f"{name}_sum": fn.SUM(peewee.Case(None, ((counted, getattr(Rating, name)),), None))
           for name in ("efficiency", "skill", "attitude")},
        **{f"{name}_n": count_if(counted & getattr(Rating, name).is_null(False))
           for name in ("efficiency", "skill", "attitude")},
    }
    query = (Rating.select().join(Case, on=(Rating.case == Case.id)).switch(Rating)
             .join(Rectification, JOIN.LEFT_OUTER, on=(Rectification.rating == Rating.id)))
    return _grid(where(query, condition, between(Rating.rated_on, start, end)), counts)


def rectification_grid(condition, start, end, as_of) -> Grid:
    """Rectifications opened in the period per status, and overdue on `as_of`, per grid cell."""
    counts = {
        "rectifications": fn.COUNT(Rectification.id),
        **{f"rectification_{s}": count_if(Rectification.status == s) for s in RECTIFICATION_STATUSES},
        "rectification_overdue": count_if((Rectification.status == "open") & (Rectification.due_on < as_of)),
    }
    query = Rectification.select().join(Case, on=(Rectification.case == Case.id))
    return _grid(where(query, condition, between(Rectification.opened_on, start, end)), counts)


def consultation_grid(center_ids, matter_codes, start, end) -> Grid:
    """Consultations in the period per (center, matter code), optionally limited to centers or matters."""
    after = datetime.datetime.combine(start, datetime.time())
    before = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
    query = where(Consultation.select(), (Consultation.at >= after) & (Consultation.at < before),
                  None if center_ids is None else Consultation.center.in_(center_ids),
                  None if matter_codes is None else Consultation.matter_code.in_(matter_codes))
    return _grid(query, {"consultations": fn.COUNT(Consultation.id)},
                 key=(Consultation.center, Consultation.matter_code))


@dataclass
class Reference:
    """The small reference tables the grid is folded with, read once per call."""

    banner: str = ""
    township_of_center: dict[int, str] = field(default_factory=dict)
    department_of: dict[tuple[str, int], str] = field(default_factory=dict)
    domain_of: dict[tuple[str, int], str] = field(default_factory=dict)
    latest: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (department, domain)

    @classmethod
    def load(cls) -> Reference:
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


def fold(grids: Iterable[Grid], keyfn: Callable[[GridKey], str | None]) -> dict[str, Counter]:
    """The grids' counts summed per `keyfn(cell)`; cells it maps to None are left out."""
    folded: dict[str, Counter] = {}
    for grid in grids:
        for key, values in grid:
            target = keyfn(key)
            if target is not None:
                folded.setdefault(target, Counter()).update(values)
    return folded


def rate(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, to one decimal; None when `whole` is zero."""
    return round(100.0 * part / whole, 1) if whole else None

