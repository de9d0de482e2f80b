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
CATALOG_CODES = tuple(load_catalog(CONFIG, today=TODAY).catalog.matters)

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


# ---- issue 16: the public pages on a phone and on paper ------------------------------------------

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_notice_reads_on_a_phone_and_on_a_desktop(server, page):
    for code in ("SHBX-0002", "SHJZ-0001"):  # the one with a sample, the longest
        for name, size in (("390", PHONE), ("1366", DESKTOP)):
            page.set_viewport_size(size)
            page.goto(f"{server}/matters/{code}/notice")
            shot(page, f"notice-{code}-{name}")
            assert no_sideways_scroll(page), f"{code} at {name} px scrolls sideways"
            body = float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))
            cell = float(page.evaluate(
                "() => parseFloat(getComputedStyle(document.querySelector('table.items td')).fontSize)"))
            if size is PHONE:
                assert body >= 16 and cell >= 16, (code, body, cell)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/matters/SHBX-0002/notice")
    assert page.get_by_role("link", name="0482-6012301").get_attribute("href") == "tel:04826012301"
    assert page.get_by_role("button", name="打印").is_visible()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_chromium_prints_every_notice_on_one_a4_page(server, page):
    import io

    import pypdf

    page.emulate_media(media="print")
    for code in sorted(CATALOG_CODES):
        page.goto(f"{server}/matters/{code}/notice")
        printed = pypdf.PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
        assert len(printed.pages) == 1, f"{code}: {len(printed.pages)} pages in print"
        width, height = (round(float(x) * 25.4 / 72) for x in printed.pages[0].mediabox[2:])
        assert (width, height) == (210, 297), code


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_guide_on_a_phone_calls_downloads_and_signs_staff_in(server, page):
    for name, size in (("390", PHONE), ("1366", DESKTOP)):
        page.set_viewport_size(size)
        page.goto(f"{server}/matters/SHBX-0002")
        shot(page, f"guide-SHBX-0002-{name}")
        assert no_sideways_scroll(page), f"the guide at {name} px scrolls sideways"
        page.goto(f"{server}/")
        shot(page, f"catalog-{name}")
        assert no_sideways_scroll(page), f"the catalog at {name} px scrolls sideways"
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/matters/SHBX-0002")
    assert page.get_by_role("link", name="0482-6012301").get_attribute("href") == "tel:04826012301"
    tagline = page.locator(".site-tagline")
    assert tagline.is_visible()
    assert tagline.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    assert page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(11, 76, 140)")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载样表：城乡居民基本养老保险待遇申领表（填写示例）（PDF）").click()
    saved = download.value
    assert saved.suggested_filename == "城乡居民基本养老保险待遇申领表（填写示例）.pdf"
    with open(saved.path(), "rb") as received:
        assert received.read() == (CONFIG / "matters/social_insurance/files/"
                                   "SHBX-0002-application-form-sample.pdf").read_bytes()
    page.get_by_role("link", name="工作人员登录").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("heading", name="登录帮办代办管理平台").is_visible()
