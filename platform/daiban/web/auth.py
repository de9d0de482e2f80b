"""Signing in and out (Flask-Login), with the audit trail recording every attempt."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from daiban import audit
from daiban.access import Principal, principal_for
from daiban.accounts import authenticate
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


@login_manager.user_loader
def load_user(user_id: str):
    """Load the account of the session, or None if it is gone."""
    user = User.get_or_none(User.id == int(user_id))
    return SessionUser(user, principal_for(user, roles())) if user else None


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired("请填写用户名")])
    password = PasswordField("密码", validators=[DataRequired("请填写密码")])


def client_ip() -> str:
    """The client's address as seen by this server."""
    return request.remote_addr or ""


def _safe_next(target: str | None) -> str:
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data)
        if result.ok:
            session.permanent = True  # idle timeout: PERMANENT_SESSION_LIFETIME
            login_user(SessionUser(result.user, principal_for(result.user, roles())))
            audit.record("login", result.user.username, roles=result.user.roles, ip=client_ip(),
                         object_type="user", object_id=result.user.id, summary="登录成功")
            return redirect(_safe_next(request.args.get("next")))
        audit.record("login_failed", form.username.data, ip=client_ip(), object_type="user",
                     summary=result.message)
        flash(result.message, "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST, so that a link elsewhere cannot sign anyone out)."""
    if current_user.is_authenticated:
        audit.record("logout", current_user.user.username, ip=client_ip(), object_type="user",
                     object_id=current_user.id)
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
