"""Relay (接力办): up the levels, to departments in parallel, and the case waiting for all."""

import datetime

import pytest

import test_cases_service as base
from daiban.cases import relay
from daiban.cases.history import case_history
from daiban.cases.relay import (
    RelayRefused,
    higher_centers,
    incoming,
    waiting_departments,
)
from daiban.cases.service import (
    Actor,
    CaseConflict,
    Result,
    TransitionRefused,
    available_transitions,
    overdue,
)
from daiban.models import AuditLog, Case, CaseEvent, Department, Handoff, ServiceCenter, User
from daiban.supervision.models import Notification
from test_cases_service import CALENDAR, DRIVEN, WORKFLOW, act, drive_to, new_case

world = base.world


def center(code):
    return ServiceCenter.get(ServiceCenter.code == code)


def send_up(case, to, user, note="", **kwargs):
    kwargs.setdefault("today", DRIVEN)
    return relay.send_up(case, to, user, note, workflow=WORKFLOW, calendar=CALENDAR, **kwargs)


def send_to_departments(case, departments, user, note="", **kwargs):
    kwargs.setdefault("today", DRIVEN)
    return relay.send_to_departments(case, departments, user, note, workflow=WORKFLOW, calendar=CALENDAR,
                                     **kwargs)


def finish(leg, user, result=None, note="", **kwargs):
    kwargs.setdefault("today", DRIVEN)
    return relay.finish(leg, user, result, note, workflow=WORKFLOW, calendar=CALENDAR, **kwargs)


def receive(leg, user, **kwargs):
    kwargs.setdefault("today", DRIVEN)
    return relay.receive(leg, user, workflow=WORKFLOW, calendar=CALENDAR, **kwargs)


def civil():
    return Department.get(Department.code == "banner-civil-affairs-bureau")


def test_a_village_case_goes_up_to_its_own_township_or_the_banner(world):
    case = drive_to(world, new_case(world), "materials_collected")  # received at 河西村 (新林镇)
    agent = world.users["village_agent"]
    higher = {c.code for c in higher_centers(center("xinlin-hexi-station"))}
    assert higher == {"xinlin-center", "banner-center"}
    with pytest.raises(RelayRefused, match="逐级上报"):
        send_up(case, center("yinde-er-center"), agent)
    leg = send_up(case, center("xinlin-center"), agent, "请镇中心协调")
    township = world.users["township_agent"]  # sits at 新林镇便民服务中心
    assert [h.id for h in incoming(township)] == [leg.id]
    with pytest.raises(RelayRefused, match="未办结的接力"):
        send_up(case, center("banner-center"), agent)
    receive(leg, township)
    finish(leg, township)
    up = send_up(case, center("banner-center"), township)
    assert up.from_center.code == "xinlin-center"


def health_liaison():
    health = Department.get(Department.code == "banner-health-commission")
    return User.create(username="health", display_name="卫健联络员", password_hash="-",
                       roles="department_liaison", department=health)


