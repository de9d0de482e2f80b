"""The one-time notice (一次性告知单): materials resolved for the case, limits, fee, where to go."""

import datetime

import pytest

from conftest import CONFIG, TODAY
from daiban.catalog.checks import check_matter
from daiban.catalog.compile import compile_matter
from daiban.catalog.loader import load_catalog
from daiban.catalog.schemas import check_schema, fill_defaults
from daiban.intake.eligibility import JUDGEMENT, MET
from daiban.intake.notice import DEPENDS, NEEDED, NOT_NEEDED, one_time_notice

CATALOG = load_catalog(CONFIG, today=TODAY).catalog
ELDERLY = CATALOG.matters["YLFW-0001"]
DIBAO = CATALOG.matters["SHJZ-0001"]
BORN_1949 = "11010519491231002X"
BORN_1980 = "15222319800101003X"


def compiled(**parts):
    """A small matter, checked and compiled like a config file."""
    doc = {
        "code": "TEST-0001", "version": 1, "name": "残疾家庭补助申请", "domain": "elderly_care",
        "matter_type": "administrative_payment", "levels": ["village"],
        "responsible_unit": "banner-civil-affairs-bureau", "effective_from": "2025-01-01", **parts,
    }
    assert check_schema("matter", doc) == []
    filled = fill_defaults("matter", doc)
    assert check_matter(filled, {"banner-civil-affairs-bureau"}, {"elderly_care"}, set()) == []
    return compile_matter(filled)


SUPPORT = compiled(
    promised_limit={"unit": "on_the_spot", "note": "材料齐全的当场办结"},
    statutory_limit={"unit": "on_the_spot"},
    fees=[{"name": "工本费", "standard": "每证10元", "basis": "某某文件", "reducible": "低保对象免收"}],
    fields=[
        {"id": "applicant_type", "label": "办理人", "type": "choice", "required": True, "options": [
            {"value": "self", "label": "本人"}, {"value": "agent", "label": "委托代理人"}]},
        {"id": "members", "label": "家庭成员", "type": "group", "fields": [
            {"id": "member_name", "label": "姓名", "type": "text", "required": True},
            {"id": "disabled", "label": "是否残疾", "type": "boolean"},
        ]},
    ],
    conditions=[{"id": "hukou", "text": "具有本旗户籍"}],
    exclusions=[{"id": "duplicate", "text": "已享受同类补助的"}],
    materials=[
        {"id": "disability_certificate", "name": "残疾人证", "copies": 1,
         "required_when": "members != null && members.exists(m, m.disabled == true)",
         "alternatives": [{"id": "disability_assessment", "name": "残疾评定结论", "copies": 1}],
         "fallback": {"id": "village_proof", "name": "嘎查村委会出具的证明", "originals": 1,
                      "specification": "加盖村委会公章"},
         "deferrable": {"within": {"amount": 10, "unit": "natural_days"}, "note": "可先受理，10日内补交"}},
        {"id": "id_card", "name": "居民身份证", "originals": 1, "copies": 2,
         "exempt_with_electronic_licence": True},
        {"id": "commission", "name": "代办服务委托书", "originals": 1, "applicant_types": ["agent"]},
        {"id": "photo", "name": "近期免冠照片", "originals": 2, "necessity": "optional"},
        {"id": "income_check", "name": "家庭收入核对", "verified_by_department": True,
         "source": "government", "source_note": "民政局核对"},
    ],
)


def material(notice, material_id):
    return next(m for m in notice.materials if m.id == material_id)


@pytest.mark.parametrize("applicant_type, agent_card, commission", [
    ("self", NOT_NEEDED, NOT_NEEDED),
    ("family", NEEDED, NOT_NEEDED),
    ("agent", NEEDED, NEEDED),
    (None, DEPENDS, DEPENDS),
])
def test_materials_for_some_applicants_follow_the_chosen_applicant_type(applicant_type, agent_card,
                                                                         commission):
    notice = one_time_notice(ELDERLY, {"applicant_type": applicant_type}, TODAY)
    assert material(notice, "agent_id_card").status == agent_card
    assert material(notice, "commission").status == commission
    assert material(notice, "commission").when == "办理人为“委托代理人（帮办代办员）”时需要"
    assert material(notice, "agent_id_card").when == (
        "办理人为“子女或其他近亲属”或“委托代理人（帮办代办员）”时需要")
    assert material(notice, "id_card").status == NEEDED and material(notice, "id_card").when is None
    if applicant_type is None:
        assert material(notice, "commission").waiting_for == ("办理人",)


def person(health="healthy", **values):
    return {"member_name": "张三", "member_id_number": BORN_1980, "relation": "self", "health": health,
            "work_status": "farming", "income": 300, **values}


