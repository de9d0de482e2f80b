"""Issue 9: no secret in the source, revocable sessions, one answer for a refused sign-in,
unsafe configuration refused at start-up."""

from __future__ import annotations

import datetime
import os
import stat

import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import generate_password_hash

from case_screens import PASSWORD, make_site, signed_in
from conftest import CONFIG
from daiban.accounts import REFUSED, PasswordTooWeak, check_password_strength, set_password
from daiban.models import AuditLog, User
from daiban.security.secret import UnsafeSecret, resolve_secret_key
from daiban.security.startup import UnsafeConfiguration


@pytest.fixture
def site(db_url, db, tmp_path):
    return make_site(db_url, tmp_path / "uploads")


def _forge(app, secret: str, user: User) -> str:
    """A session cookie for `user` signed with `secret`, as an attacker would make it."""
    forger = app.__class__(__name__)
    forger.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    now = datetime.datetime.now().isoformat()
    return serializer.dumps({"_user_id": f"{user.id}.{user.session_version}", "_fresh": True,
                             "signed_in_at": now, "seen_at": now})


# --- the session key -----------------------------------------------------------------------------

def test_an_unset_key_is_generated_once_with_mode_600_and_reused(tmp_path):
    first = resolve_secret_key(None, tmp_path)
    path = tmp_path / "secret_key"
    assert len(first.encode()) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret_key(None, tmp_path) == first


def test_a_short_key_or_one_from_the_repository_is_refused(tmp_path):
    with pytest.raises(UnsafeSecret, match="太短"):
        resolve_secret_key("short-secret", tmp_path)
    # A long value that appears in the project's files (here: this very test) is public.
    published = "this-key-is-printed-in-the-repository-for-everyone-0123456789"
    with pytest.raises(UnsafeSecret, match="出现在项目文件"):
        resolve_secret_key(published, tmp_path)
    assert resolve_secret_key(os.urandom(24).hex(), tmp_path)


def test_a_key_file_others_can_read_is_refused(tmp_path):
    resolve_secret_key(None, tmp_path)
    (tmp_path / "secret_key").chmod(0o644)
    with pytest.raises(UnsafeSecret, match="chmod 600"):
        resolve_secret_key(None, tmp_path)


