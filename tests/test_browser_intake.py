"""In real Chromium: a village agent finds a matter by pinyin and fills its live intake form."""

import pytest

from conftest import CONFIG, TODAY, needs_chromium, quiet_server, screenshot
from daiban.accounts import create_user
from daiban.catalog import idnumbers
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
    # The form's scripts must be listening before the first keystroke, or no live check is sent.
    page.wait_for_url("**/admin/intake/YLFW-0001/")
    page.wait_for_load_state("load")
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


def _site(db_url, serve, uploads):
    """The catalog published, the case screens' agents, served with CSRF on."""
    from case_screens import make_site
    from daiban.web import create_app

    make_site(db_url, uploads)
    return serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(uploads)}))


def _fill_elderly(page, id_number):
    page.fill("[name=name]", "巴特尔")
    page.fill("[name=id_number]", id_number)
    page.fill("[name=phone]", "13900000001")
    page.fill("[name=hukou_address]", "152223")
    page.select_option("[name=living_place]", index=1)
    page.select_option("[name=applicant_type]", "self")
    page.fill("[name=bank_name]", "农村信用社")
    page.fill("[name=bank_account]", "6230000000000000")
    page.select_option("[name=receives_elsewhere]", "false")
    for box in page.locator("input[name=confirmed]").all():
        box.check()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_a_typo_at_opening_keeps_everything_typed_and_a_stray_consultation_click_records_nothing(
        db_url, db, serve, page, width, tmp_path):
    from conftest import sign_in
    from daiban.models import Case, Consultation

    page.set_viewport_size({"width": width, "height": 900})
    base = _site(db_url, serve, tmp_path / "uploads")
    sign_in(page, base, "village", PASSWORD)
    page.goto(f"{base}/admin/intake/YLFW-0001/")
    _fill_elderly(page, "152223194001010016")  # one digit wrong
    page.get_by_role("button", name="受理并建档").click()
    page.wait_for_selector(".intake-notice")
    assert "本次没有建档" in page.locator(".intake-notice").inner_text()
    assert page.input_value("[name=name]") == "巴特尔"
    assert page.input_value("[name=bank_account]") == "6230000000000000"
    assert page.input_value("[name=id_number]") == "152223194001010016"
    beside = page.locator("[data-field=id_number] .invalid-feedback").inner_text()
    assert "校验位不对" in beside
    assert all(box.is_checked() for box in page.locator("input[name=confirmed]").all())
    screenshot(page, f"intake-kept-as-typed-{width}")

    # A stray click on 只是咨询: asked first; dismissed, nothing is recorded and the form stays.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="只是咨询，不建档").click()
    assert page.input_value("[name=name]") == "巴特尔" and not Consultation.select().exists()
    # Accepted without a note: refused with the message beside the note, the form still filled.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="只是咨询，不建档").click()
    page.wait_for_selector(".consult .invalid-feedback")
    assert "请写一句咨询了什么" in page.locator(".consult .invalid-feedback").inner_text()
    assert page.input_value("[name=bank_account]") == "6230000000000000"
    assert not Consultation.select().exists()
    screenshot(page, f"intake-consult-needs-note-{width}")

    # Corrected, it opens the case.
    page.fill("[name=id_number]", "152223194001010015")
    page.get_by_role("button", name="受理并建档").click()
    assert "已建档：办件编号" in page.content() and Case.select().count() == 1
    assert "办理人" in page.content()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_minor_is_applied_for_by_a_guardian(db_url, db, serve, page, tmp_path):
    import datetime

    from conftest import sign_in
    from daiban.cases.applicant import acting_person
    from daiban.models import Case

    base = _site(db_url, serve, tmp_path / "uploads")
    sign_in(page, base, "village", PASSWORD)
    page.goto(f"{base}/admin/intake/SHJZ-0003/")
    first17 = f"152223{datetime.date.today().year - 10}0101001"
    total = sum(int(d) * w for d, w in zip(first17, idnumbers.ID_WEIGHTS, strict=True))
    page.fill("[name=id_number]", first17 + idnumbers.ID_CHECK[total % 11])
    page.select_option("[name=applicant_type]", "self")
    page.wait_for_function(
        "() => document.querySelector('#acting .acting-error') !== null")
    assert "不能本人申请" in page.locator("#acting .acting-error").inner_text()
    assert page.locator(".acting-guardian").is_hidden()
    page.select_option("[name=applicant_type]", "guardian")  # the role follows the matter's choice
    page.wait_for_function("() => !document.querySelector('.acting-guardian').hidden")
    assert page.input_value("[name=acting-role]") == "guardian"
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("#acting").scroll_into_view_if_needed()
    screenshot(page, "intake-guardian-1366")
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot(page, "intake-guardian-390")
    page.fill("[name=name]", "小明")
    page.fill("[name=hukou_address]", "152223")
    page.select_option("[name=has_disability_card]", "false")
    page.fill("[name=monthly_income]", "0")
    page.fill("[name=local_dibao_standard]", "800")
    page.fill("[name=acting-guardian_name]", "娜仁")
    page.select_option("[name=acting-guardian_relation]", "parent")
    page.fill("[name=acting-guardian_id_number]", "15222319800101003X")
    page.select_option("[name=assets_within_limit]", "true")
    page.select_option("[name=support_mode]", index=1)
    page.select_option("[name=self_care]", index=1)
    for box in page.locator("input[name=confirmed]").all():
        box.check()
    page.wait_for_function("() => document.querySelector('#eligibility .verdict').textContent === '符合条件'")
    page.get_by_role("button", name="受理并建档").click()
    assert "已建档：办件编号" in page.content()
    assert "监护人：娜仁（父母，公民身份号码 152223********003X）" in page.content()
    assert acting_person(Case.get()).name == "娜仁"
    screenshot(page, "intake-guardian-case-390")
