"""受理并建档 and 只是咨询 from the intake form: nothing typed is lost, whatever stops them; who acts
(本人、监护人、委托代理人) is checked and kept with the case."""

import datetime
import re
import sqlite3

import pytest

import daiban.db
from case_screens import BORN_1940, PASSWORD, elderly_form, make_site, signed_in
from conftest import CONFIG, TODAY, matter_doc, write_matter
from daiban.catalog import idnumbers
from daiban.catalog.loader import load_catalog
from daiban.models import AuditLog, Case, Consultation
from daiban.publishing import publish_catalog, published_states

GUARDIAN_ID = "15222319800101003X"  # an adult


def resident_id(first17: str) -> str:
    """A resident ID number with its right check digit."""
    total = sum(int(d) * w for d, w in zip(first17, idnumbers.ID_WEIGHTS, strict=True))
    return first17 + idnumbers.ID_CHECK[total % 11]


def born_years_ago(years: int, serial: str = "001") -> str:
    """The ID number of someone who turned `years` on 1 January of this year."""
    return resident_id(f"152223{datetime.date.today().year - years}0101{serial}")


@pytest.fixture
def site(db_url, db, tmp_path):
    return make_site(db_url, tmp_path / "uploads")


def post_open(client, data, url="/admin/intake/YLFW-0001/open"):
    return client.post(url, data=data)


def field_block(page: str, name: str) -> str:
    """The HTML from a control's name to the next form group: where its messages stand."""
    start = page.index(f'name="{name}"')
    end = page.find('class="form-group', start)
    return page[start:end if end > 0 else start + 3000]


# --- 1. the form comes back as typed -----------------------------------------------------------

def test_one_typo_in_the_id_number_brings_back_every_value_and_the_error_beside_the_field(site):
    client = signed_in(site, "village")
    typo = BORN_1940[:-1] + "6"  # one wrong digit: the check digit no longer fits
    response = post_open(client, elderly_form(id_number=typo, mode="assist", channel="home_visit"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and Case.select().count() == 0
    assert "表单还有" not in page and "请点“检查”查看" not in page
    assert "有 1 处需要修改" in page and "本次没有建档" in page
    assert re.search(r'<a href="#f-id_number">[^<]*校验位不对', page)  # the error summary's link
    for value in ("巴特尔", typo, "13900000001", "152223", "农村信用社", "6230000000000000"):
        assert f'value="{value}"' in page, value
    assert "校验位不对" in field_block(page, "id_number")
    assert '<option value="home_visit" selected>' in page  # the channel as chosen
    assert page.count('type="checkbox" name="confirmed"') == page.count('name="confirmed" value=') \
        and " checked>" in page  # the confirmed conditions stay ticked


def test_a_missing_field_is_named_beside_it_and_the_rest_stays(site):
    client = signed_in(site, "village")
    page = post_open(client, elderly_form(bank_name="")).get_data(as_text=True)
    assert Case.select().count() == 0
    assert "请填写“" in field_block(page, "bank_name")
    assert 'value="巴特尔"' in page and f'value="{BORN_1940}"' in page


def test_the_household_table_keeps_every_row(site):
    client = signed_in(site, "village")
    rows = {
        "members-0-member_name": "巴特尔", "members-0-member_id_number": BORN_1940,
        "members-0-relation": "self",
        "members-1-member_name": "其其格", "members-1-member_id_number": "15222319420101002",  # 17
        "members-1-relation": "spouse",
    }
    page = post_open(client, {**rows, "mode": "assist", "channel": "window"},
                     url="/admin/intake/SHJZ-0001/open").get_data(as_text=True)
    assert Case.select().count() == 0
    assert 'value="其其格"' in page and 'value="15222319420101002"' in page and 'value="巴特尔"' in page
    assert 'name="members-1-member_name"' in page and 'name="members-2-member_name"' not in page
    assert "应为 18 位" in field_block(page, "members-1-member_id_number")


def test_an_ineligible_applicant_comes_back_with_the_reason_and_the_values(site):
    client = signed_in(site, "village")
    page = post_open(client, elderly_form(id_number="152223195601010021")).get_data(as_text=True)
    assert "不符合受理条件" in page and "本次没有建档" in page and 'value="152223195601010021"' in page
    assert Case.select().count() == 0


def test_a_duplicate_case_comes_back_as_typed_with_a_link_to_the_case_in_progress(site):
    client = signed_in(site, "village")
    assert post_open(client, elderly_form()).status_code == 302
    first = Case.get()
    page = post_open(client, elderly_form(phone="13900000009")).get_data(as_text=True)
    assert Case.select().count() == 1
    assert f"该申请人已有在办的同一事项办件 {first.number}" in field_block(page, "id_number")
    assert f'href="/admin/cases/{first.id}/"' in page and 'value="13900000009"' in page


def test_the_old_address_of_the_case_screens_answers_the_same_way(site):
    client = signed_in(site, "village")
    page = client.post("/admin/cases/open/YLFW-0001/", data=elderly_form(name="")).get_data(as_text=True)
    assert "有 1 处需要修改" in page and f'value="{BORN_1940}"' in page


def test_a_form_of_an_older_matter_version_is_checked_again_and_comes_back(site):
    client = signed_in(site, "village")
    page = post_open(client, elderly_form(version="0")).get_data(as_text=True)
    assert "本事项已更新为第 1 版（您打开页面时是第 0 版），本次没有建档" in page
    assert 'value="巴特尔"' in page and Case.select().count() == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_busy_database_answers_503_with_the_form_as_typed(site, db_url, monkeypatch):
    monkeypatch.setitem(daiban.db.SQLITE_PRAGMAS, "busy_timeout", 50)
    client = signed_in(site, "village")
    holder = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        response = post_open(client, elderly_form())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "系统繁忙，本次没有建档。您填写的内容都保留着" in page and 'value="6230000000000000"' in page
    assert Case.select().count() == 0
    assert post_open(client, elderly_form()).status_code == 302  # the same post, once free


def test_a_stale_page_after_signing_in_again_comes_back_as_typed(db_url, db, tmp_path):
    from daiban.web import create_app

    make_site(db_url, tmp_path / "uploads")
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG),
                      "UPLOAD_DIR": str(tmp_path / "uploads")})  # CSRF on
    client = app.test_client()

    def token(path):
        page = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)[1]

    client.post("/login", data={"username": "village", "password": PASSWORD, "csrf_token": token("/login")})
    old = token("/admin/intake/YLFW-0001/")
    client.get("/logout")  # signed in again (here or in another tab): the old page's token is dead
    client.post("/login", data={"username": "village", "password": PASSWORD, "csrf_token": token("/login")})
    response = client.post("/admin/intake/YLFW-0001/open", data={**elderly_form(), "csrf_token": old})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and Case.select().count() == 0
    assert "页面已过期" in page and "您填写的内容都保留着" in page
    assert 'value="巴特尔"' in page and f'value="{BORN_1940}"' in page
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post("/admin/intake/YLFW-0001/open",
                       data={**elderly_form(), "csrf_token": fresh}).status_code == 302
    assert Case.select().count() == 1


