"""In real Chromium (issue 18, the forms): an agent fills the 低保 form (SHJZ-0001) with the keyboard
alone, household table included, follows the error summary to each mistake and opens the case; a
refused model form and the catalog editor open with their summaries too; on a phone every button,
box, checkbox and radio is a 44 × 44 px target and nothing is wider than the screen. Screenshots
of the error summary at 1366 and 390 px are saved under test-artifacts/."""

import re

import pytest

from case_screens import PASSWORD, make_site, open_elderly_case, signed_in, with_result
from conftest import CONFIG, needs_chromium, quiet_server, screenshot
from daiban.accounts import create_user
from daiban.models import Case, ServiceCenter

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PHONE = {"width": 390, "height": 844}
APPLICANT = "152223197001010019"
SPOUSE = "152223197203030026"
TYPO = SPOUSE[:-1] + "7"  # one digit off: the check digit no longer fits
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def _site(db_url, serve, tmp_path) -> str:
    """The catalog published, the case screens' agents and a bureau user, served with CSRF on."""
    from daiban.web import create_app

    make_site(db_url, tmp_path / "uploads")
    create_user("bureau", "政务局", PASSWORD, ["bureau"],
                center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    create_user("admin", "管理员", PASSWORD, ["system_admin"],
                center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    return serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG),
                             "UPLOAD_DIR": str(tmp_path / "uploads")}))


def focused(page) -> dict:
    """What has the keyboard focus: its id, name, tag and text."""
    return page.evaluate("""() => { const e = document.activeElement;
        return {id: e.id, name: e.getAttribute('name') || '', tag: e.tagName,
                text: (e.innerText || e.value || '').trim().slice(0, 80)}; }""")


def is_focused(page, css: str) -> bool:
    return page.evaluate("css => !!document.activeElement && document.activeElement.matches(css)", css)


def tab_to(page, css: str, *, back: bool = False, limit: int = 200) -> int:
    """Press Tab (Shift+Tab when `back`) until the element matching `css` has the focus; the
    number of presses. Fails, saying where the focus stopped, if it never comes."""
    for presses in range(limit):
        if is_focused(page, css):
            return presses
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{css} never took the focus; it is on {focused(page)}")


def type_next(page, css: str, text: str) -> None:
    """Tab once, land on `css` (the order of the form is part of the test), type `text`."""
    page.keyboard.press("Tab")
    assert is_focused(page, css), (css, focused(page))
    page.keyboard.type(text)


def choose_next(page, css: str, steps: int) -> None:
    """Tab once, land on the select `css`, move `steps` options down with the arrow key."""
    page.keyboard.press("Tab")
    assert is_focused(page, css), (css, focused(page))
    for _ in range(steps):
        page.keyboard.press("ArrowDown")


