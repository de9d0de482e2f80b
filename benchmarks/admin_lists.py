"""Benchmark: the admin's generated list screens over the shared fill (prints figures; not a timed test).

Flask-Admin's peewee lists count every row and page by OFFSET; on the shared fill the biggest of
them is the audit log (a row per step of every case), the others are as small as a banner's
roster. Timed: the audit log's first and a deep page, sorted, filtered by event and by day,
searched (`LIKE %x%`), a record's details; the agents, accounts, service centers (with agent
counts) and matter versions; a matter's register of cases. Each beside the floor.

Usage: .venv/bin/python benchmarks/admin_lists.py [CASES]   (default BENCH_CASES, else 1000000)
"""

from __future__ import annotations

import datetime

import fill
from harness import Harness

from daiban.models import AuditLog


def filter_arg(app, endpoint: str, column, kind: str) -> str:
    """The URL parameter of a list filter: `flt0_<its index>` (Flask-Admin numbers them)."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    index = next(i for i, f in enumerate(view._filters)
                 if getattr(f, "column", None) is column and type(f).__name__ == kind)
    return f"flt0_{index}"


def main(cases: int) -> None:
    """Time the admin lists on a fill of `cases` cases."""
    bench = fill.bench_database(cases)
    h = Harness(bench)
    h.header(f"admin list screens, {bench.cases:,} cases")
    rows = sum(bench.meta["rows"].values())
    audit_rows = AuditLog.select().count()
    print(f"(audit log: {audit_rows:,} rows; all tables of the fill: {rows:,} rows)")
    action = filter_arg(h.app, "audit_log", AuditLog.action, "FilterEqual")
    day = filter_arg(h.app, "audit_log", AuditLog.at, "DayFilter")
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    deep = min(audit_rows // 20 - 1, 2500)
    admin = "bench_admin"
    h.time("audit log, page 1", admin, "/admin/audit_log/")
    h.time(f"audit log, page {deep + 1} (OFFSET)", admin, f"/admin/audit_log/?page={deep}")
    h.time("audit log, sorted by actor", admin, "/admin/audit_log/?sort=1")
    h.time("audit log, filtered by event (访问)", admin, f"/admin/audit_log/?{action}=read")
    h.time("audit log, filtered by day", admin, f"/admin/audit_log/?{day}={yesterday}")
    h.time("audit log, search (LIKE %x%)", admin, "/admin/audit_log/?search=bench_village")
    h.time("audit log, details by id", admin, f"/admin/audit_log/details/?id={audit_rows // 2}")
    h.time("agents, page 1", admin, "/admin/agent/")
    h.time("accounts, page 1", admin, "/admin/app_user/")
    h.time("service centers with agent counts", admin, "/admin/service_center/")
    h.time("matter versions", admin, "/admin/matter_version/")
    h.time("matter register SHBX-0001 (newest 500)", "bench", "/admin/cases/register/SHBX-0001/")


if __name__ == "__main__":
    main(fill.default_cases())
