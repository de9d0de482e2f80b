"""The agent's intake screens through Flask's test client."""

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
