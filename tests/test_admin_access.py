"""Every admin endpoint × every shipped role × a record inside and outside the role's scope.

Expectations come from an independent table (SCOPE_SEES), not from the code under test. The
test fails when the app registers an admin endpoint this file has no check for.
"""

from __future__ import annotations

import datetime
import re

import pytest

from conftest import CONFIG, TODAY
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import (
    Agent,
    AuditLog,
    Department,
    Matter,
    MatterVersion,
    OrgUnit,
    ServiceCenter,
)
from daiban.orgsync import sync_organisation

PASSWORD = "Test-pass-2026"
ROLE_HOME = {  # where each role's test user sits: (center code, department code)
    "system_admin": ("banner-center", None),
    "bureau": ("banner-center", "banner-government-service-bureau"),
    "banner_agent": ("banner-center", None),
    "township_agent": ("yinde-er-center", None),
    "village_agent": ("yinde-er-hongxing-station", None),
    "department_liaison": (None, "banner-civil-affairs-bureau"),
    "inspector": (None, "banner-government-service-bureau"),
}
# Which of the two records ("in" lies under 红星村 / 民政局, "out" under 新林村 / 卫健委) each
# scope may see.
SCOPE_SEES = {
    "all": {"in", "out"},
    "township": {"in"},
    "center": {"in"},
    "department": {"in"},
}
# For reference data everyone with the view permission sees both, except department scope.
OPEN_TO_ALL_BUT_DEPARTMENT = {"department", "matter_version"}
CHECKED = {"index_view", "details_view", "edit_view", "create_view", "delete_view",
           "action_view", "export", "ajax_lookup", "ajax_update"}
VIEWS = ("org_unit", "service_center", "department", "agent", "app_user", "matter_version",
         "audit_log")
RESOURCE = {"app_user": "user"}


def build_world():
    """Org from config, one user per role, and an in/out record per model; return the ids."""
    catalog = load_catalog(CONFIG, today=TODAY, include_matters=False).catalog
    sync_organisation(catalog.organisation)
    center = {c.code: c for c in ServiceCenter.select()}
    dept = {d.code: d for d in Department.select()}
    for role, (center_code, dept_code) in ROLE_HOME.items():
        create_user(f"u_{role}", f"测试{role}", PASSWORD, [role],
                    center=center.get(center_code), department=dept.get(dept_code))
    records = {
        "org_unit": (OrgUnit.get(OrgUnit.code == "yinde-er-hongxing"),
                     OrgUnit.get(OrgUnit.code == "xinlin-xinlin")),
        "service_center": (center["yinde-er-hongxing-station"], center["xinlin-xinlin-station"]),
        "department": (dept["banner-civil-affairs-bureau"], dept["banner-health-commission"]),
        "agent": (
            Agent.create(name="在内代办员", center=center["yinde-er-hongxing-station"],
                         department=dept["banner-civil-affairs-bureau"], phone="13900000001"),
            Agent.create(name="在外代办员", center=center["xinlin-xinlin-station"],
                         department=dept["banner-health-commission"], phone="13900000002"),
        ),
        "app_user": (
            create_user("inside_user", "在内用户", PASSWORD, ["village_agent"],
                        center=center["yinde-er-hongxing-station"],
                        department=dept["banner-civil-affairs-bureau"]),
            create_user("outside_user", "在外用户", PASSWORD, ["village_agent"],
                        center=center["xinlin-xinlin-station"],
                        department=dept["banner-health-commission"]),
        ),
    }
    versions = []
    for code, unit in (("IN-0001", "banner-civil-affairs-bureau"), ("OUT-0001", "banner-health-commission")):
        matter = Matter.create(code=code)
        versions.append(MatterVersion.create(
            matter=matter, code=code, version=1, status="active", name=f"{code} 事项",
            domain="elderly_care", levels="village", responsible_unit=unit,
            effective_from=datetime.date(2025, 1, 1), content="{}", content_hash="h",
            published_by="test",
        ))
    records["matter_version"] = tuple(versions)
    return records


def label(view: str, record) -> str:
    """Text by which a record is recognised on a page."""
    if view == "app_user":
        return record.username
    if view == "matter_version":
        return record.code
    if view == "audit_log":
        return record.summary
    return record.name


