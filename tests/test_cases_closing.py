"""办结 with deferred (容缺) materials still outstanding: refused unless the note names them, and
the case page, the work ledger and the quarterly report count the same outstanding materials."""

from __future__ import annotations

import datetime

import pytest

from case_screens import ELDERLY, PASSWORD, make_site, open_elderly_case, signed_in
from conftest import CONFIG
from daiban.access import principal_for
from daiban.accounts import create_user
from daiban.cases.materials import build_checklist, defer, receive, supply
from daiban.cases.service import Actor, Result, TransitionRefused, transition
from daiban.catalog.loader import load_catalog
from daiban.models import Case, CaseEvent, CaseMaterial, ServiceCenter, User
from daiban.supervision.ledger import LedgerFilter, ledger_rows
from daiban.supervision.report import quarter_of, quarterly_figures
from daiban.supervision.units import report_units

CATALOG = load_catalog(CONFIG, include_matters=False).catalog
WORKFLOW, CALENDAR = CATALOG.workflow, CATALOG.calendar


@pytest.fixture
def site(db_url, db, tmp_path):
    app = make_site(db_url, tmp_path / "uploads")
    banner = ServiceCenter.get(ServiceCenter.code == "banner-center")
    create_user("banner", "旗中心代办", PASSWORD, ["banner_agent"], center=banner)
    create_user("bureau", "政务局督查", PASSWORD, ["bureau"], center=banner)
    return app


def step(case, transition_id, username, note="", result=None):
    return transition(Case.get_by_id(case.id), transition_id, Actor.of(User.get(User.username == username)),
                      note, Case.get_by_id(case.id).lock_version, datetime.date.today(), CALENDAR,
                      workflow=WORKFLOW, result=result)


def followed_up_with_one_deferred(client) -> tuple[Case, CaseMaterial]:
    """An assisted case taken with one material deferred (容缺受理), brought to 已回访评价."""
    open_elderly_case(client)
    case = Case.get()
    agent, today = User.get(User.username == "village"), datetime.date.today()
    rows = [r for r in build_checklist(case, ELDERLY, today, actor=agent) if not r.optional]
    deferred = next(r for r in rows if r.deferrable_label)
    defer(deferred, agent, None, today, CALENDAR)
    for row in rows:
        if row is not deferred and row.status != "received" and not row.verified_by_department:
            receive(row, row.originals_required, row.copies_required, agent, today=today)
    for name, who in (("accept", "village"), ("collect_materials", "village"), ("submit", "village"),
                      ("receive", "banner")):
        step(case, name, who)
    step(case, "record_result", "banner", result=Result("approved", "民高津〔2026〕3号"))
    step(case, "return_materials", "village")
    step(case, "follow_up", "village", "电话回访")
    return Case.get_by_id(case.id), CaseMaterial.get_by_id(deferred.id)


def pending_everywhere(client, case) -> tuple[int, int, int]:
    """Outstanding deferred materials as the case page, the ledger and the quarterly report say."""
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    on_page = page.count("容缺待补")
    today = datetime.date.today()
    bureau = principal_for(User.get(User.username == "bureau"), CATALOG.roles)
    [row] = [r for r in ledger_rows(bureau, LedgerFilter(case.accepted_on, today), today, WORKFLOW)
             if r.id == case.id]
    banner = next(u for u in report_units() if u.kind == "banner")
    figures = quarterly_figures(banner, *quarter_of(today), today)
    return on_page, row.deferred_pending, figures.values["deferred_pending"]


def test_closing_with_an_outstanding_deferred_material_needs_a_note_naming_it(site):
    village = signed_in(site, "village")
    case, deferred = followed_up_with_one_deferred(village)
    assert pending_everywhere(village, case) == (1, 1, 1)
    with pytest.raises(TransitionRefused, match=f"容缺材料尚未补交：{deferred.name}；请先登记补交"):
        step(case, "close", "village", "群众已满意")
    page = village.post(f"/admin/cases/{case.id}/act", data={
        "transition": "close", "lock_version": case.lock_version, "note": ""},
        follow_redirects=True).get_data(as_text=True)
    assert f"容缺材料尚未补交：{deferred.name}" in page and Case.get_by_id(case.id).status == "followed_up"
    assert "仍有未补交的容缺材料时须逐一写明这些材料及办结原因" in page  # the 办结 box says so
    reason = f"{deferred.name}已由民政局内部核验，申请人无需补交，经旗中心同意办结"
    closed = step(case, "close", "village", reason)
    assert closed.status == "closed"
    event = CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id.desc()).first()
    assert (event.transition, event.note) == ("close", reason)  # the recorded reason is kept
    assert pending_everywhere(village, closed) == (1, 1, 1)  # still outstanding, and said so alike


def test_a_supplied_deferred_material_closes_without_a_note_and_counts_nowhere(site):
    village = signed_in(site, "village")
    case, deferred = followed_up_with_one_deferred(village)
    supply(deferred, User.get(User.username == "village"), datetime.date.today())
    assert pending_everywhere(village, case) == (0, 0, 0)
    assert step(case, "close", "village").status == "closed"
