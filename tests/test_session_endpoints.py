"""Issue 18: the session's clock seen from the page, the sign-in in place after an idle sign-out,
and a form posted after it answered with 登录已超时 rather than a CSRF failure."""

from __future__ import annotations

import datetime
import email.utils
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from case_screens import PASSWORD, elderly_form, make_site
from conftest import CONFIG
from daiban.models import AuditLog, Case, User

ORIGIN = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
FORM = "/admin/intake/YLFW-0001/"


def app_for(db_url, tmp_path, **config):
    """The app with CSRF on (as served), over the case screens' world made once by `make_site`."""
    from daiban.web import create_app

    folder = config.pop("config_dir", CONFIG)
    return create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(folder),
                       "UPLOAD_DIR": str(tmp_path / "uploads"), **config})


@pytest.fixture
def site(db_url, db, tmp_path):
    make_site(db_url, tmp_path / "uploads")
    return app_for(db_url, tmp_path)


def token(client, path: str) -> str:
    """The CSRF token written into the page at `path`."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def signed_in(app, username="village"):
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": token(client, "/login")})
    assert answer.status_code == 302
    return client


def idle_for(client, minutes: float) -> None:
    """Pretend the session's last activity was `minutes` ago."""
    with client.session_transaction() as session:
        session["seen_at"] = (datetime.datetime.now() - datetime.timedelta(minutes=minutes)).isoformat()


def seen_at(client) -> str:
    with client.session_transaction() as session:
        return session.get("seen_at")


def owner_of_page(client) -> str:
    page = client.get("/admin/").get_data(as_text=True)
    return re.search(r'data-owner="([^"]+)"', page)[1]


def returns_to(login_link: str) -> str:
    """Where a link to the login page comes back to after signing in."""
    parts = urlsplit(login_link)
    assert parts.path == "/login"
    return parse_qs(parts.query)["next"][0]


def cookie_expiry(response) -> datetime.datetime:
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    expires = re.search(r"Expires=([^;]+)", header)[1]
    return email.utils.parsedate_to_datetime(expires)


# --- the warning's clock -------------------------------------------------------------------------

def test_asking_for_the_time_left_does_not_extend_the_session(site):
    client = signed_in(site)
    idle_for(client, 10)
    before = seen_at(client)
    answer = client.get("/session/status")
    state = answer.get_json()
    assert state["signed_in"] and state["renewable"]
    assert 19 * 60 - 5 <= state["seconds_left"] <= 20 * 60
    assert state["warning_seconds"] == 120 and state["username"] == "village"
    assert "Set-Cookie" not in answer.headers  # nor does the cookie's own lifetime move on
    assert seen_at(client) == before
    for _ in range(3):
        client.get("/session/status")
    idle_for(client, 31)
    assert client.get("/session/status").get_json() == {"signed_in": False, "seconds_left": 0}


def test_the_status_carries_the_sessions_token_for_a_page_signed_in_again_elsewhere(site):
    client = signed_in(site)
    old = token(client, FORM)
    idle_for(client, 31)
    other_tab = client.post("/login", data={"username": "village", "password": PASSWORD,
                                            "csrf_token": token(client, "/login")}, follow_redirects=True)
    assert other_tab.request.path == "/admin/"
    fresh = client.get("/session/status").get_json()["csrf_token"]
    assert fresh != old
    stale = client.post(FORM, data={**elderly_form(), "csrf_token": old, "action": "check"})
    assert stale.status_code == 400
    checked = client.post(FORM, data={**elderly_form(), "csrf_token": fresh, "action": "check"})
    assert checked.status_code == 200