def test_parallel_routing_waits_for_every_department(world):
    case = drive_to(world, new_case(world), "in_department")
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    health = Department.get(Department.code == "banner-health-commission")
    legs = send_to_departments(case, [civil, health], world.users["township_agent"])
    assert len(waiting_departments(case)) == 2
    liaison = world.users["department_liaison"]  # 民政局
    assert [h.to_department.code for h in incoming(liaison)] == ["banner-civil-affairs-bureau"]
    with pytest.raises(RelayRefused, match="办理结果"):
        finish(legs[0], liaison)
    finish(legs[0], liaison, Result("approved", "民〔2026〕1号"))
    assert Case.get_by_id(case.id).status == "in_department"  # still waiting for 卫健委
    with pytest.raises(TransitionRefused, match="扎赉特旗卫生健康委员会"):
        act(world, Case.get_by_id(case.id), "record_result", "department_liaison", DRIVEN)
    assert Notification.select().count() == 0
    finish(legs[1], health_liaison(), Result("approved", "卫〔2026〕2号"), today=DRIVEN)
    case = Case.get_by_id(case.id)  # the last decision fed the result back
    assert (case.status, case.result_on, case.result_decision) == ("result_received", DRIVEN, "approved")
    assert case.result_number == "扎赉特旗民政局：民〔2026〕1号；扎赉特旗卫生健康委员会：卫〔2026〕2号"
    event = CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id.desc()).first()
    assert (event.transition, event.role, event.from_status, event.day) == (
        "result_fed_back", "system", "in_department", DRIVEN)
    assert "扎赉特旗卫生健康委员会：准予办理（卫〔2026〕2号）" in event.note
    assert AuditLog.select().where((AuditLog.actor == "system") & (AuditLog.object_id == case.number)
                                   & AuditLog.summary.contains("结果已反馈")).exists()
    message = Notification.get(Notification.case == case.id)  # to the agent who answers for it
    assert (message.recipient_id, message.kind, message.channel) == (case.first_agent_id, "result", "in_app")
    assert message.sent_at is not None and "准予办理" in message.title
    first = Actor.of(world.users["village_agent"])
    assert [t.id for t in available_transitions(case, first, WORKFLOW)] == ["return_materials"]
    with pytest.raises(RelayRefused, match="已有办理结果"):  # nothing to send on any more
        send_to_departments(case, [civil], world.users["township_agent"])
    assert not overdue(case, datetime.date(2027, 3, 1))  # decided in time: never overdue afterwards


def test_one_refusal_refuses_the_combined_result(world):
    case = drive_to(world, new_case(world), "in_department")
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    health = Department.get(Department.code == "banner-health-commission")
    legs = send_to_departments(case, [civil, health], world.users["township_agent"])
    finish(legs[1], health_liaison(), Result("refused"), "不符合条件")
    finish(legs[0], world.users["department_liaison"], Result("approved", "民1"))
    case = Case.get_by_id(case.id)
    assert (case.status, case.result_decision, case.result_number) == (
        "result_received", "refused", "扎赉特旗民政局：民1")
    history = [(s.label, s.person, s.detail) for s in case_history(case, WORKFLOW)]
    assert ("结果已反馈", "系统", "责任单位办理结果：扎赉特旗民政局：准予办理（民1）；"
            "扎赉特旗卫生健康委员会：不予办理") in history
    assert "不予办理" in Notification.get(Notification.case == case.id).title


def test_a_case_relayed_up_the_levels_comes_back_to_its_first_agent_with_the_result(world):
    case = drive_to(world, new_case(world), "materials_collected")  # at 河西村, its village agent
    village, township, banner = (world.users[r] for r in ("village_agent", "township_agent", "banner_agent"))
    up = send_up(case, center("xinlin-center"), village)
    assert Case.get_by_id(case.id).status == "submitted"
    receive(up, township)
    finish(up, township, note="镇中心初审通过")
    on = send_up(case, center("banner-center"), township)
    finish(on, banner)
    [leg] = send_to_departments(case, [civil()], banner)
    assert Notification.select().count() == 0
    late = datetime.date(2026, 10, 14)  # after the due date 2026-10-12
    finish(leg, world.users["department_liaison"], Result("approved", "民〔2026〕9号"), today=late)
    case = Case.get_by_id(case.id)
    assert (case.status, case.result_on, case.result_number) == ("result_received", late, "民〔2026〕9号")
    assert overdue(case, datetime.date(2027, 1, 4))  # decided after its due date: late for good
    assert Notification.get(Notification.case == case.id).recipient_id == village.id
    labels = [s.label for s in case_history(case, WORKFLOW)]
    assert labels[-2:] == ["接力办结", "结果已反馈"]


def test_the_fed_back_result_is_the_platforms_step_only(world):
    case = drive_to(world, new_case(world), "in_department")
    assert "result_fed_back" not in {t.id for t in WORKFLOW.available("in_department")}
    with pytest.raises(TransitionRefused, match="由系统自动完成"):
        act(world, case, "result_fed_back", "department_liaison", DRIVEN, result=Result("approved"))
    assert Case.get_by_id(case.id).status == "in_department"


def test_a_leg_is_received_once(world):
    case = drive_to(world, new_case(world), "materials_collected")
    leg = send_up(case, center("xinlin-center"), world.users["village_agent"])
    receive(leg, world.users["township_agent"])
    with pytest.raises(RelayRefused, match="已被.*接收"):
        receive(leg, world.users["township_agent"])