# --- 2. a consultation is asked for, with a note ---------------------------------------------

def test_a_consultation_needs_a_one_line_note(site):
    client = signed_in(site, "village")
    page = client.post("/admin/intake/YLFW-0001/consult",
                       data=elderly_form(**{"consult-note": "  "})).get_data(as_text=True)
    assert not Consultation.select().exists()
    assert "请写一句咨询了什么" in field_block(page, "consult-note")
    assert 'value="巴特尔"' in page  # the application typed so far is still there
    response = client.post("/admin/intake/YLFW-0001/consult",
                           data=elderly_form(**{"consult-note": "问高龄津贴\n怎么领"}))
    assert response.status_code == 302
    assert Consultation.get().note == "问高龄津贴 怎么领"
    assert AuditLog.select().where(AuditLog.object_type == "consultation").count() == 1


def test_the_consultation_button_asks_before_it_records(site):
    page = signed_in(site, "village").get("/admin/intake/YLFW-0001/").get_data(as_text=True)
    button = re.search(r'<button[^>]*formaction="/admin/intake/YLFW-0001/consult"[^>]*>', page)[0]
    assert 'data-confirm="记为一次咨询，不建档？' in button
    assert 'name="consult-note"' in page


# --- 3. who acts -------------------------------------------------------------------------------

def support_form(id_number, **overrides):
    """特困人员救助供养 (SHJZ-0003) filled for an applicant with this ID number."""
    values = {"name": "小明", "id_number": id_number, "hukou_address": "152223",
              "applicant_type": "self", "has_disability_card": "false", "monthly_income": "0",
              "local_dibao_standard": "800", "mode": "assist", "channel": "window"}
    values.update(overrides)
    return values


def test_a_ten_year_old_cannot_open_a_support_case_alone(site):
    client = signed_in(site, "village")
    page = post_open(client, support_form(born_years_ago(10)),
                     url="/admin/intake/SHJZ-0003/open").get_data(as_text=True)
    assert Case.select().count() == 0
    assert "申请人未满 18 周岁（按公民身份号码为 10 周岁），不能本人申请，须由监护人申请" in \
        field_block(page, "acting-role")


