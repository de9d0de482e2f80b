"""A failed audit write rolls the business write back, and the user reads why (no traceback)."""

import peewee
import pytest

from case_screens import make_site, open_elderly_case, signed_in
from daiban import audit
from daiban.models import Agent, AuditLog, Case, CaseEvent, ServiceCenter
from test_admin import admin_app, csrf_token, sign_in  # noqa: F401 - the fixture is used by name


@pytest.fixture
def site(db_url, db, tmp_path):
    return make_site(db_url, tmp_path / "uploads")


def _break_audit(monkeypatch):
    def refuse(entry, key=None):
        raise peewee.OperationalError("audit insert refused")

    monkeypatch.setattr(audit, "seal", refuse)


def test_a_case_is_not_opened_when_its_audit_row_fails(site, monkeypatch):
    client = signed_in(site, "village")
    rows = AuditLog.select().count()
    _break_audit(monkeypatch)
    page = open_elderly_case(client).get_data(as_text=True)
    assert Case.select().count() == 0 and CaseEvent.select().count() == 0
    assert AuditLog.select().count() == rows
    assert "建档失败：审计记录或办件未能写入" in page and "Traceback" not in page


def test_a_case_opening_is_audited(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    entry = AuditLog.get(AuditLog.object_type == "case")
    assert (entry.actor, entry.object_id, entry.outcome) == ("village", Case.get().number, "success")
    assert entry.ip == "127.0.0.1"


def test_an_admin_edit_is_not_saved_when_its_audit_row_fails(admin_app, monkeypatch):  # noqa: F811
    client = admin_app.test_client()
    sign_in(client, "admin")
    center = ServiceCenter.get(ServiceCenter.code == "xinlin-center")
    agent = Agent.create(name="原名", center=center)
    token = csrf_token(client, f"/admin/agent/edit/?id={agent.id}")
    _break_audit(monkeypatch)
    response = client.post(f"/admin/agent/edit/?id={agent.id}", follow_redirects=True, data={
        "csrf_token": token, "name": "新名", "center": center.id, "status": "active"})
    page = response.get_data(as_text=True)
    assert Agent.get_by_id(agent.id).name == "原名"
    assert "审计记录未能写入，本次修改没有保存" in page and "Traceback" not in page


def _act(client, case, transition):
    return client.post(f"/admin/cases/{case.id}/act", follow_redirects=True,
                       data={"transition": transition, "lock_version": Case.get_by_id(case.id).lock_version})


def test_a_step_is_not_kept_when_its_audit_row_fails_and_is_audited_when_it_works(site, monkeypatch):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = Case.get()
    events = CaseEvent.select().count()
    with monkeypatch.context() as patched:
        _break_audit(patched)
        page = _act(client, case, "accept")
        assert page.status_code == 500
        text = page.get_data(as_text=True)
        assert "本次提交的内容没有保存" in text and "Traceback" not in text
    assert Case.get_by_id(case.id).status == case.status and CaseEvent.select().count() == events
    _act(client, case, "accept")
    assert Case.get_by_id(case.id).status != case.status
    entry = AuditLog.select().where(AuditLog.object_type == "case").order_by(AuditLog.id.desc()).get()
    assert entry.object_id == case.number and "受理" in entry.summary and entry.outcome == "success"
    assert entry.roles == "village_agent"
    client.post(f"/admin/cases/{case.id}/materials/build")
    built = AuditLog.select().where(AuditLog.object_type == "case").order_by(AuditLog.id.desc()).get()
    assert built.summary == f"{case.number}：生成材料清单"
    # One row per step: the request hook adds none of its own.
    assert AuditLog.select().where(AuditLog.action == "request").count() == 0
