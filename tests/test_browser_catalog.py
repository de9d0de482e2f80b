"""In real Chromium: a bureau user edits a matter, submits it, a second user approves and publishes it."""

import datetime

import pytest

from conftest import CONFIG, TODAY, needs_chromium, quiet_server, screenshot, sign_in
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog, version_in_force

PASSWORD = "Test-pass-2026"

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]


@pytest.fixture
def server(db_url, db, serve):
    """The app with the shipped catalog published and two bureau users, served from a thread."""
    from daiban.web import create_app

    result = load_catalog(CONFIG, today=TODAY)
    sync_organisation(result.catalog.organisation)
    publish_catalog(result.catalog, "tester")
    center = ServiceCenter.get(ServiceCenter.code == "banner-center")
    create_user("bureau", "王主任", PASSWORD, ["bureau"], center=center)
    create_user("bureau2", "李科长", PASSWORD, ["bureau"], center=center)
    return serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))


def shot(page, name):
    screenshot(page, name)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_edit_submit_approve_publish(server, page):
    code = "SHBX-0001"
    current = version_in_force(code)
    before = current.version
    materials = len(current.document.get("materials", []))
    conditions = len(current.document.get("conditions", []))
    sign_in(page, server, "bureau")
    page.goto(f"{server}/admin/matters/edit/{code}/")
    shot(page, "editor-opened")

    page.click("button[name=op][value='add:/materials']")
    page.fill(f"input[name='/materials/{materials}/id']", "bank_card")
    page.fill(f"input[name='/materials/{materials}/name']", "本人银行卡（折）")
    page.fill(f"input[name='/materials/{materials}/copies']", "1")

    page.click("button[name=op][value='add:/conditions']")
    page.fill(f"input[name='/conditions/{conditions}/id']", "residence")
    page.fill(f"[name='/conditions/{conditions}/text']", "在本旗居住满一年")
    shot(page, "editor-filled")
    page.click("button[name=action][value=save]")
    assert page.locator(".problems-none").is_visible(), page.locator(".problems").inner_text()
    page.get_by_role("button", name="提交审核").click()
    shot(page, "submitted")
    assert "已提交审核" in page.content()

    # The author cannot approve; a second person can.
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, server, "bureau2")
    page.goto(f"{server}/admin/matters/")
    page.locator(f"tr[data-code='{code}']").get_by_role("link", name="审核", exact=True).click()
    assert "本人银行卡（折）" in page.locator("ul.changes").inner_text()
    shot(page, "review")
    page.fill("input[name=effective_from]", TODAY.isoformat() if TODAY <= datetime.date.today()
              else datetime.date.today().isoformat())
    page.get_by_role("button", name="审核通过并发布").click()
    shot(page, "published")
    assert f"已发布 {code} 第 {before + 1} 版" in page.content()

    row = version_in_force(code)
    assert row.version == before + 1 and row.published_by == "bureau2"
    page.goto(f"{server}/matters/{code}")
    assert "本人银行卡（折）" in page.content() and "在本旗居住满一年" in page.content()
    shot(page, "guide-after-publish")
