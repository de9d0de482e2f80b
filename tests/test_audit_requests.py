"""Every signed-in write request (and a denied read) leaves an audit row with its outcome."""

from daiban.models import AuditLog
from test_admin import admin_app, sign_in  # noqa: F401 - the fixture is used by name


def test_an_unaudited_write_and_a_denied_read_are_recorded(admin_app):  # noqa: F811
    client = admin_app.test_client()
    sign_in(client, "bureau")
    before = AuditLog.select().count()
    assert client.post("/admin/agent/new/", data={}).status_code == 400  # no CSRF token
    entry = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (entry.actor, entry.action, entry.outcome) == ("bureau", "request", "failure")
    assert entry.roles == "bureau" and entry.ip == "127.0.0.1"
    assert entry.summary == "POST /admin/agent/new/"
    assert client.get("/admin/user/").status_code == 404  # the bureau may not see accounts
    entry = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (entry.action, entry.outcome, entry.object_type) == ("read", "denied", "/admin/user/")
    assert client.get("/admin/agent/").status_code == 200
    assert AuditLog.select().count() == before + 2  # plain reads are not recorded


def test_login_is_recorded_once(admin_app):  # noqa: F811
    client = admin_app.test_client()
    sign_in(client, "bureau")
    assert [e.action for e in AuditLog.select().order_by(AuditLog.id)] == ["login"]