def test_the_old_source_secret_no_longer_opens_the_admin(site):
    admin = User.create(username="root", display_name="管理员", password_hash="x", roles="system_admin")
    client = site.test_client()
    client.set_cookie("session", _forge(site, "dev-only-secret", admin))
    answer = client.get("/admin/app_user/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    # The same cookie signed with the app's real key would open it: the key is what protects it.
    client.set_cookie("session", _forge(site, site.secret_key, admin))
    assert client.get("/admin/app_user/").status_code == 200


# --- revocable sessions --------------------------------------------------------------------------

def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/admin/cases/")


def test_a_cookie_captured_before_logout_is_refused_after_it(site):
    client = signed_in(site, "village")
    captured = _cookie(client)
    assert _replay(site, captured).status_code == 200
    client.post("/logout")
    assert _replay(site, captured).status_code == 302


def test_a_password_change_a_disabled_account_and_sign_out_everywhere_end_sessions(site):
    for end in ("password", "disable", "everywhere"):
        user = User.get(User.username == "village")
        User.update(active=True).where(User.id == user.id).execute()
        client = signed_in(site, "village")
        captured = _cookie(client)
        assert _replay(site, captured).status_code == 200
        if end == "password":
            set_password(user, "Another-pass-2027")
            # Back to the suite's password, straight in the table: the policy refuses a recent one.
            User.update(password_hash=generate_password_hash(PASSWORD)).where(User.id == user.id).execute()
        elif end == "disable":
            User.update(active=False).where(User.id == user.id).execute()
        else:
            admin = User.create(username="sysadmin", display_name="管理员", password_hash="x",
                                roles="system_admin") if not User.get_or_none(User.username == "sysadmin") \
                else User.get(User.username == "sysadmin")
            set_password(admin, "Admin-pass-2026")
            boss = site.test_client()
            boss.post("/login", data={"username": "sysadmin", "password": "Admin-pass-2026"})
            boss.post("/admin/app_user/action/", data={"action": "sign_out", "rowid": [user.id]})
        assert _replay(site, captured).status_code == 302, end


def test_the_session_changes_at_login_and_times_out_when_idle(site):
    client = site.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone before the sign-in"
    before = _cookie(client)
    client.post("/login", data={"username": "village", "password": PASSWORD})
    assert _cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session
    with client.session_transaction() as session:
        session["seen_at"] = (datetime.datetime.now() - datetime.timedelta(minutes=31)).isoformat()
    answer = client.get("/admin/cases/", follow_redirects=True)
    assert "登录已超时，请重新登录" in answer.get_data(as_text=True)


def test_a_session_ends_after_its_absolute_lifetime_even_when_busy(site):
    client = signed_in(site, "village")
    with client.session_transaction() as session:
        session["signed_in_at"] = (datetime.datetime.now() - datetime.timedelta(hours=13)).isoformat()
    assert client.get("/admin/cases/").status_code == 302


# --- signing in ----------------------------------------------------------------------------------

def _sign_in(client, username, password="wrong-Pass-1"):
    return client.post("/login", data={"username": username, "password": password}).get_data(as_text=True)


def test_a_wrong_password_and_an_unknown_name_answer_the_same(site):
    client = site.test_client()
    real = _sign_in(client, "village")
    unknown = _sign_in(client, "nobody-here")
    assert REFUSED in real and REFUSED in unknown
    assert "还可尝试" not in real
    rows = list(AuditLog.select().where(AuditLog.action == "login_failed").order_by(AuditLog.id))
    assert [r.outcome for r in rows] == ["failure", "failure"]
    assert "密码错误" in rows[0].summary and "用户名不存在" in rows[1].summary


def test_an_address_with_too_many_failures_is_paused_even_with_the_right_password(site):
    client = site.test_client()
    for n in range(20):
        _sign_in(client, f"guess{n}")
    answer = client.post("/login", data={"username": "village", "password": PASSWORD})
    assert answer.status_code == 200 and REFUSED in answer.get_data(as_text=True)
    assert "暂停登录" in AuditLog.select().order_by(AuditLog.id.desc()).first().summary


def test_a_password_may_not_contain_the_username():
    with pytest.raises(PasswordTooWeak, match="用户名"):
        check_password_strength("Village-2026-x", "village")
    check_password_strength("Grass-land-2026", "village")


# --- start-up ------------------------------------------------------------------------------------

def _app(db_url, config_dir, **extra):
    from daiban.web import create_app

    return create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(config_dir), **extra})


def test_a_broken_role_file_or_short_audit_retention_refuses_to_start(db_url, db, config_dir):
    _app(db_url, config_dir)  # the shipped config starts
    (config_dir / "security.yaml").write_text("audit:\n  retention_days: 90\n", encoding="utf-8")
    with pytest.raises(UnsafeConfiguration, match=r"security.yaml:2:.*180"):
        _app(db_url, config_dir)
    (config_dir / "security.yaml").unlink()
    role = config_dir / "roles" / "village_agent.yaml"
    role.write_text(role.read_text(encoding="utf-8").replace("  case: [view", "  cases: [view"),
                    encoding="utf-8")
    with pytest.raises(UnsafeConfiguration, match="village_agent.yaml"):
        _app(db_url, config_dir)


def test_debug_is_refused_in_production(db_url, db):
    with pytest.raises(UnsafeConfiguration, match="调试模式"):
        _app(db_url, CONFIG, DEBUG=True)
    assert _app(db_url, CONFIG, DEBUG=True, ENV_NAME="development").debug
