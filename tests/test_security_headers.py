"""Security headers on every response, pages without inline script, the session cookie behind
HTTPS and the client's address behind a trusted proxy (issue 9, secure by default)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from case_screens import PASSWORD, fill_with_demo, make_site, open_elderly_case, signed_in, with_result
from conftest import CONFIG, needs_chromium, needs_pdf, screenshot, sign_in
from daiban.models import AuditLog
from daiban.web import create_app

NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'")
DIRECTIVES = ("default-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
              "font-src 'self' data:", "base-uri 'self'", "form-action 'self'",
              "frame-ancestors 'none'")


def assert_security_headers(response, https: bool = False, where: str = "") -> str:
    """Check the headers every response carries; return the response's script nonce."""
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    nonce = NONCE.search(policy)
    assert nonce, f"{where}: {policy!r}"
    for directive in DIRECTIVES:
        assert directive in policy, f"{where}: {directive}"
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0], where
    pdf = response.mimetype == "application/pdf"
    assert ("object-src 'self'" if pdf else "object-src 'none'") in policy, where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "same-origin", where
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", where
    assert "camera=()" in headers["Permissions-Policy"], where
    assert "geolocation=()" in headers["Permissions-Policy"], where
    assert ("Strict-Transport-Security" in headers) == https, where
    return nonce.group(1)


class PageScripts(HTMLParser):
    """The scripts, inline handlers, javascript: links and same-site links of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts = []  # attrs of each <script>, with the text of inline ones under "text"
        self.handlers = []  # (tag, attribute) of on*= attributes
        self.javascript_links = []
        self.links = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [(tag, name) for name in attrs if name.startswith("on")]
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip()
            if value.lower().startswith("javascript:"):
                self.javascript_links.append((tag, value))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script":
            self._script = {**attrs, "text": ""}
            self.scripts.append(self._script)

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def assert_no_inline_script(response, https: bool = False, where: str = "") -> PageScripts:
    """An HTML page runs only script files of its own site (or nonce-carrying inline ones)."""
    nonce = assert_security_headers(response, https=https, where=where)
    parsed = PageScripts()
    parsed.feed(response.get_data(as_text=True))
    for script in parsed.scripts:
        src = script.get("src")
        if src:
            assert not urlsplit(src).netloc, f"{where}: script from elsewhere {src}"
        else:
            assert script.get("nonce") == nonce, f"{where}: inline script {script['text'][:80]!r}"
    assert parsed.handlers == [], f"{where}: inline handlers {parsed.handlers}"
    # Flask-Admin's menus use href="javascript:void(0)", which daiban.js never follows.
    assert {value for _, value in parsed.javascript_links} <= {"javascript:void(0)"}, where
    return parsed


@pytest.fixture
def site(db_url, db, tmp_path):
    """The published catalog, two agents and the app (CSRF off, as in the case screens' tests)."""
    return make_site(db_url, tmp_path / "uploads")


def another_app(db_url, tmp_path, **config):
    """A second app on the same database, with some settings changed."""
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(tmp_path / "uploads"), **config})


# ---- headers -----------------------------------------------------------------------------------

def test_every_kind_of_response_carries_the_headers(site):
    public = site.test_client()
    responses = {
        "login page": public.get("/login"),
        "catalog": public.get("/"),
        "guide": public.get("/matters/YLFW-0001"),
        "notice print page": public.get("/matters/YLFW-0001/notice"),
        "static file": public.get("/static/daiban.js"),
        "vendor file": public.get("/vendor/bootstrap/bootstrap4/css/bootstrap.min.css"),
        "404": public.get("/no-such-page"),
        "redirect to login": public.get("/admin/cases/"),
    }
    village = signed_in(site, "village")
    responses["workbench"] = village.get("/admin/cases/")
    responses["403"] = village.get("/admin/app_user/")
    responses["redirect after a post"] = village.post("/logout")
    expected = {"404": 404, "403": 403, "redirect to login": 302, "redirect after a post": 302}
    nonces = set()
    for where, response in responses.items():
        assert response.status_code == expected.get(where, 200), where
        nonces.add(assert_security_headers(response, where=where))
        response.close()
    assert len(nonces) == len(responses)  # a fresh nonce each time