def sign_in(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"{username} could not sign in"


def expected(role, view, which) -> bool:
    scope = ROLE_ROLES[role].scope
    if not ROLE_ROLES[role].allows(RESOURCE.get(view, view), "view"):
        return False
    if view in OPEN_TO_ALL_BUT_DEPARTMENT and scope != "department":
        return True
    return which in SCOPE_SEES[scope]


ROLE_ROLES = load_catalog(CONFIG, include_matters=False).catalog.roles


@pytest.fixture
def world(db_url, db):
    """The app (CSRF off: CSRF has its own test) and the world's records."""
    from daiban.web import create_app

    records = build_world()
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                      "CONFIG_DIR": str(CONFIG)})
    return app, records


def test_every_admin_endpoint_is_in_the_table(world):
    app, _ = world
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/") or rule.endpoint.startswith("admin."):
            continue
        view, _, function = rule.endpoint.partition(".")
        if view == "matters":
            assert function in MATTER_ENDPOINTS, f"endpoint {rule.endpoint} has no check in this test"
            continue
        if view == "intake":
            assert function in INTAKE_ENDPOINTS, f"endpoint {rule.endpoint} has no check in this test"
            continue
        if view == "cases":
            assert function in CASE_ENDPOINTS, f"endpoint {rule.endpoint} has no check in this test"
            continue
        if view in SUPERVISION_ENDPOINTS:
            assert function in SUPERVISION_ENDPOINTS[view], f"endpoint {rule.endpoint} has no check"
            continue
        assert view in VIEWS, f"admin view {view} has no row in VIEWS"
        assert function in CHECKED, f"endpoint {rule.endpoint} has no check in this test"


# The catalog screens: endpoint -> (method, url, needed permission on "matter").
MATTER_ENDPOINTS = {
    "index": ("GET", "/admin/matters/", "view"),
    "new": ("GET", "/admin/matters/new/", "create"),
    "edit": ("GET", "/admin/matters/edit/{code}/", "edit"),
    "submit_draft": ("POST", "/admin/matters/draft/{draft}/submit/", "submit"),
    "review": ("GET", "/admin/matters/draft/{draft}/review/", "approve"),
    "withdraw": ("POST", "/admin/matters/withdraw/{code}/", "edit"),
    "versions": ("GET", "/admin/matters/history/{code}/", "view"),
    "export": ("GET", "/admin/matters/export/", "export"),
}


@pytest.mark.parametrize("role", sorted(ROLE_HOME))
def test_catalog_screens_follow_permissions_and_scope(world, role):
    from daiban.catalog_editing import Actor, start_draft

    app, records = world
    client = app.test_client()
    sign_in(client, f"u_{role}")
    allowed = ROLE_ROLES[role]
    for which, version in zip(("in", "out"), records["matter_version"], strict=True):
        draft = start_draft(version.code, Actor("someone"))
        sees = expected(role, "matter_version", which)
        for endpoint, (method, url, action) in MATTER_ENDPOINTS.items():
            target = url.format(code=version.code, draft=draft.id)
            response = client.open(target, method=method)
            ok = allowed.allows("matter", action) and (sees or "{" not in url)
            where = f"{role} × matters.{endpoint} × {which}"
            if ok:
                assert response.status_code in (200, 302), where
            else:
                assert response.status_code in (403, 404), f"{where}: {response.status_code}"
        listing = client.get("/admin/matters/").get_data(as_text=True)
        if allowed.allows("matter", "view"):
            assert (f'data-code="{version.code}"' in listing) == sees, f"{role}: list {which}"


