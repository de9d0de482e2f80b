"""Find a case (查找办件) by what the citizen or the caller knows: 办件编号, ID number, phone or name.

What the text is decides the column, and every column searched is indexed: the number by its
unique index (exact, or a prefix such as ``BD20261203``), the ID number and the phone through
their blind indexes (`cases.personal`, exact: nothing is decrypted), the applicant's name by
equality or a prefix written as a range on its index. `found_cases` adds the user's data scope
and the workbench's filters; `open_cases` is the workbench's list of cases in progress, named by
their states so that the status index finds them (tests/test_query_plans.py checks both plans).
The text travels in a POST body, never in a URL (access logs keep URLs), and every search is
audited by `audit_search`: a search by ID number is a sensitive read; the summary masks the
number and the phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daiban.access import Principal, scoped
from daiban.cases import personal
from daiban.catalog.workflow import Workflow
from daiban.models import Case

# The id part is six digits, zero-padded, and grows past a million cases (BD20270105-1000000).
NUMBER = re.compile(r"^BD\d{0,8}(-\d{0,10})?$", re.IGNORECASE)
ID_NUMBER = re.compile(r"^(\d{17}[\dX]|\d{15})$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[\d-]{7,20}$")
KIND_LABELS = {"number": "办件编号", "id_number": "公民身份号码", "phone": "联系电话", "name": "申请人姓名"}
MAX_LENGTH = 100  # the name column's length: anything longer matches nothing
OPEN_LIMIT = 500  # the workbench lists the open cases due soonest
FOUND_LIMIT = 100  # 查找办件 shows the newest matches; narrow the search for older ones
_TOP = "\U0010ffff"  # above every character: name >= p AND name < p + _TOP is the prefix p


@dataclass(frozen=True)
class CaseSearch:
    """A parsed search: what kind of text it is, the condition on Case, and how to show it."""

    text: str
    kind: str
    condition: object

    @property
    def kind_label(self) -> str:
        """The kind in Chinese."""
        return KIND_LABELS[self.kind]

    @property
    def shown(self) -> str:
        """The text as it may be shown or logged: an ID number or phone masked."""
        if self.kind == "id_number":
            return personal.mask_id_number(personal.normalize_id_number(self.text))
        if self.kind == "phone":
            return personal.mask_phone(self.text)
        return self.text


def parse_search(text: str | None) -> CaseSearch | None:
    """The search the text asks for, or None for a blank text."""
    text = " ".join((text or "").split())[:MAX_LENGTH]
    if not text:
        return None
    compact = text.replace(" ", "")
    if NUMBER.match(compact):
        number = compact.upper()
        if re.match(r"^BD\d{8}-\d{6,10}$", number):
            return CaseSearch(text, "number", Case.number == number)
        return CaseSearch(text, "number", (Case.number >= number) & (Case.number < number + _TOP))
    if ID_NUMBER.match(compact):
        return CaseSearch(compact, "id_number", personal.find_cases_by_id_number(compact))
    if PHONE.match(compact):
        return CaseSearch(compact, "phone", personal.find_cases_by_phone(compact))
    name = (Case.applicant_name == text) | (
        (Case.applicant_name >= text) & (Case.applicant_name < text + _TOP))
    return CaseSearch(text, "name", name)


def open_states(workflow: Workflow) -> list[str]:
    """The states of a case in progress: every state of the workflow that is not final."""
    return [s.id for s in workflow.states if not workflow.is_final(s.id)]


def final_states(workflow: Workflow) -> list[str]:
    """The states a case ends in (办结, 终止)."""
    return [s.id for s in workflow.states if workflow.is_final(s.id)]


def open_cases(principal: Principal, workflow: Workflow, limit: int = OPEN_LIMIT):
    """The cases in progress in the principal's scope, soonest due first (the workbench). They are
    named by their states, an IN list the status index answers; a NOT IN of the final states
    cannot use it and reads every case of the scope, nearly all of them finished."""
    query = scoped(Case.select(), Case, principal).where(Case.status.in_(open_states(workflow)))
    return query.order_by(Case.due_on).limit(limit)


def found_cases(principal: Principal, workflow: Workflow, search: CaseSearch | None, status: str = "",
                finished: str = "", limit: int = FOUND_LIMIT):
    """查找办件: the cases of the principal's scope matching the search and the filters (a state; or
    "open" / "finished"), newest first."""
    query = scoped(Case.select(), Case, principal)
    if search is not None:
        query = query.where(search.condition)
    if status:
        query = query.where(Case.status == status)
    if finished == "finished":
        query = query.where(Case.status.in_(final_states(workflow)))
    elif finished == "open":
        query = query.where(Case.status.in_(open_states(workflow)))
    return query.order_by(Case.id.desc()).limit(limit)


def audit_search(search: CaseSearch | None, user, ip: str = "", found: int | None = None,
                 where: str = "工作台") -> None:
    """Record a search as a read (an ID number is a sensitive one), the ID number and phone masked."""
    from daiban import audit

    what = f"按{search.kind_label}“{search.shown}”" if search is not None else "按条件"
    count = f"，找到 {found} 件" if found is not None else ""
    audit.record("read", user.username, roles=user.roles or "", ip=ip, object_type="case",
                 summary=f"{where}查找办件：{what}{count}"[:255])
