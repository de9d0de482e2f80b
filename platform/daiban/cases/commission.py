"""The commission (代办服务委托书) of a proxy case, its renewal (续办委托书) and its termination (终止).

A proxy case (`mode == "proxy"`) acts on the citizen's mandate: "代办不包办、到位不越位" — the
agent acts only within the commission's scope and the citizen decides. So the commission says
what the agent may do (`scope`) and what they may not (`prohibitions`, by default those the
principle implies), for how long, and who signed it.

- drafted → signed (the day of signing starts its validity) → terminated; a newer draft voids an
  unsigned one.
- A renewal continues a signed commission: it starts the day after the one it renews ends (or on
  the day it is signed, if that one has already ended).
- Terminating ends every commission of the case at once and records the termination.
- `in_force(case, today)` is what the guard `commission_in_force` (`cases.guards`) asks before
  a proxy case is submitted or relayed.

The content is fixed when drafted and the signing dates when signed: the database refuses to
change them. `document_text` gives the printed document's words.
"""

from __future__ import annotations

import datetime
import json

from daiban.cases import applicant, personal
from daiban.cases.guards import MANDATES as MANDATES
from daiban.cases.guards import commission_in_force, latest_signed
from daiban.cases.guards import in_force as in_force
from daiban.cases.materials import acting_user, refuse_if_closed
from daiban.cases.service import Actor, CaseConflict, CaseError, _write_transaction, audit_step
from daiban.catalog.model import Matter as CompiledMatter
from daiban.models import COMMISSION_KINDS, Case, Commission, Department, User

MAX_VALID_DAYS = 365
DEFAULT_PROHIBITIONS = (
    "不替委托人作出决定：是否申请、申请什么、是否接受办理结果，由委托人本人决定（代办不包办）",
    "不收取任何费用或财物：帮办代办服务全程免费，法律法规规定的费用由委托人本人缴纳",
    "不超出委托范围签字、作出承诺或办理其他事项（到位不越位）",
    "不代为保管委托人的银行卡、存折、密码和钱款",
    "不泄露、不留存委托人的个人信息和申请材料，办结后按规定归还原件",
)
TITLES = {"commission": "代办服务委托书", "renewal": "续办委托书", "termination": "代办服务终止单"}
FREE_STATEMENT = "帮办代办服务全程免费。法律法规规定应当缴纳的费用，由委托人本人缴纳。"


class CommissionRefused(CaseError):
    """A commission operation that did not happen; the message is for the user, in Chinese."""


def default_scope(matter_name: str, unit_name: str | None = None) -> str:
    """The usual mandate of a proxy case, in words."""
    unit = unit_name or "责任单位"
    return (f"代委托人向{unit}提交“{matter_name}”的申请材料；代为查询办理进度、接收补正通知并及时"
            f"告知委托人；代为领取办理结果并及时交给委托人。")


def _fresh(commission: Commission) -> tuple[Commission, Case]:
    current = Commission.get_or_none(Commission.id == commission.id)
    if current is None:
        raise CommissionRefused("委托书不存在")
    if current.lock_version != commission.lock_version:
        raise CaseConflict(f"{current.kind_label}已被他人更新（现为“{current.status_label}”），请刷新后重试")
    case = Case.get_by_id(current.case_id)
    refuse_if_closed(case, CommissionRefused)
    return current, case


def _write(current: Commission, **changes) -> None:
    updated = (Commission.update(lock_version=current.lock_version + 1, **changes)
               .where((Commission.id == current.id) & (Commission.lock_version == current.lock_version))
               .execute())
    if updated != 1:
        raise CaseConflict(f"{current.kind_label}已被他人更新，请刷新后重试")


def _check_valid_days(valid_days) -> None:
    whole = isinstance(valid_days, int) and not isinstance(valid_days, bool)
    if not whole or not 1 <= valid_days <= MAX_VALID_DAYS:
        raise CommissionRefused(f"委托期限应为 1 至 {MAX_VALID_DAYS} 天")


def _prohibitions(items) -> str:
    items = [str(i).strip() for i in (DEFAULT_PROHIBITIONS if items is None else items) if str(i).strip()]
    if not items:
        raise CommissionRefused("须写明代办员不得从事的行为（至少一项）")
    return json.dumps(items, ensure_ascii=False)


def _void_drafts(case_id: int, kinds=MANDATES) -> None:
    for draft in Commission.select().where((Commission.case == case_id) & (Commission.kind.in_(kinds))
                                           & (Commission.status == "drafted")):
        _write(draft, status="void")


def _matter_name(case: Case, matter: CompiledMatter | None) -> tuple[str, str | None]:
    if matter is not None:
        if (matter.code, matter.version) != (case.matter_code, case.matter_version):
            raise CommissionRefused(f"办件 {case.number} 办理的是 {case.matter_code}，不是 {matter.code}")
        unit = Department.get_or_none(Department.code == matter.responsible_unit)
        return matter.name, unit.name if unit else None
    row = case.pinned_version()
    if row is None:
        return case.matter_code, None
    unit = Department.get_or_none(Department.code == row.responsible_unit)
    return row.name, unit.name if unit else None


