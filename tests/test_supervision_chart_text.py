"""The words and tables behind the dashboard charts (issue 18): each chart's sentence says what a
reader would otherwise have to read off the drawing, and its table holds every figure drawn."""

import re

from daiban.supervision import chart_text, charts
from daiban.supervision.models import RATING_LEVELS

PERIOD = "近 12 个月"


def month(key, assist=0, proxy=0, finished=0, on_time=0):
    rate = round(100 * on_time / finished, 1) if finished else None
    return {"month": key, "assist": assist, "proxy": proxy, "received": assist + proxy,
            "finished": finished, "on_time": on_time, "late": finished - on_time, "on_time_rate": rate}


MONTHS = [month("2025-12", 100, 20, 90, 90), month("2026-01", 700, 456, 1000, 900),
          month("2026-02", 3, 1, 10, 5)]


def test_the_monthly_sentence_counts_the_period_and_names_the_busiest_month():
    assert chart_text.monthly_summary(MONTHS, PERIOD) == (
        "近 12 个月受理 1,280 件（帮办 803 件，代办 477 件），办结 1,100 件；"
        "受理最多为 2026 年 1 月 1,156 件。")


def test_months_of_one_year_are_named_without_it_and_ties_are_named_together():
    months = [month("2026-03", 5), month("2026-04", 2), month("2026-05", 5)]
    assert chart_text.monthly_summary(months, "近 6 个月").endswith("受理最多为 3 月、5 月，各 5 件。")


def test_a_period_without_cases_says_so():
    empty = [month("2026-01"), month("2026-02")]
    assert chart_text.monthly_summary(empty, PERIOD) == "近 12 个月没有受理或办结的办件。"
    assert chart_text.on_time_summary(empty, PERIOD) == "近 12 个月没有办结的办件，无按时办结率。"


def test_the_on_time_sentence_gives_the_rate_and_the_worst_month():
    assert chart_text.on_time_summary(MONTHS, PERIOD) == (
        "近 12 个月办结 1,100 件，按时办结 995 件，按时办结率 90.5%；最低为 2026 年 2 月 50.0%。")
    same = [month("2026-01", 1, 0, 2, 2), month("2026-02", 1, 0, 4, 4)]
    assert "最低" not in chart_text.on_time_summary(same, PERIOD)  # every month alike: no worst one


def test_a_ranking_sentence_names_the_largest_first():
    rows = [{"name": name, "received": received, "finished": finished} for name, received, finished in (
        ("医疗卫生", 80, 70), ("社会保险", 120, 100), ("住房保障", 0, 0), ("养老服务", 60, 60),
        ("户籍办理", 5, 4))]
    assert chart_text.ranking_summary(rows, "领域", PERIOD, shown=10) == (
        "近 12 个月受理最多的领域是社会保险 120 件，其次是医疗卫生 80 件、养老服务 60 件；"
        "共 4 个领域有办件，合计受理 265 件、办结 234 件。")
    assert chart_text.ranking_summary(rows, "领域", PERIOD, shown=3).endswith("（图中为前 3 个）。")
    table = chart_text.ranking_table(rows, "领域")
    assert [row[0] for row in table.rows] == ["社会保险", "医疗卫生", "养老服务", "户籍办理"]
    assert table.head == ("领域", "受理", "办结") and table.total == ("合计", 265, 234)
    assert chart_text.ranking_summary(rows[2:3], "苏木乡镇", PERIOD, 10) == "近 12 个月各苏木乡镇都没有办件。"


def test_the_satisfaction_sentence_spreads_the_ratings_over_the_five_levels():
    said = {"ratings": 300, "good_rate": 95.0, "rating_5": 200, "rating_4": 60, "rating_3": 25,
            "rating_2": 10, "rating_1": 5}
    assert chart_text.satisfaction_summary(said, RATING_LEVELS, PERIOD) == (
        "近 12 个月共 300 次评价，满意率 95.0%：非常满意 200 次、满意 60 次、基本满意 25 次、不满意 10 次、"
        "非常不满意 5 次。")
    none = chart_text.satisfaction_summary({"ratings": 0}, RATING_LEVELS, PERIOD)
    assert none == "近 12 个月没有服务评价。"
    table = chart_text.satisfaction_table(said, RATING_LEVELS)
    assert table.rows[0] == ("非常满意", 200, "66.7%") and table.total == ("合计", 300, "100.0%")


def test_the_monthly_tables_hold_every_month_and_the_totals():
    table = chart_text.monthly_table(MONTHS)
    assert table.rows[0] == ("2025 年 12 月", 100, 20, 120, 90)
    assert table.total == ("合计", 803, 477, 1280, 1100)
    on_time = chart_text.on_time_table(MONTHS + [month("2026-03")])
    assert on_time.rows[-1] == ("2026 年 3 月", 0, 0, "—") and on_time.total == ("合计", 1100, 995, "90.5%")


def test_each_drawing_is_one_image_named_and_described_without_tooltip_numbers():
    chart = charts.monthly(MONTHS, PERIOD)
    for svg in (chart.wide, chart.narrow):
        root = re.match(r"<svg[^>]*>", svg).group(0)
        assert 'role="img"' in root and 'aria-label="按月受理与办结（件）"' in root
        assert f'aria-describedby="{chart.summary_id}"' in root
        assert "<desc" not in svg and "<script" not in svg
    assert 'viewBox="0 0 640 300"' in chart.wide and 'viewBox="0 0 340 280"' in chart.narrow


def test_a_phone_s_drawing_names_about_four_months_of_a_year():
    year = [month(f"2026-{m:02d}", m) for m in range(1, 13)]
    narrow = charts.monthly_chart(year, "narrow")
    shown = re.findall(r'<text[^>]*>(\d+月|\d+年\d+月)</text>', narrow)
    assert 3 <= len(shown) <= 5, shown
    wide = charts.monthly_chart(year, "wide")
    assert len(re.findall(r'<text[^>]*>(\d+月|\d+年\d+月)</text>', wide)) == 12
