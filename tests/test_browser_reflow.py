"""In real Chromium (issue 18, WCAG 1.4.4 and 1.4.10): the public pages, the intake form and the case
page read without sideways scrolling with text at 200 % on a 390 px phone and at normal size on a
320 px screen; a table that must stay a table scrolls inside its own box, which can be reached by
keyboard and is named; the site's name is shown whole."""

import datetime

import pytest

from case_screens import PASSWORD, make_site, open_elderly_case, signed_in, with_result
from conftest import ARTIFACTS, needs_chromium, quiet_server, screenshot, sign_in
from daiban.models import Case, User

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PHONE, NARROW = {"width": 390, "height": 844}, {"width": 320, "height": 640}


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def too_wide(page) -> list[str]:
    """The innermost elements that reach past the right edge of the screen, to say what to fix."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
        .slice(0, 5)
        .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))""")


def unreachable_scrollers(page) -> list[str]:
    """Boxes that scroll sideways (a wide table's wrapper) but cannot be reached by keyboard or
    have no name for a screen reader to announce."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
                && e.scrollWidth > e.clientWidth + 1)
        .filter(e => e.tabIndex < 0 || !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'))
                || !['region', 'group'].includes(e.getAttribute('role')))
        .map(e => e.tagName + '.' + e.className)""")


def cut_names(page) -> list[str]:
    """Site names in the header that do not fit their box (shown cut, as 「政务服务帮办代办平」)."""
    return page.evaluate("""() => [...document.querySelectorAll('.navbar-brand')]
        .filter(e => e.offsetParent !== null && (e.scrollWidth > e.clientWidth + 1
                                                 || e.getBoundingClientRect().right > window.innerWidth + 1))
        .map(e => e.textContent.trim())""")


FONT_SIZES_200 = {"standard": 32, "fixed": 26}  # Chromium's defaults are 16 and 13


def enlarge_text(page):
    """Text at 200 %, the way a user asks for it: Chromium's own font-size setting (设置 → 外观 →
    字号 / 自定义字号; Android's 文字缩放 works alike), which doubles the default size that every
    rem, em and % size on the page is taken from. It is the browser's setting, not a style the test
    adds, so anything the page sizes in px would not grow, as for the user; zooming the page
    instead would also narrow the 390 px screen to 195 px, which is not what was asked. Returns
    the DevTools session, which must be kept: Chromium drops the setting when it is closed."""
    session = page.context.new_cdp_session(page)
    session.send("Page.enable")
    session.send("Page.setFontSizes", {"fontSizes": FONT_SIZES_200})
    return session


def screenshot_as_shown(page, name: str) -> None:
    """The whole page as the user sees it, through a window as tall as the page: Playwright's
    full-page screenshot would put Chromium's default font sizes back while it captures."""
    size = page.viewport_size
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(height, 16000)})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def body_font_px(page) -> float:
    """The size of the page's body text, in CSS px."""
    return float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with an elderly citizen's proxy case (checklist built, commission drafted), a case
    whose result is in with two rating links, and a second case for the thanks page."""
    app = make_site(db_url, tmp_path / "uploads")
    client = signed_in(app, "village")
    open_elderly_case(client, mode="proxy", applicant_type="agent", agent_name="周代办",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    client.post(f"/admin/cases/{case.id}/materials/build")
    client.post(f"/admin/cases/{case.id}/commission/draft")
    from daiban.supervision.ratings import issue_link

    agent, settings = User.get(User.username == "village"), app.extensions["daiban"].supervision
    tokens = []
    for number in ("152223194001010023", "152223193905050015"):
        open_elderly_case(client, name="其其格", id_number=number)
        rated = with_result(Case.select().order_by(Case.id.desc()).first())
        tokens.append(issue_link(rated, agent, datetime.date.today(), settings)[0])
    return app, case, tokens


def screens(case, tokens) -> list[tuple[str, str | None, str, str]]:
    """(name, who signs in, path, what to press first or "") of the pages that must reflow."""
    return [
        ("catalog", None, "/", ""),
        ("guide", None, "/matters/YLFW-0001", ""),
        ("guide-SHJZ-0001", None, "/matters/SHJZ-0001", ""),
        ("notice", None, "/matters/SHJZ-0001/notice", ""),
        ("login", None, "/login", ""),
        ("rate", None, f"/rate/{tokens[0]}", ""),
        ("rate-thanks", None, f"/rate/{tokens[1]}", "提交评价"),
        ("not-found", None, "/matters/NOPE-0001", ""),
        ("intake", "village", "/admin/intake/YLFW-0001/", ""),
        ("intake-errors", "village", "/admin/intake/YLFW-0001/", "检查"),
        ("intake-SHJZ-0001", "village", "/admin/intake/SHJZ-0001/", ""),
        ("case", "village", f"/admin/cases/{case.id}/", ""),
    ]


def walk(page, base, case, tokens, label: str, big_text: bool = False) -> dict[str, object]:
    """Open every screen (with text at 200 % if `big_text`); what went wrong on each, by name."""
    problems: dict[str, object] = {}
    page.goto(base + "/")  # the setting holds for the site's pages, not across a move from about:blank
    session = enlarge_text(page) if big_text else None
    signed_in_as = None
    for name, user, path, button in screens(case, tokens):
        if user != signed_in_as:
            page.context.clear_cookies()
            if user:
                sign_in(page, base, user, PASSWORD)
            signed_in_as = user
        page.goto(base + path)
        if button == "提交评价":
            page.get_by_label("满意", exact=True).check()
        if button:
            with page.expect_navigation():
                page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state("load")
        found = {}
        if big_text and body_font_px(page) < 32:  # text sized in px would not grow
            found["body text not at 200 %"] = body_font_px(page)
        if overflow(page) > 0:
            found["wider than the screen by"] = (overflow(page), too_wide(page))
        if unreachable_scrollers(page):
            found["scrolling box without keyboard access or name"] = unreachable_scrollers(page)
        if cut_names(page):
            found["site name cut"] = cut_names(page)
        if found:
            problems[name] = found
        if big_text:
            screenshot_as_shown(page, f"reflow-{label}-{name}")
        else:
            screenshot(page, f"reflow-{label}-{name}")
    if session is not None:
        session.detach()
    return problems


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_text_at_200_percent_on_a_390_px_phone_needs_no_sideways_scrolling(site, serve, page):
    app, case, tokens = site
    base = serve(app)
    page.set_viewport_size(PHONE)
    problems = walk(page, base, case, tokens, "200-390", big_text=True)
    assert not problems, problems


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_320_px_screen_needs_no_sideways_scrolling(site, serve, page):
    app, case, tokens = site
    base = serve(app)
    page.set_viewport_size(NARROW)
    problems = walk(page, base, case, tokens, "320")
    assert not problems, problems

