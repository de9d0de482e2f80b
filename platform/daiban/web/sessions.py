"""The session's clock seen from the page: the time left, renewing, signing in again in place.

`static/session.js` asks `GET /session/status` (which does not count as activity), warns two
minutes before the idle sign-out (WCAG 2.2.1), renews with `POST /session/renew` and, once the
session has ended, signs the same account in again with `POST /session/sign-in` without leaving
the page, so that what was typed survives. Without JavaScript, a form posted after the end
answers 「登录已超时，请重新登录」 with a link back through the sign-in page.

The session cookie lives as long as the idle time (`SESSION_IDLE_SECONDS` may only shorten it),
and a background request (`fetch`) never writes it but to renew or sign in again: a request sent
with the old cookie and answered after a page or a sign-in in place must not put the old one back.
"""

from __future__ import annotations

import datetime
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeSerializer

from daiban.models import User
from daiban.web import auth, csrf

log = logging.getLogger(__name__)
bp = Blueprint("sessions", __name__, url_prefix="/session")
WARNING = datetime.timedelta(minutes=2)  # WCAG 2.2.1 asks for at least 20 seconds
OWNER_SALT = "daiban.session-owner"
EXPIRED = "登录已超时，请重新登录"
CROSS_SITE = "请求来源不明（CSRF 校验失败），未登录。请刷新页面后重试。"
DEFAULT_PORTS = {"http": 80, "https": 443}


def idle_seconds(configured_minutes: int, override) -> int:
    """The idle time in seconds: the configured minutes, or `override` when it is shorter (a
    longer one is ignored with a warning: only config/security.yaml may lengthen it)."""
    configured = configured_minutes * 60
    if override in (None, ""):
        return configured
    try:
        seconds = int(override)
    except (TypeError, ValueError):
        raise ValueError(f"SESSION_IDLE_SECONDS must be whole seconds, not {override!r}") from None
    if seconds <= 0:
        raise ValueError(f"SESSION_IDLE_SECONDS must be more than 0, not {seconds}")
    if seconds > configured:
        log.warning("SESSION_IDLE_SECONDS=%s is longer than the configured %s minutes: ignored",
                    seconds, configured_minutes)
        return configured
    return seconds


def warning_seconds() -> int:
    """How long before the idle sign-out the page warns: two minutes, or half the idle time when
    that is shorter (a test's 20 seconds)."""
    return int(min(WARNING, auth.idle_limit() / 2).total_seconds())


# The background requests (fetch) that may write the cookie: renewing it and signing in again.
COOKIE_WRITERS = frozenset({"sessions.renew", "sessions.sign_in"})


def writes_cookie() -> bool:
    """False for the status (never activity) and for every background request but a renewal or
    a sign-in that ended signed in. Its answer is made from the cookie it was sent with and may
    arrive after a page's answer (one carrying 已建档 to the next page) or after a sign-in in place:
    written, it would put the old cookie back. The page renews the session itself while the agent
    types (static/session.js)."""
    if request.endpoint in auth.NOT_ACTIVITY:
        return False
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is None or mode == "navigate":
        return True  # a page: it may carry a message to the next one (登录已超时 on the login page)
    if request.endpoint not in COOKIE_WRITERS:
        return False
    user = g.get("_login_user")  # set by Flask-Login when the request looked at the user
    return bool(user is not None and user.is_authenticated)


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, left untouched where `writes_cookie` says so."""

    def save_session(self, app, session_, response):
        """Write (or delete) the cookie as Flask does, unless this answer must leave it alone."""
        if not writes_cookie():
            response.vary.add("Cookie")
            return
        super().save_session(app, session_, response)


def owner_token(user: User) -> str:
    """A signed note, written into the page, of the account the page was made for."""
    return URLSafeSerializer(current_app.secret_key, salt=OWNER_SALT).dumps(user.id)


def page_owner(token) -> User | None:
    """The account a page's owner token names, or None if the token is not one of ours."""
    try:
        user_id = URLSafeSerializer(current_app.secret_key, salt=OWNER_SALT).loads(str(token or ""))
    except BadSignature:
        return None
    return User.get_or_none(User.id == user_id) if isinstance(user_id, int) else None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        port = -1
    return parts.scheme, (parts.hostname or ""), port


