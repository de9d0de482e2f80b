"""Eligibility on the intake form: conditions and exclusions met, unmet, undecided or for a person."""

import datetime

import pytest

from conftest import CONFIG, TODAY
from daiban.catalog import idnumbers
from daiban.catalog.checks import check_matter
from daiban.catalog.compile import compile_matter
from daiban.catalog.loader import load_catalog
from daiban.catalog.rules import compile_rule
from daiban.catalog.schemas import check_schema, fill_defaults
from daiban.intake.eligibility import (
    APPLIES,
    DOES_NOT_APPLY,
    JUDGEMENT,
    MET,
    UNDECIDED,
    UNMET,
    check_eligibility,
)

CATALOG = load_catalog(CONFIG, today=TODAY).catalog
ELDERLY = CATALOG.matters["YLFW-0001"]  # 高龄津贴: age(id_number) >= 80
BORN_1949 = "11010519491231002X"  # born 1949-12-31: turns 80 on 2029-12-31
BORN_1980 = "15222319800101003X"
PERSON_CHECKS = {"hukou", "deceased", "prison"}  # the 高龄津贴 items only an agent can decide


def with_check_digit(first17: str) -> str:
    """A resident ID number completed with its GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, idnumbers.ID_WEIGHTS, strict=True))
    return first17 + idnumbers.ID_CHECK[total % 11]


def compiled(**parts):
    """A small matter with these fields, conditions, exclusions …, checked and compiled."""
    doc = {
        "code": "TEST-0001", "version": 1, "name": "测试事项", "domain": "elderly_care",
        "matter_type": "public_service", "levels": ["village"],
        "responsible_unit": "banner-civil-affairs-bureau", "effective_from": "2025-01-01", **parts,
    }
    assert check_schema("matter", doc) == []
    filled = fill_defaults("matter", doc)
    assert check_matter(filled, {"banner-civil-affairs-bureau"}, {"elderly_care"}, set()) == []
    return compile_matter(filled)


def elderly(**values):
    """A complete 高龄津贴 form for the woman born 1949-12-31, applying herself."""
    form = {"name": "王秀英", "id_number": BORN_1949, "phone": "13912345678",
            "hukou_address": "新林镇河西村", "living_place": "home", "applicant_type": "self",
            "bank_name": "农村信用社", "bank_account": "6228480012345678", "receives_elsewhere": False}
    form.update(values)
    return form


def status(result, item_id):
    return next(c.status for c in (*result.conditions, *result.exclusions) if c.id == item_id)


def test_the_age_rule_follows_the_real_birth_date_in_the_id_number():
    assert check_eligibility(ELDERLY, elderly(), datetime.date(2029, 12, 30)).conditions[0].status == UNMET
    assert check_eligibility(ELDERLY, elderly(), datetime.date(2029, 12, 31)).conditions[0].status == MET
    born_1940 = with_check_digit("15222319400315002")
    assert status(check_eligibility(ELDERLY, elderly(id_number=born_1940), TODAY), "age") == MET
    young = check_eligibility(ELDERLY, elderly(id_number=BORN_1980), TODAY)
    assert young.unmet == ["年满80周岁"]
    assert young.verdict == "ineligible" and not young.eligible


@pytest.mark.parametrize("id_number", [None, "", "110105194912310021"])
def test_a_rule_waits_while_an_input_it_reads_is_missing_or_wrong(id_number):
    result = check_eligibility(ELDERLY, elderly(id_number=id_number), TODAY)
    age = result.conditions[0]
    assert age.status == UNDECIDED and age.waiting_for == ("公民身份号码",)
    assert result.undecided == [age] and result.unmet == []
    assert result.verdict == "pending"


def test_items_without_rules_form_the_agents_checklist_and_confirming_them_makes_the_case_eligible():
    on_birthday = datetime.date(2029, 12, 31)
    open_items = check_eligibility(ELDERLY, elderly(), on_birthday)
    assert [(c.id, c.kind, c.status, c.confirmed) for c in open_items.checklist] == [
        ("hukou", "condition", JUDGEMENT, False),
        ("deceased", "exclusion", JUDGEMENT, False),
        ("prison", "exclusion", JUDGEMENT, False),
    ]
    assert not open_items.eligible and open_items.verdict == "pending"

    partly = check_eligibility(ELDERLY, elderly(), on_birthday, confirmed={"hukou"})
    assert status(partly, "hukou") == MET and not partly.eligible  # exclusions still to check

    done = check_eligibility(ELDERLY, elderly(), on_birthday, confirmed=PERSON_CHECKS)
    assert [(c.id, c.status, c.confirmed) for c in done.checklist] == [
        ("hukou", MET, True), ("deceased", DOES_NOT_APPLY, True), ("prison", DOES_NOT_APPLY, True),
    ]
    assert done.eligible and done.verdict == "eligible"


def test_a_confirmation_never_overrides_a_rule():
    result = check_eligibility(ELDERLY, elderly(), TODAY, confirmed=PERSON_CHECKS | {"age", "duplicate"})
    assert status(result, "age") == UNMET and not result.eligible
    result = check_eligibility(ELDERLY, elderly(receives_elsewhere=True), datetime.date(2029, 12, 31),
                               confirmed=PERSON_CHECKS | {"duplicate"})
    assert status(result, "duplicate") == APPLIES


def test_an_exclusion_whose_rule_holds_applies_and_excludes():
    result = check_eligibility(ELDERLY, elderly(receives_elsewhere=True), datetime.date(2029, 12, 31),
                               confirmed=PERSON_CHECKS)
    assert result.applies == ["已在其他地区领取高龄津贴的"]
    assert not result.eligible and result.verdict == "ineligible"


def test_an_exclusion_on_a_required_question_not_yet_answered_is_undecided():
    result = check_eligibility(ELDERLY, elderly(receives_elsewhere=None), TODAY)
    duplicate = next(e for e in result.exclusions if e.id == "duplicate")
    assert duplicate.status == UNDECIDED
    assert duplicate.waiting_for == ("是否已在其他地区领取高龄津贴",)


def test_an_optional_question_left_empty_is_an_answer_null_is_not_true():
    pension = CATALOG.matters["SHBX-0001"]
    form = {"name": "张三", "id_number": BORN_1980, "phone": "13912345678", "hukou_address": "新林镇",
            "contribution_grade": "200"}
    result = check_eligibility(pension, form, TODAY, confirmed={"hukou"})
    assert [(e.id, e.status) for e in result.exclusions] == [
        ("student", DOES_NOT_APPLY), ("employee", DOES_NOT_APPLY)]
    assert result.eligible
    assert status(check_eligibility(pension, {**form, "in_school": True}, TODAY), "student") == APPLIES


HARDSHIP = compiled(
    fields=[
        {"id": "income", "label": "家庭月收入（元）", "type": "decimal", "min": 0},
        {"id": "years", "label": "居住年限", "type": "integer"},
        {"id": "members", "label": "家庭成员", "type": "group", "fields": [
            {"id": "member_name", "label": "姓名", "type": "text", "required": True},
            {"id": "relation", "label": "与申请人关系", "type": "choice", "required": True,
             "options": [{"value": "spouse", "label": "配偶"}, {"value": "child", "label": "子女"}]},
            {"id": "member_id_number", "label": "公民身份号码", "type": "id_number", "required": True},
            {"id": "disabled", "label": "是否残疾", "type": "boolean"},
        ]},
    ],
    conditions=[
        {"id": "hardship", "text": "符合以下情形之一", "any_of": [
            {"id": "low_income", "text": "家庭月收入低于1000元", "rule": "income != null && income < 1000.0"},
            {"id": "disabled_member", "text": "家庭成员中有残疾人",
             "rule": "members != null && members.exists(m, m.disabled == true)"},
            {"id": "other", "text": "其他经村委会认定的困难情形"},
        ]},
        {"id": "residence", "text": "居住满3年或收入较低", "any_of": [
            {"id": "long_stay", "text": "居住满3年", "rule": "years >= 3"},
            {"id": "poor", "text": "家庭月收入低于500元", "rule": "income < 500.0"},
        ]},
    ],
    exclusions=[
        {"id": "elderly_spouse", "text": "配偶已满80周岁的（另行申请高龄津贴）",
         "rule": "members.exists(m, m.relation == 'spouse' && age(m.member_id_number) >= 80)"},
    ],
)


def spouse(id_number=BORN_1949, **values):
    return {"member_name": "王秀英", "relation": "spouse", "member_id_number": id_number, **values}


def test_any_of_is_met_when_one_alternative_is_met():
    result = check_eligibility(HARDSHIP, {"income": "800", "years": "5", "members": [spouse()]}, TODAY)
    hardship, residence = result.conditions
    assert hardship.status == MET and not hardship.by_person
    assert [a.status for a in hardship.alternatives] == [MET, UNMET, JUDGEMENT]
    assert residence.status == MET
    disabled = check_eligibility(HARDSHIP, {"income": 3000, "members": [spouse(disabled="是")]}, TODAY)
    assert disabled.conditions[0].status == MET


def test_any_of_needs_judgement_when_the_rules_fail_and_a_person_may_still_confirm_an_alternative():
    form = {"income": "3000", "years": 5, "members": [spouse()]}
    open_item = check_eligibility(HARDSHIP, form, TODAY).conditions[0]
    assert open_item.status == JUDGEMENT and open_item.by_person and not open_item.confirmed
    assert [c.id for c in check_eligibility(HARDSHIP, form, TODAY).checklist] == ["hardship"]
    for confirmation in ("other", "hardship"):  # the alternative itself, or the whole condition
        confirmed = check_eligibility(HARDSHIP, form, TODAY, confirmed={confirmation}).conditions[0]
        assert confirmed.status == MET and confirmed.confirmed


def test_any_of_is_unmet_only_when_every_alternative_is_unmet_and_undecided_while_one_waits():
    unmet = check_eligibility(HARDSHIP, {"income": "3000", "years": "1"}, TODAY).conditions[1]
    assert unmet.status == UNMET
    assert check_eligibility(HARDSHIP, {"income": 3000, "years": 1}, TODAY).unmet == ["居住满3年或收入较低"]
    waiting = check_eligibility(HARDSHIP, {"income": "3000"}, TODAY).conditions[1]
    assert waiting.status == UNDECIDED  # `null >= 3` cannot be evaluated
    assert [a.status for a in waiting.alternatives] == [UNDECIDED, UNMET]


def test_rules_see_group_entries_as_typed_maps():
    old_spouse = check_eligibility(HARDSHIP, {"members": [spouse(), spouse(BORN_1980, relation="child")]},
                                   datetime.date(2030, 1, 1))
    assert old_spouse.applies == ["配偶已满80周岁的（另行申请高龄津贴）"]
    younger = check_eligibility(HARDSHIP, {"members": [spouse(BORN_1980)]}, TODAY)
    assert younger.exclusions[0].status == DOES_NOT_APPLY
    half_filled = check_eligibility(HARDSHIP, {"members": [spouse(None)]}, TODAY)
    assert half_filled.exclusions[0].status == UNDECIDED
    assert half_filled.exclusions[0].waiting_for == ("家庭成员",)


def test_low_income_household_example_from_the_catalog():
    dibao = CATALOG.matters["SHJZ-0001"]
    form = {
        "name": "张三", "id_number": BORN_1980, "phone": "0482-6012345", "hukou_address": "新林镇",
        "hukou_type": "rural", "applicant_type": "self",
        "members": [{"member_name": "张三", "member_id_number": BORN_1980, "relation": "self",
                     "health": "serious_illness", "work_status": "no_ability", "income": "200"}],
        "household_income_per_capita": "650", "local_standard": "700", "owns_vehicle": "否",
        "extra_housing": False, "runs_business": False, "reason": "重病", "authorize_check": True,
        "bank_account": "6228480012345678",
    }
    result = check_eligibility(dibao, form, TODAY)
    assert result.intake.errors == {}
    assert [(c.id, c.status) for c in result.conditions] == [
        ("hukou", JUDGEMENT), ("members_listed", MET), ("income", MET), ("assets", JUDGEMENT),
        ("authorised", MET)]
    assert [e.status for e in result.exclusions][:3] == [DOES_NOT_APPLY] * 3
    above = check_eligibility(dibao, {**form, "household_income_per_capita": "900"}, TODAY)
    assert above.conditions[2].status == UNMET
    single = check_eligibility(dibao, {**form, "household_income_per_capita": "900",
                                       "single_person_case": True}, TODAY)
    assert single.conditions[2].status == MET
    everything = {"hukou", "assets", "refuse_work", "give_up", "false_info"}
    assert check_eligibility(dibao, form, TODAY, confirmed=everything).eligible


@pytest.mark.parametrize("code", sorted(CATALOG.matters))
def test_on_an_empty_form_every_rule_reading_a_required_field_waits(code):
    matter = CATALOG.matters[code]
    required = {f.id for f in matter.fields if f.required}
    result = check_eligibility(matter, {}, TODAY)
    assert not result.eligible  # YLBZ-0004 is even ineligible: "no children entered" is an answer
    items = {c.id: c for c in (*matter.conditions, *matter.exclusions)}
    for check in (*result.conditions, *result.exclusions):
        rule = items[check.id].rule
        if rule and compile_rule(rule).variables & required:
            assert check.status == UNDECIDED and check.waiting_for