# --- reading -----------------------------------------------------------------------------------

def commissions(case: Case) -> list[Commission]:
    """Every commission, renewal and termination of the case, oldest first."""
    return list(Commission.select().where(Commission.case == case.id).order_by(Commission.id))


def submission_problem(case: Case, today: datetime.date) -> str | None:
    """Why a proxy case may not be submitted for lack of a commission, in Chinese, or None (the
    guard `commission_in_force` of `cases.guards`)."""
    return commission_in_force(case, today)


# --- changing ----------------------------------------------------------------------------------

def draft_commission(case: Case, scope: str | None, valid_days: int, actor: Actor | User,
                     today: datetime.date, *, prohibitions=None,
                     matter: CompiledMatter | None = None) -> Commission:
    """Draft the commission of a proxy case between its applicant and the acting agent: `scope`
    (None: the usual mandate for the matter), what the agent may not do (None: the defaults),
    valid for `valid_days` days from signing. An unsigned earlier draft is voided."""
    user, _ = acting_user(actor, CommissionRefused)
    _check_valid_days(valid_days)
    with _write_transaction():
        case = Case.get_by_id(case.id)
        refuse_if_closed(case, CommissionRefused)
        if case.mode != "proxy":
            raise CommissionRefused(f"办件 {case.number} 是帮办件，由申请人本人办理，无需代办服务委托书")
        if not case.applicant_name:
            raise CommissionRefused(f"办件 {case.number} 没有申请人姓名，不能起草委托书")
        current = in_force(case, today)
        if current is not None:
            raise CommissionRefused(f"已有有效的{current.kind_label}（至 {current.valid_until}），"
                                    f"需要延长的请续办")
        matter_name, unit = _matter_name(case, matter)
        scope = (scope or "").strip() or default_scope(matter_name, unit)
        _void_drafts(case.id)
        return _insert(case, "commission", None, user, today, scope=scope,
                       prohibitions=_prohibitions(prohibitions), valid_days=valid_days,
                       matter_name=matter_name)


def _insert(case: Case, kind: str, previous: Commission | None, user: User, today: datetime.date,
            **fields) -> Commission:
    """Insert a commission row; the parties are the case's applicant and, but for a termination
    (which names the agent of the commission it ends), the acting user."""
    fields.setdefault("matter_name", previous.matter_name if previous else case.matter_code)
    ending = kind == "termination"
    row = Commission.create(
        case=case.id, kind=kind, previous=previous, status=fields.pop("status", "drafted"),
        citizen_name=case.applicant_name, citizen_id_masked=personal.masked_id_number(case),
        agent=previous.agent_id if ending else user,
        agent_name=previous.agent_name if ending else user.display_name,
        center_name=previous.center_name if ending else (user.center or case.center).name,
        matter_code=case.matter_code, matter_version=case.matter_version,
        drafted_on=today, drafted_by=user, **fields,
    )
    verb = "登记终止委托" if ending else "起草"
    audit_step(user, case.number, f"{case.number}：{verb}{row.kind_label}", action="create")
    return Commission.get_by_id(row.id)


def record_signed(commission: Commission, actor: Actor | User, today: datetime.date) -> Commission:
    """Record that the citizen and the agent signed the drafted commission or renewal on `today`;
    its validity starts then (a renewal: when the one it renews ends, if that is later)."""
    user, _ = acting_user(actor, CommissionRefused)
    with _write_transaction():
        current, case = _fresh(commission)
        if current.kind not in MANDATES:
            raise CommissionRefused(f"{current.kind_label}无需签署登记")
        if current.status != "drafted":
            raise CommissionRefused(f"{current.kind_label}{current.status_label}，不能再签署")
        if today < current.drafted_on:
            raise CommissionRefused(f"签署日期 {today} 早于起草日期 {current.drafted_on}")
        valid_from = today
        if current.kind == "renewal":
            previous = Commission.get_by_id(current.previous_id)
            if previous.status != "signed":
                raise CommissionRefused(f"原委托书{previous.status_label}，不能续办")
            valid_from = max(today, previous.valid_until + datetime.timedelta(days=1))
        _write(current, status="signed", signed_on=today, recorded_by=user, valid_from=valid_from,
               valid_until=valid_from + datetime.timedelta(days=current.valid_days - 1))
        audit_step(user, case.number, f"{case.number}：登记签署{current.kind_label}")
    return Commission.get_by_id(current.id)


def renew(commission: Commission, valid_days: int, actor: Actor | User, today: datetime.date, *,
          scope: str | None = None, prohibitions=None) -> Commission:
    """Draft a renewal (续办委托书) of the case's latest signed commission or renewal, with its
    scope and prohibitions unless new ones are given."""
    user, _ = acting_user(actor, CommissionRefused)
    _check_valid_days(valid_days)
    with _write_transaction():
        current, case = _fresh(commission)
        if current.kind not in MANDATES or current.status != "signed":
            raise CommissionRefused(f"只能续办已签署的委托书（这份{current.kind_label}"
                                    f"{current.status_label}）")
        latest = latest_signed(case.id)
        if latest.id != current.id:
            raise CommissionRefused(f"请在最近一次签署的{latest.kind_label}（{latest.signed_on}）上续办")
        _void_drafts(case.id)
        return _insert(case, "renewal", current, user, today,
                       scope=(scope or "").strip() or current.scope,
                       prohibitions=(current.prohibitions if prohibitions is None
                                     else _prohibitions(prohibitions)),
                       valid_days=valid_days)


