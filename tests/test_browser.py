"""The catalog in a real browser: Debian's Chromium driven by Playwright, with screenshots."""

import pytest

from conftest import CONFIG, TODAY, needs_chromium, quiet_server, screenshot
from daiban.catalog.loader import load_catalog
from daiban.publishing import publish_catalog

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_agent_finds_a_matter_and_reads_its_guide(app, serve, page):
    publish_catalog(load_catalog(CONFIG, today=TODAY).catalog, "tester")
    base = serve(app)
    page.goto(base + "/")
    screenshot(page, "catalog-index")
    assert page.locator("h1").inner_text() == "帮办代办政务服务事项目录"
    assert page.locator("table.catalog-table tbody tr").count() >= 24

    page.fill("input[name=q]", "gljt")
    page.click("button[type=submit]")
    rows = page.locator("table.catalog-table tbody tr")
    assert rows.count() >= 1
    assert "高龄" in rows.first.inner_text()
    screenshot(page, "catalog-search-gljt")

    rows.first.locator("a").click()
    assert "办事指南" in page.title()
    assert page.get_by_text("申请材料").first.is_visible()
    assert page.get_by_text("受理条件").first.is_visible()
    path = screenshot(page, "matter-guide")
    assert path.stat().st_size > 10_000

    page.get_by_role("link", name="一次性告知单（打印）").click()
    assert page.locator("h1").inner_text() == "一次性告知单"
    assert page.locator("table tbody tr").count() >= 1
    screenshot(page, "one-time-notice")
