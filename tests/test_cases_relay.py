"""Relay (接力办): up the levels, to departments in parallel, and the case waiting for all."""

import pytest

import test_cases_service as base
from daiban.cases.relay import (
    RelayRefused,
    finish,
    higher_centers,
    incoming,
    receive,
    send_to_departments,
    send_up,
    waiting_departments,
)
from daiban.cases.service import Result, TransitionRefused
from daiban.models import Department, ServiceCenter, User
from test_cases_service import DRIVEN, act, drive_to, new_case

world = base.world


def center(code):
    return ServiceCenter.get(ServiceCenter.code == code)


def test_a_village_case_goes_up_to_its_own_township_or_the_banner(world):
    case = new_case(world)  # received at 河西村 (新林镇)
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
    with pytest.raises(TransitionRefused, match="扎赉特旗卫生健康委员会"):
        act(world, case, "record_result", "department_liaison", DRIVEN)
    health_liaison = User.create(username="health", display_name="卫健联络员", password_hash="-",
                                 roles="department_liaison", department=health)
    finish(legs[1], health_liaison, Result("approved", "卫〔2026〕2号"))
    case = act(world, case, "record_result", "department_liaison", DRIVEN)
    assert case.status == "result_received"


def test_a_leg_is_received_once(world):
    case = new_case(world)
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
    with pytest.raises(CaseError, match="不能超过 100 个字符"):
        act(world, case, "record_result", "department_liaison", DRIVEN, result=Result("approved", "号" * 101))
    case = act(world, case, "record_result", "department_liaison", DRIVEN, result=Result("approved", " 民1 "))
    assert case.result_number == "民1"
