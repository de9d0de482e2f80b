"""The dashboard of each level: its title, its figures counted over the raw rows, its charts."""

import datetime
import re

import pytest

from case_screens import PASSWORD, fill_with_demo, signed_in
from conftest import CONFIG
from daiban.admin.overview_view import period
from daiban.models import Case, User
from daiban.web import create_app


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the demo accounts and six months of demo work."""
    fill_with_demo(PASSWORD)
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(tmp_path / "uploads")})


def cards(page: str) -> dict[str, str]:
    found = re.findall(r'<div class="h4 mb-0">([^<]*)</div><div class="small text-muted">([^<]*)</div>', page)
    return {label: value for value, label in found}


def test_period_starts_on_the_first_of_a_month():
    today = datetime.date(2026, 11, 28)
    assert period(12, today) == (datetime.date(2025, 12, 1), today)
    assert period(6, datetime.date(2026, 3, 5))[0] == datetime.date(2025, 10, 1)


@pytest.mark.parametrize("username, title, township", [
    ("bureau", "全旗", None), ("township_agent", "音德尔镇", "yinde-er"),
    ("hexi_agent", "河西村便民服务站", None),
])
def test_each_level_sees_its_own_figures(site, username, title, township):
    today = datetime.date.today()
    start, end = period(12, today)
    page = signed_in(site, username).get("/admin/overview/").get_data(as_text=True)
    assert f"{title}帮办代办工作概况" in page
    user = User.get(User.username == username)

    def mine(case):
        if township:
            return case.center.unit.code.startswith(township)
        if user.role_ids == ["village_agent"]:
            return case.center_id == user.center_id
        return True

    cases = [c for c in Case.select() if mine(c)]
    received = sum(1 for c in cases if start <= c.accepted_on <= end)
    finished = sum(1 for c in cases if c.result_on and start <= c.result_on <= end)
    proxy = sum(1 for c in cases if start <= c.accepted_on <= end and c.mode == "proxy")
    shown = cards(page)
    assert shown["受理办件"] == str(received) and shown["办结办件"] == str(finished)
    assert shown["代办 / 帮办"] == f"{proxy} / {received - proxy}"
    assert page.count("<svg") >= 4 and "暂无数据" not in page.split("chart-monthly")[1][:200]
    assert ("按苏木乡镇受理与办结" in page) == (username == "bureau")


def test_the_dashboard_needs_the_ledger_permission(site):
    assert signed_in(site, "admin").get("/admin/overview/").status_code == 403


def test_every_chart_says_what_it_shows_and_has_its_figures_as_a_table(site):
    page = signed_in(site, "bureau").get("/admin/overview/").get_data(as_text=True)
    shown = cards(page)
    figures = re.findall(r'<figure class="[^"]*chart chart-([a-z-]+)">(.*?)</figure>', page, re.S)
    assert [key for key, _ in figures] == ["monthly", "on-time", "domain", "township", "satisfaction"]
    for key, figure in figures:
        summary = re.search(r'<p class="[^"]*chart-summary" id="([^"]+)">([^<]+)</p>', figure)
        assert summary and summary.group(2).startswith("近 12 个月"), key
        # Both drawings are images named by the title and described by that sentence.
        roots = re.findall(r"<svg [^>]*>", figure)
        assert len(roots) == 2 and all('role="img"' in r and f'aria-describedby="{summary.group(1)}"' in r
                                       for r in roots), key
        assert "<summary>以表格查看</summary>" in figure and "<table" in figure, key
    monthly = dict(figures)["monthly"]
    received = int(shown["受理办件"])
    assert f"受理 {received:,} 件" in monthly
    total = re.search(r"<tfoot><tr><th scope=\"row\">合计</th>(.*?)</tr></tfoot>", monthly).group(1)
    assert re.findall(r">(\d+)</td>", total)[2] == str(received)  # 受理合计 = the card
    rate = next(value for label, value in shown.items() if label.startswith("满意率"))
    assert f"满意率 {rate}" in dict(figures)["satisfaction"]