@pytest.mark.parametrize("role", sorted(ROLE_HOME))
def test_role_sees_and_touches_only_its_scope(world, role):
    app, records = world
    client = app.test_client()
    sign_in(client, f"u_{role}")
    principal_role = ROLE_ROLES[role]
    # An audit record of this user and one of somebody else.
    # Dated ahead, so the rows the walk itself audits (denied reads, writes) stay below them.
    ahead = datetime.datetime.now() + datetime.timedelta(days=1)
    mine = AuditLog.create(actor=f"u_{role}", action="update", summary=f"审计在内{role}", at=ahead)
    theirs = AuditLog.create(actor="somebody", action="update", summary=f"审计在外{role}", at=ahead)
    records = dict(records, audit_log=(mine, theirs))

    for view in VIEWS:
        resource = RESOURCE.get(view, view)
        can = {a: principal_role.allows(resource, a) for a in ("view", "create", "edit", "delete", "export")}
        if view in ("matter_version", "audit_log"):
            can.update(create=False, edit=False, delete=False)  # read-only screens
        inside, outside = records[view]
        sees = {"in": expected(role, view, "in"), "out": expected(role, view, "out")}
        where = f"{role} × {view}"

        listing = client.get(f"/admin/{view}/")
        if not can["view"]:
            assert listing.status_code == 403, where
        else:
            page = listing.get_data(as_text=True)
            assert listing.status_code == 200, where
            assert (label(view, inside) in page) == sees["in"], f"{where}: list, in-scope record"
            assert (label(view, outside) in page) == sees["out"], f"{where}: list, out-of-scope record"

        for which, record in (("in", inside), ("out", outside)):
            details = client.get(f"/admin/{view}/details/", query_string={"id": record.id})
            visible = details.status_code == 200 and label(view, record) in details.get_data(as_text=True)
            assert visible == sees[which], f"{where}: details of the {which} record"

            edit = client.get(f"/admin/{view}/edit/", query_string={"id": record.id})
            assert (edit.status_code == 200) == (sees[which] and can["edit"]), f"{where}: edit {which}"

            if not (sees[which] and can["edit"]):
                # A forged POST to a record the user may not edit changes nothing.
                posted = client.post(f"/admin/{view}/edit/", query_string={"id": record.id},
                                     data={"name": "被篡改"})
                assert posted.status_code in (302, 403), f"{where}: POST edit {which}"
                after = type(record).get_by_id(record.id).__data__.values()
                assert "被篡改" not in [str(v) for v in after], f"{where}: POST edit {which}"

        new = client.get(f"/admin/{view}/new/")
        assert (new.status_code == 200) == can["create"], f"{where}: create form"

        export = client.get(f"/admin/{view}/export/csv/")
        if can["view"] and can["export"]:
            text = export.get_data(as_text=True)
            assert export.status_code == 200, where
            assert (label(view, inside) in text) == sees["in"], f"{where}: export in"
            assert (label(view, outside) in text) == sees["out"], f"{where}: export out"
            assert not re.search(r"139000000\d\d", text), f"{where}: export shows a full phone number"
        else:
            assert export.status_code in (302, 403), f"{where}: export refused"

        inline = client.post(f"/admin/{view}/ajax/update/", data={"list_form_pk": inside.id})
        assert inline.status_code in (403, 404), f"{where}: inline edit"

    # Deletes and bulk deletes, on fresh records so the checks above stay independent.
    for which in ("in", "out"):
        center = ServiceCenter.get(ServiceCenter.code == ("yinde-er-hongxing-station" if which == "in"
                                                          else "xinlin-xinlin-station"))
        dept = Department.get(Department.code == ("banner-civil-affairs-bureau" if which == "in"
                                                  else "banner-health-commission"))
        for path in ("delete", "action"):
            agent = Agent.create(name=f"删除测试{which}{path}", center=center, department=dept)
            if path == "delete":
                client.post("/admin/agent/delete/", data={"id": agent.id})
            else:
                client.post("/admin/agent/action/", data={"action": "delete", "rowid": [agent.id]})
            gone = Agent.get_or_none(Agent.id == agent.id) is None
            allowed = principal_role.allows("agent", "delete") and expected(role, "agent", which)
            assert gone == allowed, f"{role}: {path} of an agent {which} scope"


def test_ajax_lookup_offers_only_records_in_scope(world):
    app, _ = world
    client = app.test_client()
    sign_in(client, "u_township_agent")
    found = client.get("/admin/agent/ajax/lookup/", query_string={"name": "center", "query": ""})
    names = {name for _, name in found.get_json()}
    assert "红星村便民服务站" in names
    assert "新林村便民服务站" not in names
    assert all(ServiceCenter.get(ServiceCenter.name == n).unit.code.startswith("yinde-er") for n in names)


@pytest.mark.parametrize("query", ["id={0}&id={0}", "id=abc", "id=-1", "id=%C2%B2",
                                   "id=99999999999999999999", "id="])
