"""The slips a case issues, as print views and as PDF with Chinese; scans; commission renewal and end."""

import datetime
import io

import pypdf
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from case_screens import BORN_1940, ELDERLY, make_site, open_elderly_case, signed_in
from conftest import ARTIFACTS, needs_pdf
from daiban.accounts import create_user
from daiban.cases import documents
from daiban.cases.materials import build_checklist, checklist, receive
from daiban.cases.service import Result, transition
from daiban.catalog.loader import load_catalog
from daiban.models import AuditLog, Case, CaseEvent, CaseUpload, Commission, Department, User
from daiban.web import load_reference, pdf

WORKFLOW = load_reference("config").workflow
CALENDAR = load_reference("config").calendar
MASKED = "152223********0015"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def with_liaison(app):
    """`app` once the civil affairs bureau has a liaison."""
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    create_user("liaison", "吴联络员", "Test-pass-2026", ["department_liaison"], department=civil)
    return app


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published, three agents and a liaison of the civil affairs bureau."""
    return with_liaison(make_site(db_url, tmp_path / "uploads"))


@pytest.fixture
def site_without_fonts(no_cjk_font, db_url, db, tmp_path):
    """The same app started on a server without a Chinese font."""
    return with_liaison(make_site(db_url, tmp_path / "uploads"))


def pdf_text(data: bytes) -> str:
    """The PDF's text without white space (the title is letter-spaced)."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return "".join(text.split())


def step(case_id: int, name: str, username: str, note: str = "", result: Result | None = None) -> Case:
    case = Case.get_by_id(case_id)
    return transition(case, name, User.get(User.username == username), note, case.lock_version,
                      datetime.date.today(), CALENDAR, workflow=WORKFLOW, result=result)


def opened_case(client) -> Case:
    """A case opened through the screens, with every needed material received."""
    open_elderly_case(client)
    case = Case.get()
    agent = User.get(User.username == "village")
    build_checklist(case, ELDERLY, datetime.date.today(), actor=agent)
    for row in checklist(case):
        if not row.verified_by_department and not row.optional:
            receive(row, row.originals_required, row.copies_required, agent, today=datetime.date.today())
    return case


def walk_to_the_end(case: Case) -> None:
    for name, who in (("accept", "village"), ("collect_materials", "village"), ("submit", "village"),
                      ("receive", "liaison")):
        step(case.id, name, who)
    step(case.id, "suspend", "liaison", note="需入户核实居住情况")
    step(case.id, "resume", "liaison")
    step(case.id, "record_result", "liaison", result=Result("approved", "民高津〔2026〕21号"))
    for name in ("return_materials", "follow_up", "close"):
        step(case.id, name, "village")


@needs_pdf
def test_each_slip_comes_from_the_transition_the_workflow_names(site):
    client = signed_in(site, "village")
    case = opened_case(client)
    walk_to_the_end(case)
    issued = documents.issued(case, WORKFLOW)
    assert [s.kind for s in issued] == ["acceptance_slip", "suspension_slip", "return_receipt",
                                        "completion_slip"]
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    for s in issued:
        assert s.title in page and f"/admin/cases/{case.id}/documents/{s.event_id}/pdf" in page

    acceptance, suspension, receipt, completion = (
        client.get(f"/admin/cases/{case.id}/documents/{s.event_id}").get_data(as_text=True) for s in issued)
    assert "帮办代办受理单" in acceptance and case.number in acceptance and "居民身份证" in acceptance
    assert MASKED in acceptance and BORN_1940 not in acceptance
    assert "帮办代办服务全程免费" in acceptance and "下载 PDF" in acceptance
    assert f'href="/admin/cases/{case.id}/">返回办件' in acceptance
    assert "需入户核实居住情况" in suspension and "不计入办理时限" in suspension
    assert "原件已归还" in receipt and "申请人（签收）" in receipt
    assert "准予办理（证件/文书编号 民高津〔2026〕21号）" in completion and "按时办结" in completion
    ARTIFACTS.mkdir(exist_ok=True)  # the PDFs, to look at
    for s in issued:
        pdf = client.get(f"/admin/cases/{case.id}/documents/{s.event_id}/pdf").data
        (ARTIFACTS / f"slip-{s.kind}.pdf").write_bytes(pdf)


