"""The commission of a proxy case (代办服务委托书): drafted, signed, renewed (续办), terminated (终止),
printed; a proxy case is submitted only under a signed commission in force."""

from __future__ import annotations

import datetime

import peewee
import pytest

import test_cases_service
from daiban.cases import personal
from daiban.cases.commission import (
    DEFAULT_PROHIBITIONS,
    MAX_VALID_DAYS,
    CommissionRefused,
    commissions,
    document_text,
    draft_commission,
    in_force,
    record_signed,
    renew,
    submission_problem,
    terminate,
)
from daiban.cases.materials import blocks, build_checklist, receive
from daiban.cases.service import CaseConflict, TransitionRefused, history
from daiban.models import AuditLog, Case, Commission, ImmutableRecordError
from test_cases_service import (
    ELDERLY,
    OPENED,
    act,
    drive_to,
    new_case,
)

D = datetime.date
SIGNED = D(2026, 9, 22)

world = test_cases_service.world  # the case tests' fixture: the organisation and a user per role


def collected(world, mode="proxy", today=OPENED) -> Case:
    """A case with every material received, at 材料已收齐, and no commission yet."""
    case = new_case(world, ready=False, mode=mode, today=today)
    for row in build_checklist(case, ELDERLY, today):
        if blocks(row):
            receive(row, row.originals_required, row.copies_required, world.users["village_agent"],
                    today=today)
    return drive_to(world, case, "materials_collected", today)


def signed(world, case, day=SIGNED, valid_days=30) -> Commission:
    agent = world.users["village_agent"]
    return record_signed(draft_commission(case, None, valid_days, agent, day, matter=ELDERLY), agent, day)


def submit(world, case, day):
    return act(world, case, "submit", "village_agent", day)


# --- drafting and signing ----------------------------------------------------------------------

def test_a_draft_names_the_parties_the_matter_the_scope_and_what_the_agent_may_not_do(world):
    case = new_case(world, ready=False)
    draft = draft_commission(case, None, 30, world.users["village_agent"], OPENED, matter=ELDERLY)
    assert (draft.kind, draft.status, draft.status_label) == ("commission", "drafted", "待签署")
    assert (draft.citizen_name, draft.citizen_id_masked) == ("巴特尔", "152223********002X")
    assert (draft.agent_id, draft.agent_name, draft.center_name) == (
        world.users["village_agent"].id, "嘎查村代办员甲", case.center.name)
    assert (draft.matter_code, draft.matter_name) == ("YLFW-0001", ELDERLY.name)
    assert "“80周岁以上老年人高龄津贴申领”" in draft.scope and "旗民政局" in draft.scope
    assert draft.prohibition_list == list(DEFAULT_PROHIBITIONS)
    assert any("不替委托人作出决定" in p for p in draft.prohibition_list)
    assert any("不收取任何费用" in p for p in draft.prohibition_list)
    assert any("不超出委托范围签字" in p for p in draft.prohibition_list)
    assert (draft.valid_from, draft.valid_until, draft.signed_on) == (None, None, None)
    assert in_force(case, OPENED) is None


def test_signing_starts_the_validity(world):
    case = new_case(world, ready=False)
    agent = world.users["township_agent"]
    draft = draft_commission(case, "代为提交申请材料并领取结果", 30, world.users["village_agent"], OPENED,
                             prohibitions=["不收取任何费用"])
    assert draft.scope == "代为提交申请材料并领取结果" and draft.prohibition_list == ["不收取任何费用"]
    with pytest.raises(CommissionRefused, match="签署日期 2026-09-20 早于起草日期 2026-09-21"):
        record_signed(draft, agent, D(2026, 9, 20))
    done = record_signed(draft, agent, SIGNED)
    assert (done.status, done.signed_on, done.recorded_by_id) == ("signed", SIGNED, agent.id)
    assert (done.valid_from, done.valid_until) == (SIGNED, D(2026, 10, 21))  # 30 days, both ends counted
    assert in_force(case, D(2026, 10, 21)).id == done.id
    assert in_force(case, D(2026, 10, 22)) is None and in_force(case, OPENED) is None
    with pytest.raises(CommissionRefused, match="代办服务委托书已签署，不能再签署"):
        record_signed(done, agent, SIGNED)