def test_renewing_restarts_the_idle_clock_without_a_generic_audit_row(site):
    client = signed_in(site)
    csrf = token(client, "/admin/")
    idle_for(client, 29)
    rows = AuditLog.select().order_by(AuditLog.id.desc()).get().id
    assert client.post("/session/renew").status_code == 400  # CSRF-protected
    answer = client.post("/session/renew", headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200
    assert answer.get_json()["seconds_left"] >= 30 * 60 - 5
    assert client.get("/session/status").get_json()["seconds_left"] >= 30 * 60 - 5
    for _ in range(3):
        client.post("/session/renew", headers={"X-CSRFToken": csrf})
    # The refused one without a token is the only row the renewals left.
    assert [(e.action, e.outcome, e.summary) for e in AuditLog.select().where(AuditLog.id > rows)] == [
        ("request", "failure", "POST /session/renew")]


def test_the_absolute_lifetime_cannot_be_renewed(site):
    client = signed_in(site)
    with client.session_transaction() as session:
        almost = datetime.datetime.now() - datetime.timedelta(hours=11, minutes=59)
        session["signed_in_at"] = almost.isoformat()
    state = client.get("/session/status").get_json()
    assert state["signed_in"] and not state["renewable"] and state["seconds_left"] <= 60


def test_a_shorter_idle_time_for_tests_and_the_cookie_follows_the_idle_minutes(db_url, db, tmp_path,
                                                                               config_dir):
    make_site(db_url, tmp_path / "uploads")
    short = app_for(db_url, tmp_path, SESSION_IDLE_SECONDS="20")
    client = signed_in(short)
    state = client.get("/session/status").get_json()
    assert 18 <= state["seconds_left"] <= 20 and state["warning_seconds"] == 10
    answer = client.get("/admin/")
    left = cookie_expiry(answer) - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(seconds=15) < left <= datetime.timedelta(seconds=21)
    # Longer than config/security.yaml's idle time: ignored; the configured minutes stand.
    longer = signed_in(app_for(db_url, tmp_path, SESSION_IDLE_SECONDS=3 * 3600))
    assert longer.get("/session/status").get_json()["seconds_left"] > 29 * 60
    with pytest.raises(ValueError, match="SESSION_IDLE_SECONDS"):
        app_for(db_url, tmp_path, SESSION_IDLE_SECONDS="half an hour")
    # The cookie's lifetime is the configured idle time, not a fixed 30 minutes.
    security = config_dir / "security.yaml"
    security.write_text(security.read_text(encoding="utf-8").replace("idle_minutes: 30", "idle_minutes: 15"),
                        encoding="utf-8")
    fifteen = signed_in(app_for(db_url, tmp_path, config_dir=config_dir))
    left = cookie_expiry(fifteen.get("/admin/")) - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(minutes=14) < left <= datetime.timedelta(minutes=15, seconds=1)
    idle_for(fifteen, 16)
    assert fifteen.get("/admin/").status_code == 302


def test_the_admin_pages_load_the_clock_from_one_script_tag(site):
    client = signed_in(site)
    page = client.get(FORM).get_data(as_text=True)
    tags = re.findall(r"<script[^>]*session\.js[^>]*>", page)
    assert len(tags) == 1
    assert 'data-status="/session/status"' in tags[0] and 'data-username="village"' in tags[0]
    assert "session.js" not in client.get("/").get_data(as_text=True)  # the public site
    assert "session.js" not in site.test_client().get("/login").get_data(as_text=True)


# --- signing in again in place -------------------------------------------------------------------

def test_signing_in_again_in_place_keeps_the_page_and_the_next_post_succeeds(site):
    client = signed_in(site)
    owner = owner_of_page(client)
    old = token(client, FORM)
    idle_for(client, 31)
    assert client.get("/session/status").get_json()["signed_in"] is False
    answer = client.post("/session/sign-in", headers=ORIGIN,
                         json={"username": "village", "password": PASSWORD, "owner": owner})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] and body["signed_in"] and body["seconds_left"] >= 30 * 60 - 5
    fresh = body["csrf_token"]
    assert fresh != old
    login = AuditLog.select().where(AuditLog.action == "login").order_by(AuditLog.id.desc()).get()
    assert login.actor == "village" and "原页面" in login.summary
    # 检查 and 受理并建档 with the page's refreshed token.
    checked = client.post(FORM, data={**elderly_form(), "csrf_token": fresh, "action": "check"})
    assert checked.status_code == 200 and "CSRF" not in checked.get_data(as_text=True)
    opened = client.post(FORM + "open", data={**elderly_form(), "csrf_token": fresh})
    assert opened.status_code == 302 and Case.select().count() == 1


