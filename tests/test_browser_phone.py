"""In real Chromium (issue 10, "On a phone"): the catalog and a guide read well at 390 px for an
elderly citizen; the agent's case page works at 390 px and 768 px on a home visit (上门办); every
page has a favicon and no asset of any main page fails, for each role; screenshots saved."""

import pytest

from case_screens import PASSWORD, fill_with_demo, make_site, open_elderly_case, signed_in
from conftest import CONFIG, needs_chromium, quiet_server, screenshot, sign_in
from daiban.models import Case, CaseMaterial, CaseUpload

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PHONE, TABLET = {"width": 390, "height": 844}, {"width": 768, "height": 1024}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x02" * 200


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
    page.wait_for_load_state("load")
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def too_wide(page) -> list[str]:
    """The innermost elements that reach past the right edge of the screen, to say what to fix."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
        .slice(0, 5)
        .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))""")


def font_px(locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_catalog_and_a_guide_read_well_on_a_phone(db_url, db, serve, page, tmp_path):
    base = serve(make_site(db_url, tmp_path))
    page.set_viewport_size(PHONE)
    page.goto(base + "/")
    screenshot(page, "phone-catalog-390")
    assert overflow(page) <= 0, too_wide(page)
    assert not page.locator("table.catalog-table thead").first.is_visible()  # cards, not five columns
    rows = page.locator("table.catalog-table tbody tr")
    assert rows.count() >= 24
    for index in range(rows.count()):
        row = rows.nth(index)
        name, unit = row.locator("td.matter-name"), row.locator("td.matter-unit")
        assert font_px(name) >= 18, name.inner_text()
        # The unit reads on one or two lines across the card, never one character per line.
        line = float(unit.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 27"))
        box = unit.bounding_box()
        assert box["width"] >= 250 and box["height"] <= 2.5 * line, (unit.inner_text(), box)
        assert name.bounding_box()["width"] >= 250
    page.get_by_role("link", name="80周岁以上老年人高龄津贴申领").click()
    page.wait_for_url("**/matters/YLFW-0001")
    screenshot(page, "phone-guide-YLFW-0001-390")
    assert overflow(page) <= 0, too_wide(page)
    assert font_px(page.locator("main p").first) >= 18
    assert not page.locator("table.materials-table thead").is_visible()
    material = page.locator("table.materials-table tbody tr").first
    assert material.bounding_box()["width"] <= PHONE["width"]
    assert page.get_by_role("link", name="一次性告知单（打印）").bounding_box()["height"] >= 44


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_case_page_works_on_a_phone_and_a_tablet_on_a_home_visit(db_url, db, serve, page, tmp_path):
    app = make_site(db_url, tmp_path / "uploads")
    opened = open_elderly_case(signed_in(app, "village"), mode="proxy", applicant_type="agent",
                                         agent_name="周代办", agent_id_number="15222319800101003X")
    assert "已建档" in opened.get_data(as_text=True)
    case = Case.get()
    base = serve(app)
    page.set_viewport_size(PHONE)
    sign_in(page, base, "village")
    url = f"{base}/admin/cases/{case.id}/"
    page.goto(url)
    assert overflow(page) <= 0, too_wide(page)
    transition = page.locator("form.transition-form", has=page.get_by_role("button", name="受理委托"))
    transition.get_by_role("button", name="受理委托").click()
    page.get_by_role("button", name="生成材料清单").click()
    screenshot(page, "phone-case-checklist-390")
    assert overflow(page) <= 0, "the checklist is wider than the phone"
    rows = page.locator("table.material-checklist tbody tr")
    assert rows.count() >= 3 and not page.locator("table.material-checklist thead").is_visible()
    first = rows.first
    name = first.locator("td.material-name").inner_text().split(" ")[0]
    # Each count box is named with its row, and every button is big enough for a finger.
    originals = page.get_by_role("spinbutton", name=f"{name} 已收原件份数")
    assert originals.is_visible() and originals.bounding_box()["width"] >= 50
    for button in first.get_by_role("button").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"], button.inner_text()

    # A scan from the phone's camera, then every material taken but one deferred (容缺).
    first.locator("input[type=file]").set_input_files(
        {"name": "scan.png", "mimeType": "image/png", "buffer": PNG})
    first.get_by_role("button", name="上传").click()
    scanned = page.locator("table.material-checklist tbody tr").first
    assert scanned.get_by_role("link", name="scan.png").is_visible()
    deferred = False
    for index in range(rows.count()):
        row = page.locator("table.material-checklist tbody tr").nth(index)
        if not deferred and row.get_by_role("button", name="容缺").count():
            row.get_by_role("button", name="容缺").click()
            deferred = True
        elif row.get_by_role("button", name="收取").count():
            row.get_by_role("button", name="收取").click()
    assert deferred
    # The commission, drafted and signed on the spot.
    page.get_by_role("button", name="生成代办服务委托书").click()
    page.get_by_role("button", name="登记已签署").click()
    screenshot(page, "phone-case-commission-390")
    assert overflow(page) <= 0, too_wide(page)
    # The next step, at the foot of the phone's page.
    page.locator("form.transition-form", has=page.get_by_role("button", name="材料收齐")).get_by_role(
        "button", name="材料收齐").click()
    assert "材料收齐" in page.locator("table.case-events").inner_text()
    assert overflow(page) <= 0, too_wide(page)
    screenshot(page, "phone-case-after-390")

    statuses = {m.status for m in CaseMaterial.select().where(CaseMaterial.case == case.id)}
    assert "deferred" in statuses and "received" in statuses
    assert CaseUpload.select().count() == 1
    assert Case.get_by_id(case.id).status != case.status

    page.set_viewport_size(TABLET)
    page.goto(url)
    screenshot(page, "phone-case-768")
    assert overflow(page) <= 0, "the case page is wider than a tablet"
    assert page.locator("table.material-checklist tbody tr").first.bounding_box()["width"] <= TABLET["width"]


def main_pages(page, base) -> list[str]:
    """The admin home and every page its menu offers the signed-in user."""
    page.goto(base + "/admin/")
    links = page.locator("#admin-navbar-collapse a[href^='/admin']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return ["/admin/"] + sorted(set(links) - {"/admin/"})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_main_page_has_a_favicon_and_no_failed_asset_for_each_role(db_url, db, serve, page):
    from daiban.web import create_app

    assert fill_with_demo(PASSWORD) > 50
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))
    failed: list[tuple[str, str, int]] = []
    where = {"who": "", "page": ""}
    page.on("response", lambda r: failed.append((where["who"], r.url, r.status)) if r.status >= 400 else None)
    # A background fetch (the session clock's) cut short by going to the next page is no failed asset.
    page.on("requestfailed", lambda r: None if r.resource_type == "fetch" and r.failure == "net::ERR_ABORTED"
            else failed.append((where["who"], r.url, 0)))

    icon = page.request.get(base + "/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    public = ["/", "/matters/YLFW-0001", "/matters/YLFW-0001/notice", "/login"]
    visited = 0
    for path in public:
        page.goto(base + path)
        visited += 1
        href = page.locator("link[rel=icon]").get_attribute("href")
        assert page.request.get(base + href).headers["content-type"].startswith("image/svg+xml"), path

    for user in ("village_agent", "township_agent", "banner_agent", "liaison", "bureau", "inspector",
                 "admin"):
        page.context.clear_cookies()
        where["who"] = user
        sign_in(page, base, user)
        for path in main_pages(page, base):
            response = page.goto(base + path)
            visited += 1
            assert response.status == 200, (user, path, response.status)
            assert page.locator("link[rel=icon]").count() == 1, (user, path)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("link", name="跳到主要内容").count() == 1
        assert page.get_by_role("main").count() == 1
    assert visited > 40
    assert not failed, f"failed requests (role, url, status): {failed}"
