"""The work ledger (工作台账): the cases of a scope accepted in a period, one row each.

The policy asks every level to keep a ledger of its 帮办代办 work. Rows come from one query: the
case joined with its center and matter version, with correlated subqueries for its deferred
materials and latest rating, filtered in SQL and always inside the user's access scope. The
screen pages by keyset on the primary key (newest first), so a page costs the same however deep;
the export reads every row. On time follows `cases.service.overdue` (see `counting.late_condition`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields

import peewee
from peewee import JOIN, fn

from daiban.access import Principal, scoped
from daiban.cases import personal
from daiban.cases.search import CaseSearch, parse_search
from daiban.catalog.model import CHANNEL_LABELS
from daiban.db import parse_id
from daiban.models import (
    CASE_CHANNELS,
    CASE_MODES,
    Case,
    CaseMaterial,
    Department,
    MatterVersion,
    OrgUnit,
    ServiceCenter,
)
from daiban.supervision.counting import (
    count_if,
    late_condition,
    on_time_condition,
    township_center_ids,
    township_names_by_center,
)
from daiban.supervision.models import RATING_LEVELS, Rating
from daiban.supervision.report import quarter_of, quarter_period

PAGE_SIZE = 50
ON_TIME_CHOICES = {"on_time": "未超期", "late": "已超期"}
LINKABLE = ("number", "name")  # searches that may travel in a URL (no ID number, no phone)
# The ledger's columns: (attribute of LedgerRow or its text, header, width in characters).
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("number", "办件编号", 20),
    ("accepted_on", "受理日期", 12),
    ("matter", "事项", 30),
    ("applicant", "申请人", 28),
    ("center_name", "受理服务中心（站）", 24),
    ("mode_label", "办理方式", 9),
    ("channel_label", "受理渠道", 11),
    ("status_label", "状态", 13),
    ("due_on", "承诺办结日期", 13),
    ("result_on", "办结日期", 12),
    ("on_time_label", "是否按时", 10),
    ("deferred_label", "容缺材料", 14),
    ("rating_label", "评价", 11),
)


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None




@dataclass(frozen=True)
class LedgerFilter:
    """What the ledger shows: a period of acceptance and optional filters (empty: no filter)."""

    start: datetime.date
    end: datetime.date
    center: int | None = None  # service center id
    township: str = ""  # org unit code
    department: str = ""  # department code (the matter's responsible unit)
    status: str = ""
    mode: str = ""
    channel: str = ""
    on_time: str = ""  # on_time / late, as of today
    q: str = ""  # 查找: 办件编号, applicant name, ID number or phone (cases.search); any period

    @property
    def search(self) -> CaseSearch | None:
        """The parsed search text, if any."""
        return parse_search(self.q)

    @classmethod
    def from_args(cls, args: Mapping[str, str], today: datetime.date) -> LedgerFilter:
        """Read the filter from GET parameters; what cannot be read falls back to the current quarter."""
        quarter_start, _ = quarter_period(*quarter_of(today))
        start = _date(args.get("start")) or quarter_start
        end = _date(args.get("end")) or today
        if end < start:
            start, end = end, start
        text = {name: (args.get(name) or "").strip() for name in ("township", "department", "status", "q")}
        text["q"] = text["q"][:100]
        mode = args.get("mode", "") if args.get("mode") in CASE_MODES else ""
        channel = args.get("channel", "") if args.get("channel") in CASE_CHANNELS else ""
        on_time = args.get("on_time", "") if args.get("on_time") in ON_TIME_CHOICES else ""
        center = parse_id(args.get("center"))
        return cls(start, end, center, mode=mode, channel=channel, on_time=on_time, **text)

    def to_args(self) -> dict[str, str]:
        """The filter as GET parameters (for links to the export and the next page); a search by
        ID number or phone stays out of URLs, which access logs keep."""
        args = {}
        search = self.search
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "q" and (search is None or search.kind not in LINKABLE):
                continue
            if value not in (None, ""):
                args[f.name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
        return args


@dataclass(frozen=True)
class LedgerRow:
    """One case in the ledger, with the applicant's ID number already masked."""

    id: int
    number: str
    accepted_on: datetime.date
    matter_code: str
    matter_name: str
    applicant_name: str
    id_number_masked: str
    center_name: str
    township_name: str
    mode: str
    channel: str
    status: str
    status_label: str
    due_on: datetime.date | None
    result_on: datetime.date | None
    late: bool
    deferred: int  # materials accepted deferred (容缺), ever
    deferred_pending: int  # of those, still to be supplied
    rating: int | None  # the latest visit's rating level

    @property
    def matter(self) -> str:
        """The matter's name and code."""
        return f"{self.matter_name}（{self.matter_code}）" if self.matter_name else self.matter_code

    @property
    def applicant(self) -> str:
        """Name and masked ID number."""
        return f"{self.applicant_name} {self.id_number_masked}".strip()

    @property
    def mode_label(self) -> str:
        """帮办 or 代办."""
        return CASE_MODES.get(self.mode, self.mode)

    @property
    def channel_label(self) -> str:
        """The channel in Chinese."""
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def on_time(self) -> bool | None:
        """False when late, True when the result came in time, None while in progress or ended without one."""
        if self.late:
            return False
        return True if self.result_on else None

    @property
    def on_time_label(self) -> str:
        """按时, 超期, or 未超期 for cases without a result."""
        return {False: "超期", True: "按时", None: "未超期"}[self.on_time]

    @property
    def deferred_label(self) -> str:
        """How many materials were deferred and how many are still awaited."""
        if not self.deferred:
            return ""
        if self.deferred_pending:
            return f"{self.deferred} 份（待补 {self.deferred_pending}）"
        return f"{self.deferred} 份（已补齐）"

    @property
    def rating_label(self) -> str:
        """The rating in Chinese."""
        return RATING_LEVELS.get(self.rating, "") if self.rating else ""