def test_a_server_error_carries_the_headers(db_url, db, tmp_path):
    app = another_app(db_url, tmp_path, TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert_security_headers(response, where="500")


@needs_pdf
def test_a_pdf_carries_the_headers_and_may_be_shown_by_the_browsers_viewer(site):
    response = site.test_client().get("/matters/YLFW-0001/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_security_headers(response, where="notice PDF")


def test_https_adds_strict_transport_security(db_url, db, tmp_path):
    app = another_app(db_url, tmp_path, HTTPS=True)
    for path in ("/login", "/static/daiban.js", "/no-such-page"):
        response = app.test_client().get(path)
        assert_security_headers(response, https=True, where=path)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        response.close()


# ---- pages without inline script ----------------------------------------------------------------

SKIP = re.compile(r"/(export|pdf|scans|evidence)\b|\.pdf$|\.xlsx$|/logout")


def crawl(client, start: list[str], budget: int) -> dict[str, PageScripts]:
    """Follow the site's own links from `start` (breadth first, one page per kind of path: record
    numbers count as one), checking every HTML page on the way; return the pages seen by kind."""
    seen: dict[str, PageScripts] = {}
    queue = list(start)
    while queue and len(seen) < budget:
        url = queue.pop(0)
        parts = urlsplit(url)
        kind = re.sub(r"[A-Z]{2,}-\d+|\d+", "N", parts.path)  # matter codes too
        if parts.netloc or kind in seen or SKIP.search(parts.path):
            continue
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code != 200:
            assert_security_headers(response, where=url)
            seen[kind] = PageScripts()
            continue
        page = assert_no_inline_script(response, where=url)
        seen[kind] = page
        queue += [urljoin(url, link.split("#")[0]) for link in page.links
                  if link and not link.startswith(("#", "javascript:", "mailto:", "tel:"))]
    return seen


def case_with_slips() -> str:
    """The case page of a case at 红星村 (in every crawling user's scope) that has issued slips."""
    from daiban.cases import documents
    from daiban.models import Case, ServiceCenter
    from daiban.web import load_reference

    workflow = load_reference(str(CONFIG)).workflow
    station = ServiceCenter.get(ServiceCenter.code == "yinde-er-hongxing-station")
    case = next(c for c in Case.select().where(Case.center == station).order_by(Case.id.desc())
                if documents.issued(c, workflow))
    return f"/admin/cases/{case.id}/"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_page_holds_inline_script_or_handlers(db_url, db, tmp_path):
    assert fill_with_demo(PASSWORD) > 50
    app = another_app(db_url, tmp_path)
    public = crawl(app.test_client(), ["/", "/login", "/matters/YLFW-0001/notice"], budget=30)
    assert "/matters/N" in public
    reached = set(public)
    start = [case_with_slips(), "/admin/", "/admin/overview/?months=3", "/admin/reports/",
             "/admin/matters/history/YLFW-0001/", "/admin/intake/YLFW-0001/", "/admin/cases/queue/",
             "/admin/app_user/edit/?id=1", "/admin/agent/edit/?id=1"]
    for username in ("bureau", "admin", "village_agent"):
        reached |= set(crawl(signed_in(app, username), start, budget=120))
    # The screens the policy could break are among those checked.
    for path in ("/admin/cases/", "/admin/cases/N/", "/admin/cases/N/documents/N",
                 "/admin/intake/N/", "/admin/overview/", "/admin/reports/", "/admin/ledger/",
                 "/admin/matters/history/N/", "/admin/app_user/", "/admin/app_user/edit/",
                 "/admin/agent/edit/", "/admin/audit_log/", "/admin/standard/N/"):
        assert path in reached, path


def test_charts_hold_no_script(site):
    from daiban.supervision.charts import monthly_chart

    svg = monthly_chart([{"month": "2026-10", "assist": 3, "proxy": 2, "finished": 4}])
    assert "<svg" in svg and "<script" not in svg


def test_the_list_pages_confirm_and_bulk_actions_use_data_attributes(site, db):
    from daiban.accounts import create_user

    create_user("admin", "管理员", PASSWORD, ["system_admin"])
    page = signed_in(site, "admin").get("/admin/app_user/").get_data(as_text=True)
    assert 'data-confirm="' in page  # the row's delete button
    assert 'data-model-action="delete"' in page  # 'With selected' → delete
    assert 'class="dropdown-item filter"' in page
    assert "daiban.js" in page


def test_a_printed_commission_loads_only_the_script_file(site):
    from daiban.models import Case, Commission

    village = signed_in(site, "village")
    open_elderly_case(village, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    village.post(f"/admin/cases/{case.id}/commission/draft")
    printed = village.get(f"/admin/cases/{case.id}/commission/{Commission.get().id}/print")
    page = assert_no_inline_script(printed, where="printed commission")
    assert [s.get("src") for s in page.scripts] == ["/static/daiban.js"]
    assert "data-print" in printed.get_data(as_text=True)


def test_the_rating_link_page_prints_and_its_link_says_https_behind_https(site, db_url, tmp_path):
    from daiban.models import Case

    behind_https = another_app(db_url, tmp_path, HTTPS=True)
    village = signed_in(behind_https, "village")
    open_elderly_case(village)
    shown = village.post(f"/admin/ratings/{with_result(Case.get()).id}/link")  # rated after the result
    assert_no_inline_script(shown, https=True, where="rating link")
    page = shown.get_data(as_text=True)
    assert "data-print" in page
    address = re.search(r'class="rating-address[^"]*">([^<]+)<', page).group(1)
    assert address.startswith("https://")  # no X-Forwarded-Proto needed
    citizen = behind_https.test_client()
    assert_no_inline_script(citizen.get(urlsplit(address).path), https=True, where="rating form")


# ---- cookies and proxies ------------------------------------------------------------------------

def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "session=" in c.split(";")[0]]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def attributes(cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in cookie.split(";")]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]}


