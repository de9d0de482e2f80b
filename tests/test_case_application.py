"""The application as filled (申请表): on the case page for every role that sees the case, and
as a printable slip and PDF, laid out by the form of the version the case was opened under."""

import pytest

from case_screens import BORN_1940, PASSWORD, make_site, open_elderly_case, signed_in
from conftest import TODAY, matter_doc, needs_pdf, write_matter
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import Case, Department
from daiban.publishing import publish_catalog, published_states
from test_case_documents import pdf_text

MEMBER_ID = "15222319800101003X"


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published, three agents and a liaison of the civil affairs bureau."""
    app = make_site(db_url, tmp_path / "uploads")
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    return app


def application_part(page: str) -> str:
    return page.split('class="case-application')[1].split("<h2 class=\"h6\">申请材料</h2>")[0]


def test_every_role_that_sees_the_case_sees_the_application_as_filled(site):
    open_elderly_case(signed_in(site, "village"))
    case = Case.get()
    for who in ("village", "township", "liaison"):  # first agent, the township above, the deciding unit
        page = signed_in(site, who).get(f"/admin/cases/{case.id}/").get_data(as_text=True)
        part = application_part(page)
        assert "户籍地址" in part and "152223" in part
        assert "发放银行" in part and "农村信用社" in part
        assert "在本旗居家居住" in part and ">home<" not in part  # an option by its label
        assert "老年人本人" in part and "是否已在其他地区领取高龄津贴" in part and "<td>否</td>" in part
        assert "6**************0" in part and "6230000000000000" not in page  # personal: masked
        assert "152223********0015" in part and BORN_1940 not in page
        assert "139****0001" in part and "13900000001" not in page
        assert "办理人姓名" not in part  # shown only for another applicant type, not answered
        assert "老年人信息" in part and "发放账户" in part  # the form's sections
    assert signed_in(site, "other").get(f"/admin/cases/{case.id}/").status_code == 404


def household_matter(config_dir, site):
    doc = matter_doc(code="TEST-0006", levels=["village"], conditions=[], fields=[
        {"id": "name", "label": "姓名", "type": "text", "required": True, "section": "申请人"},
        {"id": "id_number", "label": "公民身份号码", "type": "id_number", "required": True,
         "section": "申请人"},
        {"id": "members", "label": "共同生活的家庭成员", "type": "group", "section": "家庭成员",
         "fields": [
             {"id": "member_name", "label": "成员姓名", "type": "text", "required": True},
             {"id": "member_id_number", "label": "成员公民身份号码", "type": "id_number", "required": True},
             {"id": "relation", "label": "与申请人关系", "type": "choice", "required": True,
              "options": [{"value": "spouse", "label": "配偶"}, {"value": "child", "label": "子女"}]},
         ]},
    ])
    write_matter(config_dir, doc)
    publish_catalog(load_catalog(config_dir, today=TODAY, published=published_states()).catalog, "t")


def open_household_case(client):
    return client.post("/admin/cases/open/TEST-0006/", data={
        "name": "乌云", "id_number": BORN_1940, "mode": "assist", "channel": "window",
        "members-0-member_name": "巴图", "members-0-member_id_number": MEMBER_ID,
        "members-0-relation": "spouse",
        "members-1-member_name": "其木格", "members-1-member_id_number": "152223201001010026",
        "members-1-relation": "child"}, follow_redirects=True)


def test_a_repeating_group_is_a_table_with_option_labels_and_masked_ids(site, config_dir):
    household_matter(config_dir, site)
    client = signed_in(site, "village")
    page = open_household_case(client).get_data(as_text=True)
    assert "已建档" in page
    part = application_part(page)
    assert "共同生活的家庭成员（2 项）" in part
    table = part.split('application-group')[1].split("</table>")[0]
    assert "<th>成员姓名</th>" in table and "<th>与申请人关系</th>" in table
    assert "巴图" in table and "配偶" in table and "其木格" in table and "子女" in table
    assert ">spouse<" not in table
    assert "152223********003X" in table and MEMBER_ID not in page


def test_the_application_keeps_the_form_of_the_version_it_was_opened_under(site, config_dir):
    household_matter(config_dir, site)
    open_household_case(signed_in(site, "village"))
    case = Case.get()
    # A later version renames the group's column; the case still reads as it was applied for.
    doc = matter_doc(code="TEST-0006", version=2, levels=["village"], conditions=[], fields=[
        {"id": "name", "label": "申请人姓名（新版）", "type": "text", "required": True},
        {"id": "id_number", "label": "公民身份号码", "type": "id_number", "required": True},
    ])
    write_matter(config_dir, doc)
    publish_catalog(load_catalog(config_dir, today=TODAY, published=published_states()).catalog, "t")
    page = signed_in(site, "village").get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    part = application_part(page)
    assert case.matter_version == 1
    assert "申请人姓名（新版）" not in part and "共同生活的家庭成员" in part and "巴图" in part


def test_the_application_prints_with_its_sections_and_masked_ids(site, config_dir):
    household_matter(config_dir, site)
    client = signed_in(site, "village")
    open_household_case(client)
    case = Case.get()
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert f"/admin/cases/{case.id}/application/print" in page
    sheet = client.get(f"/admin/cases/{case.id}/application/print").get_data(as_text=True)
    assert "申请表</h1>" in sheet and case.number in sheet
    assert "<h2>家庭成员</h2>" in sheet and "<h3>共同生活的家庭成员</h3>" in sheet
    assert "巴图" in sheet and "配偶" in sheet and "152223********003X" in sheet
    assert MEMBER_ID not in sheet and BORN_1940 not in sheet
    assert "申请人（签字）" in sheet
    # Out of scope: not found, like the case itself.
    assert signed_in(site, "other").get(f"/admin/cases/{case.id}/application/print").status_code == 404
    assert signed_in(site, "other").get(f"/admin/cases/{case.id}/application/pdf").status_code == 404


@needs_pdf
def test_the_application_as_pdf_carries_its_chinese_text(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = Case.get()
    response = client.get(f"/admin/cases/{case.id}/application/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "申请表" in text and "户籍地址" in text and "发放银行" in text and "农村信用社" in text
    assert "152223********0015" in text and BORN_1940 not in text and "6230000000000000" not in text