def test_a_guardian_needs_name_relation_and_a_valid_adult_id_number(site):
    client = signed_in(site, "village")
    page = post_open(client, support_form(born_years_ago(10), applicant_type="guardian",
                                          **{"acting-role": "guardian",
                                             "acting-guardian_id_number": born_years_ago(15, "002")}),
                     url="/admin/intake/SHJZ-0003/open").get_data(as_text=True)
    assert Case.select().count() == 0
    assert "请填写监护人姓名" in field_block(page, "acting-guardian_name")
    assert "请选择监护人与申请人的关系" in field_block(page, "acting-guardian_relation")
    assert "监护人须年满 18 周岁（按号码为 15 周岁）" in field_block(page, "acting-guardian_id_number")


def test_lacking_capacity_as_recorded_means_not_in_person(site):
    client = signed_in(site, "village")
    page = post_open(client, elderly_form(**{"acting-role": "self", "acting-incapable": "true"})
                     ).get_data(as_text=True)
    assert Case.select().count() == 0
    assert "申请人为无民事行为能力或限制民事行为能力人，不能本人申请，须由监护人申请" in page


@pytest.fixture
def guardian_matters(site, config_dir):
    """Two simple matters without conditions: one a guardian may apply for, one only in person."""
    for code, allowed in (("TEST-0007", True), ("TEST-0008", False)):
        write_matter(config_dir, matter_doc(code=code, name=f"测试事项{code[-1]}", guardian_allowed=allowed,
                                            levels=["village"], conditions=[]))
    publish_catalog(load_catalog(config_dir, today=TODAY, published=published_states()).catalog, "t")
    return site


def test_a_guardian_opens_the_case_of_a_minor_and_is_kept_with_it_sealed(guardian_matters):
    from daiban.cases.applicant import acting_person, reveal_guardian_id_number
    from daiban.models import User

    client = signed_in(guardian_matters, "village")
    child = born_years_ago(7)
    response = post_open(client, {
        "name": "小花", "id_number": child, "mode": "assist", "channel": "window",
        "acting-role": "guardian", "acting-guardian_name": "娜仁", "acting-guardian_relation": "parent",
        "acting-guardian_id_number": GUARDIAN_ID}, url="/admin/intake/TEST-0007/open")
    assert response.status_code == 302
    case = Case.get()
    acting = acting_person(case)
    assert (acting.role, acting.label, acting.name, acting.relation) == ("guardian", "监护人", "娜仁", "父母")
    assert acting.id_number_masked == "152223********003X"
    assert GUARDIAN_ID not in case.values  # stored sealed, like every ID number
    assert reveal_guardian_id_number(case, by=User.get(User.username == "village"),
                                     reason="打印委托书") == GUARDIAN_ID
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "监护人：娜仁（父母，公民身份号码 152223********003X）" in page and GUARDIAN_ID not in page


def test_where_guardians_are_not_allowed_a_guardian_is_refused_and_a_minor_cannot_apply(guardian_matters):
    client = signed_in(guardian_matters, "village")
    child = born_years_ago(7)
    base = {"name": "小花", "id_number": child, "mode": "assist", "channel": "window"}
    page = post_open(client, {**base, "acting-role": "guardian", "acting-guardian_name": "娜仁",
                              "acting-guardian_relation": "parent", "acting-guardian_id_number": GUARDIAN_ID},
                     url="/admin/intake/TEST-0008/open").get_data(as_text=True)
    assert "事项“测试事项8”不接受监护人代为申请" in field_block(page, "acting-role")
    page = post_open(client, {**base, "acting-role": "self"},
                     url="/admin/intake/TEST-0008/open").get_data(as_text=True)
    assert "不能本人申请；本事项不接受监护人代为申请，不能受理" in page
    assert Case.select().count() == 0


def test_an_adult_applies_in_person_and_the_case_says_so(guardian_matters):
    from daiban.cases.applicant import acting_person

    client = signed_in(guardian_matters, "village")
    response = post_open(client, {"name": "巴特尔", "id_number": BORN_1940, "mode": "assist",
                                  "channel": "window", "acting-role": "self"},
                         url="/admin/intake/TEST-0007/open")
    assert response.status_code == 302
    acting = acting_person(Case.get())
    assert (acting.role, acting.name, acting.guardian) == ("self", "巴特尔", False)