def login(app, **headers):
    return app.test_client().post("/login", data={"username": "village", "password": PASSWORD},
                                  headers=headers)


def test_session_cookie_behind_https(site, db_url, tmp_path):
    behind_https = another_app(db_url, tmp_path, HTTPS=True)
    cookie = session_cookie(login(behind_https))
    assert cookie.startswith("__Host-daiban_session=")
    attrs = attributes(cookie)
    assert "secure" in attrs and "httponly" in attrs
    assert attrs["samesite"] == "Lax" and attrs["path"] == "/"
    assert "domain" not in attrs
    assert behind_https.config["PREFERRED_URL_SCHEME"] == "https"


def test_session_cookie_over_plain_http(site):
    cookie = session_cookie(login(site))
    assert not cookie.startswith("__Host-")
    attrs = attributes(cookie)
    assert "httponly" in attrs and attrs["samesite"] == "Lax"
    assert "secure" not in attrs


@pytest.mark.parametrize("value, on", [("1", True), ("true", True), ("YES", True), ("0", False),
                                       ("", False), ("no", False)])
def test_settings_come_from_the_environment(monkeypatch, db_url, db, tmp_path, value, on):
    monkeypatch.setenv("DAIBAN_HTTPS", value)
    monkeypatch.setenv("DAIBAN_PROXY_HOPS", "2")
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG),
                      "UPLOAD_DIR": str(tmp_path)})
    assert app.config["HTTPS"] is on and app.config["PROXY_HOPS"] == 2
    assert app.config["SESSION_COOKIE_SECURE"] is on
    assert (app.config["SESSION_COOKIE_NAME"] == "__Host-daiban_session") is on


def last_login_ip() -> str:
    return AuditLog.select().where(AuditLog.action == "login").order_by(AuditLog.id.desc()).get().ip


def test_the_audit_trail_records_the_address_the_trusted_proxy_saw(site, db_url, tmp_path):
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    login(site, **forwarded)
    assert last_login_ip() == "127.0.0.1"  # PROXY_HOPS 0: the header is anybody's to forge

    behind = another_app(db_url, tmp_path, PROXY_HOPS=1)
    login(behind, **forwarded)
    assert last_login_ip() == "203.0.113.7"
    # With one proxy, only the address that proxy added counts, not one the client made up.
    login(behind, **{"X-Forwarded-For": "198.51.100.1, 203.0.113.8"})
    assert last_login_ip() == "203.0.113.8"


def test_behind_the_proxy_a_forwarded_host_from_the_client_builds_no_link(site, db_url, tmp_path):
    from flask import request

    behind = another_app(db_url, tmp_path, PROXY_HOPS=1)
    seen = {}

    @behind.get("/_host")
    def _host():
        seen["url"] = request.host_url
        return "ok"

    behind.test_client().get("/_host", headers={"Host": "daiban.example.gov.cn",
                                                "X-Forwarded-Host": "evil.example.com"})
    assert seen["url"] == "http://daiban.example.gov.cn/"


def test_a_negative_number_of_proxies_is_refused(db_url, db, tmp_path):
    with pytest.raises(ValueError, match="PROXY_HOPS"):
        another_app(db_url, tmp_path, PROXY_HOPS=-1)


# ---- in the browser ------------------------------------------------------------------------------