def test_a_repeated_or_garbled_id_is_simply_not_found(world, query):
    app, records = world
    client = app.test_client()
    sign_in(client, "u_system_admin")
    for view in ("agent", "service_center", "app_user"):
        target = query.format(records[view][0].id)
        for page in ("details", "edit"):
            response = client.get(f"/admin/{view}/{page}/?{target}")
            where = f"{view}/{page}/?{target}"
            if query == "id=":  # no id at all: Flask-Admin goes back to the list
                assert response.status_code == 302, where
                continue
            assert response.status_code == 404, where
            assert "该记录不存在，或不在您的数据范围内" in response.get_data(as_text=True), where
        posted = client.post(f"/admin/{view}/delete/", data={"id": target.partition("&")[0][3:]})
        assert posted.status_code in (302, 404), f"{view}: delete {target}"
    kept = client.post("/admin/agent/action/",
                       data={"action": "delete", "rowid": ["abc", "99999999999999999999"]})
    assert kept.status_code == 302


# The intake screens: endpoint -> (method, url); all need case:create.
INTAKE_ENDPOINTS = {
    "index": ("GET", "/admin/intake/?q=gljt"),
    "form": ("GET", "/admin/intake/YLFW-0001/"),
    "check": ("POST", "/admin/intake/YLFW-0001/check"),
    "open": ("POST", "/admin/intake/YLFW-0001/open"),  # an empty form: answered again, 200
    "consult": ("POST", "/admin/intake/YLFW-0001/consult"),  # no note: answered again, 200
}


@pytest.mark.parametrize("role", sorted(ROLE_HOME))
def test_intake_screens_need_the_case_create_permission(world, role):
    from conftest import TODAY
    from daiban.catalog.loader import load_catalog
    from daiban.publishing import publish_catalog, published_states

    result = load_catalog(CONFIG, today=TODAY, published=published_states())
    publish_catalog(result.catalog, "tester")
    app, _ = world
    client = app.test_client()
    sign_in(client, f"u_{role}")
    allowed = ROLE_ROLES[role].allows("case", "create")
    for endpoint, (method, url) in INTAKE_ENDPOINTS.items():
        response = client.open(url, method=method)
        assert (response.status_code == 200) == allowed, f"{role} × intake.{endpoint}"
        if not allowed:
            assert response.status_code == 403



# The case screens: endpoint -> (method, url, permission on "case"). Scope is tested in
# tests/test_case_views.py and tests/test_cases_service.py with real cases.
CASE_ENDPOINTS = {
    "index": ("GET", "/admin/cases/", "view"),
    "open": ("POST", "/admin/cases/open/YLFW-0001/", "create"),
    "details": ("GET", "/admin/cases/999999/", "view"),
    "act": ("POST", "/admin/cases/999999/act", "view"),
    "register": ("GET", "/admin/cases/register/NOPE-0001/", "view"),
    "consult": ("POST", "/admin/cases/consult/NOPE-0001/", "consultation:create"),
    "relay_send": ("POST", "/admin/cases/999999/relay/up", "view"),
    "relay_step": ("POST", "/admin/cases/999999/relay/1/receive", "view"),
    "build_materials": ("POST", "/admin/cases/999999/materials/build", "view"),
    "material": ("POST", "/admin/cases/999999/materials/1/receive", "view"),
    "draft_commission": ("POST", "/admin/cases/999999/commission/draft", "view"),
    "sign_commission": ("POST", "/admin/cases/999999/commission/1/sign", "view"),
    "print_commission": ("GET", "/admin/cases/999999/commission/1/print", "view"),
    "commission_pdf": ("GET", "/admin/cases/999999/commission/1/pdf", "view"),
    "renew_commission": ("POST", "/admin/cases/999999/commission/1/renew", "view"),
    "terminate_commission": ("POST", "/admin/cases/999999/commission/1/terminate", "view"),
    "print_application": ("GET", "/admin/cases/999999/application/print", "view"),
    "application_pdf": ("GET", "/admin/cases/999999/application/pdf", "view"),
    "document": ("GET", "/admin/cases/999999/documents/1", "view"),
    "document_pdf": ("GET", "/admin/cases/999999/documents/1/pdf", "view"),
    "upload_scan": ("POST", "/admin/cases/999999/materials/1/scans", "view"),
    "scan": ("GET", "/admin/cases/999999/scans/1", "view"),
    "queue": ("GET", "/admin/cases/queue/", "view"),
}


