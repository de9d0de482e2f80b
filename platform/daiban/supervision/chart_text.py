"""The words and figures behind the dashboard charts (issue 18): one sentence per chart saying what
it shows, which is the drawing's accessible description and is printed above it, and the chart's
figures as a table (以表格查看). Pure functions of the series in `supervision.series`; no pygal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A chart's figures: column heads, rows (first cell names the row) and an optional total row."""

    head: tuple[str, ...]
    rows: list[tuple]
    total: tuple | None = None


def number(n: int) -> str:
    """A count as people write it: 1,234."""
    return f"{n:,}"


def percent(value: float | None) -> str:
    """A rate to one decimal with its sign, or a dash when there is nothing to divide."""
    return "—" if value is None else f"{value:.1f}%"


def month_name(key: str, with_year: bool = True) -> str:
    """A month key "2026-05" in words: "2026 年 5 月", or "5 月" without the year."""
    year, month = key.split("-")
    return f"{int(year)} 年 {int(month)} 月" if with_year else f"{int(month)} 月"


def _names_of_months(months: list[dict]) -> list[str]:
    """Month names with the year only when the months run over more than one year."""
    with_year = len({m["month"][:4] for m in months}) > 1
    return [month_name(m["month"], with_year) for m in months]


def _extreme(labels: list[str], values: list, largest: bool) -> tuple[str, float, bool]:
    """The label(s) of the largest (or smallest) value, up to three tied ones joined by 、; the
    value; whether there was a tie."""
    best = max(values) if largest else min(values)
    tied = [label for label, value in zip(labels, values, strict=True) if value == best][:3]
    return "、".join(tied), best, len(tied) > 1


def monthly_summary(months: list[dict], period: str) -> str:
    """Cases received and finished over the period, and the busiest month: 「近 12 个月受理 1,234
    件（帮办 800 件，代办 434 件），办结 1,100 件；受理最多为 2026 年 5 月 156 件。」"""
    received = sum(m["received"] for m in months)
    finished = sum(m["finished"] for m in months)
    if not received and not finished:
        return f"{period}没有受理或办结的办件。"
    assist, proxy = sum(m["assist"] for m in months), sum(m["proxy"] for m in months)
    text = (f"{period}受理 {number(received)} 件（帮办 {number(assist)} 件，代办 {number(proxy)} 件），"
            f"办结 {number(finished)} 件")
    if received:
        names, peak, tied = _extreme(_names_of_months(months), [m["received"] for m in months], True)
        text += f"；受理最多为 {names}{'，各' if tied else ''} {number(peak)} 件"
    return text + "。"


def on_time_summary(months: list[dict], period: str) -> str:
    """The on-time rate over the period and its lowest month: 「近 12 个月办结 1,100 件，按时办结
    1,045 件，按时办结率 95.0%；最低为 2026 年 3 月 80.0%。」"""
    finished = sum(m["finished"] for m in months)
    if not finished:
        return f"{period}没有办结的办件，无按时办结率。"
    on_time = sum(m["on_time"] for m in months)
    text = (f"{period}办结 {number(finished)} 件，按时办结 {number(on_time)} 件，"
            f"按时办结率 {percent(round(100.0 * on_time / finished, 1))}")
    rated = [(name, m["on_time_rate"]) for name, m in zip(_names_of_months(months), months, strict=True)
             if m["on_time_rate"] is not None]
    rates = [value for _name, value in rated]
    if len(set(rates)) > 1:
        names, low, tied = _extreme([name for name, _value in rated], rates, False)
        text += f"；最低为 {names}{'，均为' if tied else ''} {percent(low)}"
    return text + "。"


def ranking_rows(rows: list[dict]) -> list[dict]:
    """The rows a ranking shows: those with any case, the most received first."""
    return sorted((r for r in rows if r["received"] or r["finished"]), key=lambda r: -r["received"])


def ranking_summary(rows: list[dict], what: str, period: str, shown: int) -> str:
    """Which rows received most: 「近 12 个月受理最多的领域是社会保险 120 件，其次是医疗卫生 80 件、
    养老服务 60 件；共 9 个领域有办件，合计受理 300 件、办结 280 件。」 (`shown`: rows drawn)."""
    ranked = ranking_rows(rows)
    if not ranked:
        return f"{period}各{what}都没有办件。"
    first, *rest = ranked
    text = f"{period}受理最多的{what}是{first['name']} {number(first['received'])} 件"
    if rest:
        text += "，其次是" + "、".join(f"{r['name']} {number(r['received'])} 件" for r in rest[:2])
    received, finished = sum(r["received"] for r in ranked), sum(r["finished"] for r in ranked)
    text += (f"；共 {len(ranked)} 个{what}有办件，合计受理 {number(received)} 件、"
             f"办结 {number(finished)} 件")
    if len(ranked) > shown:
        text += f"（图中为前 {shown} 个）"
    return text + "。"


def satisfaction_summary(said: dict, levels: dict[int, str], period: str) -> str:
    """How the ratings spread: 「近 12 个月共 300 次评价，满意率 92.0%：非常满意 200 次、满意 60 次、
    基本满意 25 次、不满意 10 次、非常不满意 5 次。」"""
    if not said.get("ratings"):
        return f"{period}没有服务评价。"
    spread = "、".join(f"{levels[level]} {number(said.get(f'rating_{level}', 0))} 次"
                       for level in sorted(levels, reverse=True))
    return f"{period}共 {number(said['ratings'])} 次评价，满意率 {percent(said.get('good_rate'))}：{spread}。"


def monthly_table(months: list[dict]) -> Table:
    """Per month: received (assist, proxy, together) and finished, with the period's total."""
    rows = [(month_name(m["month"]), m["assist"], m["proxy"], m["received"], m["finished"]) for m in months]
    total = ("合计", *(sum(row[i] for row in rows) for i in range(1, 5)))
    return Table(("月份", "帮办受理", "代办受理", "受理合计", "办结"), rows, total)


def on_time_table(months: list[dict]) -> Table:
    """Per month: finished, on time and the on-time rate, with the period's total."""
    rows = [(month_name(m["month"]), m["finished"], m["on_time"], percent(m["on_time_rate"])) for m in months]
    finished, on_time = sum(m["finished"] for m in months), sum(m["on_time"] for m in months)
    rate = round(100.0 * on_time / finished, 1) if finished else None
    return Table(("月份", "办结", "按时办结", "按时办结率"), rows, ("合计", finished, on_time, percent(rate)))


def ranking_table(rows: list[dict], what: str) -> Table:
    """Every row with a case: received and finished, the most received first, with the total."""
    ranked = ranking_rows(rows)
    total = ("合计", sum(r["received"] for r in ranked), sum(r["finished"] for r in ranked))
    return Table((what, "受理", "办结"), [(r["name"], r["received"], r["finished"]) for r in ranked], total)


def satisfaction_table(said: dict, levels: dict[int, str]) -> Table:
    """Ratings per level with their share of all ratings."""
    total = said.get("ratings", 0)
    rows = []
    for level in sorted(levels, reverse=True):
        count = said.get(f"rating_{level}", 0)
        rows.append((levels[level], count, percent(round(100.0 * count / total, 1) if total else None)))
    return Table(("评价", "次数", "占比"), rows, ("合计", total, percent(100.0) if total else "—"))
