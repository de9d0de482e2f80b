"""A case's materials checklist: built from the one-time notice, received, deferred (容缺), supplied."""

from __future__ import annotations

import datetime

import peewee
import pytest

import test_cases_service
from daiban.cases.materials import (
    MaterialRefused,
    build_checklist,
    checklist_built,
    checklist_complete,
    defer,
    events,
    mark_not_needed,
    missing,
    outstanding,
    receive,
    supply,
)
from daiban.cases.service import CaseConflict, TransitionRefused, history, open_case
from daiban.catalog.checks import check_matter
from daiban.catalog.compile import compile_matter
from daiban.catalog.schemas import check_schema, fill_defaults
from daiban.models import CaseMaterial, CaseMaterialEvent, ImmutableRecordError
from test_cases_service import (
    CALENDAR,
    CENTER_OF,
    ELDERLY,
    ID_NUMBER,
    OPENED,
    WORKFLOW,
    act,
    drive_to,
    elderly_values,
    new_case,
)

D = datetime.date

world = test_cases_service.world  # the case tests' fixture: the organisation and a user per role


def compiled(**parts):
    """A small matter, checked and compiled like a config file."""
    doc = {
        "code": "TEST-0001", "version": 1, "name": "残疾家庭补助申请", "domain": "disability",
        "matter_type": "administrative_payment", "levels": ["village"],
        "responsible_unit": "banner-civil-affairs-bureau", "effective_from": "2025-01-01",
        "promised_limit": {"amount": 10, "unit": "working_days"}, **parts,
    }
    assert check_schema("matter", doc) == []
    filled = fill_defaults("matter", doc)
    assert check_matter(filled, {"banner-civil-affairs-bureau"}, {"disability"}, set()) == []
    return compile_matter(filled)


SUPPORT = compiled(
    fields=[
        {"id": "name", "label": "姓名", "type": "text", "required": True},
        {"id": "id_number", "label": "公民身份号码", "type": "id_number", "required": True},
        {"id": "applicant_type", "label": "办理人", "type": "choice", "required": True, "options": [
            {"value": "self", "label": "本人"}, {"value": "agent", "label": "委托代理人"}]},
        {"id": "disabled", "label": "家庭成员是否有残疾人", "type": "boolean", "required": True},
    ],
    materials=[
        {"id": "disability_certificate", "name": "残疾人证", "copies": 1,
         "required_when": "disabled == true",
         "alternatives": [{"id": "disability_assessment", "name": "残疾评定结论", "copies": 2}],
         "fallback": {"id": "village_proof", "name": "嘎查村委会出具的证明", "originals": 1},
         "deferrable": {"within": {"amount": 5, "unit": "working_days"}}},
        {"id": "id_card", "name": "居民身份证", "originals": 1, "copies": 2,
         "exempt_with_electronic_licence": True},
        {"id": "hukou_book", "name": "户口簿", "copies": 1,
         "deferrable": {"within": {"amount": 10, "unit": "natural_days"}}},
        {"id": "bank_card", "name": "银行卡", "copies": 1},
        {"id": "commission", "name": "代办服务委托书", "originals": 1, "applicant_types": ["agent"]},
        {"id": "photo", "name": "近期免冠照片", "originals": 2, "necessity": "optional"},
        {"id": "income_check", "name": "家庭收入核对", "verified_by_department": True,
         "source": "government"},
    ],
)


def support_case(world, mode="assist", today=OPENED, **values):
    form = {"name": "巴特尔", "id_number": ID_NUMBER, "applicant_type": "self", "disabled": True}
    form.update(values)
    return open_case(SUPPORT, 1, {k: v for k, v in form.items() if v is not None}, mode, "window",
                     world.users["village_agent"], world.centers[CENTER_OF["village_agent"]], today,
                     CALENDAR, workflow=WORKFLOW)


def row(case, material_id) -> CaseMaterial:
    return CaseMaterial.get((CaseMaterial.case == case.id) & (CaseMaterial.material_id == material_id))


def agent(world):
    return world.users["village_agent"]


# --- building ----------------------------------------------------------------------------------

