"""In real Chromium: the liaison reads the application before deciding, 办理记录 lists every step by
name, and an agent finds a finished case on the workbench; at 1366 px and at 390 px."""

import pytest

from case_screens import BORN_1940, ELDERLY, PASSWORD, elderly_form
from conftest import ARTIFACTS, CONFIG, TODAY, needs_chromium, quiet_server, screenshot, sign_in
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import Case, Department, ServiceCenter, User
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
WIDTHS = {"wide": 1366, "narrow": 390}


def seeded_case(db_url):
    """The published catalog, a village agent, a township agent and a liaison; one case opened,
    its materials taken and sent to the civil affairs bureau."""
    import datetime

    from daiban.cases import relay
    from daiban.cases.materials import build_checklist, checklist, receive
    from daiban.cases.service import open_case, transition
    from daiban.web import create_app, load_reference

    result = load_catalog(CONFIG, today=TODAY)
    sync_organisation(result.catalog.organisation)
    publish_catalog(result.catalog, "tester")
    centers = {c.code: c for c in ServiceCenter.select()}
    village = create_user("village", "周代办", PASSWORD, ["village_agent"],
                          center=centers["yinde-er-hongxing-station"])
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    app = create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)})
    reference = load_reference(str(CONFIG))
    today = datetime.date.today()
    form = {k: v for k, v in elderly_form().items() if k not in ("mode", "channel", "confirmed")}
    form["receives_elsewhere"] = False
    from daiban.admin.case_view import applicant_from
    from daiban.publishing import compiled, version_in_force

    case = open_case(ELDERLY, version_in_force("YLFW-0001"), form, "assist", "window", village,
                     village.center, today, reference.calendar, workflow=reference.workflow,
                     applicant=applicant_from(ELDERLY, form))
    build_checklist(case, ELDERLY, today, actor=village)
    for row in checklist(case):
        if not row.verified_by_department and not row.optional:
            receive(row, row.originals_required, row.copies_required, village, today=today)
    for name in ("accept", "collect_materials"):
        current = Case.get_by_id(case.id)
        transition(current, name, village, "", current.lock_version, today, reference.calendar,
                   workflow=reference.workflow)
    relay.send_to_departments(Case.get_by_id(case.id), [civil], User.get(User.username == "village"),
                              "请审核", workflow=reference.workflow, calendar=reference.calendar, today=today)
    household = compiled(version_in_force("SHJZ-0001"))
    values = {"name": "乌云", "id_number": "152223193501010017", "phone": "13900000002",
              "hukou_address": "152223", "hukou_type": "rural", "applicant_type": "self",
              "household_income_per_capita": 450,
              "members": [
                  {"member_name": "乌云", "member_id_number": "152223193501010017", "relation": "self",
                   "health": "chronic", "work_status": "no_ability", "income": 300},
                  {"member_name": "巴图", "member_id_number": "15222319800101003X", "relation": "child",
                   "health": "disabled", "disability_level": "2", "work_status": "farming", "income": 600}]}
    open_case(household, version_in_force("SHJZ-0001"), values, "assist", "window", village,
              village.center, today, reference.calendar, workflow=reference.workflow,
              applicant=applicant_from(household, values))
    return app, Case.get_by_id(case.id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_case_page_shows_the_application_the_steps_and_the_search(db_url, db, serve, page):
    app, case = seeded_case(db_url)
    base = serve(app)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        # The liaison sees what was applied for before deciding.
        sign_in(page, base, "liaison")
        page.goto(f"{base}/admin/cases/{case.id}/")
        section = page.locator("section.case-application")
        assert section.is_visible()
        text = section.inner_text()
        assert "户籍地址" in text and "发放银行" in text and "农村信用社" in text
        assert "在本旗居家居住" in text and "6**************0" in text and BORN_1940 not in page.content()
        steps = page.locator("table.case-events tr.case-step")
        labels = [steps.nth(i).locator("td").nth(1).inner_text() for i in range(steps.count())]
        assert labels[0] == "受理建档" and "收取材料“老年人居民身份证”" in labels and "接力转出" in labels
        assert "周代办" in page.locator("table.case-events").inner_text()
        # Nothing wider than the screen but the tables that scroll on their own.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{label}: the page is {overflow}px wider than the screen"
        screenshot(page, f"case-page-liaison-{label}")
        section.screenshot(path=str(ARTIFACTS / f"case-page-application-{label}.png"))
        page.locator("table.case-events").screenshot(path=str(ARTIFACTS / f"case-page-history-{label}.png"))
        # The printable 申请表.
        page.goto(f"{base}/admin/cases/{case.id}/application/print")
        assert "申请表" in page.locator("h1").inner_text()
        assert "152223********0015" in page.content() and BORN_1940 not in page.content()
        screenshot(page, f"application-print-{label}")

        # A household table, on screen and on paper.
        household = Case.get(Case.matter_code == "SHJZ-0001")
        page.goto(f"{base}/admin/cases/{household.id}/")
        group = page.locator("table.application-group")
        assert "与申请人关系" in group.inner_text() and "子女" in group.inner_text()
        assert "15222319800101003X" not in page.content()
        page.locator("section.case-application").screenshot(
            path=str(ARTIFACTS / f"case-page-household-{label}.png"))
        page.goto(f"{base}/admin/cases/{household.id}/application/print")
        assert "共同生活的家庭成员" in page.content() and "二级" in page.content()
        screenshot(page, f"application-household-print-{label}")
        page.context.clear_cookies()

        # The village agent finds the case by ID number on the workbench, and by number when finished.
        sign_in(page, base, "village")
        page.goto(f"{base}/admin/cases/")
        page.fill("#case-q", BORN_1940)
        page.get_by_role("button", name="查找").click()
        found = page.locator("section.case-found")
        assert case.number in found.inner_text() and "152223********0015" in found.inner_text()
        assert page.locator("#case-q").input_value() == ""  # the number is not echoed back
        screenshot(page, f"workbench-search-{label}")
        page.select_option("#case-finished", "finished")
        page.fill("#case-q", "")
        page.get_by_role("button", name="查找").click()
        assert case.number not in page.locator("section.case-found").inner_text()  # still in progress
        # The ledger finds it too, by name, whatever the period.
        page.goto(f"{base}/admin/ledger/?start=2001-01-01&end=2001-12-31")
        assert case.number not in page.locator("table.ledger-table").inner_text()
        page.fill("#f-q", "巴特")
        page.locator("form.ledger-search").get_by_role("button", name="查找").click()
        assert case.number in page.locator("table.ledger-table").inner_text()
        assert "按申请人姓名查找“巴特”" in page.locator("h1").inner_text()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{label}: the ledger is {overflow}px wider than the screen"
        screenshot(page, f"ledger-search-{label}")
        page.context.clear_cookies()