def _conditions(principal: Principal, flt: LedgerFilter, today: datetime.date) -> list:
    search = flt.search
    if search is not None:  # a search finds the case whenever it was accepted
        conditions = [search.condition]
    else:
        conditions = [(Case.accepted_on >= flt.start) & (Case.accepted_on <= flt.end)]
    if flt.center:
        conditions.append(Case.center == flt.center)
    if flt.township:
        conditions.append(Case.center.in_(township_center_ids(flt.township)))
    if flt.department:
        conditions.append(MatterVersion.responsible_unit == flt.department)
    if flt.status:
        conditions.append(Case.status == flt.status)
    if flt.mode:
        conditions.append(Case.mode == flt.mode)
    if flt.channel:
        conditions.append(Case.channel == flt.channel)
    if flt.on_time:
        conditions.append(late_condition(today) if flt.on_time == "late" else on_time_condition(today))
    return conditions


def _joined(query):
    return query.join(MatterVersion, JOIN.LEFT_OUTER, on=(
        (MatterVersion.code == Case.matter_code) & (MatterVersion.version == Case.matter_version)))


def _query(principal: Principal, flt: LedgerFilter, today: datetime.date):
    deferred = CaseMaterial.select(fn.COUNT(CaseMaterial.id)).where(
        (CaseMaterial.case == Case.id) & CaseMaterial.deferred_on.is_null(False))
    pending = CaseMaterial.select(fn.COUNT(CaseMaterial.id)).where(
        (CaseMaterial.case == Case.id) & (CaseMaterial.status == "deferred"))
    rating = (Rating.select(Rating.level).where(Rating.case == Case.id)
              .order_by(Rating.visit.desc()).limit(1))
    query = Case.select(
        Case.id, Case.number, Case.accepted_on, Case.matter_code, Case.applicant_name,
        getattr(Case, personal.ID_NUMBER_COLUMN), Case.center, Case.mode, Case.channel, Case.status,
        Case.due_on, Case.result_on, MatterVersion.name.alias("matter_name"),
        ServiceCenter.name.alias("center_name"),
        peewee.Case(None, ((late_condition(today), 1),), 0).alias("is_late"),
        deferred.alias("deferred_count"), pending.alias("pending_count"), rating.alias("rating_level"),
    )
    query = _joined(query).switch(Case).join(ServiceCenter, on=(Case.center == ServiceCenter.id))
    for condition in _conditions(principal, flt, today):
        query = query.where(condition)
    return scoped(query, Case, principal)