def terminate(commission: Commission, actor: Actor | User, today: datetime.date, reason: str) -> Commission:
    """End the case's mandate on `today` (the citizen withdraws it, or the agent can no longer act):
    every signed commission and renewal becomes terminated, drafts void. Returns the termination."""
    user, _ = acting_user(actor, CommissionRefused)
    reason = (reason or "").strip()
    if not reason:
        raise CommissionRefused("请写明终止委托的原因")
    with _write_transaction():
        current, case = _fresh(commission)
        if current.kind not in MANDATES or current.status != "signed":
            raise CommissionRefused(f"只能终止已签署的委托书（这份{current.kind_label}"
                                    f"{current.status_label}）")
        for row in Commission.select().where((Commission.case == case.id) & (Commission.kind.in_(MANDATES))
                                             & (Commission.status == "signed")):
            _write(row, status="terminated", terminated_on=today)
        _void_drafts(case.id)
        return _insert(case, "termination", current, user, today, status="signed", reason=reason,
                       scope=current.scope, prohibitions=current.prohibitions, signed_on=today,
                       recorded_by=user)


# --- the printed document ----------------------------------------------------------------------

def _date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "____年__月__日"


def _validity(row: Commission) -> str:
    if row.kind == "termination":
        return f"委托自{_date(row.signed_on)}起终止"
    if row.valid_from is None:
        return f"自签署之日起{row.valid_days}日内有效"
    return f"{_date(row.valid_from)}至{_date(row.valid_until)}（共{row.valid_days}日）"


def _guardian_rows(case: Case, reveal_by, title: str) -> list[tuple[str, str]]:
    """The guardian who signs for a minor or a person lacking capacity, when the case names one;
    their ID number masked unless `reveal_by` prints it (then audited)."""
    guardian = applicant.guardian_of(case)
    if guardian is None:
        return []
    number = guardian.id_number_masked
    if reveal_by is not None:
        number = applicant.reveal_guardian_id_number(case, by=reveal_by, reason=f"打印{title}") or ""
    return [("委托人的监护人（代为签署）", f"{guardian.name}（{guardian.relation}）"),
            ("监护人公民身份号码", number)]


def document_text(commission: Commission, *, reveal_by=None) -> dict:
    """The words of the printed document (代办服务委托书, 续办委托书 or 终止单), in Chinese, keyed
    for a template. The ID number is masked unless `reveal_by` (who prints it) is given: then it is
    shown in full and the reveal is written to the audit log."""
    row = Commission.get_by_id(commission.id)
    case = Case.get_by_id(row.case_id)
    id_number = row.citizen_id_masked
    if reveal_by is not None:
        id_number = personal.reveal_id_number(case, by=reveal_by, reason=f"打印{TITLES[row.kind]}") or ""
    previous = Commission.get_by_id(row.previous_id) if row.previous_id else None
    statements = [FREE_STATEMENT,
                  "受托代办员只在上述委托范围内代为办理，办理中的决定由委托人本人作出（代办不包办、到位不越位）。",
                  "委托人可以随时终止委托；委托期满事项尚未办结的，可以签订续办委托书。"]
    if previous is not None and row.kind == "renewal":
        statements.insert(0, f"本委托书续办{_date(previous.signed_on)}签署的{previous.kind_label}"
                             f"（有效期至{_date(previous.valid_until)}），委托范围如下。")
    if row.kind == "termination":
        statements = [f"委托人与受托代办员于{_date(previous.signed_on)}签署的{previous.kind_label}"
                      f"自{_date(row.signed_on)}起终止。", f"终止原因：{row.reason}",
                      "代办员已将收取的申请材料原件归还委托人（未归还的列明于下）。"]
    return {
        "title": TITLES[row.kind],
        "kind": COMMISSION_KINDS[row.kind],
        "case_number": case.number,
        "status": row.status_label,
        "parties": [
            ("委托人（申请人）", row.citizen_name),
            ("公民身份号码", id_number),
            *_guardian_rows(case, reveal_by, TITLES[row.kind]),
            ("受托人（代办员）", row.agent_name),
            ("所属服务中心（站）", row.center_name),
        ],
        "matter": f"{row.matter_name}（事项编码 {row.matter_code}，第{row.matter_version}版）",
        "scope": row.scope,
        "prohibitions": row.prohibition_list,
        "validity": _validity(row),
        "statements": statements,
        "signatures": [
            ("委托人（签字或按手印）", _date(row.signed_on)),
            ("受托代办员（签字）", _date(row.signed_on)),
            (f"{row.center_name}（盖章）", _date(row.signed_on)),
        ],
    }