def test_a_result_number_longer_than_its_column_is_refused(world):
    from daiban.cases.service import CaseError

    case = drive_to(world, new_case(world), "in_department")
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    [leg] = send_to_departments(case, [civil], world.users["township_agent"])
    liaison = world.users["department_liaison"]
    with pytest.raises(CaseError, match="不能超过 100 个字符"):
        finish(leg, liaison, Result("approved", "号" * 101))
    finish(leg, liaison, Result("approved", " " + "号" * 100 + " "))
    assert Case.get_by_id(case.id).result_number == "号" * 100  # fed back to the case as it is
    other = drive_to(world, new_case(world), "in_department")  # decided without a relay leg
    with pytest.raises(CaseError, match="不能超过 100 个字符"):
        act(world, other, "record_result", "department_liaison", DRIVEN,
            result=Result("approved", "号" * 101))
    other = act(world, other, "record_result", "department_liaison", DRIVEN,
                result=Result("approved", " 民1 "))
    assert other.result_number == "民1"


# --- a leg out of the center is the 报送 step, behind the same guards -----------------------------

def test_a_fresh_proxy_case_reaches_no_department_and_no_higher_level(world):
    case = new_case(world, ready=False)  # 代办, just opened: not accepted, no commission, no checklist
    agent = world.users["village_agent"]
    for send in (lambda: send_to_departments(case, [civil()], agent),
                 lambda: send_up(case, center("xinlin-center"), agent)):
        with pytest.raises(RelayRefused) as refused:
            send()
        assert "当前为“已建档”，还不能报送" in str(refused.value)
        assert "代办件须先签订代办服务委托书" in str(refused.value)
    assert Handoff.select().count() == 0 and incoming(world.users["department_liaison"]) == []
    assert Case.get_by_id(case.id).status == "consultation"


def test_an_accepted_proxy_case_without_a_signed_commission_goes_nowhere(world):
    from daiban.cases import materials

    case = new_case(world, ready=False)
    for row in materials.build_checklist(case, base.CATALOG.matters[case.matter_code], base.OPENED):
        if materials.blocks(row):
            materials.receive(row, row.originals_required, row.copies_required,
                              world.users["village_agent"], today=base.OPENED)
    case = drive_to(world, case, "materials_collected")
    with pytest.raises(TransitionRefused, match="代办件须先签订代办服务委托书"):
        send_to_departments(case, [civil()], world.users["village_agent"])
    assert Handoff.select().count() == 0
    assert Case.get_by_id(case.id).status == "materials_collected"


def test_sending_to_departments_is_the_submit_step_in_one_transaction(world):
    case = drive_to(world, new_case(world), "materials_collected")
    [leg] = send_to_departments(case, [civil()], world.users["village_agent"], "请办理")
    case = Case.get_by_id(case.id)
    assert case.status == "submitted" and leg.to_department.code == "banner-civil-affairs-bureau"
    [event] = CaseEvent.select().where((CaseEvent.case == case.id) & (CaseEvent.transition == "submit"))
    assert event.note == "请办理"
    assert [h.id for h in incoming(world.users["department_liaison"])] == [leg.id]
    summaries = [a.summary for a in AuditLog.select().where(AuditLog.object_type.in_(("case", "handoff")))]
    assert any("报送（材料已收齐 → 已报送）" in s for s in summaries)
    assert any("并联报送扎赉特旗民政局" in s for s in summaries)


def test_a_stale_page_sends_nothing(world):
    case = drive_to(world, new_case(world), "materials_collected")
    stale = case.lock_version - 1
    with pytest.raises(CaseConflict):
        send_to_departments(case, [civil()], world.users["village_agent"], expected_lock_version=stale)
    assert Handoff.select().count() == 0


