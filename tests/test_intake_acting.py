"""The 办理人 block on its own: who may act for whom, decided from the matter, the mode and the ID number."""

import dataclasses
import datetime

import pytest

from case_screens import CATALOG
from daiban.catalog import idnumbers
from daiban.intake.acting import AgentIdentity, check_acting, default_role, needs_guardian

TODAY = datetime.date(2026, 6, 1)
AGENT = AgentIdentity("周代办", "village")
SUPPORT = CATALOG.matters["SHJZ-0003"]  # 特困人员救助供养: guardian_allowed by default
ONLY_IN_PERSON = dataclasses.replace(SUPPORT, guardian_allowed=False)
ADULT_GUARDIAN = "15222319800101003X"


def resident_id(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, idnumbers.ID_WEIGHTS, strict=True))
    return first17 + idnumbers.ID_CHECK[total % 11]


CHILD = resident_id("15222320160101001")  # 10 on TODAY
SEVENTEEN = resident_id("15222320090101001")  # 17 on TODAY
ADULT = resident_id("15222319400101001")


def check(matter=SUPPORT, id_number=CHILD, mode="assist", **raw):
    values = {"id_number": id_number}
    return check_acting(matter, values, raw, mode, TODAY, AGENT)


@pytest.mark.parametrize("id_number, years", [(CHILD, 10), (SEVENTEEN, 17)])
def test_a_minor_cannot_apply_in_person(id_number, years):
    acting, errors = check(id_number=id_number, role="self")
    assert acting is None
    assert errors == {"acting.role": [
        f"申请人未满 18 周岁（按公民身份号码为 {years} 周岁），不能本人申请，须由监护人申请"]}


def test_an_adult_applies_in_person_unless_recorded_as_lacking_capacity():
    acting, errors = check(id_number=ADULT, role="self")
    assert errors == {} and (acting.role, acting.label, acting.applicant_age) == ("self", "本人", 86)
    acting, errors = check(id_number=ADULT, role="self", incapable="true")
    assert errors["acting.role"] == [
        "申请人为无民事行为能力或限制民事行为能力人，不能本人申请，须由监护人申请"]


def test_a_guardian_is_checked_field_by_field():
    _, errors = check(role="guardian", guardian_id_number="152223")
    assert errors == {
        "acting.guardian_name": ["请填写监护人姓名"],
        "acting.guardian_relation": ["请选择监护人与申请人的关系"],
        "acting.guardian_id_number": ["监护人公民身份号码应为 18 位，现在是 6 位"],
    }
    _, errors = check(role="guardian", guardian_name="娜仁", guardian_relation="parent",
                      guardian_id_number=CHILD)
    assert errors == {"acting.guardian_id_number": [
        "监护人公民身份号码与申请人的相同，请填写监护人本人的号码"]}


def test_a_complete_guardian_is_kept():
    acting, errors = check(role="guardian", guardian_name="娜仁", guardian_relation="parent",
                           guardian_id_number=ADULT_GUARDIAN.lower())
    assert errors == {}
    assert acting.record() == {"role": "guardian", "lacks_capacity": False, "guardian": {
        "name": "娜仁", "relation": "parent", "id_number": ADULT_GUARDIAN}}


def test_where_guardians_are_not_allowed_no_guardian_acts_and_a_minor_is_refused():
    _, errors = check(ONLY_IN_PERSON, role="guardian", guardian_name="娜仁", guardian_relation="parent",
                      guardian_id_number=ADULT_GUARDIAN)
    assert errors == {"acting.role": ["事项“特困人员救助供养审核确认”不接受监护人代为申请"]}
    _, errors = check(ONLY_IN_PERSON, role="self")
    assert "本事项不接受监护人代为申请，不能受理" in errors["acting.role"][0]


def test_the_agent_acts_only_in_a_proxy_case_and_comes_from_the_account():
    acting, errors = check(id_number=ADULT, mode="proxy")  # the role defaults to the agent
    assert errors == {} and acting.agent == AGENT
    assert acting.record()["agent"] == {"name": "周代办", "username": "village", "id_number": None}
    _, errors = check(id_number=ADULT, mode="assist", role="agent")
    assert errors == {"acting.role": ["委托代理人办理须选择“代办”办理方式（凭委托书）"]}


def test_the_agent_of_a_minor_needs_the_guardian_behind_them():
    assert needs_guardian("agent", 10, False) and not needs_guardian("agent", 40, False)
    _, errors = check(mode="proxy")
    assert set(errors) == {"acting.guardian_name", "acting.guardian_relation", "acting.guardian_id_number"}


def test_the_role_must_agree_with_the_matters_own_choice():
    values = {"id_number": ADULT, "applicant_type": "guardian"}
    assert default_role(SUPPORT, values, "assist") == "guardian"
    _, errors = check_acting(SUPPORT, values, {"role": "self"}, "assist", TODAY, AGENT)
    assert errors == {"acting.role": [
        "与表单中“提出申请的人”所选的“监护人（申请人为未成年人或无民事行为能力人）”不一致，请改成一致"]}


def test_an_unknown_role_is_refused():
    assert check(role="boss")[1] == {"acting.role": ["请选择办理人：本人、监护人或委托代理人"]}