def test_only_the_pages_own_account_signs_in_there_and_failures_count_towards_the_lockout(site):
    client = signed_in(site)
    owner = owner_of_page(client)
    idle_for(client, 31)
    other = client.post("/session/sign-in", headers=ORIGIN,
                        json={"username": "township", "password": PASSWORD, "owner": owner})
    assert other.status_code == 409
    assert "只能以该账号在此重新登录" in other.get_json()["message"]
    assert client.get("/session/status").get_json()["signed_in"] is False
    assert not AuditLog.select().where(AuditLog.actor == "township").exists()
    forged = client.post("/session/sign-in", headers=ORIGIN,
                         json={"username": "township", "password": PASSWORD, "owner": owner[:-2] + "xx"})
    assert forged.status_code == 400 and client.get("/session/status").get_json()["signed_in"] is False
    for _ in range(5):
        wrong = client.post("/session/sign-in", headers=ORIGIN,
                            json={"username": "village", "password": "Wrong-pass-1", "owner": owner})
        assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.get_json()["message"]
    failures = AuditLog.select().where(AuditLog.action == "login_failed", AuditLog.actor == "village")
    assert failures.count() == 5
    assert User.get(User.username == "village").locked_until is not None
    locked = client.post("/session/sign-in", headers=ORIGIN,
                         json={"username": "village", "password": PASSWORD, "owner": owner})
    assert locked.status_code == 401 and client.get("/session/status").get_json()["signed_in"] is False


@pytest.mark.parametrize("headers", [
    {},                                                            # no Origin at all
    {"Origin": "http://evil.example"},
    {"Origin": "https://localhost"},                               # another scheme
    {"Origin": "http://localhost:8080"},                           # another port
    {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "null"},
], ids=["none", "other-host", "other-scheme", "other-port", "cross-site", "null"])
def test_a_sign_in_from_another_site_is_refused(site, headers):
    client = signed_in(site)
    owner = owner_of_page(client)
    idle_for(client, 31)
    answer = client.post("/session/sign-in", headers=headers,
                         json={"username": "village", "password": PASSWORD, "owner": owner})
    assert answer.status_code == 400 and "请求来源不明" in answer.get_json()["message"]
    assert client.get("/session/status").get_json()["signed_in"] is False


def test_a_form_post_to_the_sign_in_is_refused(site):
    client = site.test_client()
    answer = client.post("/session/sign-in", headers=ORIGIN,
                         data={"username": "village", "password": PASSWORD})
    assert answer.status_code == 400
    assert not AuditLog.select().where(AuditLog.action == "login").exists()


@pytest.mark.parametrize(("config", "headers", "ok"), [
    ({"HTTPS": True, "PROXY_HOPS": 1}, {"X-Forwarded-Proto": "https"}, True),
    ({"HTTPS": True}, {}, True),                              # nginx that says nothing: https all the same
    ({"PROXY_HOPS": 1}, {"X-Forwarded-Proto": "https"}, True),
    ({"PROXY_HOPS": 1}, {}, False),                           # the proxy did not say https
], ids=["https-and-proxy", "https-only", "proxy-only", "proxy-without-proto"])
def test_the_same_origin_check_behind_a_tls_terminating_proxy(db_url, db, tmp_path, config, headers, ok):
    make_site(db_url, tmp_path / "uploads")
    app = app_for(db_url, tmp_path, **config)
    client = app.test_client()
    with app.test_request_context("/admin/"):
        from daiban.web.sessions import owner_token

        owner = owner_token(User.get(User.username == "village"))
    host = "daiban.example.gov.cn"
    answer = client.post("/session/sign-in", base_url=f"http://{host}",
                         headers={**headers, "Origin": f"https://{host}", "Sec-Fetch-Site": "same-origin",
                                  "X-Forwarded-For": "10.0.0.7"},
                         json={"username": "village", "password": PASSWORD, "owner": owner})
    assert (answer.status_code == 200) is ok, answer.get_json()
    if ok:
        assert answer.get_json()["ok"] and any(
            "Secure" in h or not config.get("HTTPS") for h in answer.headers.getlist("Set-Cookie"))