def test_conditional_materials_follow_what_was_entered_and_wait_while_it_is_missing():
    disabled = one_time_notice(DIBAO, {"members": [person(), person("disabled", disability_level="2")]},
                               TODAY)
    assert material(disabled, "disability_card").status == NEEDED
    assert material(disabled, "illness_proof").status == NOT_NEEDED
    ill = one_time_notice(DIBAO, {"members": [person("serious_illness")]}, TODAY)
    assert material(ill, "disability_card").status == NOT_NEEDED
    assert material(ill, "illness_proof").status == NEEDED
    assert material(ill, "illness_proof").deferrable_label == (
        "容缺受理：可在10个工作日内补交（可在入户调查结束前补交）")
    unknown = one_time_notice(DIBAO, {}, TODAY)
    assert material(unknown, "disability_card").status == DEPENDS
    assert material(unknown, "disability_card").waiting_for == ("共同生活的家庭成员",)
    half = one_time_notice(DIBAO, {"members": [person(health=None)]}, TODAY)
    assert material(half, "disability_card").status == DEPENDS  # an entry still lacks its health


def test_alternatives_fallback_deferral_and_department_checks_are_shown_as_such():
    notice = one_time_notice(SUPPORT, {"applicant_type": "self",
                                       "members": [{"member_name": "李四", "disabled": True}]}, TODAY)
    certificate = material(notice, "disability_certificate")
    assert certificate.status == NEEDED
    assert certificate.choice_label == "残疾人证 或 残疾评定结论"
    assert certificate.fallback.name == "嘎查村委会出具的证明"
    assert certificate.fallback.count_label == "原件1份"
    assert certificate.fallback.specification == "加盖村委会公章"
    assert certificate.deferrable_within == "10个自然日"
    assert certificate.deferrable_label == "容缺受理：可在10个自然日内补交（可先受理，10日内补交）"
    id_card = material(notice, "id_card")
    assert id_card.count_label == "原件1份、复印件2份"
    assert id_card.exempt_label == "能调取电子证照的，免于提交"
    check = material(notice, "income_check")
    assert check.count_label == "部门核验，无需提交" and check.source_label == "政府部门核发"
    assert not check.to_hand_in
    assert material(notice, "photo").optional and not material(notice, "photo").to_hand_in
    assert material(notice, "commission").status == NOT_NEEDED
    # what the applicant brings: the certificate (1 copy) and the ID card (1 original, 2 copies)
    assert (notice.total_originals, notice.total_copies) == (1, 3)
    no_disability = one_time_notice(SUPPORT, {"members": [{"member_name": "李四"}]}, TODAY)
    assert material(no_disability, "disability_certificate").status == NOT_NEEDED


def test_limits_fee_unit_and_where_to_go_come_from_the_matter():
    notice = one_time_notice(ELDERLY, {}, TODAY)
    assert (notice.code, notice.version, notice.name) == ("YLFW-0001", 1, "80周岁以上老年人高龄津贴申领")
    assert notice.issued_on == TODAY
    assert notice.promised_limit == "10个工作日（每月20日前受理并审核通过的，自次月起发放）"
    assert notice.statutory_limit == "20个工作日"
    assert notice.free and notice.fee_label == "不收费"
    assert notice.responsible_unit == "banner-civil-affairs-bureau"
    assert notice.consultation_phone == "0482-6012306" and notice.complaint_phone == "12345"
    assert notice.place.startswith("户籍所在嘎查村便民服务站") and notice.hours.startswith("工作日")
    assert notice.application_windows[0].startswith("每月 1 日至 20 日")
    assert notice.visits_required == 0
    on_the_spot = one_time_notice(SUPPORT, {}, TODAY)
    assert on_the_spot.on_the_spot and on_the_spot.promised_limit == "即办（材料齐全的当场办结）"
    assert not on_the_spot.free and on_the_spot.fee_label == "工本费：每证10元"


def test_conditions_and_exclusions_are_listed_in_words_with_their_standing():
    notice = one_time_notice(ELDERLY, {"id_number": BORN_1949}, datetime.date(2030, 1, 1),
                             confirmed={"hukou"})
    assert [(c.text, c.status) for c in notice.conditions] == [("年满80周岁", MET), ("具有本旗户籍", MET)]
    assert [e.text for e in notice.exclusions] == [
        "已在其他地区领取高龄津贴的", "老年人已死亡的", "正在服刑的（服刑期间暂停发放）"]
    assert notice.exclusions[1].status == JUDGEMENT


@pytest.mark.parametrize("code", sorted(CATALOG.matters))
def test_every_shipped_matter_has_a_notice_for_an_empty_form(code):
    matter = CATALOG.matters[code]
    notice = one_time_notice(matter, {}, TODAY)
    assert [m.id for m in notice.materials] == [m.id for m in matter.materials]
    for m, source in zip(notice.materials, matter.materials, strict=True):
        # Nothing entered: a conditional material is open, or ruled out by an optional field left empty.
        assert m.status in ((DEPENDS, NOT_NEEDED) if source.conditional else (NEEDED,))
