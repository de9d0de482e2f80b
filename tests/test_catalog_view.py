"""The catalog screens through Flask's test client: editor tabs, errors in place, history, export."""

import io
import re
import zipfile

import pytest

from conftest import CONFIG, TODAY, matter_doc, write_matter
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.catalog.yamltext import dump_document
from daiban.catalog_editing import Actor, approve_and_publish, save_draft, start_draft, submit
from daiban.models import AuditLog, MatterDraft
from daiban.publishing import publish_catalog, published_states
from test_schema_form import form_data

PASSWORD = "Test-pass-2026"
REFERENCE = load_catalog(CONFIG, include_matters=False).catalog


@pytest.fixture
def client(config_dir, db_url, db):
    """A signed-in bureau user, TEST-0001 published."""
    from daiban.web import create_app

    write_matter(config_dir)
    result = load_catalog(config_dir, today=TODAY, published=published_states())
    publish_catalog(result.catalog, "cli")
    create_user("bureau", "王主任", PASSWORD, ["bureau"])
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                      "CONFIG_DIR": str(CONFIG)})
    client = app.test_client()
    client.post("/login", data={"username": "bureau", "password": PASSWORD})
    return client


def form_values(html: str) -> dict:
    """Name/value pairs of the text inputs of the structured editor."""
    pairs = re.findall(r'<input[^>]*name="(/[^"]+)"[^>]*value="([^"]*)"', html)
    return dict(pairs)


def test_editor_opens_a_draft_and_adds_a_material(client):
    page = client.get("/admin/matters/edit/TEST-0001/").get_data(as_text=True)
    assert "表单编辑" in page and "YAML 源码" in page and "申请材料" in page
    assert MatterDraft.select().count() == 1
    data = form_values(page)
    data["op"] = "add:/materials"
    data["tab"] = "form"
    data["/levels"] = ["village", "township"]
    page = client.post("/admin/matters/edit/TEST-0001/", data=data).get_data(as_text=True)
    assert 'name="/materials/1/name"' in page
    # The new, empty material is reported beside its own inputs.
    beside = r'name="/materials/1/name"[^>]*>\s*<div class="invalid-feedback[^>]*>[^<]*(缺少必填项|不能为空)'
    assert re.search(beside, page)


def test_yaml_tab_reports_errors_with_their_lines(client):
    client.get("/admin/matters/edit/TEST-0001/")
    text = "code: TEST-0001\nversion: 1\nname: 测试\nlevels: [county]\n"
    page = client.post("/admin/matters/edit/TEST-0001/", data={"tab": "yaml", "yaml_text": text})
    html = page.get_data(as_text=True)
    assert "第 4 行" in html and "county" in html
    # Required elements (domain, unit, …) are missing: nothing is saved, the text stays to be fixed.
    assert "草稿未保存" in html and "levels: [county]" in html
    assert MatterDraft.get().name != "测试"


def test_yaml_tab_saves_a_complete_draft_with_other_problems(client):
    client.get("/admin/matters/edit/TEST-0001/")
    text = dump_document(dict(matter_doc(), levels=["county"]))
    page = client.post("/admin/matters/edit/TEST-0001/", data={"tab": "yaml", "yaml_text": text})
    html = page.get_data(as_text=True)
    assert "草稿已保存，但还有" in html and "county" in html
    assert MatterDraft.get().document["levels"] == ["county"]


def test_form_refuses_a_missing_required_element_beside_it(client):
    page = client.get("/admin/matters/edit/TEST-0001/").get_data(as_text=True)
    editor = page[page.index('class="schema-form"'):]
    data = form_data(editor[:editor.index("</form>")])
    data["/name"] = ""
    html = client.post("/admin/matters/edit/TEST-0001/", data=data).get_data(as_text=True)
    assert "草稿未保存：还有 1 个必填项没有填写" in html
    assert re.search(r'name="/name"[^>]*>\s*<div class="invalid-feedback[^>]*>[^<]*不能为空', html)
    # The error summary names the element in words (no JSON pointer, no command) and links to its
    # input, which is marked invalid and described by the message beside it.
    summary = html[html.index('class="alert alert-danger error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "data-focus-on-load" in summary and "有 1 处需要修改" in summary
    assert '<a href="#sf/name">事项名称：不能为空</a>' in summary
    assert re.search(r'id="sf/name" value="" aria-invalid="true" aria-describedby="sf/name-error-1"', html)
    assert '<div class="invalid-feedback d-block" id="sf/name-error-1">不能为空</div>' in html
    assert "<code>/" not in html and "daiban catalog" not in html
    assert MatterDraft.get().name == matter_doc()["name"]


def test_history_shows_versions_side_by_side(client):
    draft = start_draft("TEST-0001", Actor("someone"))
    draft = save_draft(draft, dict(draft.document, name="高龄津贴申领（修订）"), Actor("someone"))
    approve_and_publish(submit(draft, Actor("someone"), REFERENCE), Actor("bureau2"), TODAY, REFERENCE)
    page = client.get("/admin/matters/history/TEST-0001/?a=1&b=2").get_data(as_text=True)
    assert "第 1 版 → 第 2 版" in page
    assert "修改事项名称：高龄津贴申领 → 高龄津贴申领（修订）" in page
    assert 'class="diff"' in page and "现行" in page


def test_export_downloads_a_zip_of_yaml_and_is_audited(client):
    response = client.get("/admin/matters/export/")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["matters/elderly_care/TEST-0001.yaml"]
    assert archive.read("matters/elderly_care/TEST-0001.yaml").decode().startswith("code: TEST-0001")
    assert AuditLog.select().where(AuditLog.action == "export").count() == 1


def test_the_author_sees_that_someone_else_must_approve(client):
    client.get("/admin/matters/edit/TEST-0001/")
    draft = MatterDraft.get()
    client.post(f"/admin/matters/draft/{draft.id}/submit/")
    page = client.get(f"/admin/matters/draft/{draft.id}/review/").get_data(as_text=True)
    assert "须由另一位有审核权限的人员审核发布" in page
    page = client.post(f"/admin/matters/draft/{draft.id}/review/",
                       data={"decision": "publish", "effective_from": "2026-12-01"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能审核发布自己编辑的草稿" in page
    assert MatterDraft.get().status == "in_review"


def test_new_matter_from_the_browser(client):
    doc = matter_doc(code="TEST-0002")
    data = {"tab": "form", "/code": "TEST-0002", "/name": doc["name"], "/domain": doc["domain"],
            "/matter_type": doc["matter_type"], "/levels": doc["levels"],
            "/responsible_unit": doc["responsible_unit"], "/effective_from": doc["effective_from"],
            "/version": "1"}
    response = client.post("/admin/matters/new/", data=data)
    assert response.status_code == 302
    assert MatterDraft.get(MatterDraft.code == "TEST-0002").author == "bureau"
