"""Benchmark: the supervision screens over the shared fill (prints figures; not a timed test).

What the bureau and a township open: the ledger's first page (this year) and with a township
filter, its export, the quarterly report, the dashboard of every unit (12 and 24 months) and the
alert queues. Each beside the floor. The export of a year reads every row of it, so it is timed
once.

Usage: .venv/bin/python benchmarks/supervision.py [CASES]   (default BENCH_CASES, else 1000000)
"""

from __future__ import annotations

import datetime

import fill
from harness import Harness

from daiban.supervision.report import quarter_of


def main(cases: int) -> None:
    """Time the supervision screens on a fill of `cases` cases."""
    bench = fill.bench_database(cases)
    h = Harness(bench, budget=15.0, max_runs=10)
    h.header(f"supervision screens, {bench.cases:,} cases")
    today = datetime.date.today()
    year, quarter = quarter_of(today)
    start = today.replace(month=1, day=1)
    period = f"start={start}&end={today}"
    h.time("ledger, page 1 (this year)", "bench", f"/admin/ledger/?{period}")
    h.time("ledger, township filter", "bench", f"/admin/ledger/?{period}&township=yinde-er")
    h.time("ledger export .xlsx (this year)", "bench", f"/admin/ledger/export.xlsx?{period}", runs=1)
    h.time("quarterly report, banner", "bench", f"/admin/reports/?year={year}&quarter={quarter}")
    h.time("dashboard, banner, 12 months", "bench", "/admin/overview/")
    h.time("dashboard, banner, 24 months", "bench", "/admin/overview/?months=24")
    h.time("alert queues, banner", "bench", "/admin/alerts/")
    h.time("dashboard, township", "bench_township", "/admin/overview/")
    h.time("quarterly report, township", "bench_township", f"/admin/reports/?year={year}&quarter={quarter}")
    h.time("alert queues, township", "bench_township", "/admin/alerts/")


if __name__ == "__main__":
    main(fill.default_cases())
