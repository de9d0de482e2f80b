"""The catalog in a real browser: Debian's Chromium driven by Playwright, with screenshots."""

import threading
from pathlib import Path

import pytest

from conftest import CONFIG, ROOT, TODAY
from daiban.catalog.loader import load_catalog
from daiban.publishing import publish_catalog

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Chromium is missing: `apt-get install -y chromium fonts-noto-cjk` (as root)",
    ),
]


@pytest.fixture
def live_server(app):
    """Serve the app from a thread on a free local port."""
    from werkzeug.serving import make_server

    result = load_catalog(CONFIG, today=TODAY)
    publish_catalog(result.catalog, "tester")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def page():
    """A Chromium page, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield page
        browser.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_agent_finds_a_matter_and_reads_its_guide(live_server, page):
    page.goto(live_server + "/")
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

