"""The admin platform as its users meet it: signing in, Chinese screens, CSRF, deactivation, audit."""

import datetime
import re

import pytest

from conftest import CONFIG
from daiban.accounts import REFUSED, authenticate, create_user
from daiban.catalog.loader import load_catalog
from daiban.models import Agent, AuditLog, Department, ServiceCenter, User
from daiban.orgsync import sync_organisation

PASSWORD = "Test-pass-2026"


@pytest.fixture
def admin_app(db_url, db):
    """The app on a database with the shipped organisation and a bureau and admin user."""
    from daiban.web import create_app

    sync_organisation(load_catalog(CONFIG, include_matters=False).catalog.organisation)
    center = ServiceCenter.get(ServiceCenter.code == "banner-center")
    create_user("bureau", "王主任", PASSWORD, ["bureau"], center=center)
    create_user("admin", "管理员", PASSWORD, ["system_admin"], center=center)
    return create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)})


def csrf_token(client, path="/login"):
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def test_sign_in_shows_the_chinese_admin_and_is_audited(admin_app):
    client = admin_app.test_client()
    assert client.get("/admin/agent/").status_code == 302  # strangers go to the login page
    response = sign_in(client, "bureau")
    assert response.status_code == 302
    page = client.get("/admin/agent/").get_data(as_text=True)
    assert "代办员" in page and "列表" in page and "创建" in page and "添加筛选器" in page
    assert "王主任" in page and "退出登录" in page
    entry = AuditLog.select().where(AuditLog.action == "login").get()
    assert (entry.actor, entry.roles) == ("bureau", "bureau")


def test_wrong_password_is_counted_then_locks_the_account(admin_app):
    client = admin_app.test_client()
    page = sign_in(client, "bureau", "wrong").get_data(as_text=True)
    assert REFUSED in page and "还可尝试" not in page  # says nothing of the account
    for _ in range(4):
        sign_in(client, "bureau", "wrong")
    # Locked: even the right password is refused, with the same words.
    assert REFUSED in sign_in(client, "bureau").get_data(as_text=True)
    failures = AuditLog.select().where(AuditLog.action == "login_failed").order_by(AuditLog.id)
    assert failures.count() == 6 and "锁定" in failures[-1].summary
    later = datetime.datetime.now() + datetime.timedelta(minutes=16)
    assert authenticate("bureau", PASSWORD, now=later).ok


def test_a_failed_sign_in_with_a_very_long_username_is_audited_cut_to_the_column(admin_app):
    client = admin_app.test_client()
    response = sign_in(client, "用" * 300, "wrong")
    assert response.status_code == 200 and REFUSED in response.get_data(as_text=True)
    assert AuditLog.get(AuditLog.action == "login_failed").actor == "用" * 64


def test_post_without_csrf_token_is_refused(admin_app):
    client = admin_app.test_client()
    sign_in(client, "bureau")
    xinlin = ServiceCenter.get(ServiceCenter.code == "xinlin-center")
    agent = Agent.create(name="要删除的代办员", center=xinlin)
    response = client.post("/admin/agent/delete/", data={"id": agent.id})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert Agent.get_or_none(Agent.id == agent.id) is not None


