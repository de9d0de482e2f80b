"""In real Chromium, with the demo data: each supervising role sees its own scope's dashboard,
ledger and quarterly report (screenshots saved as test artifacts), and the citizen's rating page."""

import datetime
import re

import pytest

from case_screens import fill_with_demo
from conftest import CONFIG, needs_chromium, quiet_server, screenshot, sign_in
from daiban.models import Case, User
from daiban.supervision import report

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PASSWORD = "Test-pass-2026"
# username → what the dashboard is about, the township whose cases only it sees (None: all)
ROLES = {
    "bureau": ("全旗", None),
    "inspector": ("全旗", None),
    "township_agent": ("音德尔镇", "yinde-er"),
    "liaison": (None, None),  # the department's name, read from the database
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_supervising_role_sees_its_own_scope(db_url, db, serve, page):
    from daiban.web import create_app

    assert fill_with_demo(PASSWORD) > 50
    today = datetime.date.today()
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))
    year, quarter = report.quarter_of(today)

    for username, (title, township) in ROLES.items():
        user = User.get(User.username == username)
        title = title or user.department.name
        sign_in(page, base, username)
        page.goto(f"{base}/admin/overview/")
        assert page.locator("h1.overview-title").inner_text() == f"{title}帮办代办工作概况"
        assert page.locator(".chart-monthly svg:visible").count() == 1  # the wide or the phone drawing
        assert not re.search(r'(src|href)="(https?:)?//', page.locator(".chart-monthly").inner_html())
        screenshot(page, f"supervision-{username}-1-dashboard")

        page.goto(f"{base}/admin/ledger/")
        numbers = page.locator("table tbody tr td:first-child").all_inner_texts()
        visible = {c.number: c for c in Case.select()}
        shown = [n.strip() for n in numbers if n.strip() in visible]
        assert shown, username
        if township:
            assert all(visible[n].center.unit.code.startswith(township) for n in shown)
        assert "********" in page.content() or not shown  # ID numbers masked
        screenshot(page, f"supervision-{username}-2-ledger")

        page.goto(f"{base}/admin/reports/?year={year}&quarter={quarter}")
        assert f"{year}年第{quarter}季度" in page.content()
        screenshot(page, f"supervision-{username}-3-report")
        page.get_by_role("button", name="退出登录").click()

    # A township agent cannot open another township's report.
    sign_in(page, base, "township_agent")
    response = page.goto(f"{base}/admin/reports/?unit=township:xinlin&year={year}&quarter={quarter}")
    assert response.status == 404
