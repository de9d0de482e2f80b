"""Charts for the dashboards, drawn as inline SVG by pygal on the server.

No JavaScript and nothing fetched: pygal's tooltips script normally comes from a CDN, so it is
switched off (`js=[]`), which also keeps the charts printable and usable in PDFs; the inline
`<script>` with the tooltips' settings that pygal writes all the same is taken out, as the
Content-Security-Policy would refuse it. Text uses the Noto CJK fonts the machines have.

Each chart is a `Chart` (issue 18): its title (an HTML heading, not drawn), a sentence saying what
it shows (`chart_text`), its figures as a table, and two drawings of the same figures: a wide one
for desks and a narrow one for phones, each an `<svg role="img">` named by the title and
described by the sentence, with text of at least 12 px where it is shown (pages.css picks one).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import pygal
from pygal.style import Style

from daiban.supervision import chart_text
from daiban.supervision.chart_text import Table

# pygal appends a legacy import hook (for its external map plugins, unused here) to sys.meta_path;
# it lacks find_spec, so every later import in the process raises an ImportWarning. Take it out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

FONT = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
COLOURS = ("#2f6fb0", "#e08a1e", "#3a9d5d", "#c0392b", "#7f5fb0", "#8c8c8c")
# Wide: a 640-unit drawing shown 532–760 px wide (pages.css), so 14-unit text is 12–17 px.
# Narrow: a 340-unit drawing shown 290–480 px wide on a phone, so 13-unit text is 13.8 px at 390 px.
SIZES = {"wide": {"width": 640, "text": 14, "legend_columns": 3},
         "narrow": {"width": 340, "text": 13, "legend_columns": 2}}


def _style(size: str) -> Style:
    text = SIZES[size]["text"]
    return Style(font_family=FONT, background="white", plot_background="white", foreground="#333",
                 foreground_strong="#111", foreground_subtle="#ccc", colors=COLOURS, title_font_size=16,
                 label_font_size=text, major_label_font_size=text, legend_font_size=text,
                 value_font_size=text - 1, no_data_font_size=2 * text)


def _options(size: str, height: int) -> dict:
    # A phone's drawing gets about five value labels, so that they never run into each other.
    return dict(style=_style(size), js=[], disable_xml_declaration=True, height=height,
                width=SIZES[size]["width"], legend_at_bottom=True,
                legend_at_bottom_columns=SIZES[size]["legend_columns"], print_values=False,
                explicit_size=False, no_data_text="暂无数据", truncate_label=-1, truncate_legend=-1,
                max_scale=16 if size == "wide" else 5)


def _room_for(labels: list[str], size: str) -> float:
    """Extra left margin for labels in Chinese: pygal reckons 0.6 em a character, a Han character
    is 1 em, so without it the first characters would be cut off at the edge."""
    return 0.4 * SIZES[size]["text"] * max((len(label) for label in labels), default=0)


def _month_axis(chart, months: list[dict], size: str) -> None:
    """Month labels under the drawing; a phone's narrow one names about four of them."""
    chart.x_labels = month_labels(months)
    if size == "narrow" and len(months) > 4:
        chart.x_labels_major_every = math.ceil(len(months) / 4)
        chart.show_minor_x_labels = False


def month_labels(months: list[dict]) -> list[str]:
    """Short month labels ("12月"), with the year on the first month and on each January."""
    labels = []
    for i, m in enumerate(months):
        year, month = m["month"].split("-")
        labels.append(f"{year[2:]}年{int(month)}月" if i == 0 or month == "01" else f"{int(month)}月")
    return labels


def _accessible(title: str, described_by: str):
    """An XML filter: the drawing is one image named `title` and described by the element
    `described_by`; pygal's per-point <desc> (bare numbers for its tooltips script, which is off)
    and its <script> go."""
    def apply(root):
        root.set("role", "img")
        root.set("aria-label", title)
        root.set("aria-describedby", described_by)
        for parent in root.iter():
            for child in [c for c in parent if c.tag in ("desc", "script")]:
                parent.remove(child)
        return root
    return apply


def _svg(chart, title: str, described_by: str) -> str:
    chart.add_xml_filter(_accessible(title, described_by))
    return chart.render(is_unicode=True)


