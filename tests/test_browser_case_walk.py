"""In real Chromium, the whole path of a proxy case across roles, with screenshots.

A village agent finds 高龄津贴 by pinyin, fills the form (an exclusion fails and is corrected),
opens a proxy case, takes the commission and the materials with one deferred, submits and relays
it to the township; the township relays it to the department; the liaison's decision on the leg
brings the case back to the village agent as 已出结果 (结果已反馈, with a message); the village
agent returns the materials, records the follow-up and closes the case, naming the deferred
material still outstanding. Key screens at 1366 px and 390 px.
"""

import pytest

from conftest import CONFIG, TODAY, needs_chromium, quiet_server, screenshot, sign_in
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import Case, CaseMaterial, Department, ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
PASSWORD = "Test-pass-2026"


def sign_out(page):
    page.get_by_role("button", name="退出登录").click()


def step(page, label, note=None):
    """Click the workflow button `label` on the case page (with a note where one is asked)."""
    form = page.locator("form.transition-form", has=page.get_by_role("button", name=label, exact=True))
    if note is not None:
        form.locator("[name=note]").fill(note)
    form.get_by_role("button", name=label, exact=True).click()


def both_widths(page, name):
    """Screenshots at a desktop's 1366 px and a phone's 390 px, then back to the desktop."""
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_proxy_case_from_the_village_to_the_department_and_back(db_url, db, serve, page):
    from daiban.web import create_app

    result = load_catalog(CONFIG, today=TODAY)
    sync_organisation(result.catalog.organisation)
    publish_catalog(result.catalog, "tester")
    centers = {c.code: c for c in ServiceCenter.select()}
    create_user("village", "周代办", PASSWORD, ["village_agent"], center=centers["yinde-er-hongxing-station"])
    create_user("township", "孙代办", PASSWORD, ["township_agent"], center=centers["yinde-er-center"])
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"],
                department=Department.get(Department.code == "banner-civil-affairs-bureau"))
    base = serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))

    # The village agent finds the matter by pinyin and fills the form.
    sign_in(page, base, "village")
    page.goto(f"{base}/admin/intake/")
    page.fill("input[name=q]", "gljt")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="填写申请").first.click()
    page.fill("[name=name]", "巴特尔")
    page.fill("[name=id_number]", "152223194001010015")
    page.fill("[name=phone]", "13900000001")
    page.fill("[name=hukou_address]", "152223")
    page.select_option("[name=living_place]", index=1)
    page.select_option("[name=applicant_type]", "agent")
    page.fill("[name=agent_name]", "周代办")
    page.fill("[name=agent_id_number]", "15222319800101003X")
    page.fill("[name=bank_name]", "农村信用社")
    page.fill("[name=bank_account]", "6230000000000000")
    # An exclusion fails: already paid elsewhere. Then the agent corrects it.
    page.select_option("[name=receives_elsewhere]", "true")
    page.wait_for_function("() => document.querySelector('#eligibility .applies').textContent.length > 0")
    assert page.locator("#eligibility .verdict").inner_text() == "不符合"
    screenshot(page, "walk-01-exclusion")
    page.select_option("[name=receives_elsewhere]", "false")
    for box in page.locator("input[name=confirmed]").all():
        box.check()
    page.wait_for_function("() => document.querySelector('#eligibility .verdict').textContent === '符合条件'")
    page.select_option("[name=mode]", "proxy")
    page.get_by_role("button", name="受理并建档").click()
    assert "已建档" in page.content()
    case_url = page.url

    # Commission and materials, one deferred (容缺).
    assert page.locator("form.rating-form").count() == 0  # no rating before the result
    step(page, "受理委托")  # a proxy case: the commission is accepted
    page.get_by_role("button", name="生成材料清单").click()
    rows = page.locator("table.material-checklist tbody tr")
    deferred = False
    for index in range(rows.count()):
        row = page.locator("table.material-checklist tbody tr").nth(index)
        if not deferred and row.get_by_role("button", name="容缺").count():
            row.get_by_role("button", name="容缺").click()
            deferred = True
        elif row.get_by_role("button", name="收取").count():
            row.get_by_role("button", name="收取").click()
    assert deferred
    page.get_by_role("button", name="生成代办服务委托书").click()
    page.get_by_role("button", name="登记已签署").click()
    step(page, "材料收齐")
    # 报送 is one action: the relay form, after a confirmation; no second 报送 button beside it.
    assert page.locator("form.transition-form").get_by_role("button", name="报送", exact=True).count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/relay/up']").get_by_role("button", name="报送").click()
    assert "已报送，等待对方接收" in page.content()
    assert Case.get().status == "submitted"
    screenshot(page, "walk-02-relayed-to-township")
    sign_out(page)

    # The township takes the relay and sends it on to the department.
    sign_in(page, base, "township")
    page.goto(f"{base}/admin/cases/")
    assert Case.get().number in page.content()
    page.goto(case_url)
    legs = page.locator("table.relay-legs")
    legs.get_by_role("button", name="接收", exact=True).click()
    page.locator("table.relay-legs").get_by_role("button", name="办结", exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/relay/departments']").get_by_role("button", name="报送").click()
    screenshot(page, "walk-03-to-department")
    sign_out(page)

    # The liaison receives it (the case's 部门接收 too), suspends it for a test and then decides.
    sign_in(page, base, "liaison")
    page.goto(case_url)
    page.locator("table.relay-legs").get_by_role("button", name="接收", exact=True).click()
    assert Case.get().status == "in_department"
    assert "部门办理中" in page.locator(".case-status").inner_text()
    assert page.locator("form.transition-form").get_by_role("button", name="部门接收").count() == 0
    step(page, "中止办理", note="送检验检测")
    assert Case.get().status == "suspended" and Case.get().clock_stopped_on is not None
    screenshot(page, "walk-03b-suspended-at-the-department")
    leg = page.locator("table.relay-legs form").filter(has=page.locator("[name=result_decision]"))
    leg.locator("[name=result_decision]").select_option("approved")
    leg.locator("[name=result_number]").fill("民高津〔2026〕17号")
    leg.get_by_role("button", name="办结").click()
    # The decision brings the case back even while suspended: 已出结果, the clock running again.
    assert Case.get().status == "result_received" and Case.get().result_on is not None
    assert Case.get().clock_stopped_on is None
    assert page.locator("form.transition-form").count() == 0
    assert page.locator("form.transition-form").get_by_role("button", name="反馈办理结果").count() == 0
    screenshot(page, "walk-04-result")
    sign_out(page)

    # Back at the village: the message, the result on the case page, the step in the history.
    sign_in(page, base, "village")
    assert page.locator(".unread-count").inner_text() == "1"
    page.goto(f"{base}/admin/alerts/messages")
    assert f"办理结果已反馈：办件 {Case.get().number}（准予办理）" in page.content()
    page.goto(case_url)
    assert "准予办理（民高津〔2026〕17号）" in page.locator(".case-result").inner_text()
    assert page.locator(".on-time").inner_text() == "（按时出结果）"  # judged on the result's day
    fed_back = page.locator("tr.case-step", has_text="结果已反馈")
    assert "系统" in fed_back.inner_text() and "已出结果" in fed_back.inner_text()
    assert page.locator("form[action*='/relay/']").count() == 0  # nothing to send on any more
    both_widths(page, "walk-04b-result-back-at-the-village")
    step(page, "归还材料并归档")
    # The follow-up call: the citizen's rating (好差评) is recorded, then the follow-up step.
    rating = page.locator("form.rating-form")
    rating.locator("[name=level]").select_option("5")
    rating.locator("[name=channel]").select_option("follow_up_call")
    rating.locator("[name=attitude]").select_option("5")
    rating.locator("[name=comment]").fill("跑一次就办好了")
    rating.get_by_role("button", name="登记评价").click()
    assert "已登记评价：非常满意" in page.content()
    step(page, "回访评价", note="电话回访：非常满意")
    # The deferred material never came: 办结 is refused until the note names it.
    outstanding = CaseMaterial.get(CaseMaterial.status == "deferred").name
    step(page, "办结")
    assert f"容缺材料尚未补交：{outstanding}" in page.content() and Case.get().status == "followed_up"
    both_widths(page, "walk-05a-close-refused")
    step(page, "办结", note=f"{outstanding}经部门内部核验无需补交，同意办结")
    assert Case.get().status == "closed"
    from daiban.supervision.models import Rating

    assert (Rating.get().level, Rating.get().channel) == (5, "follow_up_call")
    slips = page.locator("ul.case-slips")
    assert "帮办代办办结单" in slips.inner_text() and "帮办代办受理单" in slips.inner_text()
    both_widths(page, "walk-05-closed")
    completion = slips.locator("li", has_text="办结单").get_by_role("link", name="打印")
    page.goto(base + completion.get_attribute("href"))
    assert "帮办代办办结单" in page.content() and "准予办理" in page.content()
    screenshot(page, "walk-06-completion-slip")
