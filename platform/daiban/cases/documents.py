"""The slips a case issues (DB14/T 2233-2020, DB3205/T 1077-2023): their words, ready to print.

Which transition issues which slip is configuration (`document:` on a transition in
config/workflow/case.yaml); what each slip says is here. A slip belongs to the case event that
issued it, so each suspension has its own 中止单. Its facts are read when it is printed: the
acceptance slip lists the materials as they stand. The commission agreement and its renewal and
termination (`cases.commission`) print through the same template.

ID numbers and phone numbers are masked: a slip is handed over the counter and filed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from daiban.cases import applicant, materials, personal
from daiban.cases import commission as commissions
from daiban.cases.application import Section, case_application
from daiban.cases.service import RESULT_DECISIONS
from daiban.catalog.model import CHANNEL_LABELS
from daiban.catalog.workflow import Workflow
from daiban.models import Case, CaseEvent, Commission, Department

TITLES = {
    "acceptance_slip": "帮办代办受理单",
    "suspension_slip": "帮办代办中止单",
    "termination_slip": "帮办代办终止单",
    "completion_slip": "帮办代办办结单",
    "return_receipt": "申请材料归还清单",
}
APPLICATION_TITLE = "申请表"
MODE_LABELS = {"assist": "帮办", "proxy": "代办"}
FREE = "帮办代办服务全程免费。法律法规规定应当缴纳的费用，由申请人本人缴纳。"


@dataclass(frozen=True)
class Document:
    """A printable slip: title, facts as label/value rows (a value may be a list), an optional
    table, statements, and signature lines (label, date or None for a blank to fill by hand);
    the 申请表 adds the filled form by section (`sections`)."""

    title: str
    case_number: str
    rows: list[tuple[str, object]]
    statements: list[str] = field(default_factory=list)
    table_title: str = ""
    table_head: tuple[str, ...] = ()
    table: list[tuple] = field(default_factory=list)
    signatures: list[tuple[str, str | None]] = field(default_factory=list)
    issued_on: str = ""
    status: str = ""
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Issued:
    """A slip the case has issued: which, by which event, on which day."""

    kind: str
    title: str
    event_id: int
    day: datetime.date


def _date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def issued(case: Case, workflow: Workflow, events: list[CaseEvent] | None = None) -> list[Issued]:
    """The slips the case has issued so far, in the order of its events (`events`, when the caller
    has already read them)."""
    if events is None:
        events = CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id)
    found = []
    for event in events:
        t = workflow.transition(event.transition)
        if t is not None and t.document:
            found.append(Issued(t.document, TITLES[t.document], event.id, event.day))
    return found


def _matter(case: Case) -> tuple[str, str, str]:
    """The matter's name, its promised limit in words and its responsible unit's name."""
    from daiban.publishing import compiled  # publishing imports the web-free catalog only

    row = case.pinned_version()
    if row is None:
        return case.matter_code, "", ""
    matter = compiled(row)
    limit = matter.promised_limit or matter.statutory_limit
    unit = Department.get_or_none(Department.code == matter.responsible_unit)
    return matter.name, limit.label if limit else "", unit.name if unit else matter.responsible_unit


def _facts(case: Case) -> list[tuple[str, object]]:
    name, limit, unit = _matter(case)
    return [
        ("办件编号", case.number),
        ("申请事项", f"{name}（事项编码 {case.matter_code}，第{case.matter_version}版）"),
        ("申请人", case.applicant_name),
        ("公民身份号码", personal.masked_id_number(case) or "—"),
        ("联系电话", personal.masked_phone(case) or "—"),
        ("办理人", _acting_text(case)),
        ("办理方式", MODE_LABELS.get(case.mode, case.mode)),
        ("受理渠道", CHANNEL_LABELS.get(case.channel, case.channel)),
        ("受理服务中心（站）", case.center.name),
        ("首问负责代办员", case.first_agent.display_name),
        ("受理日期", _date(case.accepted_on)),
        ("承诺办结时限", f"{limit}（承诺办结日期 {_date(case.due_on)}）" if case.due_on else limit or "—"),
        ("责任单位", unit or "—"),
    ]


def _acting_text(case: Case) -> str:
    """Who acts, as a slip names them: 本人, or the guardian or agent with the guardian masked."""
    acting = applicant.acting_person(case)
    if acting.role == "self":
        return acting.label
    text = f"{acting.label}：{acting.name}"
    guardian = applicant.guardian_of(case)
    if guardian is not None:
        text += f"（监护人 {guardian.name}，{guardian.relation}，{guardian.id_number_masked}）" \
            if acting.role == "agent" else f"（{guardian.relation}，{guardian.id_number_masked}）"
    return text


def _signatures(case: Case, day: datetime.date, citizen: str = "申请人（签字）") -> list:
    return [(citizen, None), (f"代办员（签字）：{case.first_agent.display_name}", _date(day)),
            (f"{case.center.name}（盖章）", _date(day))]


def _checklist_rows(case: Case) -> list[tuple]:
    rows = []
    for m in materials.checklist(case):
        if m.verified_by_department:
            state = "部门核验"
        elif m.status == "deferred":
            state = f"容缺，承诺 {_date(m.promised_on)} 前补交"
        else:
            state = m.status_label
        rows.append((m.received_as_name or m.name, m.originals_received, m.copies_received, state))
    return rows


def _acceptance(case: Case, event: CaseEvent, workflow: Workflow) -> Document:
    outstanding = materials.outstanding(case)
    statements = [FREE,
                  f"凭办件编号 {case.number} 可向受理服务中心（站）或通过热线查询办理进度。"]
    if outstanding:
        statements.insert(0, "容缺受理的材料须在承诺日期前补交，逾期未补交的，办件将退回补正。")
    if case.mode == "proxy":
        statements.append("代办件以双方签署的代办服务委托书为准：代办不包办、到位不越位。")
    return Document(TITLES["acceptance_slip"], case.number, _facts(case), statements,
                    table_title="收取材料", table_head=("材料名称", "原件（份）", "复印件（份）", "状态"),
                    table=_checklist_rows(case), signatures=_signatures(case, event.day),
                    issued_on=_date(event.day))


def _suspension(case: Case, event: CaseEvent, workflow: Workflow) -> Document:
    resumed = (CaseEvent.select().where((CaseEvent.case == case.id) & (CaseEvent.id > event.id)
                                        & (CaseEvent.from_status == event.to_status))
               .order_by(CaseEvent.id).first())
    rows = [*_facts(case), ("中止日期", _date(event.day)), ("中止原因", event.note or "—"),
            ("中止前状态", workflow.label(event.from_status))]
    if resumed is not None:
        rows.append(("恢复办理日期", _date(resumed.day)))
    statements = ["依照《中华人民共和国行政许可法》第四十五条，听证、检验、检测、专家评审等特别程序"
                  "及申请人原因中止办理的时间，不计入办理时限。",
                  "中止情形消除后恢复办理，承诺办结日期相应顺延，届时另行告知。", FREE]
    return Document(TITLES["suspension_slip"], case.number, rows, statements,
                    signatures=_signatures(case, event.day, "申请人（签收）"), issued_on=_date(event.day))


def _termination(case: Case, event: CaseEvent, workflow: Workflow) -> Document:
    returned = [r for r in _checklist_rows(case) if r[1]]
    rows = [*_facts(case), ("终止日期", _date(event.day)), ("终止原因", event.note or "—"),
            ("终止时状态", workflow.label(event.from_status))]
    statements = ["本办件自上述日期起终止办理。申请人可在符合条件后重新申请。",
                  "已收取的申请材料原件如下表，已当面归还申请人。" if returned else "本办件未收取材料原件。"]
    return Document(TITLES["termination_slip"], case.number, rows, statements,
                    table_title="归还的材料原件" if returned else "",
                    table_head=("材料名称", "原件（份）", "复印件（份）", "状态") if returned else (),
                    table=returned, signatures=_signatures(case, event.day, "申请人（签收）"),
                    issued_on=_date(event.day))


def _completion(case: Case, event: CaseEvent, workflow: Workflow) -> Document:
    from daiban.cases.service import overdue  # the time-limit judgement lives with the clock

    decision = RESULT_DECISIONS.get(case.result_decision or "", "—")
    if case.result_number:
        decision += f"（证件/文书编号 {case.result_number}）"
    rows = [*_facts(case),
            ("办理结果", decision),
            ("出结果日期", _date(case.result_on) or "—"),
            ("办结日期", _date(case.closed_on or event.day)),
            ("是否按时办结", "超期办结" if overdue(case, event.day) else "按时办结")]
    if case.stopped_working_days:
        rows.append(("不计入时限的天数", f"{case.stopped_working_days} 个工作日（中止、补正期间）"))
    statements = ["本办件已办结。办理结果及证照已交申请人，申请材料原件已归还。",
                  "欢迎对本次帮办代办服务作出评价（非常满意、满意、基本满意、不满意、非常不满意）。", FREE]
    return Document(TITLES["completion_slip"], case.number, rows, statements,
                    signatures=_signatures(case, event.day, "申请人（签收）"), issued_on=_date(event.day))


def _return_receipt(case: Case, event: CaseEvent, workflow: Workflow) -> Document:
    rows = [("办件编号", case.number), ("申请人", case.applicant_name),
            ("公民身份号码", personal.masked_id_number(case) or "—"),
            ("申请事项", _matter(case)[0]), ("归还日期", _date(event.day))]
    table = [(name, originals, copies, "原件已归还，复印件存档" if originals else "复印件存档")
             for name, originals, copies, _ in _checklist_rows(case) if originals or copies]
    statements = ["上表所列申请材料原件已全部当面归还申请人，复印件随办件归档。",
                  "申请人核对无误后签收。"]
    return Document(TITLES["return_receipt"], case.number, rows, statements,
                    table_title="归还与归档的材料",
                    table_head=("材料名称", "原件（份）", "复印件（份）", "处理"), table=table,
                    signatures=_signatures(case, event.day, "申请人（签收）"), issued_on=_date(event.day))


_BUILDERS = {
    "acceptance_slip": _acceptance,
    "suspension_slip": _suspension,
    "termination_slip": _termination,
    "completion_slip": _completion,
    "return_receipt": _return_receipt,
}


def slip(case: Case, event_id: int, workflow: Workflow) -> Document | None:
    """The slip issued by the case's event `event_id`, or None when that event issued none."""
    event = CaseEvent.get_or_none((CaseEvent.id == event_id) & (CaseEvent.case == case.id))
    t = workflow.transition(event.transition) if event is not None else None
    if t is None or not t.document:
        return None
    return _BUILDERS[t.document](Case.get_by_id(case.id), event, workflow)