def test_delete_of_a_referenced_record_deactivates_it(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    center = ServiceCenter.get(ServiceCenter.code == "xinlin-center")
    Agent.create(name="新林代办员", center=center)
    token = csrf_token(client, "/admin/service_center/")
    client.post("/admin/service_center/delete/", data={"id": center.id, "csrf_token": token})
    center = ServiceCenter.get_by_id(center.id)
    assert center.active is False
    assert AuditLog.select().where(AuditLog.action == "deactivate").count() == 1


def test_centers_with_fewer_than_two_agents_are_flagged(admin_app):
    client = admin_app.test_client()
    sign_in(client, "bureau")
    xinlin = ServiceCenter.get(ServiceCenter.code == "xinlin-center")
    Agent.create(name="甲", center=xinlin)
    Agent.create(name="乙", center=xinlin)
    Agent.create(name="丙（停用）", center=ServiceCenter.get(ServiceCenter.code == "haolibao-center"),
                 status="inactive")
    page = client.get("/admin/service_center/", query_string={"search": "center"}).get_data(as_text=True)
    rows = {row.split("</td>")[1]: row for row in page.split("<tr")[1:] if "-center" in row}
    assert "不足 2 名" not in rows.get(next(k for k in rows if "xinlin-center" in k), "")
    assert "不足 2 名" in rows[next(k for k in rows if "haolibao-center" in k)]


def test_user_form_sets_roles_and_checks_password_strength(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/app_user/new/")
    weak = client.post("/admin/app_user/new/", data={
        "username": "newagent", "display_name": "新代办员", "role_ids": ["village_agent"],
        "new_password": "short", "active": "y", "csrf_token": token,
    }, follow_redirects=True)
    assert "密码至少 10 位" in weak.get_data(as_text=True)
    assert User.get_or_none(User.username == "newagent") is None
    client.post("/admin/app_user/new/", data={
        "username": "newagent", "display_name": "新代办员", "role_ids": ["village_agent"],
        "new_password": "Strong-pass-2026", "active": "y", "csrf_token": token,
    })
    created = User.get(User.username == "newagent")
    assert created.role_ids == ["village_agent"]
    assert authenticate("newagent", "Strong-pass-2026").ok
    assert AuditLog.select().where((AuditLog.action == "create") &
                                   (AuditLog.object_type == "app_user")).count() == 1


def test_audit_records_cannot_be_changed(admin_app, db):
    from daiban.models import ImmutableRecordError

    entry = AuditLog.create(actor="x", action="update")
    with pytest.raises(ImmutableRecordError):
        entry.delete_instance()
    import peewee

    with pytest.raises(peewee.DatabaseError), db.atomic():
        AuditLog.update(actor="y").execute()


def test_search_box_says_where_it_searches(admin_app):
    client = admin_app.test_client()
    sign_in(client, "bureau")
    page = client.get("/admin/agent/").get_data(as_text=True)
    assert 'placeholder="搜索：姓名"' in page
    assert ">None<" not in page and 'placeholder="None"' not in page


def test_list_parameters_named_like_the_link_builders_own_are_dropped(admin_app):
    from urllib.parse import parse_qs, urlsplit

    client = admin_app.test_client()
    sign_in(client, "admin")
    for query in ("export_type=csv", "endpoint=x", "_method=POST", "_scheme=ftp&page=1"):
        response = client.get(f"/admin/agent/?{query}&search=abc")
        assert response.status_code == 302, query
        location = urlsplit(response.headers["Location"])
        assert location.path == "/admin/agent/", query
        assert parse_qs(location.query)["search"] == ["abc"], query
        assert set(parse_qs(location.query)) <= {"search", "page"}, query
        assert client.get(response.headers["Location"]).status_code == 200, query


@pytest.mark.parametrize("target", [
    "/admin/\r\nLocation: https://evil.example/", "/admin/\nX: y", "/admin/\x1b", "/admin/\x7f",
    "//evil.example/", "/\\evil.example/", "/\\/evil.example/", "https://evil.example/",
    "javascript:alert(1)", "admin/", "", "/admin//evil.example",
])
def test_sign_in_with_a_bad_next_goes_to_the_admin(admin_app, target):
    client = admin_app.test_client()
    form = {"username": "bureau", "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login", query_string={"next": target}, data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_sign_in_goes_on_to_the_page_asked_for(admin_app):
    client = admin_app.test_client()
    asked = client.get("/admin/agent/?search=%E5%BC%A0")
    assert asked.status_code == 302
    form = {"username": "bureau", "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post(asked.headers["Location"], data=form)
    assert response.headers["Location"] == "/admin/agent/?search=%E5%BC%A0"


def test_a_return_address_with_control_characters_is_refused(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    agent = Agent.create(name="返回地址测试", center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    details = client.get("/admin/agent/details/", query_string={"id": agent.id, "url": "/admin/\r\nX: y"})
    assert details.status_code == 400 and "返回地址" in details.get_data(as_text=True)
    deleted = client.post("/admin/agent/delete/", data={"id": agent.id, "url": "\r\n",
                                                        "csrf_token": csrf_token(client, "/admin/agent/")})
    assert deleted.status_code == 400
    assert Agent.get_or_none(Agent.id == agent.id) is not None
    back = client.get("/admin/agent/details/", query_string={"id": agent.id, "url": "/admin/agent/?page=1"})
    assert back.status_code == 200 and 'href="/admin/agent/?page=1"' in back.get_data(as_text=True)


def test_sorting_by_a_column_that_is_not_sortable_keeps_the_default_order(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    for view in ("matter_version", "agent", "app_user", "audit_log"):
        for sort in range(12):
            response = client.get(f"/admin/{view}/", query_string={"sort": sort, "desc": 1})
            assert response.status_code == 200, f"{view}?sort={sort}"


@pytest.mark.parametrize("page", ["-1", "99999999999999999999", "2147483647"])
def test_a_page_before_the_first_or_past_any_end_shows_the_first(admin_app, page):
    client = admin_app.test_client()
    sign_in(client, "admin")
    Agent.create(name="翻页测试", center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    response = client.get("/admin/agent/", query_string={"page": page})
    assert response.status_code == 200 and "翻页测试" in response.get_data(as_text=True)


def edit_form_values(client, path) -> dict:
    """The fields of an edit page as the browser would post them (inputs, checked boxes, selects)."""
    import html
    import re

    page = client.get(path).get_data(as_text=True)
    form = page[page.index('<form action=""'):] if '<form action=""' in page else page
    values: dict = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = re.search(r'value="([^"]*)"', tag)
        if kind in ("checkbox", "radio"):
            if " checked" in tag:  # a ticked box posts its value; several with one name post a list
                ticked = html.unescape(value[1]) if value else "y"
                if kind == "checkbox" and name[1] in values:
                    earlier = values[name[1]]
                    values[name[1]] = [*earlier, ticked] if isinstance(earlier, list) else [earlier, ticked]
                else:
                    values[name[1]] = ticked
        elif kind != "submit":
            values[name[1]] = html.unescape(value[1]) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"'
                           r'|<option[^>]*value="([^"]*)"[^>]*selected', body)
        if chosen:
            values[name] = chosen[1] or chosen[2]
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = html.unescape(body.strip())
    return values


@pytest.mark.parametrize("table, record, field, mine, theirs", [
    ("service_center", lambda: ServiceCenter.get(ServiceCenter.code == "xinlin-center"), "hours",
     "周一至周五 8:30-17:30", "周一至周六 9:00-17:00"),
    ("app_user", lambda: User.get(User.username == "bureau"), "display_name",
     "王主任（甲改）", "王主任（乙改）"),
    ("agent", lambda: Agent.get(Agent.name == "新林代办员"), "name", "新林代办员甲", "新林代办员乙"),
])
def test_an_edit_saved_meanwhile_by_another_administrator_is_not_overwritten(admin_app, table, record, field,
                                                                             mine, theirs):
    Agent.create(name="新林代办员", center=ServiceCenter.get(ServiceCenter.code == "xinlin-center"))
    create_user("admin2", "管理员乙", PASSWORD, ["system_admin"],
                center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    first, second = admin_app.test_client(), admin_app.test_client()
    sign_in(first, "admin")
    sign_in(second, "admin2")
    target = record()
    path = f"/admin/{table}/edit/?id={target.id}"
    record = lambda: type(target).get_by_id(target.id)  # noqa: E731 - the same row, renamed or not
    mine_form, theirs_form = edit_form_values(first, path), edit_form_values(second, path)
    assert mine_form["row_version"] and mine_form["row_version"] == theirs_form["row_version"]
    theirs_form[field] = theirs
    second.post(path, data=theirs_form)
    assert getattr(record(), field) == theirs
    mine_form[field] = mine
    page = first.post(path, data=mine_form, follow_redirects=True).get_data(as_text=True)
    assert "已被他人修改" in page and "Traceback" not in page
    assert getattr(record(), field) == theirs  # the other administrator's save is kept
    updates = AuditLog.select().where((AuditLog.action == "update") & (AuditLog.object_type == table))
    assert [a.actor for a in updates] == ["admin2"]
    # Opened again, the form is made from the record as it is now, and saves.
    again = edit_form_values(first, path)
    again[field] = mine
    first.post(path, data=again)
    assert getattr(record(), field) == mine


def test_audit_log_reads_names_seconds_and_events_and_filters_by_user_event_and_day(admin_app):
    client = admin_app.test_client()
    sign_in(client, "bureau")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    sign_in(client, "admin")
    old = AuditLog.create(at=datetime.datetime(2026, 1, 5, 9, 30, 15), actor="bureau", roles="bureau",
                          action="export", object_type="ledger", summary="导出台账")
    page = client.get("/admin/audit_log/").get_data(as_text=True)
    assert "王主任（扎赉特旗帮办代办服务中心）" in page and "管理员（扎赉特旗帮办代办服务中心）" in page
    assert "旗政务服务局" in page and "登录成功" in page and "退出登录" in page
    assert "2026-01-05 09:30:15" in page and "工作台账" in page
    assert ">bureau<" not in page and ">system_admin<" not in page and ">ledger<" not in page
    by_user = client.get("/admin/audit_log/?flt0_0=bureau").get_data(as_text=True)
    assert "导出台账" in by_user and "管理员（扎赉特旗帮办代办服务中心）" not in by_user
    by_event = client.get("/admin/audit_log/?flt0_1=logout").get_data(as_text=True)
    assert "退出登录" in by_event and "导出台账" not in by_event
    by_day = client.get("/admin/audit_log/?flt0_3=2026-01-05").get_data(as_text=True)
    assert "导出台账" in by_day and "登录成功" not in by_day
    until = client.get("/admin/audit_log/?flt0_5=2026-01-05").get_data(as_text=True)
    assert "导出台账" in until and "登录成功" not in until
    since = client.get("/admin/audit_log/?flt0_4=2026-01-06").get_data(as_text=True)
    assert "导出台账" not in since and "登录成功" in since
    assert client.get("/admin/audit_log/?flt0_3=not-a-date").status_code == 200
    assert old.id


def test_a_duplicate_code_is_refused_beside_its_field(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/department/new/")
    page = client.post("/admin/department/new/", data={
        "code": "banner-civil-affairs-bureau", "name": "又一个民政局", "csrf_token": token,
    }).get_data(as_text=True)
    assert re.search(r'name="code"[^>]*>\s*(<[^>]+>\s*)*[^<]*已有[^<]*“banner-civil-affairs-bureau”', page) \
        or "已有部门编码为“banner-civil-affairs-bureau”的记录" in page
    assert "又一个民政局" in page  # the form stays, with what was typed
    assert "未能保存：请按各项旁的红色提示修改后再保存" in page and "Failed" not in page
    assert Department.select().where(Department.name == "又一个民政局").count() == 0


def test_a_user_without_a_role_is_refused_beside_the_role_picker(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    bureau = User.get(User.username == "bureau")
    token = csrf_token(client, f"/admin/app_user/edit/?id={bureau.id}")
    page = client.post(f"/admin/app_user/edit/?id={bureau.id}", data={
        "username": "bureau", "display_name": "王主任", "active": "y", "csrf_token": token,
    }).get_data(as_text=True)
    picker = page[page.index('id="role_ids"'):]
    assert "请选择至少一个已配置的角色" in picker[:3000]
    assert 'value="bureau"' in picker and "旗政务服务局" in picker  # picked by name
    assert User.get_by_id(bureau.id).role_ids == ["bureau"]


def test_a_refused_model_form_opens_with_a_summary_linking_to_each_field_in_error(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/app_user/new/")
    page = client.post("/admin/app_user/new/", data={
        "username": "newagent", "display_name": "", "new_password": "short", "active": "y",
        "csrf_token": token,
    }).get_data(as_text=True)
    start = page.index('class="alert alert-danger error-summary"')
    summary = page[start:page.index("</ul>", start)]
    assert "data-focus-on-load" in summary
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary))
    assert f"有 {len(links)} 处需要修改" in summary and {"role_ids", "new_password"} <= set(links)
    assert "密码至少 10 位" in links["new_password"] and links["new_password"].startswith("新密码")
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    assert set(links) <= ids
    # The field is marked and described by its message; required fields say so in words.
    box = re.search(r'<input[^>]*id="new_password"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in box and 'aria-describedby="new_password-error"' in box
    assert 'id="new_password-error"' in page
    # A form without errors has no summary, and the view's shared widget arguments stay clean.
    fresh = client.get("/admin/app_user/new/").get_data(as_text=True)
    assert "error-summary" not in fresh and "is-invalid" not in fresh and "aria-invalid" not in fresh


def test_a_required_model_field_says_so_in_words(admin_app):
    import flask_admin.helpers
    from flask import render_template_string
    from wtforms import Form, StringField
    from wtforms.validators import DataRequired

    class Named(Form):
        name = StringField("名称", validators=[DataRequired()])
        note = StringField("备注", description="可不填")

    with admin_app.test_request_context():
        html = render_template_string(
            '{% import "admin/lib.html" as lib with context %}'
            "{{ lib.render_field(form, form.name) }}{{ lib.render_field(form, form.note) }}",
            form=Named(), h=flask_admin.helpers)
    name = re.search(r'<label for="name"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s", "", name) == "名称&#42;（必填）" and 'aria-hidden="true">&#42;' in name
    assert "（必填）" not in re.search(r'<label for="note"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert re.search(r'<input[^>]*aria-describedby="note-help"', html) and 'id="note-help"' in html


def test_flash_messages_are_announced_and_closed_with_a_labelled_button(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/department/new/")
    page = client.post("/admin/department/new/", data={"code": "banner-civil-affairs-bureau", "name": "x",
                                                        "csrf_token": token}).get_data(as_text=True)
    refused = re.search(r'<div class="alert alert-danger alert-dismissible" role="alert">(.*?)</div>',
                        page, re.S)
    assert refused and "未能保存" in refused.group(1)
    close = re.search(r"<button[^>]*data-dismiss=\"alert\"[^>]*>(.*?)</button>", refused.group(1), re.S)
    assert 'type="button"' in close.group(0) and 'aria-label="关闭提示"' in close.group(0)
    button = re.match(r"<button[^>]*>", close.group(0)).group(0)  # the button itself is not hidden
    assert "aria-hidden" not in button and close.group(1) == '<span aria-hidden="true">&times;</span>'
    saved = {"code": "new-unit", "name": "新单位", "csrf_token": token}
    page = client.post("/admin/department/new/", data=saved, follow_redirects=True).get_data(as_text=True)
    assert re.search(r'<div class="alert alert-success alert-dismissible" role="status">\s*创建记录成功',
                     page)


def test_organisation_tree_and_roles_screen(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    tree = client.get("/admin/organisation/").get_data(as_text=True)
    banner = tree.index("扎赉特旗</strong>")
    township = tree.index("音德尔镇</strong>")
    village = tree.index("红星村</strong>")
    assert banner < township < village
    assert "音德尔镇便民服务中心" in tree[township:village] and "红星村便民服务站" in tree[village:]
    roles = client.get("/admin/roles/").get_data(as_text=True)
    assert "系统管理员" in roles and "旗政务服务局" in roles and "嘎查村代办员" in roles
    assert "数据范围：</strong>全旗" in roles and "审计日志" in roles
    assert ">audit_log<" not in roles and ">view<" not in roles
    sign_in(client, "bureau")
    assert client.get("/admin/roles/").status_code == 403  # the bureau has no role:view


def test_an_agents_id_number_is_checked_beside_its_field_then_kept_sealed_and_shown_masked(admin_app):
    client = admin_app.test_client()
    sign_in(client, "admin")
    xinlin = ServiceCenter.get(ServiceCenter.code == "xinlin-center")
    form = {"name": "其其格", "center": str(xinlin.id), "status": "active",
            "csrf_token": csrf_token(client, "/admin/agent/new/")}
    page = client.post("/admin/agent/new/", data={**form, "id_number": "152223198001010031"}
                       ).get_data(as_text=True)
    assert "校验位不对" in page and Agent.select().count() == 0  # refused, the form comes back
    assert 'value="其其格"' in page
    form["csrf_token"] = csrf_token(client, "/admin/agent/new/")
    response = client.post("/admin/agent/new/", data={**form, "id_number": "15222319800101003x "})
    assert response.status_code == 302
    agent = Agent.get()
    assert agent.id_number == "15222319800101003X"  # cleaned, and read back through the accessor
    stored = Agent._meta.database.execute_sql("SELECT id_number FROM agent").fetchone()[0]
    assert stored.startswith("sm4:")
    details = client.get(f"/admin/agent/details/?id={agent.id}").get_data(as_text=True)
    assert "152223********003X" in details and "15222319800101003X" not in details
    entry = AuditLog.select().where(AuditLog.object_type == "agent").order_by(AuditLog.id.desc()).get()
    assert "15222319800101003X" not in (entry.after or "")
