"""What the dashboards (工作概况) share: a scope's cases per month, per service domain and per
township, and its ratings, counted by the database with the SQL pieces and the grid of `counting`.
"""

from __future__ import annotations

import datetime
from collections import Counter

from peewee import fn

from daiban.access import Principal
from daiban.models import Case
from daiban.supervision.counting import (
    Reference,
    between,
    case_condition,
    case_grid,
    count_if,
    fold,
    month,
    on_time_condition,
    rate,
    rating_grid,
    where,
)
from daiban.supervision.models import RATING_LEVELS
from daiban.supervision.units import ReportUnit, report_units


def period_grid(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
                today: datetime.date | None = None):
    """The scope's cases of the period counted per center and matter version: what `by_domain` and
    `by_township` fold, computed once when a page shows both."""
    as_of = today or datetime.date.today()
    return case_grid(case_condition(scope), start, end, as_of)


def _with_rates(counts: Counter) -> dict:
    row = {k: int(counts.get(k, 0)) for k in ("received", "assist", "proxy", "finished", "on_time",
                                               "late", "terminated")}
    row["on_time_rate"] = rate(row["on_time"], row["finished"])
    return row


def monthly_trend(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
                  today: datetime.date | None = None) -> list[dict]:
    """Cases received (assist, proxy) and finished (on time, late) per month of the period."""
    as_of = today or datetime.date.today()
    condition = case_condition(scope)
    accepted = month(Case.accepted_on)
    received = where(Case.select(accepted, fn.COUNT(Case.id), count_if(Case.mode == "assist"),
                                 count_if(Case.mode == "proxy")),
                     condition, between(Case.accepted_on, start, end)).group_by(accepted)
    done = month(Case.result_on)
    finished = where(Case.select(done, fn.COUNT(Case.id), count_if(on_time_condition(as_of))),
                     condition, between(Case.result_on, start, end)).group_by(done)
    months: dict[str, Counter] = {}
    day = start.replace(day=1)
    while day <= end:
        months[f"{day:%Y-%m}"] = Counter()
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    for name, n, assist, proxy in received.tuples():
        months[name].update(received=n, assist=assist or 0, proxy=proxy or 0)
    for name, n, on_time in finished.tuples():
        months[name].update(finished=n, on_time=on_time or 0, late=n - (on_time or 0))
    return [{"month": name, **_with_rates(counts)} for name, counts in months.items()]


def _domain_names() -> dict[str, str]:
    from flask import current_app, has_app_context

    if has_app_context() and "daiban" in current_app.extensions:
        return {d: domain.name for d, domain in current_app.extensions["daiban"].domains.items()}
    return {}


def by_domain(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
              today: datetime.date | None = None, grid=None) -> list[dict]:
    """Cases received and finished per service domain (领域), largest first (from `grid` when given)."""
    ref = Reference.load()
    grid = grid if grid is not None else period_grid(scope, start, end, today)
    folded = fold([grid], lambda key: ref.unit_code("domain", key))
    names = _domain_names()
    rows = [{"domain": d, "name": names.get(d, d), **_with_rates(c)} for d, c in folded.items()]
    return sorted(rows, key=lambda r: (-r["received"], r["domain"]))


def by_township(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date,
                today: datetime.date | None = None, grid=None) -> list[dict]:
    """Cases received and finished per township (every township listed), then the banner's own
    centers (from `grid` when given)."""
    ref = Reference.load()
    grid = grid if grid is not None else period_grid(scope, start, end, today)
    folded = fold([grid], lambda key: ref.township_of_center.get(key[0], ""))
    rows = [{"code": u.code, "name": u.name, **_with_rates(folded.get(u.code, Counter()))}
            for u in report_units("township")]
    if folded.get(""):
        rows.append({"code": "", "name": "旗本级", **_with_rates(folded[""])})
    return rows


def satisfaction(scope: ReportUnit | Principal | None, start: datetime.date, end: datetime.date) -> dict:
    """Ratings (好差评) rated in the period: count per level, bad ones, good rate, indicator averages."""
    total: Counter = Counter()
    for _key, values in rating_grid(case_condition(scope), start, end):
        total.update(values)
    result = {key: int(total.get(key, 0)) for key in
              ("ratings", "bad_ratings", "ratings_struck", *(f"rating_{lv}" for lv in RATING_LEVELS))}
    result["good_rate"] = rate(result["ratings"] - result["bad_ratings"], result["ratings"])
    for name in ("efficiency", "skill", "attitude"):
        n = total.get(f"{name}_n", 0)
        result[f"{name}_average"] = round(total.get(f"{name}_sum", 0) / n, 2) if n else None
    return result