# Chrome reports a refused script both in the console and as an event; the event is passed to
# the console too, so that violations on pages left behind are not lost.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " at " +
                e.sourceFile + ":" + e.lineNumber);
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };  // headless printing would do nothing
"""


@pytest.mark.browser
@needs_chromium
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_screens_work_under_the_policy(db_url, db, tmp_path, serve, page):
    from daiban.models import MatterVersion, User
    from daiban.supervision.models import ReportSubmission

    assert fill_with_demo(PASSWORD) > 50
    case_page = case_with_slips()
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG),
                             "UPLOAD_DIR": str(tmp_path / "uploads")}))
    violations, errors, dialogs = [], [], []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text or "CSP violation" in m.text else None)
    page.on("console", lambda m: errors.append(m.text)
            if m.type in ("error", "warning") and "favicon" not in (m.location or {}).get("url", "")
            and "CSP violation" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def answer(dialog):
        dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()  # nothing is deleted, withdrawn or submitted

    page.on("dialog", answer)

    # A village agent: the workbench, a live intake form, a case and its printed slip.
    sign_in(page, base, "village_agent")
    page.goto(f"{base}/admin/cases/")
    screenshot(page, "csp-1-workbench")
    page.goto(f"{base}/admin/intake/YLFW-0001/")
    page.fill("[name='id_number']", "152223195601010021")  # 70 years old: not eligible
    page.wait_for_function("() => document.querySelector('#eligibility .unmet').textContent.includes('80')")
    assert page.locator("#eligibility .verdict").inner_text() == "不符合"
    screenshot(page, "csp-2-intake")
    page.goto(f"{base}{case_page}")
    slip = page.locator("a[href*='/documents/']:not([href$='/pdf'])").first.get_attribute("href")
    page.goto(f"{base}{slip}")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1
    page.goto(f"{base}{case_page}")
    screenshot(page, "csp-3-case")

    # The system administrator: a Flask-Admin list with its filter, delete and bulk actions,
    # and a user's form with the select2 lookups that ask the server as one types.
    page.goto(f"{base}/admin/")
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, base, "admin")
    users = User.select().count()
    page.goto(f"{base}/admin/app_user/")
    page.get_by_role("link", name="添加筛选器").click()
    page.locator(".field-filters a.filter").first.click()
    assert page.locator("#filter_form .filters tr").count() == 1
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url("**flt*")
    screenshot(page, "csp-4-user-list-filtered")
    page.goto(f"{base}/admin/app_user/")
    page.locator("form.icon button[data-confirm]").first.click()
    assert dialogs[-1] == ("confirm", "你确定要删除这条记录吗？")
    page.get_by_role("button", name="选中的").click()
    page.locator("[data-model-action=delete]").click()
    assert dialogs[-1] == ("alert", "请至少选择一条记录")
    assert User.select().count() == users
    bureau = User.get(User.username == "bureau")
    page.goto(f"{base}/admin/app_user/edit/?id={bureau.id}")
    page.locator("#s2id_center a, #center + .select2 .select2-selection").first.click()
    page.keyboard.type("音德尔")
    page.wait_for_selector(".select2-results li:has-text('音德尔')")
    screenshot(page, "csp-5-user-form-lookup")
    page.keyboard.press("Escape")

    # The bureau: the dashboard's period, the catalog's withdraw and the quarterly report's submit.
    page.goto(f"{base}/admin/")
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, base, "bureau")
    page.goto(f"{base}/admin/overview/")
    page.select_option("select[name=months]", "6")
    page.wait_for_url("**months=6")
    assert page.locator("select[name=months]").input_value() == "6"
    screenshot(page, "csp-6-dashboard")
    page.goto(f"{base}/admin/matters/history/YLFW-0001/")
    page.get_by_role("button", name="撤销该事项").click()
    assert dialogs[-1] == ("confirm", "确定要撤销该事项吗？撤销也须经审核发布。")
    assert page.url.endswith("/admin/matters/history/YLFW-0001/")
    assert not MatterVersion.select().where(MatterVersion.status == "withdrawn").exists()
    page.goto(f"{base}/admin/reports/")
    submissions = ReportSubmission.select().count()
    page.get_by_role("button", name="报送本季度报告").click()
    assert dialogs[-1] == ("confirm", "报送后数据将冻结，不能再次报送。确定报送吗？")
    assert ReportSubmission.select().count() == submissions
    screenshot(page, "csp-7-report")

    assert violations == [] and errors == []
    assert len(dialogs) == 4

    # The listeners do hear a violation: an injected inline script is refused and reported.
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.injected = true"; document.body.append(s); }""")
    for _ in range(50):
        if violations:
            break
        page.wait_for_timeout(100)
    assert violations and page.evaluate("() => window.injected") is None


@pytest.mark.browser
@needs_chromium
@needs_pdf
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_chrome_shows_a_pdf_under_the_policy(site, serve, page):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    base = serve(site)
    response = page.goto(f"{base}/matters/YLFW-0001/notice.pdf")
    assert response.headers["content-type"] == "application/pdf"
    page.wait_for_timeout(1000)
    assert any(frame.url.startswith("chrome-extension://") for frame in page.frames)  # the viewer
    screenshot(page, "csp-8-notice-pdf")
    assert violations == []
