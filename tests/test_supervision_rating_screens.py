"""The rating screens: the agent records a rating or prints a QR code, the citizen rates without
signing in, and a bad rating's rectification is worked in the browser."""

import re

import pytest

from case_screens import BORN_1940, PASSWORD, make_site, open_elderly_case, signed_in, with_result
from daiban.accounts import create_user
from daiban.models import Case, ServiceCenter
from daiban.supervision.models import Rating, Rectification


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published, three agents and a bureau user."""
    app = make_site(db_url, tmp_path / "uploads")
    create_user("bureau", "政务局督查", PASSWORD, ["bureau"],
                center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    return app


def test_the_agent_records_a_bad_rating_and_its_rectification_is_listed(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = Case.get()
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)  # no result yet: nothing to rate
    assert "rating-form" not in page and f"/admin/ratings/{case.id}/link" not in page
    assert "反馈办理结果后，回访时请群众评价" in page
    for action in ("record", "link"):
        refused = client.post(f"/admin/ratings/{case.id}/{action}", data={"level": "5", "channel": "on_site"},
                              follow_redirects=True).get_data(as_text=True)
        assert "还没有办理结果，不能评价" in refused
    assert Rating.select().count() == 0
    case = with_result(case)
    page = client.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "登记评价" in page and "生成评价二维码" in page
    page = client.post(f"/admin/ratings/{case.id}/record", data={
        "level": "2", "channel": "follow_up_call", "attitude": "2", "comment": "等了很久"},
        follow_redirects=True).get_data(as_text=True)
    assert "已登记评价：不满意（差评，已生成整改任务）" in page
    rating = Rating.get()
    assert (rating.level, rating.attitude, rating.channel, rating.staff.username) == (2, 2, "follow_up_call",
                                                                                   "village")
    assert "整改：整改中" in page and 'class="card card-body p-2 rating-form"' not in page  # rated once
    # Whoever answers for the case hears of it at once, in the navigation bar and the messages page.
    assert '<span class="badge badge-danger unread-count">1</span>' in page
    messages = client.get("/admin/alerts/messages").get_data(as_text=True)
    assert f"差评整改：办件 {case.number}（不满意）" in messages and "等了很久" in messages
    listed = client.get("/admin/rectifications/").get_data(as_text=True)
    assert case.number in listed and "等了很久" in listed
    assert case.number not in signed_in(site, "other").get("/admin/rectifications/").get_data(as_text=True)


def test_a_missing_level_is_refused_beside_the_case(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = with_result(Case.get())
    page = client.post(f"/admin/ratings/{case.id}/record", data={"channel": "on_site"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请选择满意程度" in page and Rating.select().count() == 0
    assert signed_in(site, "other").post(f"/admin/ratings/{case.id}/record",
                                         data={"level": "5", "channel": "on_site"}).status_code == 404


def test_the_citizen_rates_through_the_qr_link_once(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = with_result(Case.get())
    page = client.post(f"/admin/ratings/{case.id}/link").get_data(as_text=True)
    assert "<svg" in page and "请扫码评价" in page
    address = re.search(r'class="rating-address[^"]*">([^<]+)<', page).group(1)
    path = address.split("localhost", 1)[-1]
    citizen = site.test_client()  # not signed in
    form = citizen.get(path).get_data(as_text=True)
    assert "请评价本次帮办代办服务" in form and case.number in form and "周代办" in form
    assert BORN_1940 not in form and "152223" not in form
    given = {"level": "5", "efficiency": "5", "comment": "很好"}
    thanks = citizen.post(path, data=given).get_data(as_text=True)
    assert "感谢您的评价" in thanks and "非常满意" in thanks
    assert (Rating.get().channel, Rating.get().recorded_by) == ("link", None)
    again = citizen.post(path, data={"level": "1"})
    assert again.status_code == 410 and "已使用" in again.get_data(as_text=True)
    wrong = citizen.get("/rate/not-a-real-token")
    assert wrong.status_code == 404 and "评价链接无效" in wrong.get_data(as_text=True)
    assert Rating.select().count() == 1


def test_a_rectification_is_worked_and_an_appeal_decided_by_the_bureau(site):
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = with_result(Case.get())
    client.post(f"/admin/ratings/{case.id}/record", data={"level": "1", "channel": "on_site"})
    row = Rectification.get()
    url = f"/admin/rectifications/{row.id}"
    page = client.post(f"{url}/close", data={"lock_version": "0"},
                       follow_redirects=True).get_data(as_text=True)
    assert "整改还不能办结：缺少回访记录、整改措施、答复群众" in page
    client.post(f"{url}/call", data={"lock_version": "0", "call_note": "群众反映排队久"})
    stale = client.post(f"{url}/measures", data={"lock_version": "0", "measures": "x", "reply": "y"},
                        follow_redirects=True).get_data(as_text=True)
    assert "请刷新后重试" in stale
    client.post(f"{url}/appeal", data={"lock_version": "1", "appeal_reason": "评价人不是申请人"})
    assert Rectification.get_by_id(row.id).status == "appealed"
    assert client.post(f"{url}/decide", data={"decision": "upheld"}).status_code == 403  # agents don't decide
    bureau = signed_in(site, "bureau")
    page = bureau.post(f"{url}/decide", data={"lock_version": "2", "decision": "rejected",
                                               "appeal_decision_note": "经核实为本人评价"},
                       follow_redirects=True).get_data(as_text=True)
    assert "申诉驳回" in page and "经核实为本人评价" in page
    client.post(f"{url}/measures", data={"lock_version": "3", "measures": "增设等候座位",
                                         "reply": "已致电说明"})
    page = client.post(f"{url}/close", data={"lock_version": "4"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已整改" in page and Rectification.get_by_id(row.id).status == "closed"
    assert signed_in(site, "other").get(f"{url}/").status_code == 404


@pytest.mark.parametrize("version", ["²", "٣", "9" * 5000, "-1"])
def test_a_lock_version_that_is_no_plain_number_is_no_500(site, version):
    client = signed_in(site, "village")
    open_elderly_case(client)
    client.post(f"/admin/ratings/{with_result(Case.get()).id}/record",
                data={"level": "1", "channel": "on_site"})
    row = Rectification.get()
    response = client.post(f"/admin/rectifications/{row.id}/call",
                           data={"lock_version": version, "call_note": "已回访"})
    assert response.status_code == 302
