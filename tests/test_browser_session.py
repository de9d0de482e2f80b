"""In real Chromium, with a 20-second idle time: the warning before the idle sign-out, 继续使用,
and an intake form that outlives its session and is opened as a case after signing in in place."""

import pytest

from case_screens import BORN_1940, PASSWORD, make_site
from conftest import CONFIG, needs_chromium, quiet_server, screenshot, sign_in
from daiban.cases.personal import reveal_values
from daiban.models import Case

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
IDLE = 20  # seconds (SESSION_IDLE_SECONDS): the warning comes at half of it, 10 seconds before
# Every control of the intake form, by name: its value, or for a checkbox whether it is ticked.
FORM_STATE = """() => Array.from(document.getElementById('intake-form').elements)
  .filter(e => e.name && e.type !== 'submit' && e.type !== 'hidden')
  .map(e => [e.name, e.type === 'checkbox' ? e.checked : e.value])"""


def _site(db_url, serve, uploads, idle: int = IDLE) -> str:
    from daiban.web import create_app

    make_site(db_url, uploads)
    return serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(uploads),
                             "SESSION_IDLE_SECONDS": idle}))


def _status(page, base: str) -> dict:
    """The session as the server sees it, asked with the page's cookies but not through the page
    (whose requests wait while the session is gone)."""
    return page.request.get(f"{base}/session/status").json()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_warning_counts_down_and_continuing_keeps_the_agent_signed_in(db_url, db, serve, page, tmp_path):
    base = _site(db_url, serve, tmp_path / "uploads")
    sign_in(page, base, "village", PASSWORD)
    page.goto(f"{base}/admin/cases/")
    warning = page.get_by_role("alertdialog", name="即将因长时间未操作而退出登录")
    warning.wait_for(timeout=(IDLE + 5) * 1000)
    assert "秒后将自动退出登录" in warning.inner_text()
    assert page.evaluate("() => document.activeElement.textContent") == "继续使用"
    first = warning.locator(".session-countdown").inner_text()
    page.wait_for_function(f"() => document.querySelector('.session-countdown').textContent !== '{first}'")
    screenshot(page, "session-warning")

    page.get_by_role("button", name="继续使用").click()
    warning.wait_for(state="hidden")
    assert _status(page, base)["seconds_left"] > IDLE - 5
    page.wait_for_timeout(IDLE // 2 * 1000 + 1000)  # past the end the warning had counted down to
    page.reload()
    assert page.url.endswith("/admin/cases/")
    assert "退出登录" in page.locator("nav").inner_text()
    assert _status(page, base)["signed_in"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_form_outlives_its_session_and_opens_the_case_after_signing_in_in_place(db_url, db, serve, page,
                                                                                   tmp_path):
    base = _site(db_url, serve, tmp_path / "uploads")
    sign_in(page, base, "village", PASSWORD)
    page.goto(f"{base}/admin/intake/YLFW-0001/")
    page.fill("[name=name]", "巴特尔")
    page.fill("[name=id_number]", BORN_1940)
    page.fill("[name=phone]", "13900000001")
    page.fill("[name=hukou_address]", "152223")
    page.select_option("[name=living_place]", index=1)
    page.select_option("[name=applicant_type]", "self")
    page.fill("[name=bank_name]", "农村信用社")
    page.fill("[name=bank_account]", "6230000000000000")
    page.select_option("[name=receives_elsewhere]", "false")
    page.select_option("[name=channel]", "home_visit")
    for box in page.locator("input[name=confirmed]").all():
        box.check()
    page.wait_for_function("() => document.querySelector('#eligibility .verdict').textContent === '符合条件'")
    typed = page.evaluate(FORM_STATE)

    # The agent talks with the family and the session runs out: a dialog over the page asks to sign in.
    expired = page.get_by_role("dialog", name="登录已超时，请重新登录")
    expired.wait_for(timeout=(IDLE + 10) * 1000)
    assert not _status(page, base)["signed_in"]
    assert page.input_value("#session-username") == "village"
    assert not page.locator("#intake-form").is_visible()  # kept, but unseen by whoever passes
    screenshot(page, "session-expired")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "session-expired-390")

    page.fill("#session-password", "Not-the-pass-1")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_selector(".session-error:not([hidden])")
    assert "用户名或密码不正确" in page.locator(".session-error").inner_text()
    assert expired.is_visible()

    # A live eligibility check fired now waits for the sign-in, then goes with the new token,
    # and its answer leaves the new session's cookie in place.
    page.evaluate("() => document.getElementById('intake-form')"
                  ".dispatchEvent(new Event('change', {bubbles: true}))")
    page.fill("#session-password", PASSWORD)
    with page.expect_response("**/check") as checked:
        page.get_by_role("button", name="登录", exact=True).click()
    assert checked.value.ok
    expired.wait_for(state="hidden")
    assert page.locator("#intake-form").is_visible()
    assert _status(page, base)["signed_in"]
    assert page.evaluate(FORM_STATE) == typed

    with page.expect_navigation():
        page.get_by_role("button", name="检查").click()
    assert "CSRF" not in page.content() and "登录" not in page.locator("h1").inner_text()
    assert page.evaluate(FORM_STATE) == typed
    with page.expect_navigation(url="**/admin/cases/*/"):
        page.get_by_role("button", name="受理并建档").click()
    assert "已建档：办件编号" in page.content()
    case = Case.get()
    stored = reveal_values(case, by="tester", reason="test")
    assert (case.applicant_name, case.channel) == ("巴特尔", "home_visit")
    assert case.first_agent.username == "village"
    assert {name: stored[name] for name in ("name", "id_number", "phone", "hukou_address", "bank_name",
                                            "bank_account", "receives_elsewhere", "applicant_type")} == {
        "name": "巴特尔", "id_number": BORN_1940, "phone": "13900000001", "hukou_address": "152223",
        "bank_name": "农村信用社", "bank_account": "6230000000000000", "receives_elsewhere": False,
        "applicant_type": "self"}
    assert stored["living_place"] == dict(typed)["living_place"]
    # Nothing typed was kept in the browser's storage of a possibly shared computer.
    assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_signing_in_again_in_another_tab_brings_the_page_back_but_another_account_does_not(
        db_url, db, serve, page, tmp_path):
    idle = 30  # time enough to act between the page taking up the new session and its warning
    base = _site(db_url, serve, tmp_path / "uploads", idle)
    sign_in(page, base, "village", PASSWORD)
    page.goto(f"{base}/admin/intake/YLFW-0001/")
    page.fill("[name=name]", "巴特尔")
    page.fill("[name=bank_name]", "农村信用社")
    typed = page.evaluate(FORM_STATE)
    expired = page.get_by_role("dialog", name="登录已超时，请重新登录")
    expired.wait_for(timeout=(idle + 10) * 1000)

    # The agent signs in again in a second tab: the first one takes up the new session by itself.
    other = page.context.new_page()
    sign_in(other, base, "village", PASSWORD)
    expired.wait_for(state="hidden", timeout=15000)
    assert page.evaluate(FORM_STATE) == typed
    with page.expect_navigation():
        page.get_by_role("button", name="检查").click()
    assert "CSRF" not in page.content() and page.input_value("[name=name]") == "巴特尔"

    # A colleague signs in with their own account in that tab: this page is not theirs to use.
    sign_in(other, base, "township", PASSWORD)
    expired.wait_for(timeout=(idle + 5) * 1000)
    assert page.input_value("#session-username") == "village"
    assert not page.locator("#intake-form").is_visible()