def test_the_checklist_is_what_the_notice_asks_for_this_case(world):
    case = support_case(world)
    assert not checklist_built(case) and not checklist_complete(case)
    rows = build_checklist(case, SUPPORT, OPENED)
    # 委托书 is only for an agent applying; the rest in the matter's order
    assert [(r.material_id, r.name, r.originals_required, r.copies_required, r.status) for r in rows] == [
        ("disability_certificate", "残疾人证", 0, 1, "pending"),
        ("id_card", "居民身份证", 1, 2, "pending"),
        ("hukou_book", "户口簿", 0, 1, "pending"),
        ("bank_card", "银行卡", 0, 1, "pending"),
        ("photo", "近期免冠照片", 2, 0, "pending"),
        ("income_check", "家庭收入核对", 0, 0, "verified"),
    ]
    certificate = rows[0]
    assert certificate.deferrable_label == "5个工作日" and rows[2].deferrable_label == "10个自然日"
    assert rows[3].deferrable_label is None
    assert certificate.option_list == [
        {"id": "disability_assessment", "name": "残疾评定结论", "originals": 0, "copies": 2,
         "kind": "alternative"},
        {"id": "village_proof", "name": "嘎查村委会出具的证明", "originals": 1, "copies": 0,
         "kind": "fallback"}]
    assert rows[1].exempt_with_electronic_licence and rows[4].optional and rows[5].verified_by_department
    # the optional photo and the department's own check never hold the case up
    assert [r.material_id for r in missing(case)] == ["disability_certificate", "id_card", "hukou_book",
                                                       "bank_card"]
    assert checklist_built(case) and not checklist_complete(case)


def test_building_again_changes_nothing(world):
    case = support_case(world)
    first = build_checklist(case, SUPPORT, OPENED)
    receive(first[3], 0, 1, agent(world), today=OPENED)
    again = build_checklist(case, SUPPORT, D(2026, 9, 22))
    assert [r.id for r in again] == [r.id for r in first]
    assert row(case, "bank_card").status == "received"
    assert [e.action for e in events(case)] == ["material:build", "material:receive"]


def test_the_form_decides_which_conditional_materials_are_on_it(world):
    agent_applies = build_checklist(support_case(world, mode="proxy", applicant_type="agent",
                                                 disabled=False), SUPPORT, OPENED)
    ids = [r.material_id for r in agent_applies]
    assert "commission" in ids and "disability_certificate" not in ids


def test_a_material_the_form_cannot_decide_yet_must_be_settled_by_a_person(world):
    case = support_case(world, disabled=None)
    build_checklist(case, SUPPORT, OPENED)
    certificate = row(case, "disability_certificate")
    assert certificate.notice_status == "depends" and certificate in missing(case)
    with pytest.raises(MaterialRefused, match="请写明核实情况"):
        mark_not_needed(certificate, agent(world), "  ")
    certificate = mark_not_needed(certificate, agent(world), "经入户核实，家庭成员均无残疾", today=OPENED)
    assert certificate.status == "not_needed" and certificate.status_label == "经核实不需要"
    assert certificate not in missing(case)
    with pytest.raises(MaterialRefused, match="“银行卡”是一次性告知中必须提交的材料，不能标为不需要"):
        mark_not_needed(row(case, "bank_card"), agent(world), "申请人说没有")


def test_a_matter_without_materials_to_hand_in_is_complete_once_built(world):
    plain = compiled(code="TEST-0002", fields=[{"id": "disabled", "label": "是否残疾", "type": "boolean"}],
                     materials=[{"id": "disability_certificate", "name": "残疾人证", "copies": 1,
                                 "required_when": "disabled == true"}])
    case = open_case(plain, 1, {"disabled": False}, "assist", "window", agent(world),
                     world.centers[CENTER_OF["village_agent"]], OPENED, CALENDAR, workflow=WORKFLOW)
    assert not checklist_complete(case)
    build_checklist(case, plain, OPENED)
    assert checklist_complete(case)
    assert events(case)[0].note == "无需申请人提交材料"


def test_the_checklist_must_be_of_the_case_s_own_matter(world):
    case = support_case(world)
    with pytest.raises(MaterialRefused, match="办理的是 TEST-0001 第1版，不是 YLFW-0001"):
        build_checklist(case, ELDERLY, OPENED)


# --- receiving ---------------------------------------------------------------------------------