def cross_site() -> bool:
    """True unless the request comes from a page of this site: a JSON body, the browser's
    Sec-Fetch-Site (when sent) saying same-origin, and an Origin equal to this site as the app
    sees it, so that behind nginx DAIBAN_HTTPS or the trusted X-Forwarded-Proto must say https."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin", "")
    return (not request.is_json or (site is not None and site != "same-origin") or not origin
            or _origin(origin) != _origin(request.host_url))


def status_answer() -> dict:
    """The session as the page's clock needs it: signed in or not, as whom, the seconds left,
    whether activity pushes the end back, when to warn, and the session's CSRF token (a page
    whose session ended and was signed in again in another tab takes it up)."""
    if not current_user.is_authenticated:
        return {"signed_in": False, "seconds_left": 0}
    left, renewable = auth.time_left(datetime.datetime.now())
    answer = {"signed_in": True, "username": current_user.user.username, "seconds_left": int(left),
              "renewable": renewable, "warning_seconds": warning_seconds()}
    # Only a token the session already holds: the status never writes the cookie.
    if current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in session:
        answer["csrf_token"] = generate_csrf()
    return answer


@bp.route("/status")
def status():
    """The time left of this session, without counting the question as activity."""
    response = jsonify(status_answer())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/renew", methods=["POST"])
def renew():
    """继续使用: the request itself is the activity that restarts the idle clock."""
    g.audit_written = True  # no generic audit row each time: nothing changes but the clock
    if not current_user.is_authenticated:
        return jsonify(status_answer()), 401
    return jsonify(status_answer())


@bp.route("/sign-in", methods=["POST"])
@csrf.exempt  # the page's token died with the session; the same-origin checks stand in for it
def sign_in():
    """Sign the page's own account in again without leaving the page; JSON in and out, through
    the same sign-in (lockout, audit) as the login page. Another account is refused: whoever
    wants to use another one goes to the login page, and the page as typed is left behind."""
    if cross_site():
        return jsonify({"ok": False, "message": CROSS_SITE}), 400
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    username, password = str(data.get("username") or ""), str(data.get("password") or "")
    if not username.strip() or not password:
        return jsonify({"ok": False, "message": "请填写用户名和密码"}), 400
    owner = page_owner(data.get("owner"))
    if owner is None:
        return jsonify({"ok": False, "message": "无法确认本页面的登录账号，请刷新页面后重新登录"}), 400
    if username.strip() != owner.username:
        return jsonify({"ok": False, "message": (
            f"本页面由 {owner.display_name}（{owner.username}）填写，只能以该账号在此重新登录。"
            "如需换用其他账号，请点“换个账号登录”（本页未提交的内容将不会保留）")}), 409
    result = auth.sign_in(owner.username, password, summary="登录成功（超时后在原页面重新登录）")
    if not result.ok:
        return jsonify({"ok": False, "message": result.message}), 401
    generate_csrf()  # the new session's token, for the page's forms
    return jsonify({"ok": True, **status_answer()})


def return_path() -> str:
    """Where to come back to after signing in: the address asked for if it is a page (GET),
    else the page the form was posted from (its Referer on this site), else the admin's home."""
    if request.method == "GET":
        return request.full_path
    referrer = request.referrer or ""
    if referrer and _origin(referrer) == _origin(request.host_url):
        parts = urlsplit(referrer)
        return auth.safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    return url_for("admin.index")


def expired_page():
    """The answer to a form posted after the session ended (its CSRF token ended with it):
    「登录已超时，请重新登录」 and a link through the login page back to the form's page."""
    login = url_for("auth.login", next=return_path())
    message = "为保护群众信息，长时间未操作已自动退出登录，本次提交没有保存。请重新登录后再填写提交。"
    return render_template("error.html", title=EXPIRED, message=message,
                           back=("重新登录", login)), 401


def init_app(app: Flask) -> None:
    """Make the cookie last the idle time, install the cookie rule and the endpoints, and offer
    the page's owner token to the templates."""
    settings = app.extensions["daiban"].security
    seconds = idle_seconds(settings.idle_minutes, app.config.get("SESSION_IDLE_SECONDS"))
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(seconds=seconds)
    app.session_interface = SessionCookie()
    app.register_blueprint(bp)
    app.add_template_global(owner_token, "session_owner_token")
    app.add_template_global(return_path, "session_return_path")
