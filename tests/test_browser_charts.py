"""In real Chromium, with the demo data (issue 18): the dashboard's charts are readable on a phone
(every piece of text in the drawing shown is at least 12 px at 390 px, and on a desk at 1366 px),
each says in a sentence what it shows, and 以表格查看 opens its figures as a table, without script."""

import pytest

from case_screens import PASSWORD, fill_with_demo
from conftest import CONFIG, needs_chromium, quiet_server, screenshot, sign_in

pytestmark = [pytest.mark.browser, needs_chromium, *quiet_server]
WIDTHS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}


def smallest_chart_text(page) -> dict[str, float]:
    """Per chart: the smallest text drawn in its visible drawing, in screen px (the font size in
    the drawing's units times the scale the drawing is shown at)."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('figure.chart')]
        .map(figure => {
        const svg = [...figure.querySelectorAll('svg')].find(s => s.getClientRects().length);
        const sizes = [...svg.querySelectorAll('text')]
            .filter(t => t.textContent.trim() && t.getClientRects().length)
            .map(t => { const m = t.getScreenCTM();
                        return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); });
        return [figure.className, Math.min(...sizes)];
    }))""")


@pytest.fixture
def dashboard(db_url, db, serve):
    from daiban.web import create_app

    assert fill_with_demo(PASSWORD) > 50
    return serve(create_app({"DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)}))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_chart_text_is_at_least_12_px_on_a_phone_and_on_a_desk(dashboard, page):
    sign_in(page, dashboard, "bureau")
    for name, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.goto(dashboard + "/admin/overview/")
        smallest = smallest_chart_text(page)
        assert len(smallest) == 5
        assert all(px >= 12 for px in smallest.values()), (name, smallest)
        assert page.locator("svg[role=img]:visible").count() == 5  # one drawing per chart
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), name
        screenshot(page, f"charts-{name}")
    summary = page.locator(".chart-monthly .chart-summary")
    assert summary.inner_text().startswith("近 12 个月受理")
    drawing = page.get_by_role("img", name="按月受理与办结（件）")
    assert drawing.get_attribute("aria-describedby") == summary.get_attribute("id")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_figures_open_as_a_table_without_javascript(dashboard, browser):
    context = browser.new_context(viewport=WIDTHS["390"], locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, dashboard, "bureau")
    page.goto(dashboard + "/admin/overview/")
    chart = page.locator("figure.chart-monthly")
    table = chart.get_by_role("table")
    assert not table.is_visible()
    chart.get_by_text("以表格查看").click()
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 12  # one row a month of 近 12 个月
    assert table.locator("tfoot").inner_text().startswith("合计")
    region = chart.get_by_role("region", name="按月受理与办结（件）：数据表")
    assert region.get_attribute("tabindex") == "0"
    screenshot(page, "charts-table-390")
    context.close()
