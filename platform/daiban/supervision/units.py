"""The units that report (填报单位): the banner, every township and every department, and which of
them a user's scope makes theirs to see and to submit.
"""

from __future__ import annotations

from dataclasses import dataclass

from daiban.access import Principal
from daiban.models import Department, OrgUnit
from daiban.supervision.models import REPORT_UNIT_KINDS


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
