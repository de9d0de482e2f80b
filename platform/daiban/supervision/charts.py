"""Charts for the dashboards, drawn as inline SVG by pygal on the server.

No JavaScript and nothing fetched: pygal's tooltips script normally comes from a CDN, so it is
switched off (`js=[]`), which also keeps the charts printable and usable in PDFs; the inline
`<script>` with the tooltips' settings that pygal writes all the same is taken out, as the
Content-Security-Policy would refuse it. Text uses the Noto CJK fonts the machines have.
"""

from __future__ import annotations

import sys

import pygal
from pygal.style import Style

# pygal appends a legacy import hook (for its external map plugins, unused here) to sys.meta_path;
# it lacks find_spec, so every later import in the process raises an ImportWarning. Take it out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

STYLE = Style(
    font_family='"Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
    background="white", plot_background="white", foreground="#333", foreground_strong="#111",
    foreground_subtle="#ccc", colors=("#2f6fb0", "#e08a1e", "#3a9d5d", "#c0392b", "#7f5fb0", "#8c8c8c"),
    title_font_size=16, label_font_size=12, major_label_font_size=12, legend_font_size=12,
    value_font_size=11,
)


def _options(title: str, height: int = 300) -> dict:
    return dict(title=title, style=STYLE, js=[], disable_xml_declaration=True, height=height, width=640,
                legend_at_bottom=True, legend_at_bottom_columns=3, print_values=False,
                explicit_size=False, no_data_text="暂无数据", truncate_label=-1, truncate_legend=-1)


def month_labels(months: list[dict]) -> list[str]:
    """Short month labels ("12月"), with the year on the first month and on each January."""
    labels = []
    for i, m in enumerate(months):
        year, month = m["month"].split("-")
        labels.append(f"{year[2:]}年{int(month)}月" if i == 0 or month == "01" else f"{int(month)}月")
    return labels


def _without_scripts(root):
    for defs in root.iter("defs"):
        for script in defs.findall("script"):
            defs.remove(script)
    return root


def _svg(chart) -> str:
    chart.add_xml_filter(_without_scripts)
    return chart.render(is_unicode=True)


def monthly_chart(months: list[dict]) -> str:
    """Cases received per month, split into assist and proxy, with those finished beside them."""
    chart = pygal.Bar(**_options("按月受理与办结（件）"))
    chart.x_labels = month_labels(months)
    chart.add("帮办受理", [m["assist"] for m in months])
    chart.add("代办受理", [m["proxy"] for m in months])
    chart.add("办结", [m["finished"] for m in months])
    return _svg(chart)


def on_time_chart(months: list[dict]) -> str:
    """The on-time rate of the cases finished each month, in percent."""
    chart = pygal.Line(**_options("按时办结率（%）"), range=(0, 100), show_dots=True, dots_size=4)
    chart.x_labels = month_labels(months)
    chart.add("按时办结率", [m["on_time_rate"] for m in months])
    return _svg(chart)


def ranking_chart(title: str, rows: list[dict], label_key: str = "name", limit: int = 10) -> str:
    """Cases received and finished per row (domain, township …), the largest first."""
    rows = [r for r in rows if r["received"] or r["finished"]][:limit]
    chart = pygal.HorizontalBar(**_options(title, height=max(220, 48 * len(rows) + 110)))
    chart.x_labels = [r[label_key] for r in rows]
    chart.add("受理", [r["received"] for r in rows])
    chart.add("办结", [r["finished"] for r in rows])
    return _svg(chart)


def satisfaction_chart(said: dict, levels: dict[int, str]) -> str:
    """How ratings spread over the five levels (好差评)."""
    chart = pygal.Pie(**_options("服务评价（次）"), inner_radius=0.45)
    for level in sorted(levels, reverse=True):
        count = said.get(f"rating_{level}", 0)
        if count:
            chart.add(levels[level], count)
    return _svg(chart)