@pytest.mark.parametrize("role", sorted(ROLE_HOME))
def test_case_screens_need_the_case_permissions(world, role):
    app, _ = world
    client = app.test_client()
    sign_in(client, f"u_{role}")
    allowed = ROLE_ROLES[role]
    for endpoint, (method, url, action) in CASE_ENDPOINTS.items():
        response = client.open(url, method=method)
        where = f"{role} × cases.{endpoint}"
        resource, _, action = action.rpartition(":")
        if not allowed.allows("case", "view"):
            assert response.status_code == 403, where
        elif not allowed.allows(resource or "case", action):
            assert response.status_code == 403, where
        else:
            # Unknown case ids are simply not found; the list answers; open without a form redirects.
            assert response.status_code in (200, 302, 404), where


# The supervision screens: view endpoint -> {function: (method, url, "resource:action")}; the
# permission "signed_in" means any signed-in user (e.g. one's own messages). Without the
# permission a role gets 403; with it the page answers, redirects, or does not find an unknown id.
# Scope is tested with real records in each screen's own tests.
SUPERVISION_ENDPOINTS: dict[str, dict[str, tuple[str, str, str]]] = {}
# --- supervision endpoint rows (one block per view) ---
SUPERVISION_ENDPOINTS["overview"] = {"index": ("GET", "/admin/overview/", "ledger:view")}
SUPERVISION_ENDPOINTS["organisation"] = {"index": ("GET", "/admin/organisation/", "org_unit:view")}
SUPERVISION_ENDPOINTS["roles"] = {"index": ("GET", "/admin/roles/", "role:view")}
SUPERVISION_ENDPOINTS["ledger"] = {
    "index": ("GET", "/admin/ledger/", "ledger:view"),
    "export": ("GET", "/admin/ledger/export.xlsx", "ledger:export"),
}
SUPERVISION_ENDPOINTS["reports"] = {
    "index": ("GET", "/admin/reports/", "report:view"),
    "submit": ("POST", "/admin/reports/submit", "report:submit"),
    "export_xlsx": ("GET", "/admin/reports/export.xlsx", "report:export"),
    "export_pdf": ("GET", "/admin/reports/export.pdf", "report:export"),
    "print_report": ("GET", "/admin/reports/print", "report:export"),
}
SUPERVISION_ENDPOINTS["alerts"] = {
    "index": ("GET", "/admin/alerts/", "case:view"),
    "messages": ("GET", "/admin/alerts/messages", "signed_in"),
    "read": ("POST", "/admin/alerts/messages/999999/read", "signed_in"),
    "read_all": ("POST", "/admin/alerts/messages/read-all", "signed_in"),
}
SUPERVISION_ENDPOINTS["standard"] = {
    "index": ("GET", "/admin/standard/", "center_standard:view"),
    "details": ("GET", "/admin/standard/999999/", "center_standard:view"),
    "assess": ("POST", "/admin/standard/999999/assess", "center_standard:create"),
    "evidence": ("GET", "/admin/standard/evidence/999999", "center_standard:view"),
}
SUPERVISION_ENDPOINTS["ratings"] = {
    "index": ("GET", "/admin/ratings/", "rating:view"),
    "record": ("POST", "/admin/ratings/999999/record", "rating:view"),
    "link": ("POST", "/admin/ratings/999999/link", "rating:view"),
}
SUPERVISION_ENDPOINTS["rectifications"] = {
    "index": ("GET", "/admin/rectifications/", "rectification:view"),
    "details": ("GET", "/admin/rectifications/999999/", "rectification:view"),
    "act": ("POST", "/admin/rectifications/999999/call", "rectification:view"),
}


@pytest.mark.parametrize("role", sorted(ROLE_HOME))
def test_supervision_screens_need_their_permissions(world, role):
    app, _ = world
    client = app.test_client()
    sign_in(client, f"u_{role}")
    allowed = ROLE_ROLES[role]
    for view, endpoints in SUPERVISION_ENDPOINTS.items():
        for endpoint, (method, url, permission) in endpoints.items():
            response = client.open(url, method=method)
            where = f"{role} × {view}.{endpoint}"
            resource, _, action = permission.partition(":")
            if permission == "signed_in" or allowed.allows(resource, action):
                # A PDF address answers its print view (503) on a server without a Chinese font.
                answers = (200, 302, 404, 503) if url.endswith(".pdf") else (200, 302, 404)
                assert response.status_code in answers, where
            else:
                assert response.status_code == 403, where