def test_assist_cases_need_no_commission(world):
    case = new_case(world, ready=False, mode="assist")
    with pytest.raises(CommissionRefused, match="是帮办件，由申请人本人办理，无需代办服务委托书"):
        draft_commission(case, None, 30, world.users["village_agent"], OPENED)
    assert submission_problem(case, OPENED) is None


def test_drafting_refusals(world):
    case = new_case(world, ready=False)
    agent = world.users["village_agent"]
    for days in (0, MAX_VALID_DAYS + 1, "30"):
        with pytest.raises(CommissionRefused, match="委托期限应为 1 至 365 天"):
            draft_commission(case, None, days, agent, OPENED)
    with pytest.raises(CommissionRefused, match="须写明代办员不得从事的行为"):
        draft_commission(case, None, 30, agent, OPENED, prohibitions=[" "])
    signed(world, case)
    with pytest.raises(CommissionRefused,
                       match="已有有效的代办服务委托书（至 2026-10-21），需要延长的请续办"):
        draft_commission(case, None, 30, agent, D(2026, 9, 25))
    assert len(commissions(case)) == 1


def test_a_new_draft_voids_the_unsigned_one(world):
    case = new_case(world, ready=False)
    agent = world.users["village_agent"]
    first = draft_commission(case, "代为提交申请", 30, agent, OPENED)
    second = draft_commission(case, "代为提交申请并领取结果", 30, agent, OPENED)
    assert [c.status for c in commissions(case)] == ["void", "drafted"]
    with pytest.raises(CaseConflict):
        record_signed(first, agent, OPENED)  # the page showed the old draft
    with pytest.raises(CommissionRefused, match="已作废，不能再签署"):
        record_signed(Commission.get_by_id(first.id), agent, OPENED)
    assert record_signed(second, agent, OPENED).status == "signed"


# --- the gate ----------------------------------------------------------------------------------

def test_a_proxy_case_is_submitted_only_under_a_signed_commission_in_force(world):
    case = collected(world)
    with pytest.raises(TransitionRefused) as refused:
        submit(world, case, SIGNED)
    assert str(refused.value) == f"办件 {case.number} 还不能“报送”：代办件须先签订代办服务委托书"
    draft = draft_commission(case, None, 30, world.users["village_agent"], SIGNED)
    with pytest.raises(TransitionRefused, match="代办服务委托书尚未签署"):
        submit(world, case, SIGNED)
    record_signed(draft, world.users["village_agent"], SIGNED)
    assert Case.get_by_id(case.id).status == "materials_collected"  # nothing was written
    case = submit(world, case, SIGNED)
    assert case.status == "submitted" and history(case)[-1].transition == "submit"


def test_an_expired_commission_must_be_renewed_before_submitting(world):
    case = collected(world)
    first = signed(world, case, valid_days=10)  # 22 September to 1 October
    with pytest.raises(TransitionRefused, match="代办服务委托书已于 2026-10-01 到期，请签订续办委托书"):
        submit(world, case, D(2026, 10, 8))
    renewal = renew(first, 30, world.users["township_agent"], D(2026, 10, 8))
    assert (renewal.kind, renewal.previous_id, renewal.scope) == ("renewal", first.id, first.scope)
    assert renewal.agent_name == "苏木乡镇代办员甲"  # whoever takes the renewed mandate
    renewal = record_signed(renewal, world.users["township_agent"], D(2026, 10, 8))
    assert (renewal.valid_from, renewal.valid_until) == (D(2026, 10, 8), D(2026, 11, 6))
    assert submit(world, case, D(2026, 10, 8)).status == "submitted"


