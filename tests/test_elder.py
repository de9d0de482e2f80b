"""长辈版 (elder mode, issue 18): one tap in the header switches the public pages, a non-personal
cookie remembers it, and it works as a plain link without JavaScript."""

import re

import pytest

from case_screens import make_site, signed_in

PUBLIC = ["/", "/matters/YLFW-0001", "/matters/YLFW-0001/notice", "/login", "/rate/not-a-token",
          "/no-such-page"]


@pytest.fixture
def site(db_url, db, tmp_path):
    return make_site(db_url, tmp_path / "uploads")


def switch_link(page: str) -> tuple[str, str]:
    """(address, visible word) of the page's 长辈版/标准版 switch."""
    link = r'<a class="view-switch"[^>]*href="([^"]+)"[^>]*>.*?view-switch-label">([^<]+)<'
    tag = re.search(link, page, re.S)
    assert tag, "no 长辈版/标准版 switch on the page"
    return tag.group(1).replace("&amp;", "&"), tag.group(2)


def root_class(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_page_offers_the_switch_to_elder_mode(site, path):
    client = site.test_client()
    page = client.get(path).get_data(as_text=True)
    address, word = switch_link(page)
    assert word == "长辈版" and 'class="elder"' not in root_class(page)
    assert address.startswith("/view/elder?next=")


def test_one_tap_sets_a_non_personal_cookie_and_comes_back_to_the_page(site):
    client = site.test_client()
    address, _ = switch_link(client.get("/matters/YLFW-0001?applicant_type=agent").get_data(as_text=True))
    response = client.get(address)
    assert response.status_code == 302 and response.location == "/matters/YLFW-0001?applicant_type=agent"
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies  # only the choice: no session, nothing about the reader
    assert cookies[0].startswith("daiban_view=elder;")
    assert "Max-Age=31536000" in cookies[0] and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]

    page = client.get("/matters/YLFW-0001").get_data(as_text=True)
    assert 'class="elder"' in root_class(page)
    address, word = switch_link(page)
    assert word == "标准版" and address.startswith("/view/standard?next=")
    assert "elder.css" in page and "Cookie" in client.get("/").headers["Vary"]


def test_standard_mode_forgets_the_choice(site):
    client = site.test_client()
    client.get("/view/elder?next=/")
    response = client.get("/view/standard?next=/login")
    assert response.location == "/login"
    assert response.headers["Set-Cookie"].startswith("daiban_view=;")  # deleted
    assert 'class="elder"' not in root_class(client.get("/").get_data(as_text=True))


def test_elder_js_switches_in_place_and_the_server_answers_it_with_no_page(site):
    client = site.test_client()
    response = client.get("/view/elder?next=/", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204 and response.headers["Set-Cookie"].startswith("daiban_view=elder;")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "/\r\nSet-Cookie: x=1", "", None])
def test_the_switch_never_sends_the_reader_to_another_site(site, target):
    query = {} if target is None else {"next": target}
    response = site.test_client().get("/view/elder", query_string=query)
    assert response.status_code == 302 and response.location == "/"


def test_an_unknown_mode_is_not_found(site):
    assert site.test_client().get("/view/huge").status_code == 404


def test_the_notice_follows_the_choice_on_screen_and_the_staff_screens_never_do(site):
    client = signed_in(site, "village")
    client.get("/view/elder?next=/")
    notice = client.get("/matters/YLFW-0001/notice").get_data(as_text=True)
    assert 'class="elder"' in root_class(notice) and switch_link(notice)[1] == "标准版"
    workbench = client.get("/admin/cases/").get_data(as_text=True)
    assert 'class="elder"' not in root_class(workbench) and "view-switch" not in workbench


def test_secondary_text_is_marked_for_elder_mode_to_leave_out(site):
    page = site.test_client().get("/matters/YLFW-0001").get_data(as_text=True)
    assert re.search(r'class="[^"]*secondary[^"]*">事项编码 YLFW-0001', page)
    assert re.search(r'class="[^"]*secondary[^"]*">全程免费', page)
