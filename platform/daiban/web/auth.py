"""Signing in and out (Flask-Login), with the audit trail recording every attempt."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from daiban import audit
from daiban.access import Principal, principal_for
from daiban.accounts import (
    REFUSED,
    PasswordTooWeak,
    SignIn,
    address_blocked,
    authenticate,
    revoke_sessions,
    set_password,
)
from daiban.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "warning"


class SessionUser(UserMixin):
    """The signed-in account and its Principal, for one request."""

    def __init__(self, user: User, principal: Principal):
        self.user = user
        self.principal = principal
        self.id = user.id

    def get_id(self) -> str:
        """The id kept in the session: the account and its session version, so that raising the
        version (logout, new password, disabled, locked, 强制下线) ends every session issued before."""
        return f"{self.user.id}.{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        """Deactivated accounts are signed out."""
        return self.user.active

    @property
    def display_name(self) -> str:
        """Name shown in the page header."""
        return self.user.display_name


def roles():
    """The configured roles, by id."""
    return current_app.extensions["daiban"].roles


def security_settings():
    """The security settings from config/security.yaml."""
    return current_app.extensions["daiban"].security


# Requests that only look at the session and so do not count as activity: the idle clock and
# the cookie stay as they were (the browser asks for the time left while the agent is away).
NOT_ACTIVITY = frozenset({"sessions.status"})


def idle_limit() -> datetime.timedelta:
    """How long a session may stay unused: config/security.yaml's idle minutes, or the shorter
    SESSION_IDLE_SECONDS (set as the cookie's own lifetime by `sessions.init_app`)."""
    return current_app.permanent_session_lifetime


def time_left(now: datetime.datetime) -> tuple[float, bool]:
    """Seconds until the session ends (0 when it has, or has no clocks) and whether it is the idle
    timeout that ends it first, so that activity pushes the end back (not the absolute lifetime)."""
    try:
        signed_in = datetime.datetime.fromisoformat(session.get("signed_in_at", ""))
        seen = datetime.datetime.fromisoformat(session.get("seen_at", ""))
    except (TypeError, ValueError):
        return 0.0, False
    idle = (seen + idle_limit() - now).total_seconds()
    lifetime = datetime.timedelta(hours=security_settings().absolute_hours)
    absolute = (signed_in + lifetime - now).total_seconds()
    return max(min(idle, absolute), 0.0), idle <= absolute


@login_manager.user_loader
def load_user(session_id: str):
    """The account of the session, or None if it is gone, disabled, locked, signed out elsewhere
    or past its idle timeout or lifetime."""
    user_id, _, version = str(session_id).partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = User.get_or_none(User.id == int(user_id))
    now = datetime.datetime.now()
    if (user is None or not user.active or user.session_version != int(version)
            or (user.locked_until and user.locked_until > now)):
        return None
    if time_left(now)[0] <= 0:
        # Said here, not in the unauthorized handler: the admin's screens redirect on their own.
        for key in ("_user_id", "_fresh", "_id", "signed_in_at", "seen_at"):
            session.pop(key, None)
        flash("登录已超时，请重新登录", "warning")
        return None
    if request.endpoint not in NOT_ACTIVITY:
        session["seen_at"] = now.isoformat()
    return SessionUser(user, principal_for(user, roles()))


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired("请填写用户名")])
    password = PasswordField("密码", validators=[DataRequired("请填写密码")])


def client_ip() -> str:
    """The client's address as seen by this server."""
    return request.remote_addr or ""


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, else the admin index. Refused: another
    host (`//host`, `/\\host`, a scheme; any `//` at all), and control characters such as CR/LF,
    which would break the Location header (Werkzeug raises) or split it."""
    if (not target or not target.startswith("/") or "//" in target or "\\" in target
            or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return url_for("admin.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("admin.index")
    return target


def sign_in(username: str, password: str, summary: str = "登录成功") -> SignIn:
    """Check a username and password with the lockouts per account and per address, audit the
    attempt and, when it succeeds, start a new session (the login page and `/session/sign-in`)."""
    settings = security_settings()
    if address_blocked(client_ip(), settings):
        window = settings.address_window_minutes
        result = SignIn(None, REFUSED, f"该地址 {window} 分钟内登录失败过多，暂停登录")
    else:
        result = authenticate(username, password, max_failures=settings.max_failures,
                              lockout=datetime.timedelta(minutes=settings.lockout_minutes))
    if result.ok:
        _start_session(result.user)
        audit.record("login", result.user.username, roles=result.user.roles, ip=client_ip(),
                     object_type="user", object_id=result.user.id, summary=summary)
    else:
        audit.record("login_failed", username, ip=client_ip(), object_type="user",
                     summary=result.reason, outcome="failure")
    return result


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        next_url = safe_next(request.args.get("next"))
        result = sign_in(form.username.data, form.password.data)
        if result.ok:
            return redirect(next_url)
        flash(result.message, "danger")
    return render_template("auth/login.html", form=form, settings=security_settings())


class PasswordForm(FlaskForm):
    """The current password and the new one, twice."""

    current = PasswordField("当前密码", validators=[DataRequired("请填写当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请填写新密码")])
    again = PasswordField("再次输入新密码", validators=[
        DataRequired("请再次输入新密码"), EqualTo("new", "两次输入的新密码不一致")])


def _start_session(user: User) -> None:
    """A new session for `user`: nothing from before survives, the clocks start now."""
    session.clear()  # nothing from before the sign-in (a fixed session, an old CSRF token) survives
    now = datetime.datetime.now().isoformat()
    session["signed_in_at"] = session["seen_at"] = now
    session.permanent = True  # the cookie lasts as long as the idle timeout
    login_user(SessionUser(user, principal_for(user, roles())))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: every other session ends, this one goes on under a new id."""
    form = PasswordForm()
    user = current_user.user
    if form.validate_on_submit():
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors.append("当前密码不正确")
        else:
            try:
                set_password(user, form.new.data, security_settings())
            except PasswordTooWeak as exc:
                form.new.errors.append(str(exc))
            else:
                audit.record("update", user.username, roles=user.roles, ip=client_ip(),
                             object_type="user", object_id=user.id, summary="修改本人密码")
                _start_session(User.get_by_id(user.id))
                flash("密码已修改，其他设备上的登录已失效", "success")
                return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form, settings=security_settings())


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST, so that a link elsewhere cannot sign anyone out)."""
    if current_user.is_authenticated:
        audit.record("logout", current_user.user.username, ip=client_ip(), object_type="user",
                     object_id=current_user.id)
        revoke_sessions(current_user.user)
    logout_user()
    session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