def application_form(case: Case) -> Document:
    """The 申请表: the application as filled, laid out by the form of the matter version the case
    was opened under, with ID numbers, phones and personal fields masked."""
    name, _, unit = _matter(case)
    rows = [("办件编号", case.number),
            ("申请事项", f"{name}（事项编码 {case.matter_code}，第{case.matter_version}版）"),
            ("办理方式", MODE_LABELS.get(case.mode, case.mode)),
            ("受理渠道", CHANNEL_LABELS.get(case.channel, case.channel)),
            ("受理服务中心（站）", case.center.name),
            ("受理日期", _date(case.accepted_on)),
            ("责任单位", unit or "—")]
    statements = ["申请人对所填信息的真实性负责。",
                  "公民身份号码、联系电话、银行账号等个人信息已脱敏显示。"]
    return Document(f"{name}{APPLICATION_TITLE}", case.number, rows, statements,
                    signatures=[("申请人（签字）", None), (f"代办员（签字）：{case.first_agent.display_name}",
                                                          _date(case.accepted_on))],
                    issued_on=_date(case.accepted_on), sections=case_application(case))


def commission_document(row: Commission) -> Document:
    """The commission agreement, its renewal or its termination, as a printable Document."""
    text = commissions.document_text(row)
    rows = [*text["parties"], ("委托办理事项", text["matter"]), ("委托范围", text["scope"])]
    if row.kind != "termination":
        rows += [("受托人不得", list(text["prohibitions"])), ("委托期限", text["validity"])]
    return Document(text["title"], text["case_number"], rows, list(text["statements"]),
                    signatures=[(label, day or None) for label, day in text["signatures"]],
                    status=text["status"], issued_on=_date(row.signed_on or row.drafted_on))