def test_a_renewal_signed_early_continues_where_the_commission_ends(world):
    case = new_case(world, ready=False)
    first = signed(world, case, valid_days=10)
    renewal = record_signed(renew(first, 20, world.users["village_agent"], D(2026, 9, 28)),
                            world.users["village_agent"], D(2026, 9, 28))
    assert (renewal.valid_from, renewal.valid_until) == (D(2026, 10, 2), D(2026, 10, 21))
    assert in_force(case, D(2026, 9, 30)).id == first.id and in_force(case, D(2026, 10, 2)).id == renewal.id
    with pytest.raises(CommissionRefused, match=r"请在最近一次签署的续办委托书（2026-09-28）上续办"):
        renew(first, 20, world.users["village_agent"], D(2026, 9, 29))


def test_resubmitting_after_correction_needs_the_commission_still(world):
    case = collected(world)
    mandate = signed(world, case)
    case = submit(world, case, SIGNED)
    case = act(world, case, "return_for_correction", "banner_agent", D(2026, 9, 23), note="缺户口簿复印件")
    termination = terminate(mandate, world.users["village_agent"], D(2026, 9, 24), "申请人收回委托，本人办理")
    with pytest.raises(TransitionRefused,
                       match="“补正后重新报送”：委托已于 2026-09-24 终止，须重新签订代办服务委托书"):
        act(world, case, "resubmit", "village_agent", D(2026, 9, 25))
    assert termination.kind == "termination"
    signed(world, case, day=D(2026, 9, 25))  # the citizen commissions again
    assert act(world, case, "resubmit", "village_agent", D(2026, 9, 25)).status == "submitted"


# --- termination -------------------------------------------------------------------------------

def test_termination_ends_every_commission_of_the_case(world):
    case = new_case(world, ready=False)
    agent = world.users["village_agent"]
    first = signed(world, case, valid_days=10)
    renewal = record_signed(renew(first, 20, agent, D(2026, 9, 28)), agent, D(2026, 9, 28))
    pending = renew(renewal, 20, agent, D(2026, 9, 29))
    with pytest.raises(CommissionRefused, match="请写明终止委托的原因"):
        terminate(renewal, agent, D(2026, 9, 30), " ")
    ended = terminate(renewal, agent, D(2026, 9, 30), "申请人撤回委托")
    assert (ended.kind, ended.kind_label, ended.status, ended.signed_on, ended.reason, ended.previous_id) == (
        "termination", "终止代办委托", "signed", D(2026, 9, 30), "申请人撤回委托", renewal.id)
    by_id = {c.id: c for c in commissions(case)}
    assert [by_id[i].status for i in (first.id, renewal.id, pending.id)] == [
        "terminated", "terminated", "void"]
    assert by_id[first.id].terminated_on == D(2026, 9, 30)
    assert in_force(case, D(2026, 9, 30)) is None
    with pytest.raises(CommissionRefused, match="只能终止已签署的委托书"):
        terminate(by_id[renewal.id], agent, D(2026, 9, 30), "再次终止")
    with pytest.raises(CommissionRefused, match="只能续办已签署的委托书"):
        renew(by_id[renewal.id], 10, agent, D(2026, 9, 30))
    # a new commission may follow (e.g. with another agent)
    again = signed(world, case, day=D(2026, 10, 8))
    assert in_force(case, D(2026, 10, 8)).id == again.id


def test_an_ended_case_takes_no_commission(world):
    case = new_case(world, ready=False)
    act(world, case, "terminate", "village_agent", OPENED, note="申请人撤回")
    with pytest.raises(CommissionRefused, match="终结，不能再修改"):
        draft_commission(case, None, 30, world.users["village_agent"], OPENED)


# --- the printed document ----------------------------------------------------------------------

