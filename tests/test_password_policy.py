"""Issue 9: the password policy (length, kinds, not the username, not one of the last five) holds
wherever a password is set: the server's own page, the accounts screen and `daiban user`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from case_screens import PASSWORD, make_site, signed_in
from daiban.accounts import PasswordTooWeak, check_password_strength, set_password
from daiban.catalog.settings import SecuritySettings
from daiban.cli import main
from daiban.models import AuditLog, PasswordHistory, User

OLD = [f"Earlier-pass-{n}x" for n in range(6)]


@pytest.fixture
def site(db_url, db, tmp_path):
    return make_site(db_url, tmp_path / "uploads")


def test_none_of_the_last_five_passwords_may_come_back(site):
    user = User.get(User.username == "village")
    for password in OLD[:5]:
        set_password(User.get_by_id(user.id), password)
    # The current one and the four before it are refused; the suite's first one is the sixth back.
    for recent in OLD[:5]:
        with pytest.raises(PasswordTooWeak, match="最近 5 次"):
            set_password(User.get_by_id(user.id), recent)
    set_password(User.get_by_id(user.id), PASSWORD)
    assert PasswordHistory.select().where(PasswordHistory.user == user.id).count() == 6
    assert all(row.password_hash.startswith(("scrypt:", "pbkdf2:"))
               for row in PasswordHistory.select())  # only hashes are kept


def test_the_policy_comes_from_security_settings():
    strict = SecuritySettings(password_min_length=14, password_min_kinds=4)
    with pytest.raises(PasswordTooWeak, match="至少 14 位.*至少 4 种"):
        check_password_strength("Grassland20260", "village", strict)
    check_password_strength("Grass-land-2026!x", "village", strict)


def _change(client, current, new, again=None):
    return client.post("/account/password", data={"current": current, "new": new,
                                                   "again": new if again is None else again},
                       follow_redirects=True)


def test_a_user_changes_their_own_password_and_other_sessions_end(site):
    phone, desk = signed_in(site, "village"), signed_in(site, "village")
    page = desk.get("/account/password").get_data(as_text=True)
    assert "不能与最近 5 次的密码相同" in page and "修改密码" in page
    answers = {
        "当前密码不正确": _change(desk, "wrong-Pass-1", "Fresh-grass-2027"),
        "两次输入的新密码不一致": _change(desk, PASSWORD, "Fresh-grass-2027", "Fresh-grass-2028"),
        "密码不能包含用户名": _change(desk, PASSWORD, "Village-Fresh-2027"),
        "密码至少 10 位": _change(desk, PASSWORD, "short1A"),
        "不能与最近 5 次使用过的密码相同": _change(desk, PASSWORD, PASSWORD),
    }
    for message, answer in answers.items():
        assert answer.status_code == 200 and message in answer.get_data(as_text=True), message
    done = _change(desk, PASSWORD, "Fresh-grass-2027")
    assert "密码已修改，其他设备上的登录已失效" in done.get_data(as_text=True)
    assert desk.get("/admin/cases/").status_code == 200  # this session goes on
    assert phone.get("/admin/cases/").status_code == 302  # the other one has ended
    assert AuditLog.select().where(AuditLog.summary == "修改本人密码").count() == 1
    refused = [r.outcome for r in AuditLog.select().where(AuditLog.summary == "POST /account/password")]
    assert refused == ["failure"] * 5  # each refused form is audited as a failure


def test_the_accounts_screen_refuses_a_recent_password(site):
    admin = User.create(username="sysadmin", display_name="管理员", password_hash="x", roles="system_admin")
    set_password(admin, "Admin-pass-2026")
    client = site.test_client()
    client.post("/login", data={"username": "sysadmin", "password": "Admin-pass-2026"})
    village = User.get(User.username == "village")
    form = {"username": "village", "display_name": "周代办", "role_ids": "village_agent",
            "center": village.center_id, "active": "y", "new_password": PASSWORD}
    page = client.post(f"/admin/app_user/edit/?id={village.id}", data=form,
                       follow_redirects=True).get_data(as_text=True)
    assert "不能与最近 5 次使用过的密码相同" in page
    form["new_password"] = "Fresh-grass-2027"
    client.post(f"/admin/app_user/edit/?id={village.id}", data=form, follow_redirects=True)
    assert signed_in_with(site, "village", "Fresh-grass-2027")
    assert PasswordHistory.select().where(PasswordHistory.user == village.id).count() == 1


def signed_in_with(site, username, password) -> bool:
    client = site.test_client()
    return client.post("/login", data={"username": username, "password": password}).status_code == 302


def _cli(db_url, *args, password=None):
    return CliRunner().invoke(main, ["--database", db_url, "user", *args]
                              + (["--password", password] if password else []))


def test_the_command_line_sets_and_creates_accounts_under_the_policy(site, db_url):
    refused = _cli(db_url, "set-password", "village", password=PASSWORD)
    assert refused.exit_code == 1 and "不能与最近 5 次使用过的密码相同" in refused.output
    weak = _cli(db_url, "set-password", "village", password="village-Pass-1")
    assert weak.exit_code == 1 and "密码不能包含用户名" in weak.output
    done = _cli(db_url, "set-password", "village", password="Fresh-grass-2027")
    assert done.exit_code == 0 and "其所有会话已失效" in done.output
    assert signed_in_with(site, "village", "Fresh-grass-2027")

    unknown = _cli(db_url, "create", "boss", "--name", "旗局管理员", "--role", "king",
                   password="Admin-pass-2026")
    assert unknown.exit_code == 1 and "没有角色 king" in unknown.output and "system_admin" in unknown.output
    centerless = _cli(db_url, "create", "agent2", "--name", "代办员", "--role", "village_agent",
                      password="Admin-pass-2026")
    assert centerless.exit_code == 1 and "--center" in centerless.output
    made = _cli(db_url, "create", "boss", "--name", "旗局管理员", "--role", "system_admin",
                password="Admin-pass-2026")
    assert made.exit_code == 0 and "已创建用户 boss" in made.output, made.output
    assert signed_in_with(site, "boss", "Admin-pass-2026")
    again = _cli(db_url, "create", "boss", "--name", "旗局管理员", "--role", "system_admin",
                 password="Admin-pass-2026")
    assert again.exit_code == 1 and "已存在" in again.output
    assert AuditLog.select().where(AuditLog.actor == "cli").count() == 2
