"""In real Chromium, at 1366 px and 390 px: the administrator's screens speak in names and words.

Users with a role picker by name and errors beside the field, the organisation as a tree, the
roles in words, the audit log with names and readable events, and the reviewer's change summary.
"""

import datetime

import pytest

from conftest import CONFIG, TODAY, screenshot, sign_in
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.catalog_editing import Actor, save_draft, start_draft, submit
from daiban.models import AuditLog, ServiceCenter, User
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog, version_in_force

PASSWORD = "Test-pass-2026"
WIDTHS = (1366, 390)


@pytest.fixture
def server(db_url, db, serve):
    """The shipped organisation and catalog, an administrator and two bureau users."""
    from daiban.web import create_app

    result = load_catalog(CONFIG, today=TODAY)
    sync_organisation(result.catalog.organisation)
    publish_catalog(result.catalog, "tester")
    center = ServiceCenter.get(ServiceCenter.code == "banner-center")
    create_user("admin", "管理员", PASSWORD, ["system_admin"], center=center)
    create_user("bureau", "王主任", PASSWORD, ["bureau"], center=center)
    create_user("bureau2", "李科长", PASSWORD, ["bureau"], center=center)
    return serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))


def shots(page, name):
    """Screenshots of the page at each width."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"admin-{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_users_organisation_roles_and_audit_log_read_as_words(server, page):
    sign_in(page, server, "admin")

    # A new account: roles are ticked by their Chinese names; a weak password is refused beside
    # its field and the form stays open with what was typed.
    page.goto(f"{server}/admin/app_user/new/")
    page.fill("input[name=display_name]", "张代办")
    page.fill("input[name=username]", "zhang")
    page.get_by_label("嘎查村代办员").check()
    page.fill("input[name=new_password]", "short")
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator(".form-group:has(input[name=new_password]) .invalid-feedback").wait_for()
    beside = page.locator(".form-group:has(input[name=new_password])")
    assert "密码至少 10 位" in beside.inner_text()
    assert "请按各项旁的红色提示修改" in page.locator(".alert-dismissible.alert-danger").inner_text()
    assert "Failed" not in page.content()
    assert page.locator("input[name=display_name]").input_value() == "张代办"
    shots(page, "user-error")
    assert User.get_or_none(User.username == "zhang") is None
    page.fill("input[name=new_password]", "Strong-pass-2026")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url("**/admin/app_user/")
    assert User.get(User.username == "zhang").role_ids == ["village_agent"]

    page.goto(f"{server}/admin/app_user/")
    listing = page.locator("table.model-list").inner_text()
    assert "嘎查村代办员" in listing and "系统管理员" in listing and "village_agent" not in listing
    shots(page, "users")

    page.goto(f"{server}/admin/organisation/")
    tree = page.locator("ul.org-tree")
    banner = tree.locator("li.level-banner").first
    township = banner.locator("li.level-township").first
    assert township.locator("li.level-village").count() > 0
    assert "便民服务" in township.locator(".org-center").first.inner_text()
    shots(page, "organisation")

    page.goto(f"{server}/admin/roles/")
    admin_role = page.locator("section.role[data-role=system_admin]")
    text = admin_role.inner_text()
    assert "系统管理员" in text and "全旗" in text and "用户" in text and "新建" in text
    assert "system_admin" not in page.locator("main, .container-fluid").first.inner_text()
    shots(page, "roles")

    page.goto(f"{server}/admin/audit_log/")
    rows = page.locator("table.model-list tbody").inner_text()
    assert "管理员（扎赉特旗帮办代办服务中心）" in rows and "系统管理员" in rows and "新建" in rows
    first = AuditLog.select().order_by(AuditLog.at.desc()).first()
    assert first.at.strftime("%Y-%m-%d %H:%M:%S") in rows
    assert "admin\t" not in rows and "system_admin" not in rows
    shots(page, "audit-log")

    # Filtered by event and by person, the filter bar names both in words.
    page.goto(f"{server}/admin/audit_log/?flt0_1=login&flt1_0=admin")
    bar = page.locator(".filters").inner_text()
    assert "事件" in bar and "操作人" in bar
    chosen = page.locator(".filters select[name=flt0_1]")
    assert chosen.evaluate("s => s.options[s.selectedIndex].text") == "登录成功"
    assert "新建" not in page.locator("table.model-list tbody").inner_text()
    shots(page, "audit-log-filtered")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reviewer_reads_the_change_summary_and_names(server, page):
    code = "SHBX-0001"
    current = version_in_force(code).document
    reference = load_catalog(CONFIG, include_matters=False).catalog
    draft = start_draft(code, Actor("bureau"))
    changed = dict(current, name=current["name"] + "（修订）",
                   conditions=[*current.get("conditions", []),
                               {"id": "residence", "text": "在本旗居住满一年"}])
    submit(save_draft(draft, changed, Actor("bureau")), Actor("bureau"), reference)

    sign_in(page, server, "bureau2")
    page.goto(f"{server}/admin/matters/")
    row = page.locator(f"tr[data-code='{code}']")
    assert "王主任（扎赉特旗帮办代办服务中心）" in row.inner_text()
    row.get_by_role("link", name="审核", exact=True).click()
    meta = page.locator("p.text-muted").first.inner_text()
    assert "编辑人 王主任（扎赉特旗帮办代办服务中心）" in meta and "bureau" not in meta
    summary = page.locator("ul.changes").inner_text()
    assert "新增 受理条件：在本旗居住满一年" in summary
    assert "修改 事项名称" in summary and "residence" not in summary
    assert len(page.locator("ul.changes li").all()) == 2  # only what changed
    toggle = page.locator("details.yaml-diff")
    assert not toggle.locator("table.diff").is_visible()
    shots(page, "review")
    toggle.locator("summary").click()
    assert toggle.locator("table.diff").is_visible()
    page.fill("input[name=effective_from]", min(TODAY, datetime.date.today()).isoformat())
    page.get_by_role("button", name="审核通过并发布").click()
    page.get_by_text(f"已发布 {code}").wait_for()
    page.goto(f"{server}/admin/matters/history/{code}/")
    assert "李科长（扎赉特旗帮办代办服务中心）" in page.locator("table.versions").inner_text()
    shots(page, "history")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_editor_refuses_a_draft_with_a_required_element_missing(server, page):
    code = "SHBX-0001"
    name = version_in_force(code).name
    sign_in(page, server, "bureau")
    page.goto(f"{server}/admin/matters/edit/{code}/")
    page.fill("input[name='/name']", "")
    page.click("button[name=action][value=save]")
    page.locator(".alert-danger").first.wait_for()
    assert "草稿未保存：还有 1 个必填项没有填写" in page.locator(".alert-danger").first.inner_text()
    beside = page.locator("[data-pointer='/name']")
    assert "不能为空" in beside.inner_text()
    problems = page.locator(".problems").inner_text()
    assert "事项名称：不能为空" in problems and "/name" not in problems and "daiban" not in problems
    shots(page, "editor-required")
    from daiban.catalog_editing import open_draft

    assert open_draft(code).name == name  # nothing of the refused save was kept
