"""In real Chromium: a village agent finds a matter by pinyin and fills its live intake form."""

import pytest

from conftest import CONFIG, TODAY, needs_chromium, quiet_server, screenshot
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PASSWORD = "Test-pass-2026"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_live_eligibility_as_the_agent_types(db_url, db, serve, page):
    from daiban.web import create_app

    result = load_catalog(CONFIG, today=TODAY)
    sync_organisation(result.catalog.organisation)
    publish_catalog(result.catalog, "tester")
    station = ServiceCenter.get(ServiceCenter.code == "yinde-er-hongxing-station")
    create_user("village", "周代办", PASSWORD, ["village_agent"], center=station)
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))
    matter = result.catalog.matters["YLFW-0001"]
    id_field = next(f.id for f in matter.fields if f.type == "id_number")

    page.goto(f"{base}/login")
    page.fill("input[name=username]", "village")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/admin/intake/")
    page.fill("input[name=q]", "gljt")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="填写申请").first.click()
    assert matter.name in page.locator("h1").inner_text()

    page.fill(f"[name='{id_field}']", "152223195601010021")  # 70 years old: not eligible
    page.wait_for_function("() => document.querySelector('#eligibility .unmet').textContent.includes('80')")
    assert page.locator("#eligibility .verdict").inner_text() == "不符合"
    screenshot(page, "intake-not-eligible")

    page.fill(f"[name='{id_field}']", "152223194001010015")  # 86: the age condition is met
    page.wait_for_function("() => !document.querySelector('#eligibility .unmet').textContent.includes('80')")
    assert "出生日期 1940-01-01" in page.locator(f"[data-derived='{id_field}']").inner_text()
    screenshot(page, "intake-age-met")

    # Fill the rest, confirm what a person must judge, and open the case.
    page.fill("[name=name]", "巴特尔")
    page.fill("[name=phone]", "13900000001")
    page.fill("[name=hukou_address]", "152223")
    page.select_option("[name=living_place]", index=1)
    page.select_option("[name=applicant_type]", "self")
    page.fill("[name=bank_name]", "农村信用社")
    page.fill("[name=bank_account]", "6230000000000000")
    page.select_option("[name=receives_elsewhere]", "false")
    for box in page.locator("input[name=confirmed]").all():
        box.check()
    page.wait_for_function("() => document.querySelector('#eligibility .verdict').textContent === '符合条件'")
    page.get_by_role("button", name="受理并建档").click()
    assert "已建档：办件编号" in page.content()
    assert "152223********0015" in page.content()
    screenshot(page, "case-opened")

    page.get_by_role("button", name="生成材料清单").click()
    assert page.locator("table.material-checklist tbody tr").count() >= 3
    screenshot(page, "case-materials")
