"""The agent's intake screens through Flask's test client."""

import re

import pytest

from conftest import CONFIG, TODAY
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog

PASSWORD = "Test-pass-2026"
BORN_1940 = "152223194001010015"  # 86 in 2026
BORN_1956 = "152223195601010021"  # 70 in 2026


@pytest.fixture
def agent(db_url, db):
    """A village agent at 红星村, the shipped catalog published."""
    from daiban.web import create_app

    result = load_catalog(CONFIG, today=TODAY)
    sync_organisation(result.catalog.organisation)
    publish_catalog(result.catalog, "tester")
    station = ServiceCenter.get(ServiceCenter.code == "yinde-er-hongxing-station")
    create_user("village", "周代办", PASSWORD, ["village_agent"], center=station)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                      "CONFIG_DIR": str(CONFIG)})
    client = app.test_client()
    client.post("/login", data={"username": "village", "password": PASSWORD})
    return client, result.catalog


def test_search_by_pinyin_lists_only_matters_of_the_agents_level(agent):
    client, catalog = agent
    for query in ("gljt", "gaoling"):
        page = client.get("/admin/intake/", query_string={"q": query}).get_data(as_text=True)
        assert "高龄津贴" in page, query
    page = client.get("/admin/intake/", query_string={"q": ""}).get_data(as_text=True)
    for matter in catalog.matters.values():
        if "village" not in matter.levels:
            assert matter.code not in page
            assert client.get(f"/admin/intake/{matter.code}/").status_code == 404


def test_form_is_generated_from_the_matter(agent):
    client, catalog = agent
    matter = catalog.matters["YLFW-0001"]
    page = client.get("/admin/intake/YLFW-0001/").get_data(as_text=True)
    for field in matter.fields:
        assert field.label in page
    assert "受理条件核对" in page and "待核对" in page


def test_live_check_reports_eligibility_and_derived_values(agent):
    client, catalog = agent
    matter = catalog.matters["YLFW-0001"]
    id_field = next(f.id for f in matter.fields if f.type == "id_number")
    state = client.post("/admin/intake/YLFW-0001/check", data={id_field: BORN_1956}).get_json()
    assert state["verdict"] == "ineligible"
    assert any("80" in text for text in state["unmet"])
    assert state["derived"][f"{id_field}.age"] >= 70
    state = client.post("/admin/intake/YLFW-0001/check", data={id_field: BORN_1940}).get_json()
    assert not any("80" in text for text in state["unmet"])


def test_plain_post_shows_errors_beside_fields(agent):
    client, catalog = agent
    matter = catalog.matters["YLFW-0001"]
    id_field = next(f.id for f in matter.fields if f.type == "id_number")
    page = client.post("/admin/intake/YLFW-0001/", data={id_field: "152223194001010016"},
                       ).get_data(as_text=True)
    assert "校验位不对" in page and "invalid-feedback" in page


def test_group_rows_can_be_added_without_javascript(agent):
    client, catalog = agent
    matter = catalog.matters["SHJZ-0001"]
    group = next(f for f in matter.fields if f.type == "group")
    page = client.post("/admin/intake/SHJZ-0001/", data={"op": f"add:{group.id}"}).get_data(as_text=True)
    assert f'name="{group.id}-1-{group.fields[0].id}"' in page


def test_a_group_row_index_that_is_no_number_is_ignored(agent):
    client, catalog = agent
    group = next(f for f in catalog.matters["SHJZ-0001"].fields if f.type == "group")
    inner = group.fields[0].id
    for index in ("²", "١", "9" * 5000, "-1", "x"):
        data = {f"{group.id}-0-{inner}": "张三", f"{group.id}-{index}-{inner}": "李四"}
        for path in ("/admin/intake/SHJZ-0001/", "/admin/intake/SHJZ-0001/check"):
            response = client.post(path, data=data)
            assert response.status_code == 200, f"{path} {index[:10]}"
        assert "李四" not in client.post("/admin/intake/SHJZ-0001/", data=data).get_data(as_text=True)


# --- issue 18: usable with a screen reader and the keyboard --------------------------------------

def _ids(page: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page))


def _household(**rows) -> dict:
    """A 低保 form post: the applicant's name and ID number, and household rows as typed."""
    data = {"name": "巴图", "id_number": "152223195001010019"}
    for key, value in rows.items():
        data[key] = value
    return data