def axe_violations(page) -> list:
    """axe-core's WCAG A/AA violations on the page as it is now: (rule, target) pairs."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    return [(rule["id"], node["target"]) for rule in found for node in rule["nodes"]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_the_low_income_form_is_filled_fixed_and_opened_with_the_keyboard_alone(db_url, db, serve, page,
                                                                                tmp_path, width):
    """Tab and Shift+Tab move, Space ticks and presses, Enter presses and follows links, the arrow
    keys pick in a select and the text is typed: the mouse is never used."""
    page.set_viewport_size({"width": width, "height": 900})
    base = _site(db_url, serve, tmp_path)
    page.goto(f"{base}/login")
    tab_to(page, "[name=username]")
    page.keyboard.type("village")
    type_next(page, "[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{base}/admin/intake/SHJZ-0001/")

    # 申请人信息, in the order of the form.
    tab_to(page, "#f-name")
    page.keyboard.type("巴图")
    type_next(page, "#f-id_number", APPLICANT)
    type_next(page, "#f-phone", "13900000002")
    type_next(page, "#f-hukou_address", "152223")
    choose_next(page, "#f-hukou_type", 1)          # 农村牧区低保
    choose_next(page, "#f-applicant_type", 1)      # 申请人本人
    # The household table: the first member, the applicant.
    type_next(page, "#f-members-0-member_name", "巴图")
    type_next(page, "#f-members-0-member_id_number", APPLICANT)
    choose_next(page, "#f-members-0-relation", 1)  # 本人
    choose_next(page, "#f-members-0-health", 1)    # 健康
    page.keyboard.press("Tab")                     # 残疾等级: not disabled
    choose_next(page, "#f-members-0-work_status", 2)  # 务农、放牧
    type_next(page, "#f-members-0-income", "300")
    # 添加一行 with Space: the page comes back with a second row, which has the focus.
    page.keyboard.press("Tab")
    assert is_focused(page, "button[value='add:members']"), focused(page)
    with page.expect_navigation():
        page.keyboard.press(" ")
    assert is_focused(page, "#f-members-1-member_name"), focused(page)
    assert page.locator(".error-summary").count() == 0  # adding a row is not a check
    page.keyboard.type("其其格")
    type_next(page, "#f-members-1-member_id_number", TYPO)
    choose_next(page, "#f-members-1-relation", 2)  # 配偶
    choose_next(page, "#f-members-1-health", 1)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")                     # 就业（劳动）状况 left empty: a mistake
    assert is_focused(page, "#f-members-1-work_status")
    type_next(page, "#f-members-1-income", "0")
    # The rest of the form.
    tab_to(page, "#f-household_income_per_capita")
    page.keyboard.type("150")
    type_next(page, "#f-local_standard", "800")
    for name in ("owns_vehicle", "extra_housing", "runs_business"):
        choose_next(page, f"#f-{name}", 2)         # 否
    tab_to(page, "#f-reason")
    page.keyboard.type("家中主要劳动力患病，收入低于当地低保标准")
    choose_next(page, "#f-authorize_check", 1)     # 是
    type_next(page, "#f-bank_account", "6230000000000000")

    # Enter in a text box is 检查 (not 添加一行): the form comes back with its error summary,
    # which has the focus.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("tr.group-row").count() == 2
    summary = page.locator(".error-summary")
    assert is_focused(page, ".error-summary"), focused(page)
    assert summary.get_by_role("heading").inner_text() == "有 2 处需要修改"
    links = summary.get_by_role("link")
    assert links.count() == 2
    assert links.nth(0).inner_text().startswith("第 2 位家庭成员：公民身份号码校验位不对")
    assert links.nth(1).inner_text() == "第 2 位家庭成员：请填写“就业（劳动）状况”"
    spouse_id = page.get_by_role("textbox", name="第 2 位家庭成员 公民身份号码")
    assert spouse_id.get_attribute("aria-invalid") == "true"
    assert spouse_id.evaluate("e => e.scrollWidth <= e.clientWidth"), "the mistyped number is cut off"
    screenshot(page, f"forms-error-summary-{width}")
    assert axe_violations(page) == []  # the page with its errors shown, too
    assert is_focused(page, ".error-summary")
    if width == 390:
        assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0

    # Follow the first link: the focus goes into the field; retype the number (Shift+Tab, Tab
    # selects what is there, so typing replaces it).
    page.keyboard.press("Tab")
    assert is_focused(page, ".error-summary li:nth-child(1) a")
    page.keyboard.press("Enter")
    assert is_focused(page, "#f-members-1-member_id_number"), focused(page)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    page.keyboard.type(SPOUSE)
    assert page.input_value("#f-members-1-member_id_number") == SPOUSE
    # Back up to the second link, follow it, choose the missing answer.
    tab_to(page, ".error-summary li:nth-child(2) a", back=True)
    page.keyboard.press("Enter")
    assert is_focused(page, "#f-members-1-work_status"), focused(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    # What only a person can judge, ticked with Space.
    boxes = page.locator("input[name=confirmed]").evaluate_all("boxes => boxes.map(b => b.id)")
    assert len(boxes) >= 3
    for box in boxes:
        tab_to(page, f"#{box}")
        page.keyboard.press(" ")
        assert page.is_checked(f"#{box}")
    page.wait_for_function("() => document.querySelector('#eligibility .verdict').textContent === '符合条件'")
    # 受理并建档 with Enter.
    tab_to(page, "button[formaction$='/open']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已建档：办件编号" in page.content()
    case = Case.get()
    assert case.matter_code == "SHJZ-0001" and case.matter_version == 2
    screenshot(page, f"forms-keyboard-case-opened-{width}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_refused_model_form_and_the_catalog_editor_lead_to_each_field_in_error(db_url, db, serve, page,
                                                                                tmp_path):
    base = _site(db_url, serve, tmp_path)
    from conftest import sign_in

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, base, "admin", PASSWORD)
    page.goto(f"{base}/admin/department/new/")
    page.fill("#code", "banner-civil-affairs-bureau")  # taken
    page.fill("#name", "又一个民政局")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    assert is_focused(page, ".error-summary"), focused(page)
    link = page.locator(".error-summary").get_by_role("link")
    assert link.count() == 1 and "已有编码为“banner-civil-affairs-bureau”" in link.inner_text()
    code = page.get_by_role("textbox", name="编码")
    assert code.get_attribute("aria-invalid") == "true"
    assert "已有编码为" in page.locator(f"#{code.get_attribute('aria-describedby')}").inner_text()
    assert axe_violations(page) == []
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert is_focused(page, "#code")
    screenshot(page, "forms-model-form-summary-1366")

    page.context.clear_cookies()
    sign_in(page, base, "bureau", PASSWORD)
    page.goto(f"{base}/admin/matters/edit/YLFW-0001/")
    assert page.locator(".error-summary[data-focus-on-load]").count() == 0  # opening: no jump
    page.locator("details[data-item='/materials/0'] > summary").click()  # a filled item is folded
    page.fill("[name='/materials/0/name']", "")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert is_focused(page, ".error-summary"), focused(page)
    link = page.locator(".error-summary").get_by_role("link", name="申请材料 › 第 1 项 › 材料名称")
    link.focus()
    page.keyboard.press("Enter")
    assert is_focused(page, "[name='/materials/0/name']"), focused(page)
    assert page.get_attribute("[name='/materials/0/name']", "aria-invalid") == "true"
    screenshot(page, "forms-catalog-editor-summary-1366")


def _targets(page, scope: str) -> list[str]:
    """Controls in `scope` smaller than 44 × 44 px: a checkbox or radio by its label, which is its
    target (stretched under the box); the rest by their own box. Hidden controls do not count."""
    return page.evaluate("""scope => {
        const small = [];
        document.querySelectorAll(scope).forEach(root => root.querySelectorAll(
            'button, a.btn, .list-buttons-column a, select, textarea, input:not([type=hidden])'
          ).forEach(e => {
          if (!e.getClientRects().length || e.closest('[hidden]') || e.matches('.enter-default')) return;
          let box = e.getBoundingClientRect();
          if (e.type === 'checkbox' || e.type === 'radio') {
            const label = e.id && document.querySelector(`label[for="${e.id}"]`);
            const own = box;
            box = label ? label.getBoundingClientRect() : own;
            const covers = box.left <= own.left && box.right >= own.right && box.top <= own.top
              && box.bottom >= own.bottom;
            if (!covers) { small.push(`${e.id}: label does not reach under the box`); return; }
          }
          if (box.width < 44 || box.height < 44) {
            const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
            small.push(`${e.tagName} ${e.id || e.name || e.innerText} ${size}`);
          }
        }));
        return small; }""", scope)


def _overflow(page) -> int:
    page.wait_for_load_state("load")
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_a_phone_every_control_is_a_finger_wide_and_nothing_is_wider_than_the_screen(db_url, db, serve,
                                                                                      page, tmp_path):
    from conftest import sign_in

    base = _site(db_url, serve, tmp_path)
    page.set_viewport_size(PHONE)
    sign_in(page, base, "village", PASSWORD)

    # The 低保 form: the household table is one card per member, each input under its label,
    # an 18-digit ID number fully visible.
    page.goto(f"{base}/admin/intake/SHJZ-0001/")
    page.get_by_role("textbox", name="第 1 位家庭成员 公民身份号码").fill(APPLICANT)
    page.get_by_role("button", name="添加一行").click()
    page.wait_for_load_state()
    assert _overflow(page) <= 0
    assert not page.locator("table.group-table thead").is_visible()
    second = page.locator("tr.group-row").nth(1)
    assert second.locator(".group-row-title").inner_text() == "第 2 位家庭成员"
    for label in ("姓名", "公民身份号码", "与申请人关系", "健康状况", "就业（劳动）状况"):
        assert second.locator("label.group-cell-label", has_text=label).first.is_visible(), label
    id_box = page.locator("#f-members-0-member_id_number")
    assert id_box.input_value() == APPLICANT
    assert id_box.evaluate("e => e.scrollWidth <= e.clientWidth"), "the ID number is cut off"
    assert id_box.bounding_box()["x"] + id_box.bounding_box()["width"] <= PHONE["width"]
    assert second.bounding_box()["width"] <= PHONE["width"]
    assert _targets(page, "#intake-form") == []
    screenshot(page, "forms-intake-household-390")
    assert axe_violations(page) == []

    # The case page's materials checklist: named by row, visible labels, finger-sized, fits.
    client = signed_in(make_site_app(db_url, tmp_path), "village")
    open_elderly_case(client)
    case = Case.select().order_by(Case.id.desc()).get()
    page.goto(f"{base}/admin/cases/{case.id}/")
    page.get_by_role("button", name="生成材料清单").click()
    page.wait_for_load_state()
    assert _overflow(page) <= 0
    row = page.locator("table.material-checklist tbody tr").first
    name = row.locator("td.material-name").inner_text().split(" ")[0]
    assert page.get_by_role("spinbutton", name=f"{name} 已收原件份数").is_visible()
    assert page.get_by_role("spinbutton", name=f"{name} 已收复印件份数").is_visible()
    assert row.locator("label.count-label", has_text="原件").first.is_visible()
    assert row.get_by_label(re.compile(f"^选择扫描件\\W*{name}")).count() == 1
    assert row.get_by_role("button", name=f"收取 {name}").is_visible()
    assert _targets(page, "table.material-checklist") == []
    screenshot(page, "forms-checklist-390")

    # Admin buttons on a phone: a list's row actions and the page's buttons.
    page.context.clear_cookies()
    sign_in(page, base, "admin", PASSWORD)
    page.goto(f"{base}/admin/department/")
    assert _targets(page, "table.model-list") == []

    # The citizen's rating page: each answer a line to tap, its radio under it.
    rated = with_result(case)
    link = client.post(f"/admin/ratings/{rated.id}/link").get_data(as_text=True)
    path = re.search(r'class="rating-address[^"]*">([^<]+)<', link).group(1).split("localhost", 1)[-1]
    page.goto(base + path)
    assert _overflow(page) <= 0
    assert page.locator("input[name=level]").count() == 5
    assert _targets(page, ".rating-page form") == []
    screenshot(page, "forms-rating-390")


def make_site_app(db_url, tmp_path):
    """A second app on the same database (CSRF off) for setting up through the test client."""
    from daiban.web import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(tmp_path / "uploads")})
