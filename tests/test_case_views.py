"""The case screens: opening a case from the intake form, its page, transitions and conflicts."""

import re

import pytest

from case_screens import BORN_1940, ELDERLY, PASSWORD, make_site, open_elderly_case, signed_in
from conftest import TODAY
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import Case, CaseEvent, ServiceCenter
from daiban.publishing import publish_catalog


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published and three agents (see case_screens.make_site)."""
    return make_site(db_url, tmp_path / "uploads")

def test_an_eligible_form_opens_a_case_with_masked_personal_data(site):
    client = signed_in(site, "village")
    page = open_elderly_case(client).get_data(as_text=True)
    case = Case.get()
    assert f"已建档：办件编号 {case.number}" in page
    assert re.match(r"^BD\d{8}-\d{6}$", case.number)
    assert "152223********0015" in page and BORN_1940 not in page
    assert "139****0001" in page
    assert case.first_agent.username == "village" and case.mode == "assist"
    assert "<strong class=\"case-status\">已建档</strong>" in page  # the first state, in Chinese


def test_an_ineligible_form_opens_nothing(site):
    client = signed_in(site, "village")
    page = open_elderly_case(client, id_number="152223195601010021").get_data(as_text=True)
    assert "不符合受理条件" in page and "80" in page
    assert Case.select().count() == 0


def test_transitions_follow_the_workflow_and_stale_pages_conflict(site):
    village = signed_in(site, "village")
    open_elderly_case(village)
    case = Case.get()
    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert 'type="submit">受理</button>' in page  # an assist case: accepted, no commission
    for commission_like in ("受理委托", "委托书", "代办委托"):
        assert commission_like not in page, commission_like
    stale = case.lock_version
    village.post(f"/admin/cases/{case.id}/act", data={"transition": "accept", "lock_version": stale})
    assert Case.get().status == "commission_accepted"
    # A second person working from the old page gets a clear message; nothing is lost.
    township = signed_in(site, "township")
    page = township.post(f"/admin/cases/{case.id}/act", data={
        "transition": "terminate", "lock_version": stale, "note": "申请人撤回"},
        follow_redirects=True).get_data(as_text=True)
    assert "请刷新后重试" in page
    assert Case.get().status == "commission_accepted"
    assert [e.transition for e in CaseEvent.select().order_by(CaseEvent.id)] == ["open", "accept"]


def test_cases_outside_the_scope_are_not_found(site):
    open_elderly_case(signed_in(site, "village"))
    case = Case.get()
    assert signed_in(site, "township").get(f"/admin/cases/{case.id}/").status_code == 200
    assert signed_in(site, "other").get(f"/admin/cases/{case.id}/").status_code == 404


def test_the_workbench_lists_my_cases(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    page = client.get("/admin/cases/").get_data(as_text=True)
    assert "我的工作台" in page and Case.get().number in page


def test_each_matter_has_a_register_with_columns_and_filters_from_its_fields(site, config_dir):
    from conftest import matter_doc, write_matter
    from daiban.publishing import published_states

    doc = matter_doc(code="TEST-0005", levels=["village"], conditions=[], fields=[
        {"id": "name", "label": "姓名", "type": "text", "required": True, "in_register": True},
        {"id": "id_number", "label": "公民身份号码", "type": "id_number", "required": True},
        {"id": "village_group", "label": "所在小组", "type": "choice", "in_register": True,
         "options": [{"value": "g1", "label": "一组"}, {"value": "g2", "label": "二组"}]},
    ])
    write_matter(config_dir, doc)
    publish_catalog(load_catalog(config_dir, today=TODAY, published=published_states()).catalog, "t")
    client = signed_in(site, "village")
    for name, group, id_number in (("甲", "g1", BORN_1940), ("乙", "g2", "152223195601010021")):
        client.post("/admin/cases/open/TEST-0005/", data={
            "name": name, "id_number": id_number, "village_group": group, "mode": "assist",
            "channel": "window"})
    page = client.get("/admin/cases/register/TEST-0005/").get_data(as_text=True)
    assert "<th>姓名</th>" in page and "<th>所在小组</th>" in page and "公民身份号码" not in page
    assert "一组" in page and "二组" in page
    page = client.get("/admin/cases/register/TEST-0005/", query_string={"f_village_group": "g2"})
    body = page.get_data(as_text=True).split("<tbody>")[1]
    assert "二组" in body and "一组" not in body


def test_proxy_case_materials_and_commission_through_the_screens(site):
    client = signed_in(site, "village")
    open_elderly_case(client, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    assert case.mode == "proxy"
    for transition in ("accept",):
        client.post(f"/admin/cases/{case.id}/act", data={"transition": transition,
                                                          "lock_version": Case.get().lock_version})
    client.post(f"/admin/cases/{case.id}/materials/build")
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "material-checklist" in page and "生成代办服务委托书" in page
    from daiban.models import CaseMaterial, Commission

    rows = list(CaseMaterial.select().where(CaseMaterial.case == case.id))
    assert rows
    deferrable = next((r for r in rows if r.deferrable_label), None)
    for row in rows:
        if row is deferrable:
            client.post(f"/admin/cases/{case.id}/materials/{row.id}/defer")
        else:
            client.post(f"/admin/cases/{case.id}/materials/{row.id}/receive",
                        data={"originals": row.originals_required, "copies": row.copies_required})
    if deferrable is not None:
        assert CaseMaterial.get_by_id(deferrable.id).status == "deferred"
    client.post(f"/admin/cases/{case.id}/act", data={"transition": "collect_materials",
                                                      "lock_version": Case.get().lock_version})
    # Submitting a proxy case without a signed commission is refused with a clear message.
    page = client.post(f"/admin/cases/{case.id}/act", data={
        "transition": "submit", "lock_version": Case.get().lock_version},
        follow_redirects=True).get_data(as_text=True)
    assert "委托书" in page and Case.get().status == "materials_collected"
    client.post(f"/admin/cases/{case.id}/commission/draft")
    agreement = Commission.get()
    printed = client.get(f"/admin/cases/{case.id}/commission/{agreement.id}/print").get_data(as_text=True)
    assert "代办服务委托书" in printed and "152223********0015" in printed
    assert "不得" in printed
    client.post(f"/admin/cases/{case.id}/commission/{agreement.id}/sign")
    assert Commission.get_by_id(agreement.id).status == "signed"
    client.post(f"/admin/cases/{case.id}/act", data={"transition": "submit",
                                                      "lock_version": Case.get().lock_version})
    assert Case.get().status == "submitted"


def test_a_visit_without_a_case_is_counted_as_a_consultation(site):
    from daiban.models import AuditLog, Consultation

    client = signed_in(site, "village")
    asked = {"channel": "window", "note": "问高龄津贴标准"}
    page = client.post("/admin/cases/consult/YLFW-0001/", data=asked,
                       follow_redirects=True).get_data(as_text=True)
    assert "已记录为咨询" in page
    record = Consultation.get()
    assert (record.matter_code, record.agent.username) == ("YLFW-0001", "village")
    assert record.note == "问高龄津贴标准"
    assert Case.select().count() == 0
    assert '<div class="h3 mb-0 consultations">1</div>' in page
    assert AuditLog.select().where(AuditLog.object_type == "consultation").count() == 1


@pytest.mark.parametrize("channel", ["x" * 1000, "", "phone"])
def test_a_consultation_with_an_unknown_channel_is_refused(site, channel):
    from daiban.models import Consultation

    client = signed_in(site, "village")
    page = client.post("/admin/cases/consult/YLFW-0001/", data={"channel": channel, "note": "问"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请选择受理渠道" in page
    assert Consultation.select().count() == 0


def test_the_liaison_records_the_result_and_the_first_agent_sees_it(site):
    import datetime

    from daiban.cases.materials import build_checklist, checklist, receive
    from daiban.models import Department, User

    today = datetime.date.today()  # the screens act on today
    village = signed_in(site, "village")
    open_elderly_case(village)
    case = Case.get()
    agent = User.get(User.username == "village")
    build_checklist(case, ELDERLY, today, actor=agent)
    for row in checklist(case):
        if not row.verified_by_department and not row.optional:
            receive(row, row.originals_required, row.copies_required, agent, today=today)
    for step in ("accept", "collect_materials", "submit"):
        village.post(f"/admin/cases/{case.id}/act", data={"transition": step,
                                                           "lock_version": Case.get().lock_version})
    assert Case.get().status == "submitted"
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    liaison = signed_in(site, "liaison")
    liaison.post(f"/admin/cases/{case.id}/act", data={"transition": "receive",
                                                       "lock_version": Case.get().lock_version})
    page = liaison.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert 'name="result_decision"' in page
    liaison.post(f"/admin/cases/{case.id}/act", data={
        "transition": "record_result", "lock_version": Case.get().lock_version,
        "result_decision": "approved", "result_number": "民高津〔2026〕17号"})
    assert Case.get().status == "result_received"
    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "准予办理（民高津〔2026〕17号）" in page
    assert "归还材料并归档" in page  # the first agent's next step


def collected(client, case):
    """Through the screens: accept the case, take every needed material, 材料收齐."""
    from daiban.models import CaseMaterial

    client.post(f"/admin/cases/{case.id}/act", data={"transition": "accept",
                                                      "lock_version": Case.get().lock_version})
    client.post(f"/admin/cases/{case.id}/materials/build")
    for row in list(CaseMaterial.select().where(CaseMaterial.case == case.id)):
        if not row.verified_by_department and not row.optional:
            client.post(f"/admin/cases/{case.id}/materials/{row.id}/receive",
                        data={"originals": row.originals_required, "copies": row.copies_required})
    client.post(f"/admin/cases/{case.id}/act", data={"transition": "collect_materials",
                                                      "lock_version": Case.get().lock_version})
    assert Case.get().status == "materials_collected"


def test_relay_up_to_the_township_which_sees_it_in_its_queue(site):
    from daiban.models import Handoff

    village = signed_in(site, "village")
    open_elderly_case(village)
    case = Case.get()
    collected(village, case)
    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "报送上一级服务中心" in page and "音德尔镇便民服务中心" in page and "报送责任单位" in page
    # 报送 is one action, the relay form with a confirmation; no second 报送 button beside it.
    assert page.count('data-confirm="确认报送到') == 2
    assert 'name="transition" value="submit"' not in page
    township_center = ServiceCenter.get(ServiceCenter.code == "yinde-er-center")
    page = village.post(f"/admin/cases/{case.id}/relay/up", data={
        "center": township_center.id, "note": "请协调", "lock_version": Case.get().lock_version},
        follow_redirects=True).get_data(as_text=True)
    assert "已报送，等待对方接收" in page and Case.get().status == "submitted"
    leg = Handoff.get()
    assert (leg.to_center.code, leg.status) == ("yinde-er-center", "sent")
    township = signed_in(site, "township")
    assert case.number in township.get("/admin/cases/").get_data(as_text=True)  # incoming relays
    township.post(f"/admin/cases/{case.id}/relay/{leg.id}/receive")
    assert Handoff.get_by_id(leg.id).status == "received"
    # Only the receiving side may act on a leg.
    assert village.post(f"/admin/cases/{case.id}/relay/{leg.id}/finish").status_code == 403


def test_the_case_pages_department_receipt_takes_the_departments_leg(site):
    from daiban.models import Department, Handoff

    village = signed_in(site, "village")
    open_elderly_case(village)
    case = Case.get()
    collected(village, case)
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    village.post(f"/admin/cases/{case.id}/relay/departments", data={
        "department": civil.id, "lock_version": Case.get().lock_version})
    assert Case.get().status == "submitted" and Handoff.get().status == "sent"
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    liaison = signed_in(site, "liaison")
    page = liaison.post(f"/admin/cases/{case.id}/act", data={
        "transition": "receive", "lock_version": Case.get().lock_version},
        follow_redirects=True).get_data(as_text=True)
    assert "已更新：现为“部门办理中”" in page
    assert (Case.get().status, Handoff.get().status) == ("in_department", "received")
    assert Handoff.get().received_by == "liaison"


def test_a_fresh_proxy_case_is_not_sent_to_a_department_from_the_relay_form(site):
    from daiban.models import Department, Handoff

    village = signed_in(site, "village")
    open_elderly_case(village, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    for target, data in (("departments", {"department": civil.id}),
                         ("up", {"center": ServiceCenter.get(ServiceCenter.code == "yinde-er-center").id})):
        page = village.post(f"/admin/cases/{case.id}/relay/{target}", data=data,
                            follow_redirects=True).get_data(as_text=True)
        assert "当前为“已建档”，还不能报送" in page and "代办件须先签订代办服务委托书" in page
    assert Handoff.select().count() == 0 and Case.get().status == "consultation"
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    queue = signed_in(site, "liaison").get("/admin/cases/queue/").get_data(as_text=True)
    assert case.number not in queue


def test_a_form_posted_twice_opens_one_case(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    page = open_elderly_case(client).get_data(as_text=True)
    assert Case.select().count() == 1
    assert f"该申请人已有在办的同一事项办件 {Case.get().number}" in page
    assert "Traceback" not in page


def test_an_agent_outside_the_scope_learns_only_where_to_ask_and_the_lookup_is_audited(site):
    from daiban.models import AuditLog

    open_elderly_case(signed_in(site, "village"))  # 红星村; "other" sits at 河西村, outside its scope
    case = Case.get()
    page = open_elderly_case(signed_in(site, "other")).get_data(as_text=True)
    assert "该申请人已有在办的同一事项，请勿重复受理" in page
    assert case.center.name in page
    assert case.number not in page and f"/admin/cases/{case.id}/" not in page
    assert Case.select().count() == 1
    lookup = AuditLog.get((AuditLog.action == "read") & (AuditLog.object_type == "case"))
    assert (lookup.actor, lookup.object_id) == ("other", case.number)


def test_a_department_sees_the_legs_sent_to_it_in_its_queue(site):
    from daiban.models import Department

    village = signed_in(site, "village")
    open_elderly_case(village)
    case = Case.get()
    collected(village, case)
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    village.post(f"/admin/cases/{case.id}/relay/departments", data={"department": civil.id})
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    other = Department.get(Department.code != civil.code)
    create_user("liaison2", "别部门联络员", PASSWORD, ["department_liaison"], department=other)
    page = signed_in(site, "liaison").get("/admin/cases/queue/").get_data(as_text=True)
    assert "待办队列 · " + civil.name in page and case.number in page and "已转出" in page
    assert "周代办" in page and ">village<" not in page  # the sender by name, not by account
    assert case.number not in signed_in(site, "liaison2").get("/admin/cases/queue/").get_data(as_text=True)


def test_a_case_out_of_scope_is_not_found_with_a_way_back_to_the_admin(site):
    open_elderly_case(signed_in(site, "village"))
    response = signed_in(site, "other").get(f"/admin/cases/{Case.get().id}/")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "不在您的数据范围内" in page and 'href="/admin/"' in page
    assert "返回事项目录" in site.test_client().get("/matters/NOPE-0001").get_data(as_text=True)


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "1" + "0" * 30])
def test_an_id_past_the_database_range_is_not_found(site, number):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = Case.get()
    for method, url in (("GET", f"/admin/cases/{number}/"),
                        ("GET", f"/admin/cases/{case.id}/documents/{number}"),
                        ("POST", f"/admin/cases/{number}/act"),
                        ("POST", f"/admin/alerts/messages/{number}/read")):
        response = client.open(url, method=method)
        assert response.status_code == 404, url
        assert "不在您的数据范围内" in response.get_data(as_text=True), url


def test_counts_and_ids_past_the_integer_range_are_read_as_none(site):
    from daiban.models import CaseMaterial

    client = signed_in(site, "village")
    open_elderly_case(client)
    case = Case.get()
    client.post(f"/admin/cases/{case.id}/materials/build")
    row = CaseMaterial.select().where(CaseMaterial.case == case.id).first()
    big = "1" + "0" * 30
    posts = {f"materials/{row.id}/receive": {"originals": big, "copies": "2147483648"},
             "relay/up": {"center": big}, "relay/departments": {"department": [big, "²"]}}
    for path, data in posts.items():
        response = client.post(f"/admin/cases/{case.id}/{path}", data=data)
        assert response.status_code == 302, path
    received = CaseMaterial.get_by_id(row.id)
    assert (received.originals_received, received.copies_received) == (0, 0)
    assert Case.get_by_id(case.id).status == case.status