def test_a_submitted_case_is_passed_on_only_while_the_commission_is_in_force(world):
    case = drive_to(world, new_case(world), "materials_collected")
    leg = send_up(case, center("xinlin-center"), world.users["village_agent"])
    township = world.users["township_agent"]
    receive(leg, township)
    finish(leg, township)
    later = base.OPENED + datetime.timedelta(days=200)  # the 90-day commission has expired
    with pytest.raises(RelayRefused, match="已于 .* 到期，请签订续办委托书"):
        send_to_departments(case, [civil()], township, today=later)
    [sent] = send_to_departments(case, [civil()], township)
    assert Case.get_by_id(case.id).status == "submitted" and sent.to_department_id == civil().id


def test_the_resubmit_after_correction_goes_with_its_leg(world):
    case = drive_to(world, new_case(world), "returned_for_correction")
    send_to_departments(case, [civil()], world.users["village_agent"])
    assert Case.get_by_id(case.id).status == "submitted"
    steps = [e.transition for e in CaseEvent.select().where(CaseEvent.case == case.id)]
    assert steps[-1] == "resubmit"


def test_a_department_taking_its_leg_is_the_cases_department_receipt(world):
    case = drive_to(world, new_case(world), "materials_collected")
    [leg] = send_to_departments(case, [civil()], world.users["village_agent"])
    assert Case.get_by_id(case.id).status == "submitted"
    liaison = world.users["department_liaison"]
    assert relay.sent_leg_for(case, liaison).id == leg.id
    receive(leg, liaison)
    case = Case.get_by_id(case.id)
    assert case.status == "in_department"
    event = CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id.desc()).first()
    assert (event.transition, event.actor_id, event.role) == ("receive", liaison.id, "department_liaison")
    assert relay.sent_leg_for(case, liaison) is None
    labels = [s.label for s in case_history(case, WORKFLOW)]
    assert "部门接收" in labels


def test_a_center_taking_its_leg_leaves_the_case_submitted(world):
    case = drive_to(world, new_case(world), "materials_collected")
    up = send_up(case, center("xinlin-center"), world.users["village_agent"])
    receive(up, world.users["township_agent"])
    assert Case.get_by_id(case.id).status == "submitted"


def test_a_decision_during_suspension_resumes_the_clock_and_feeds_the_result_back(world):
    case = drive_to(world, new_case(world), "materials_collected")
    [leg] = send_to_departments(case, [civil()], world.users["village_agent"])
    liaison = world.users["department_liaison"]
    receive(leg, liaison)
    stopped_on, decided_on = datetime.date(2026, 9, 23), datetime.date(2026, 9, 29)
    case = act(world, Case.get_by_id(case.id), "suspend", "department_liaison", stopped_on, "送检验检测")
    due = case.due_on
    finish(leg, liaison, Result("approved", "民〔2026〕5号"), today=decided_on)
    case = Case.get_by_id(case.id)
    assert (case.status, case.result_on, case.result_number) == (
        "result_received", decided_on, "民〔2026〕5号")
    days = CALENDAR.working_days_between(stopped_on, decided_on)
    assert days > 0  # the working days from 23 Sep to 29 Sep are not counted
    assert (case.clock_stopped_on, case.stopped_working_days) == (None, days)
    assert case.due_on == CALENDAR.add_working_days(due, days).on
    event = CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id.desc()).first()
    assert (event.transition, event.from_status, event.role) == (
        "result_fed_back_after_suspension", "suspended", "system")
    assert Notification.get(Notification.case == case.id).recipient_id == case.first_agent_id


def test_no_department_decides_while_the_case_is_back_for_correction(world):
    case = drive_to(world, new_case(world), "materials_collected")
    [leg] = send_to_departments(case, [civil()], world.users["village_agent"])
    liaison = world.users["department_liaison"]
    receive(leg, liaison)
    case = act(world, Case.get_by_id(case.id), "return_for_correction", "department_liaison", DRIVEN,
               "缺少收入证明")
    with pytest.raises(RelayRefused, match="退回补正.*不能作出办理决定"):
        finish(leg, liaison, Result("approved", "民1"))
    assert Handoff.get_by_id(leg.id).status == "received"  # nothing written
    case = act(world, case, "resubmit", "village_agent", DRIVEN)
    finish(leg, liaison, Result("approved", "民1"))
    assert Case.get_by_id(case.id).status == "result_received"
