"""In real Chromium (issue 18, 工信部 适老化): a citizen taps 长辈版 in the header, with JavaScript or
without; after a reload the pages are still in 长辈版, with text of at least 24 px (18 pt), main
controls at least 60 × 60 px and one column; 标准版 switches back. Screenshots of 长辈版 are saved."""

import datetime

import pytest

from case_screens import make_site, open_elderly_case, signed_in, with_result
from conftest import needs_chromium, quiet_server, screenshot
from daiban.models import Case, User

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published and a rating link for a case whose result is in."""
    from daiban.supervision.ratings import issue_link

    app = make_site(db_url, tmp_path / "uploads")
    open_elderly_case(signed_in(app, "village"))
    case = with_result(Case.get())
    token, _link = issue_link(case, User.get(User.username == "village"), datetime.date.today(),
                              app.extensions["daiban"].supervision)
    return app, token


def in_elder_mode(page) -> bool:
    return page.evaluate("() => document.documentElement.classList.contains('elder')")


def smallest_text(page) -> tuple[float, str]:
    """The smallest font size of any visible text in the page's main part and header, with its text."""
    return tuple(page.evaluate("""() => {
        let smallest = [1000, ''];
        for (const e of document.querySelectorAll('main *, .site-header *')) {
            const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            if (!own || !e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
            const size = parseFloat(getComputedStyle(e).fontSize);
            if (size < smallest[0]) smallest = [size, e.tagName + ' ' + e.textContent.trim().slice(0, 20)];
        }
        return smallest;
    }"""))


def small_targets(page) -> list[str]:
    """Main controls (buttons, fields, answers, the switch, the catalog's matter links) under
    60 × 60 px."""
    return page.evaluate("""() => [...document.querySelectorAll(
            'main .btn, main .form-control, main .form-check-label, .view-switch, .staff-login,'
            + ' .catalog-table td.matter-name a')]
        .filter(e => e.getClientRects().length)
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => r.height < 59.5 || r.width < 59.5)
        .map(([e, r]) => e.tagName + ' ' + e.textContent.trim().slice(0, 12) + ' ' + Math.round(r.width)
             + '×' + Math.round(r.height))""")


def off_screen(page) -> list[str]:
    """Controls in the page's main part that stick out of the screen, left or right."""
    return page.evaluate("""() => [...document.querySelectorAll('main input, main select, main button,'
                                                              + ' main a')]
        .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 1 && (r.left < -1 || r.right > innerWidth + 1); })
        .map(e => e.tagName + ' ' + (e.id || e.name || e.textContent.trim().slice(0, 12)))""")


def columns(page, selector: str) -> int:
    """How many side-by-side columns the elements matching `selector` form."""
    return page.evaluate("""(selector) => new Set([...document.querySelectorAll(selector)]
        .filter(e => e.getClientRects().length).map(e => Math.round(e.getBoundingClientRect().left))).size""",
                         selector)


def check_elder_page(page, name: str) -> None:
    """Assert what 长辈版 promises on the page on the screen, and save its screenshot."""
    assert in_elder_mode(page), name
    size, where = smallest_text(page)
    assert size >= 24, (name, size, where)
    assert not small_targets(page), (name, small_targets(page))
    assert not off_screen(page), (name, off_screen(page))
    assert page.get_by_role("link", name="切换到标准版").is_visible(), name


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_one_tap_on_the_switch_gives_elder_mode_that_stays_after_a_reload(site, serve, page):
    app, token = site
    base = serve(app)
    page.set_viewport_size(PHONE)
    page.goto(base + "/matters/YLFW-0001")
    body = float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))
    assert not in_elder_mode(page) and body < 24
    switch = page.get_by_role("link", name="切换到长辈版")
    assert switch.is_visible() and switch.bounding_box()["height"] >= 44
    switch.click()  # elder.js: the page changes in place
    page.wait_for_function("() => document.documentElement.classList.contains('elder')")
    assert page.url == base + "/matters/YLFW-0001"
    page.reload()
    check_elder_page(page, "guide")
    body = float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))
    assert body >= 24
    assert columns(page, ".guide dt") == 1  # the facts in one column, not two
    screenshot(page, "elder-guide-390")

    for name, path in (("catalog", "/"), ("rate", f"/rate/{token}"), ("login", "/login"),
                       ("notice", "/matters/YLFW-0001/notice"), ("not-found", "/matters/NOPE-0001")):
        page.goto(base + path)
        if name == "notice":  # the print view: its own toolbar and type, 长辈版 on screen
            assert in_elder_mode(page)
            assert page.get_by_role("link", name="切换到标准版").bounding_box()["height"] >= 59.5
            assert float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")) >= 24
        else:
            check_elder_page(page, name)
        if name == "catalog":
            assert not page.get_by_text("SHBX-0001").is_visible()  # codes are secondary text
            assert columns(page, "td.matter-name") == 1
        screenshot(page, f"elder-{name}-390")
    page.set_viewport_size(DESKTOP)
    for name, path in (("catalog", "/"), ("guide", "/matters/YLFW-0001"), ("rate", f"/rate/{token}")):
        page.goto(base + path)
        check_elder_page(page, f"{name} at 1366")
        screenshot(page, f"elder-{name}-1366")
    assert columns(page, ".rating-page .form-group") == 1
    page.set_viewport_size({"width": 320, "height": 640})  # 长辈版 on the smallest screen still reflows
    for path in ("/", "/matters/SHJZ-0001", f"/rate/{token}"):
        page.goto(base + path)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), path
    screenshot(page, "elder-rate-320")

    page.get_by_role("link", name="切换到标准版").click()
    page.wait_for_function("() => !document.documentElement.classList.contains('elder')")
    page.reload()
    assert not in_elder_mode(page) and page.get_by_role("link", name="切换到长辈版").is_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "daiban_view" not in cookies
    storage = page.evaluate("() => localStorage.length + sessionStorage.length")
    assert storage == 0  # nothing about the reader kept in the browser


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_switch_works_without_javascript(site, serve, browser):
    app, _token = site
    base = serve(app)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/?q=gljt")
    with page.expect_navigation():
        page.get_by_role("link", name="切换到长辈版").click()
    assert page.url == base + "/?q=gljt"  # back on the same page, same search
    page.reload()
    check_elder_page(page, "catalog without JavaScript")
    cookie = next(c for c in context.cookies() if c["name"] == "daiban_view")
    assert cookie["value"] == "elder" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    with page.expect_navigation():
        page.get_by_role("link", name="切换到标准版").click()
    assert not in_elder_mode(page)
    context.close()