# --- a stale answer never replaces the new cookie ------------------------------------------------

def test_a_background_request_leaves_the_cookie_alone_but_to_renew_it(site):
    client = signed_in(site)
    csrf = token(client, FORM)
    live = client.post(FORM + "check", data={**elderly_form(), "csrf_token": csrf},
                       headers={"Sec-Fetch-Mode": "cors"})
    # Signed in, yet no cookie: an answer landing after the 受理并建档 page would drop its 已建档.
    assert live.status_code == 200 and "Set-Cookie" not in live.headers
    renewed = client.post("/session/renew", headers={**ORIGIN, "X-CSRFToken": csrf})
    assert renewed.status_code == 200 and "Set-Cookie" in renewed.headers  # the clock moves on
    idle_for(client, 31)
    # The intake form's live check, sent with the old cookie: whenever its answer comes back
    # (after a sign-in in place, say), it carries no cookie to put back.
    stale = client.post(FORM + "check", data={**elderly_form(), "csrf_token": csrf},
                        headers={"Sec-Fetch-Mode": "cors"})
    assert stale.status_code in (302, 401) and "Set-Cookie" not in stale.headers
    anonymous = site.test_client().post(FORM + "check", data=elderly_form(),
                                        headers={"Sec-Fetch-Mode": "cors"})
    assert "Set-Cookie" not in anonymous.headers
    # A page (navigation) still carries the message to the login page.
    page = client.get("/admin/cases/", headers={"Sec-Fetch-Mode": "navigate"}, follow_redirects=True)
    assert "登录已超时，请重新登录" in page.get_data(as_text=True)


# --- without JavaScript --------------------------------------------------------------------------

def test_a_form_posted_after_the_cookie_ended_says_sign_in_again_and_returns_to_the_form(site):
    client = signed_in(site)
    old = token(client, FORM)
    client.delete_cookie("session")  # the browser dropped it when its lifetime (the idle time) ran out
    answer = client.post(FORM + "open", data={**elderly_form(), "csrf_token": old},
                         headers={"Referer": f"http://localhost{FORM}"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 401
    assert "登录已超时，请重新登录" in page and "CSRF" not in page
    link = re.search(r'<a href="([^"]+)">重新登录</a>', page)[1].replace("&amp;", "&")
    assert returns_to(link) == FORM
    back = client.post(link, data={"username": "village", "password": PASSWORD,
                                   "csrf_token": token(client, link)})
    assert back.headers["Location"] == FORM
    assert Case.select().count() == 0
    # A form of any other screen says the same.
    client.delete_cookie("session")
    other = client.post("/admin/cases/1/act", data={"csrf_token": old})
    assert other.status_code == 401 and "登录已超时" in other.get_data(as_text=True)


def test_a_form_posted_after_the_idle_time_while_the_cookie_lasted_returns_to_its_page(site):
    client = signed_in(site)
    csrf = token(client, FORM)
    idle_for(client, 31)
    answer = client.post(FORM + "open", data={**elderly_form(), "csrf_token": csrf},
                         headers={"Referer": f"http://localhost{FORM}"})
    assert answer.status_code == 302
    assert returns_to(answer.headers["Location"]) == FORM
    assert "登录已超时，请重新登录" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_login_page_left_open_too_long_asks_again_instead_of_failing_csrf(site):
    client = site.test_client()
    dead = token(client, "/login")
    client.delete_cookie("session")
    answer = client.post("/login?next=/admin/cases/", data={"username": "village", "password": PASSWORD,
                                                            "csrf_token": dead}, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.request.path == "/login" and "CSRF" not in page
    assert "登录页面停留过久已失效" in page


def test_a_bad_token_while_signed_in_is_still_a_csrf_failure(site):
    client = signed_in(site)
    answer = client.post(FORM + "open", data={**elderly_form(), "csrf_token": "forged"})
    assert answer.status_code == 400 and "CSRF" in answer.get_data(as_text=True)