def test_the_agent_as_commissioned_representative_comes_from_the_account(site):
    from daiban.cases.applicant import acting_person

    client = signed_in(site, "village")
    response = post_open(client, elderly_form(mode="proxy", applicant_type="agent",
                                              agent_id_number="15222319800101003X"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = Case.get()
    acting = acting_person(case)
    assert (acting.role, acting.label, acting.name) == ("agent", "委托代理人", "周代办")
    assert acting.username == "village"
    assert case.form_values["agent_name"] == "周代办"  # the matter's own field, not retyped
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "委托代理人：周代办" in page


def test_the_agents_id_number_comes_from_their_agent_profile_and_is_kept_sealed(site):
    from daiban.cases import personal
    from daiban.cases.applicant import acting_person
    from daiban.models import Agent, User

    village = User.get(User.username == "village")
    Agent.create(name="周代办", center=village.center, user=village, id_number="15222319800101003X")
    client = signed_in(site, "village")
    response = post_open(client, elderly_form(mode="proxy", applicant_type="agent"))  # typed neither
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = Case.get()
    assert personal.reveal_values(case, by="tester")["agent_id_number"] == "15222319800101003X"
    assert personal.masked_values(case)["agent_id_number"] == "152223********003X"
    acting = acting_person(case)
    assert (acting.name, acting.id_number_masked) == ("周代办", "152223********003X")
    stored = Agent._meta.database.execute_sql("SELECT id_number FROM agent").fetchone()[0]
    assert stored.startswith("sm4:") and "003X" not in stored


def test_without_an_id_number_on_the_profile_the_agent_types_it_and_is_told_where(site):
    client = signed_in(site, "village")
    page = post_open(client, elderly_form(mode="proxy", applicant_type="agent")).get_data(as_text=True)
    assert "办理人公民身份号码" in field_block(page, "agent_id_number")
    assert Case.select().count() == 0


def test_acting_in_person_in_a_proxy_case_is_refused_beside_the_field(site):
    client = signed_in(site, "village")
    page = post_open(client, elderly_form(mode="proxy", **{"acting-role": "self"})).get_data(as_text=True)
    assert "代办（凭委托书）由代办员作为委托代理人办理" in field_block(page, "acting-role")
    assert Case.select().count() == 0


def test_the_live_check_says_when_a_guardian_is_needed(site):
    client = signed_in(site, "village")
    state = client.post("/admin/intake/SHJZ-0003/check", data=support_form(born_years_ago(10))).get_json()
    assert state["acting"]["guardian"] is False
    assert "不能本人申请" in state["acting"]["errors"]["acting.role"][0]
    state = client.post("/admin/intake/SHJZ-0003/check",
                        data=support_form(born_years_ago(10), **{"acting-role": "guardian"})).get_json()
    assert state["acting"]["guardian"] is True


def test_the_commission_and_the_slips_name_who_acts_and_the_guardian_behind_the_agent(guardian_matters):
    from daiban.cases import documents
    from daiban.models import CaseEvent, Commission

    client = signed_in(guardian_matters, "village")
    response = post_open(client, {
        "name": "小花", "id_number": born_years_ago(7), "mode": "proxy", "channel": "window",
        "acting-guardian_name": "娜仁", "acting-guardian_relation": "parent",
        "acting-guardian_id_number": GUARDIAN_ID}, url="/admin/intake/TEST-0007/open")
    assert response.status_code == 302
    case = Case.get()
    client.post(f"/admin/cases/{case.id}/commission/draft")
    agreement = Commission.get()
    printed = client.get(f"/admin/cases/{case.id}/commission/{agreement.id}/print").get_data(as_text=True)
    assert "委托人的监护人（代为签署）" in printed and "娜仁（父母）" in printed
    assert "152223********003X" in printed and GUARDIAN_ID not in printed  # masked by default
    from daiban.cases.commission import document_text
    from daiban.models import User

    full = document_text(agreement, reveal_by=User.get(User.username == "village"))
    assert ("监护人公民身份号码", GUARDIAN_ID) in full["parties"]  # in full only when revealed: audited
    assert AuditLog.select().where(AuditLog.summary.contains("监护人公民身份号码")).exists()
    client.post(f"/admin/cases/{case.id}/act", data={"transition": "accept", "lock_version": 0})
    assert CaseEvent.select().count() == 2
    slip = documents.issued(Case.get(), guardian_matters.extensions["daiban"].workflow)[0]
    page = client.get(f"/admin/cases/{case.id}/documents/{slip.event_id}").get_data(as_text=True)
    assert "委托代理人：周代办（监护人 娜仁，父母，152223********003X）" in page
    assert GUARDIAN_ID not in page