def test_a_refused_form_opens_with_a_summary_linking_each_problem_to_its_field(agent):
    client, catalog = agent
    data = _household(**{"members-0-member_name": "巴图", "members-0-relation": "self",
                         "members-1-member_name": "其其格",
                         "members-1-member_id_number": "152223195001010018"})
    page = client.post("/admin/intake/SHJZ-0001/", data=data).get_data(as_text=True)
    start = page.index('class="alert alert-danger error-summary"')
    summary = page[start:page.index("</ul>", start)]
    links = re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary)
    count = int(re.search(r"有 (\d+) 处需要修改", summary).group(1))
    assert count == len(links) > 5 and "data-focus-on-load" in summary
    targets = [target for target, _ in links]
    ids = _ids(page)
    assert set(targets) <= ids, set(targets) - ids
    # In the order of the form, rows named as the config names them, each message said once.
    assert targets.index("f-phone") < targets.index("f-members-0-member_id_number") \
        < targets.index("f-members-1-member_id_number") < targets.index("f-household_income_per_capita")
    texts = dict(links)
    assert texts["f-members-1-member_id_number"].startswith("第 2 位家庭成员：公民身份号码校验位不对")
    assert texts["f-members-1-relation"] == "第 2 位家庭成员：请填写“与申请人关系”"
    assert texts["f-members-0-health"] == "第 1 位家庭成员：请填写“健康状况”"
    assert texts["f-phone"] == "请填写“联系电话”"
    # Each field in error is marked and described by its message.
    control = re.search(r'<input[^>]*id="f-members-1-member_id_number"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in control
    described = re.search(r'aria-describedby="([^"]+)"', control).group(1).split()
    assert described[0] == "f-members-1-member_id_number-error-1" and set(described) <= ids
    assert 'aria-invalid' not in re.search(r'<input[^>]*id="f-name"[^>]*>', page).group(0)


def test_every_input_of_the_household_table_is_named_with_its_row(agent):
    client, catalog = agent
    group = catalog.matters["SHJZ-0001"].field("members")
    page = client.post("/admin/intake/SHJZ-0001/", data=_household(
        **{"members-0-member_name": "巴图", "op": "add:members"})).get_data(as_text=True)
    for row in (0, 1):
        for inner in group.fields:
            found = rf'<label class="group-cell-label" for="f-members-{row}-{inner.id}">(.*?)</label>'
            label = re.search(found, page, re.S)
            assert label, (row, inner.id)
            words = re.sub(r"<[^>]+>", "", label.group(1))
            assert words.startswith(f"第 {row + 1} 位家庭成员 {inner.label}"), words
            if inner.required:
                assert words.endswith("（必填）") and 'aria-hidden="true"> *' in label.group(1)
    # 添加一行 is not a check: nothing is marked wrong, and the new row's first box takes the focus.
    assert "error-summary" not in page and "is-invalid" not in page
    assert re.search(r'id="f-members-1-member_name"[^>]*autofocus', page)
    assert "添加一行<span class=\"sr-only\">：第 3 位家庭成员</span>" in page


def test_required_fields_say_so_in_words_and_the_panel_is_read_out_as_it_changes(agent):
    client, catalog = agent
    page = client.get("/admin/intake/SHJZ-0001/").get_data(as_text=True)
    label = re.search(r'<label class="" for="f-name">(.*?)</label>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", label).strip() == "申请人姓名 *（必填）"
    optional = re.search(r'<label class="" for="f-financial_assets">(.*?)</label>', page, re.S).group(1)
    assert re.search(r'class="required-mark"[^>]*hidden', optional)  # not required: the words are hidden too
    assert re.search(r'<div class="card sticky-top" id="eligibility"[^>]*aria-live="polite"', page)


def test_enter_in_a_text_box_checks_the_form_and_adds_no_row(agent):
    client, catalog = agent
    page = client.get("/admin/intake/SHJZ-0001/").get_data(as_text=True)
    form = page[page.index('<form method="post" id="intake-form"'):]
    first = re.search(r"<button[^>]*>", form).group(0)  # the button Enter presses
    assert 'name="action" value="check"' in first
    assert 'aria-hidden="true"' in first and 'tabindex="-1"' in first  # no second 检查 to Tab to or hear
    assert form.index(first) < form.index('value="add:members"')