def monthly_chart(months: list[dict], size: str = "wide", title: str = "按月受理与办结（件）",
                  described_by: str = "") -> str:
    """Cases received per month, split into assist and proxy, with those finished beside them."""
    chart = pygal.Bar(**_options(size, 300 if size == "wide" else 280))
    _month_axis(chart, months, size)
    chart.add("帮办受理", [m["assist"] for m in months])
    chart.add("代办受理", [m["proxy"] for m in months])
    chart.add("办结", [m["finished"] for m in months])
    return _svg(chart, title, described_by)


def on_time_chart(months: list[dict], size: str = "wide", title: str = "按时办结率（%）",
                  described_by: str = "") -> str:
    """The on-time rate of the cases finished each month, in percent."""
    chart = pygal.Line(**_options(size, 300 if size == "wide" else 260), range=(0, 100), show_dots=True,
                       dots_size=4)
    _month_axis(chart, months, size)
    chart.add("按时办结率", [m["on_time_rate"] for m in months])
    return _svg(chart, title, described_by)


def ranking_chart(title: str, rows: list[dict], label_key: str = "name", limit: int = 10,
                  size: str = "wide", described_by: str = "") -> str:
    """Cases received and finished per row (domain, township …), the largest first."""
    rows = chart_text.ranking_rows(rows)[:limit][::-1]  # pygal draws the first row at the bottom
    labels = [r[label_key] for r in rows]
    chart = pygal.HorizontalBar(**_options(size, max(220, 48 * len(rows) + 110)),
                                margin_left=_room_for(labels, size))
    chart.x_labels = labels
    chart.add("受理", [r["received"] for r in rows])
    chart.add("办结", [r["finished"] for r in rows])
    return _svg(chart, title, described_by)


def satisfaction_chart(said: dict, levels: dict[int, str], size: str = "wide", title: str = "服务评价（次）",
                       described_by: str = "") -> str:
    """How ratings spread over the five levels (好差评)."""
    chart = pygal.Pie(**_options(size, 300 if size == "wide" else 320), inner_radius=0.45)
    for level in sorted(levels, reverse=True):
        count = said.get(f"rating_{level}", 0)
        if count:
            chart.add(levels[level], count)
    return _svg(chart, title, described_by)


@dataclass(frozen=True)
class Chart:
    """One dashboard chart: title, the sentence saying what it shows, its figures, its drawings."""

    key: str  # also the page's class, chart-<key>
    title: str
    summary: str
    table: Table
    wide: str
    narrow: str

    @property
    def summary_id(self) -> str:
        """The id of the summary's element, which describes both drawings."""
        return summary_id(self.key)


def summary_id(key: str) -> str:
    """The id of chart `key`'s summary sentence on the page."""
    return f"chart-{key}-summary"


def monthly(months: list[dict], period: str) -> Chart:
    """按月受理与办结, with its summary and table."""
    key, title = "monthly", "按月受理与办结（件）"
    return Chart(key, title, chart_text.monthly_summary(months, period), chart_text.monthly_table(months),
                 wide=monthly_chart(months, "wide", title, summary_id(key)),
                 narrow=monthly_chart(months, "narrow", title, summary_id(key)))


def on_time(months: list[dict], period: str) -> Chart:
    """按时办结率 per month, with its summary and table."""
    key, title = "on-time", "按时办结率（%）"
    return Chart(key, title, chart_text.on_time_summary(months, period), chart_text.on_time_table(months),
                 wide=on_time_chart(months, "wide", title, summary_id(key)),
                 narrow=on_time_chart(months, "narrow", title, summary_id(key)))


def ranking(key: str, title: str, what: str, rows: list[dict], period: str, limit: int = 10) -> Chart:
    """A ranking (by 领域, by 苏木乡镇 …) with its summary and table; `what` names a row."""
    return Chart(key, title, chart_text.ranking_summary(rows, what, period, limit),
                 chart_text.ranking_table(rows, what),
                 wide=ranking_chart(title, rows, limit=limit, size="wide", described_by=summary_id(key)),
                 narrow=ranking_chart(title, rows, limit=limit, size="narrow", described_by=summary_id(key)))


def satisfaction(said: dict, levels: dict[int, str], period: str) -> Chart:
    """服务评价 by level, with its summary and table."""
    key, title = "satisfaction", "服务评价（次）"
    return Chart(key, title, chart_text.satisfaction_summary(said, levels, period),
                 chart_text.satisfaction_table(said, levels),
                 wide=satisfaction_chart(said, levels, "wide", title, summary_id(key)),
                 narrow=satisfaction_chart(said, levels, "narrow", title, summary_id(key)))
