"""The web application: `create_app` wires configuration, the database and the blueprints."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import flask_admin
from flask import Blueprint, Flask, flash, redirect, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from daiban.cases.uploads import MAX_SCAN_BYTES
from daiban.catalog.calendar import WorkCalendar
from daiban.catalog.loader import load_catalog
from daiban.catalog.org import Domain, Organisation, Role
from daiban.catalog.settings import SecuritySettings, SupervisionSettings
from daiban.catalog.workflow import Workflow
from daiban.db import MAX_ID, connect_database, default_url
from daiban.security import startup
from daiban.security.startup import UnsafeConfiguration
from daiban.web import headers

log = logging.getLogger(__name__)
csrf = CSRFProtect()


@dataclass(frozen=True)
class Reference:
    """Config the running app needs besides the published catalog: roles, org, domains, calendar,
    workflow and supervision settings."""

    roles: dict[str, Role]
    organisation: Organisation
    domains: dict[str, Domain]
    calendar: WorkCalendar
    workflow: Workflow | None = None
    supervision: SupervisionSettings = field(default_factory=SupervisionSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)


def load_reference(config_dir: str, strict: bool = False) -> Reference:
    """Load roles, organisation, domains, calendar, workflow and settings; with `strict` (the
    server) any error refuses the start, else invalid files are logged and left out."""
    result = load_catalog(config_dir, include_matters=False)
    if strict and result.errors:
        raise UnsafeConfiguration("配置有误，平台拒绝启动：\n" + "\n".join(p.format() for p in result.errors))
    for problem in result.errors:
        log.warning("config problem: %s", problem.format())
    c = result.catalog
    return Reference(c.roles, c.organisation, c.domains, c.calendar, c.workflow, c.supervision,
                     c.security)


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: a number past the id column's range matches no route (404) instead of
    overflowing the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def carries_nul(request) -> bool:
    """True when the path, a query or form parameter (name or value) or an upload's name holds NUL."""
    texts = [request.path]
    for pairs in (request.args, request.form):
        texts += [text for pair in pairs.items(multi=True) for text in pair]
    texts += [upload.filename or "" for upload in request.files.values()]
    return any("\x00" in text for text in texts)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask application; `test_config` overrides settings (DATABASE_URL, CONFIG_DIR …)."""
    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("DAIBAN_SECRET_KEY") or None,  # None: generated under VAR_DIR
        VAR_DIR=os.environ.get("DAIBAN_VAR_DIR", "var"),
        ENV_NAME=os.environ.get("DAIBAN_ENV", "production"),
        DATABASE_URL=default_url(),
        CONFIG_DIR=os.environ.get("DAIBAN_CONFIG_DIR", "config"),
        # Only shortens config/security.yaml's idle time (tests); the cookie lives as long.
        SESSION_IDLE_SECONDS=os.environ.get("DAIBAN_SESSION_IDLE_SECONDS") or None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
        # Scans of materials live outside the package (and so outside the web root).
        UPLOAD_DIR=os.environ.get("DAIBAN_UPLOAD_DIR", "var/uploads"),
        MAX_CONTENT_LENGTH=MAX_SCAN_BYTES + 1024 * 1024,  # a scan plus the form around it
        HTTPS=os.environ.get("DAIBAN_HTTPS", "").strip().lower() in ("1", "true", "yes"),
        PROXY_HOPS=int(os.environ.get("DAIBAN_PROXY_HOPS", "0")),  # reverse proxies to trust
    )
    if test_config:
        app.config.from_mapping(test_config)

    startup.check()  # SM3/SM4 self-test, keyring
    startup.refuse_debug_in_production(app)
    app.config["SECRET_KEY"] = startup.session_key(app.config["SECRET_KEY"], Path(app.config["VAR_DIR"]))
    db = connect_database(app.config["DATABASE_URL"])
    app.extensions["daiban"] = load_reference(app.config["CONFIG_DIR"], strict=not app.testing)

    @app.before_request
    def _refuse_nul():
        """PostgreSQL cannot hold a NUL character and the driver raises on one: no screen takes it."""
        if carries_nul(request):
            message = "请求中含有无效字符（NUL），未作处理。请检查输入后重试。"
            return render_template("error.html", title="请求无效", message=message), 400
        return None

    @app.before_request
    def _open_db():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close_db(_exc):
        if not db.is_closed():
            db.close()

    Babel(app, locale_selector=lambda: "zh_Hans_CN")
    csrf.init_app(app)
    headers.init_app(app)

    # Bootstrap comes from Flask-Admin's own static folder: no CDN, one copy on disk.
    vendor = Blueprint(
        "vendor", __name__,
        static_folder=str(Path(flask_admin.__file__).parent / "static"),
        static_url_path="/vendor",
    )
    app.register_blueprint(vendor)

    @app.route("/favicon.ico")
    def favicon():
        """The site icon where a browser asks for it without reading the page's <link rel=icon>."""
        return app.send_static_file("favicon.ico")

    from daiban.admin import init_admin
    from daiban.web import audit_requests, auth, catalog, elder, pdf, rating, sessions

    pdf.init_app(app)
    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    sessions.init_app(app)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(rating.bp)
    app.register_blueprint(elder.bp)
    init_admin(app)
    audit_requests.init_app(app)

    @app.context_processor
    def _unread_messages():
        """The signed-in user's unread in-app messages, counted for the navigation bar."""
        from flask_login import current_user

        from daiban.supervision.outbox import unread_count

        if not current_user.is_authenticated:
            return {"unread_messages": 0}
        return {"unread_messages": unread_count(current_user.user)}

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        from flask_login import current_user

        # Signed out, the token most likely ended with the session (or the login page's own,
        # which lasts as long): say that, not CSRF.
        if not current_user.is_authenticated:
            if request.endpoint == "auth.login":
                flash("登录页面停留过久已失效，请重新输入用户名和密码", "warning")
                return redirect(request.full_path)
            return sessions.expired_page()
        message = "页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试。"
        return render_template("error.html", title="请求被拒绝", message=message), 400

    @app.errorhandler(413)
    def _too_large(_error):
        limit = MAX_SCAN_BYTES // (1024 * 1024)
        message = f"上传的文件过大：每个扫描件不能超过 {limit} MB，请降低扫描分辨率或分页上传。"
        return render_template("error.html", title="文件过大", message=message), 413

    @app.errorhandler(403)
    def _forbidden(_error):
        return render_template("error.html", title="没有权限", message="您的角色不能访问此页面或记录。"), 403

    from daiban.ops import busy

    busy.init_app(app)

    return app