@needs_pdf
def test_slips_as_pdf_carry_their_chinese_text(site):
    client = signed_in(site, "village")
    case = opened_case(client)
    step(case.id, "accept", "village")
    event = CaseEvent.get(CaseEvent.transition == "accept")
    response = client.get(f"/admin/cases/{case.id}/documents/{event.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E5%B8%AE" in response.headers["Content-Disposition"]  # 帮办代办受理单-…
    text = pdf_text(response.data)
    assert "帮办代办受理单" in text and case.number in text and "巴特尔" in text
    assert MASKED in text and BORN_1940 not in text


@needs_pdf
def test_a_terminated_case_issues_a_termination_slip_with_its_reason(site):
    client = signed_in(site, "village")
    case = opened_case(client)
    step(case.id, "accept", "village")
    step(case.id, "terminate", "village", note="申请人撤回申请")
    slip = documents.issued(case, WORKFLOW)[-1]
    assert slip.kind == "termination_slip"
    text = pdf_text(client.get(f"/admin/cases/{case.id}/documents/{slip.event_id}/pdf").data)
    assert "帮办代办终止单" in text and "申请人撤回申请" in text and "归还的材料原件" in text


def test_without_a_chinese_font_slips_and_commissions_are_offered_to_print(site_without_fonts, monkeypatch):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda _html: pytest.fail("a PDF of empty boxes"))
    client = signed_in(site_without_fonts, "village")
    open_elderly_case(client, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    client.post(f"/admin/cases/{case.id}/commission/draft")
    commission = Commission.get()
    step(case.id, "accept", "village")
    slip = documents.issued(case, WORKFLOW)[0]

    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert f"/admin/cases/{case.id}/documents/{slip.event_id}" in page
    assert f"/admin/cases/{case.id}/commission/{commission.id}/print" in page
    assert "/pdf" not in page and page.count("服务器缺少中文字体") == 2  # under 代办委托 and under 文书

    for url, title in ((f"/admin/cases/{case.id}/documents/{slip.event_id}/pdf", "帮办代办受理单"),
                       (f"/admin/cases/{case.id}/commission/{commission.id}/pdf", "代办服务委托书")):
        response = client.get(url)
        assert response.status_code == 503 and response.mimetype == "text/html", url
        printed = response.get_data(as_text=True)
        assert title in printed and 'data-print' in printed and "返回办件" in printed
        assert "服务器缺少中文字体" in printed and "apt-get install fonts-noto-cjk" in printed
        assert "下载 PDF" not in printed
    other = signed_in(site_without_fonts, "other")  # out of scope: still not found, font or no font
    assert other.get(f"/admin/cases/{case.id}/documents/{slip.event_id}/pdf").status_code == 404


def test_slips_are_only_for_the_case_and_its_scope(site):
    client = signed_in(site, "village")
    case = opened_case(client)
    step(case.id, "accept", "village")
    opened = CaseEvent.get(CaseEvent.transition == "open")
    accepted = CaseEvent.get(CaseEvent.transition == "accept")
    assert client.get(f"/admin/cases/{case.id}/documents/{opened.id}").status_code == 404  # no slip
    assert client.get(f"/admin/cases/{case.id}/documents/999999").status_code == 404
    other = signed_in(site, "other")  # a village agent of another village
    assert other.get(f"/admin/cases/{case.id}/documents/{accepted.id}").status_code == 404
    assert other.get(f"/admin/cases/{case.id}/documents/{accepted.id}/pdf").status_code == 404


@needs_pdf
def test_the_one_time_notice_prints_and_downloads_as_pdf(site):
    client = site.test_client()
    page = client.get("/matters/YLFW-0001/notice?applicant_type=agent").get_data(as_text=True)
    assert "一次性告知单" in page and "/matters/YLFW-0001/notice.pdf?applicant_type=agent" in page
    response = client.get("/matters/YLFW-0001/notice.pdf?applicant_type=agent")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "一次性告知单" in text and ELDERLY.name in text and "受理条件" in text


@needs_pdf
def test_commission_renewal_and_termination_through_the_screens(site):
    client = signed_in(site, "village")
    open_elderly_case(client, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    client.post(f"/admin/cases/{case.id}/commission/draft")
    first = Commission.get()
    client.post(f"/admin/cases/{case.id}/commission/{first.id}/sign")
    text = pdf_text(client.get(f"/admin/cases/{case.id}/commission/{first.id}/pdf").data)
    assert "代办服务委托书" in text and "受托人不得" in text and MASKED in text

    page = client.post(f"/admin/cases/{case.id}/commission/{first.id}/renew",
                       follow_redirects=True).get_data(as_text=True)
    assert "已生成续办委托书" in page
    renewal = Commission.get(Commission.kind == "renewal")
    assert renewal.previous_id == first.id and renewal.status == "drafted"
    printed = client.get(f"/admin/cases/{case.id}/commission/{renewal.id}/print").get_data(as_text=True)
    assert "续办委托书" in printed

    page = client.post(f"/admin/cases/{case.id}/commission/{first.id}/terminate", data={"reason": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "请写明终止委托的原因" in page and Commission.get_by_id(first.id).status == "signed"
    page = client.post(f"/admin/cases/{case.id}/commission/{first.id}/terminate",
                       data={"reason": "委托人改为本人办理"}, follow_redirects=True).get_data(as_text=True)
    assert "委托已终止" in page
    assert Commission.get_by_id(first.id).status == "terminated"
    assert Commission.get_by_id(renewal.id).status == "void"
    ended = Commission.get(Commission.kind == "termination")
    printed = client.get(f"/admin/cases/{case.id}/commission/{ended.id}/print").get_data(as_text=True)
    assert "代办服务终止单" in printed and "委托人改为本人办理" in printed
    assert "生成代办服务委托书" in page  # a new commission can be drafted after the end


def test_scans_upload_outside_the_web_root_and_show_only_within_scope(site, tmp_path):
    client = signed_in(site, "village")
    case = opened_case(client)
    row = checklist(case)[0]
    url = f"/admin/cases/{case.id}/materials/{row.id}/scans"
    page = client.post(url, data={"scan": (io.BytesIO(PNG), "身份证正面.png", "image/png")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "已上传“身份证正面.png”" in page
    upload = CaseUpload.get()
    assert upload.stored_path.startswith(str(tmp_path / "uploads"))
    assert f"/admin/cases/{case.id}/scans/{upload.id}" in page

    shown = client.get(f"/admin/cases/{case.id}/scans/{upload.id}")
    assert shown.data == PNG and shown.mimetype == "image/png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert AuditLog.select().where(AuditLog.action == "reveal").count() == 1
    assert signed_in(site, "other").get(f"/admin/cases/{case.id}/scans/{upload.id}").status_code == 404

    again = client.post(url, data={"scan": (io.BytesIO(PNG), "again.png", "image/png")},
                        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "该文件已上传过，未重复保存" in again and CaseUpload.select().count() == 1
    not_a_scan = (io.BytesIO(b"MZ\x90\x00 not a scan"), "扫描.pdf", "application/pdf")
    fake = client.post(url, data={"scan": not_a_scan},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "只能上传" in fake and "“扫描.pdf”的内容不是这几种格式" in fake
    assert CaseUpload.select().count() == 1


def test_a_scan_over_the_size_limit_gets_a_clear_page(site):
    client = signed_in(site, "village")
    case = opened_case(client)
    row = checklist(case)[0]
    big = PNG + b"\x00" * (12 * 1024 * 1024)
    # The body is built here: the test client would spool it to a file it never closes on a 413.
    boundary, body = encode_multipart({"scan": FileStorage(io.BytesIO(big), "big.png", "scan", "image/png")})
    response = client.post(f"/admin/cases/{case.id}/materials/{row.id}/scans", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "每个扫描件不能超过 10 MB" in response.get_data(as_text=True)
    assert CaseUpload.select().count() == 0


def test_the_shipped_workflow_names_a_slip_for_each_document_of_the_standard():
    workflow = load_catalog("config", include_matters=False).catalog.workflow
    named = {t.document for t in workflow.transitions if t.document}
    assert named == set(documents.TITLES)