def test_receiving_counts_originals_and_copies(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    card = receive(row(case, "id_card"), 1, 1, agent(world), "复印件少一份", today=OPENED)
    assert (card.status, card.status_label, card.originals_received, card.copies_received) == (
        "short", "份数不足", 1, 1)
    assert card in missing(case)
    card = receive(card, 0, 1, agent(world), today=D(2026, 9, 22))
    assert (card.status, card.copies_received, card.received_on) == ("received", 2, D(2026, 9, 22))
    assert card not in missing(case)
    with pytest.raises(MaterialRefused, match="“居民身份证”已收取，无需再收取"):
        receive(card, 1, 0, agent(world))
    with pytest.raises(MaterialRefused, match="请填写收到“银行卡”的原件或复印件份数"):
        receive(row(case, "bank_card"), 0, 0, agent(world))
    with pytest.raises(MaterialRefused, match="复印件份数应为不小于 0 的整数"):
        receive(row(case, "bank_card"), 0, -1, agent(world))


def test_an_alternative_or_the_fallback_may_be_handed_in_instead(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    certificate = row(case, "disability_certificate")
    with pytest.raises(MaterialRefused,
                       match="“残疾证明”不是“残疾人证”的可替代材料；可替代的有：残疾评定结论"):
        receive(certificate, 0, 1, agent(world), alternative="残疾证明")
    # the alternative asks for two copies, not the certificate's one
    short = receive(certificate, 0, 1, agent(world), alternative="disability_assessment", today=OPENED)
    assert (short.status, short.received_as, short.received_as_name) == ("short", "disability_assessment",
                                                                          "残疾评定结论")
    done = receive(short, 1, 0, agent(world), "村委会证明", alternative="village_proof", today=OPENED)
    assert (done.status, done.received_as_name, done.originals_received, done.copies_received) == (
        "received", "嘎查村委会出具的证明", 1, 0)  # a different choice starts its own count
    assert [(e.action, e.received_as, e.to_status) for e in events(case)[1:]] == [
        ("material:receive", "disability_assessment", "short"),
        ("material:receive", "village_proof", "received")]


def test_the_electronic_licence_replaces_paper_only_where_the_matter_allows(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    card = receive(row(case, "id_card"), 0, 0, agent(world), electronic_licence=True, today=OPENED)
    assert card.status == "received" and card.via_electronic_licence
    assert events(case)[-1].note == "电子证照核验"
    with pytest.raises(MaterialRefused, match="“银行卡”不能以电子证照代替"):
        receive(row(case, "bank_card"), 0, 0, agent(world), electronic_licence=True)
    with pytest.raises(MaterialRefused, match="“家庭收入核对”由部门核验，无需申请人提交"):
        receive(row(case, "income_check"), 1, 0, agent(world))


# --- 容缺受理 ------------------------------------------------------------------------------------

def test_deferral_defaults_to_the_end_of_its_limit_in_working_days(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    tuesday = D(2026, 9, 29)
    certificate = defer(row(case, "disability_certificate"), agent(world), None, tuesday, CALENDAR)
    # 5 working days from Tuesday 29 September 2026: 30 Sep, then 国庆节 (1–7 Oct), 8, 9 Oct, Saturday
    # 10 Oct (an adjusted working day) and Monday 12 Oct.
    assert (certificate.status, certificate.promised_on, certificate.deferred_on) == (
        "deferred", D(2026, 10, 12), tuesday)
    assert not certificate.promised_provisional
    hukou = defer(row(case, "hukou_book"), agent(world), None, tuesday, CALENDAR)
    assert hukou.promised_on == D(2026, 10, 9)  # 10 natural days, ending on a working day
    assert [(e.action, e.promised_on) for e in events(case)[1:]] == [
        ("material:defer", D(2026, 10, 12)), ("material:defer", D(2026, 10, 9))]


def test_deferral_into_a_year_without_a_calendar_is_provisional(world):
    case = support_case(world, today=D(2026, 12, 28))
    build_checklist(case, SUPPORT, D(2026, 12, 28))
    certificate = defer(row(case, "disability_certificate"), agent(world), None, D(2026, 12, 28), CALENDAR)
    assert certificate.promised_provisional and certificate.promised_on.year == 2027


def test_a_promised_date_must_lie_within_the_limit(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    certificate = row(case, "disability_certificate")
    with pytest.raises(MaterialRefused,
                       match="超过了容缺期限：“残疾人证”须在5个工作日内补交，即最晚 2026-10-12"):
        defer(certificate, agent(world), D(2026, 10, 13), D(2026, 9, 29), CALENDAR)
    with pytest.raises(MaterialRefused, match="早于今天"):
        defer(certificate, agent(world), D(2026, 9, 28), D(2026, 9, 29), CALENDAR)
    chosen = defer(certificate, agent(world), D(2026, 10, 9), D(2026, 9, 29), CALENDAR, "申请人周五送来")
    assert (chosen.promised_on, chosen.note) == (D(2026, 10, 9), "申请人周五送来")


def test_a_material_that_is_not_deferrable_cannot_be_deferred(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    with pytest.raises(MaterialRefused, match="“银行卡”不在容缺受理范围内，必须收齐后才能报送"):
        defer(row(case, "bank_card"), agent(world), None, OPENED, CALENDAR)
    assert row(case, "bank_card").status == "pending"
    assert [e.action for e in events(case)] == ["material:build"]


def test_outstanding_deferred_materials_and_their_supply(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    certificate = defer(row(case, "disability_certificate"), agent(world), None, D(2026, 9, 29), CALENDAR)
    hukou = defer(row(case, "hukou_book"), agent(world), D(2026, 10, 8), D(2026, 9, 29), CALENDAR)
    due = outstanding(case, D(2026, 10, 9))
    assert [(o.material.name, o.promised_on, o.overdue) for o in due] == [
        ("户口簿", D(2026, 10, 8), True), ("残疾人证", D(2026, 10, 12), False)]
    hukou = supply(hukou, agent(world), D(2026, 10, 9))
    assert (hukou.status, hukou.supplied_on, hukou.copies_received) == ("supplied", D(2026, 10, 9), 1)
    assert events(case)[-1].note == "逾期补交（承诺 2026-10-08）"
    assert [o.material.id for o in outstanding(case, D(2026, 10, 9))] == [certificate.id]
    # receiving the deferred material in full is its supply too
    certificate = receive(certificate, 0, 1, agent(world), today=D(2026, 10, 12))
    assert (certificate.status, certificate.supplied_on) == ("supplied", D(2026, 10, 12))
    assert outstanding(case, D(2026, 10, 12)) == []
    with pytest.raises(MaterialRefused, match="“银行卡”待收取，不是容缺待补的材料"):
        supply(row(case, "bank_card"), agent(world), D(2026, 10, 12))


def test_received_or_deferred_everything_completes_the_checklist(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    for material_id, counts in (("id_card", (1, 2)), ("bank_card", (0, 1))):
        receive(row(case, material_id), *counts, agent(world), today=OPENED)
    defer(row(case, "hukou_book"), agent(world), None, OPENED, CALENDAR)
    assert not checklist_complete(case, OPENED)
    defer(row(case, "disability_certificate"), agent(world), None, OPENED, CALENDAR)
    assert checklist_complete(case, OPENED)  # the photo is optional; the income check is the department's
    promised = row(case, "hukou_book").promised_on
    assert not checklist_complete(case, promised + datetime.timedelta(days=1))  # a promise broken


# --- the gate in the workflow --------------------------------------------------------------------

def test_materials_are_collected_only_with_the_checklist_complete(world):
    case = drive_to(world, support_case(world), "commission_accepted")
    with pytest.raises(TransitionRefused, match=rf"办件 {case.number} 还不能“材料收齐”：尚未生成材料清单"):
        act(world, case, "collect_materials", "village_agent", D(2026, 9, 22))
    build_checklist(case, SUPPORT, OPENED)  # every item 待收取
    with pytest.raises(TransitionRefused) as refused:
        act(world, case, "collect_materials", "village_agent", D(2026, 9, 22))
    assert str(refused.value) == (
        f"办件 {case.number} 还不能“材料收齐”：材料未收齐：残疾人证（待收取）、居民身份证（待收取）、"
        f"户口簿（待收取）、银行卡（待收取）；可容缺的材料可先登记容缺受理")
    assert [e.transition for e in history(case)][-1] == "accept"  # nothing written
    receive(row(case, "id_card"), 1, 0, agent(world), today=OPENED)
    with pytest.raises(TransitionRefused) as refused:
        act(world, case, "collect_materials", "village_agent", D(2026, 9, 22))
    assert "居民身份证（份数不足）" in str(refused.value)
    receive(row(case, "id_card"), 0, 2, agent(world), today=OPENED)
    receive(row(case, "bank_card"), 0, 1, agent(world), today=OPENED)
    for material_id in ("disability_certificate", "hukou_book"):
        defer(row(case, material_id), agent(world), None, OPENED, CALENDAR)
    case = act(world, case, "collect_materials", "village_agent", D(2026, 9, 22))
    assert case.status == "materials_collected"
    case = act(world, case, "submit", "village_agent", D(2026, 9, 22))  # an assist case: no commission
    assert case.status == "submitted"


def test_a_broken_deferral_promise_stops_the_case_going_on(world):
    case = drive_to(world, support_case(world), "commission_accepted")
    build_checklist(case, SUPPORT, OPENED)
    receive(row(case, "id_card"), 1, 2, agent(world), today=OPENED)
    receive(row(case, "bank_card"), 0, 1, agent(world), today=OPENED)
    receive(row(case, "disability_certificate"), 1, 1, agent(world), today=OPENED)
    deferred = defer(row(case, "hukou_book"), agent(world), None, OPENED, CALENDAR)
    late = deferred.promised_on + datetime.timedelta(days=1)
    broken = rf"容缺材料逾期未补交：户口簿（承诺 {deferred.promised_on} 前补交）"
    with pytest.raises(TransitionRefused, match=broken):
        act(world, case, "collect_materials", "village_agent", late)
    supply(row(case, "hukou_book"), agent(world), late)
    assert act(world, case, "collect_materials", "village_agent", late).status == "materials_collected"


# --- history, locking, ended cases ---------------------------------------------------------------

def test_every_change_leaves_an_event_and_history_cannot_be_rewritten(world, db):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED, actor=world.users["township_agent"])
    receive(row(case, "bank_card"), 0, 1, world.users["village_agent"], "核对无误", today=OPENED)
    logged = [(e.action, e.actor.username, e.role, e.from_status, e.to_status, e.copies, e.note, e.day)
              for e in events(case)]
    assert logged == [
        ("material:build", "township_agent", "township_agent", None, None, 0,
         "残疾人证、居民身份证、户口簿、银行卡、近期免冠照片、家庭收入核对", OPENED),
        ("material:receive", "village_agent", "village_agent", "pending", "received", 1, "核对无误", OPENED),
    ]
    event = events(case)[-1]
    event.note = "改写"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete_instance()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseMaterialEvent.update(note="改写").where(CaseMaterialEvent.id == event.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseMaterialEvent.delete().where(CaseMaterialEvent.id == event.id).execute()
    card = row(case, "bank_card")
    card.status = "pending"
    with pytest.raises(ImmutableRecordError):
        card.save()
    with pytest.raises(ImmutableRecordError):
        card.delete_instance()
    # what the notice asked for is fixed; the database refuses to change it or drop the row
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseMaterial.update(copies_required=0).where(CaseMaterial.id == card.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CaseMaterial.delete().where(CaseMaterial.id == card.id).execute()
    assert row(case, "bank_card").status == "received" and events(case)[-1].note == "核对无误"


def test_a_stale_row_is_a_conflict_and_nothing_is_lost(world):
    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    seen_by_a = seen_by_b = row(case, "hukou_book")
    receive(seen_by_a, 0, 1, agent(world), today=OPENED)
    with pytest.raises(CaseConflict, match="材料“户口簿”已被他人更新（现为“已收取”），请刷新后重试"):
        defer(seen_by_b, world.users["township_agent"], None, OPENED, CALENDAR)
    assert row(case, "hukou_book").status == "received"
    assert [e.action for e in events(case)] == ["material:build", "material:receive"]


def test_an_ended_case_s_checklist_is_closed_and_inactive_users_may_not_act(world):
    from daiban.models import User

    case = support_case(world)
    build_checklist(case, SUPPORT, OPENED)
    User.update(active=False).where(User.username == "township_agent").execute()
    with pytest.raises(MaterialRefused, match="账号不存在或已停用"):
        receive(row(case, "bank_card"), 0, 1, world.users["township_agent"])
    act(world, case, "terminate", "village_agent", OPENED, note="申请人撤回")
    with pytest.raises(MaterialRefused, match=r"已于 2026-09-21 终结，不能再修改"):
        receive(row(case, "bank_card"), 0, 1, agent(world))
    with pytest.raises(MaterialRefused, match="终结"):
        build_checklist(case, SUPPORT, OPENED)


def test_the_shipped_elderly_allowance_checklist(world):
    case = new_case(world, ready=False)  # applied for by an agent (委托代理人)
    rows = build_checklist(case, ELDERLY, OPENED)
    assert [r.material_id for r in rows] == ["id_card", "hukou_book", "bank_card", "photo",
                                             "application_form", "agent_id_card", "commission",
                                             "survival_check"]
    assert row(case, "hukou_book").deferrable_label == "5个工作日"
    assert row(case, "survival_check").status_label == "部门核验"
    self_case = new_case(world, ready=False, values=elderly_values(applicant_type="self",
                                                                     id_number=world.next_applicant()))
    assert "commission" not in [r.material_id for r in build_checklist(self_case, ELDERLY, OPENED)]


def test_the_tables_and_their_triggers_exist_after_upgrade(db, db_url):
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }["sqlite" if db_url.startswith("sqlite") else "postgresql"]
    names = {r[0] for r in db.execute_sql(query).fetchall()}
    for table in ("case_material", "case_material_event", "case_upload", "commission"):
        assert {f"{table}_no_update", f"{table}_no_delete"} <= names
    assert {"commission_signed_fixed", "commission_ended_fixed"} <= names