def test_document_text_of_a_commission(world):
    case = new_case(world, ready=False)
    draft = draft_commission(case, None, 30, world.users["village_agent"], OPENED, matter=ELDERLY)
    text = document_text(draft)
    assert text["title"] == "代办服务委托书" and text["case_number"] == case.number
    assert text["status"] == "待签署"
    assert text["parties"] == [("委托人（申请人）", "巴特尔"), ("公民身份号码", "152223********002X"),
                               ("受托人（代办员）", "嘎查村代办员甲"),
                               ("所属服务中心（站）", case.center.name)]
    assert text["matter"] == f"{ELDERLY.name}（事项编码 YLFW-0001，第{ELDERLY.version}版）"
    assert text["scope"] == draft.scope and text["prohibitions"] == list(DEFAULT_PROHIBITIONS)
    assert text["validity"] == "自签署之日起30日内有效"
    assert text["statements"][0] == "帮办代办服务全程免费。法律法规规定应当缴纳的费用，由委托人本人缴纳。"
    assert "代办不包办、到位不越位" in text["statements"][1]
    assert [label for label, _ in text["signatures"]] == [
        "委托人（签字或按手印）", "受托代办员（签字）", f"{case.center.name}（盖章）"]
    assert text["signatures"][0][1] == "____年__月__日"
    assert AuditLog.select().where(AuditLog.action == "reveal").count() == 0  # masked: not a reveal

    done = record_signed(draft, world.users["village_agent"], SIGNED)
    text = document_text(done, reveal_by=world.users["village_agent"])
    assert text["validity"] == "2026年9月22日至2026年10月21日（共30日）"
    assert text["signatures"][0][1] == "2026年9月22日"
    assert text["parties"][1] == ("公民身份号码", "15222319450101002X")
    [logged] = AuditLog.select().where(AuditLog.action == "reveal")
    assert (logged.action, logged.actor, logged.object_id, logged.summary) == (
        "reveal", "village_agent", case.number, "查看完整公民身份号码：打印代办服务委托书")
    assert personal.masked_id_number(case) == done.citizen_id_masked


def test_document_text_of_a_renewal_and_a_termination(world):
    case = new_case(world, ready=False)
    first = signed(world, case, valid_days=10)
    renewal = record_signed(renew(first, 20, world.users["village_agent"], D(2026, 9, 28)),
                            world.users["village_agent"], D(2026, 9, 28))
    text = document_text(renewal)
    assert text["title"] == "续办委托书"
    assert text["statements"][0] == (
        "本委托书续办2026年9月22日签署的代办服务委托书（有效期至2026年10月1日），委托范围如下。")
    ended = terminate(renewal, world.users["village_agent"], D(2026, 9, 30), "申请人撤回委托")
    text = document_text(ended)
    assert text["title"] == "代办服务终止单" and text["validity"] == "委托自2026年9月30日起终止"
    assert text["statements"][:2] == [
        "委托人与受托代办员于2026年9月28日签署的续办委托书自2026年9月30日起终止。",
                                      "终止原因：申请人撤回委托"]


# --- what was signed stays as signed -------------------------------------------------------------

def test_commissions_are_changed_only_by_the_service_and_the_database_guards_them(world, db):
    case = new_case(world, ready=False)
    done = signed(world, case)
    done.scope = "代为决定是否申请"
    with pytest.raises(ImmutableRecordError):
        done.save()
    with pytest.raises(ImmutableRecordError):
        done.delete_instance()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        Commission.update(scope="代为决定是否申请").where(Commission.id == done.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():  # signed: its validity is fixed
        Commission.update(valid_until=D(2027, 9, 22)).where(Commission.id == done.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        Commission.delete().where(Commission.id == done.id).execute()
    terminate(done, world.users["village_agent"], D(2026, 9, 30), "申请人撤回委托")
    with pytest.raises(peewee.DatabaseError), db.atomic():  # ended: nothing changes any more
        Commission.update(status="signed").where(Commission.id == done.id).execute()
    fresh = Commission.get_by_id(done.id)
    assert (fresh.valid_until, fresh.status) == (D(2026, 10, 21), "terminated")
    assert "代为决定" not in fresh.scope