def _rows(query, workflow, townships: Mapping[int, str], lazy: bool = False) -> Iterator[LedgerRow]:
    cases = query.objects()
    for case in cases.iterator() if lazy else cases:
        yield LedgerRow(
            id=case.id, number=case.number, accepted_on=case.accepted_on, matter_code=case.matter_code,
            matter_name=case.matter_name or "", applicant_name=case.applicant_name,
            id_number_masked=personal.masked_id_number(case), center_name=case.center_name,
            township_name=townships.get(case.center_id, ""), mode=case.mode, channel=case.channel,
            status=case.status, status_label=workflow.label(case.status) if workflow else case.status,
            due_on=case.due_on, result_on=case.result_on, late=bool(case.is_late),
            deferred=int(case.deferred_count or 0), deferred_pending=int(case.pending_count or 0),
            rating=case.rating_level,
        )


@dataclass(frozen=True)
class LedgerPage:
    """One screenful of the ledger and the key of the next one (None on the last page)."""

    rows: list[LedgerRow]
    next_before: int | None


def ledger_page(principal: Principal, flt: LedgerFilter, today: datetime.date, workflow=None,
                before: int | None = None, size: int = PAGE_SIZE) -> LedgerPage:
    """A page of ledger rows, newest first, starting below case id `before` (keyset pagination)."""
    query = _query(principal, flt, today)
    if before:
        query = query.where(Case.id < before)
    rows = list(_rows(query.order_by(Case.id.desc()).limit(size + 1), workflow, township_names_by_center()))
    more = len(rows) > size
    return LedgerPage(rows[:size], rows[size - 1].id if more else None)


def ledger_rows(principal: Principal, flt: LedgerFilter, today: datetime.date,
                workflow=None) -> Iterator[LedgerRow]:
    """Every ledger row of the filter, oldest first, for the export."""
    query = _query(principal, flt, today).order_by(Case.accepted_on, Case.id)
    yield from _rows(query, workflow, township_names_by_center(), lazy=True)


def ledger_summary(principal: Principal, flt: LedgerFilter, today: datetime.date) -> dict[str, int]:
    """Totals of the filtered ledger: cases, assist, proxy, with a result, late (one COUNT query)."""
    query = _joined(Case.select(fn.COUNT(Case.id), count_if(Case.mode == "assist"),
                                count_if(Case.mode == "proxy"), count_if(Case.result_on.is_null(False)),
                                count_if(late_condition(today))))
    for condition in _conditions(principal, flt, today):
        query = query.where(condition)
    total, assist, proxy, finished, late = scoped(query, Case, principal).tuples().get()
    return {"cases": total or 0, "assist": assist or 0, "proxy": proxy or 0, "finished": finished or 0,
            "late": late or 0}


def filter_choices(principal: Principal) -> dict[str, list[tuple[str, str]]]:
    """The centers, townships and departments the user's scope covers, as (value, label) pairs."""
    centers = scoped(ServiceCenter.select().where(ServiceCenter.active), ServiceCenter, principal)
    townships = scoped(OrgUnit.select().where((OrgUnit.level == "township") & OrgUnit.active), OrgUnit,
                       principal)
    departments = scoped(Department.select(), Department, principal)
    return {
        "center": [(str(c.id), c.name) for c in centers.order_by(ServiceCenter.id)],
        "township": [(u.code, u.name) for u in townships.order_by(OrgUnit.id)],
        "department": [(d.code, d.name) for d in departments.order_by(Department.id)],
    }
