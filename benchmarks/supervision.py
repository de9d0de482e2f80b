"""Benchmark: supervision screens over many cases (prints figures; not a timed test).

Fills a temporary SQLite database with ROWS cases spread over two years, every center, the
shipped matters, modes, channels and states, with ratings on the finished ones and deferred
materials on some, then times what the bureau and a township open: the ledger's first and a deep
page, its export, the quarterly report, the bureau's overview of every unit, the dashboard and
the alert queues. Rows are inserted in bulk (the services would take hours for this many); the
figures are what the SQL aggregation costs.

Usage: .venv/bin/python benchmarks/supervision.py [ROWS]   (default 200000)
"""

from __future__ import annotations

import datetime
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from daiban.accounts import create_user  # noqa: E402
from daiban.catalog.loader import load_catalog  # noqa: E402
from daiban.db import connect_database, upgrade_database  # noqa: E402
from daiban.models import Case, CaseMaterial, ServiceCenter  # noqa: E402
from daiban.orgsync import sync_organisation  # noqa: E402
from daiban.publishing import publish_catalog  # noqa: E402
from daiban.supervision.models import Rating  # noqa: E402

PASSWORD = "Bench-pass-2026"
TODAY = datetime.date.today()
STATES = ("closed",) * 6 + ("in_department", "submitted", "consultation", "terminated")


def timed(client, url: str, repeat: int = 3) -> tuple[float, float]:
    """Median milliseconds of GET url, and the peak Python memory (MB) of one request."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        response.close()
    tracemalloc.start()
    client.get(url).close()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return statistics.median(samples), peak


def fill(db, rows: int) -> None:
    """Insert `rows` cases with ratings and deferred materials, in batches."""
    catalog = load_catalog(ROOT / "config").catalog
    sync_organisation(catalog.organisation)
    publish_catalog(catalog, "bench")
    centers = [c.id for c in ServiceCenter.select().where(ServiceCenter.level != "banner")]
    agent = create_user("bench", "压测", PASSWORD, ["bureau"],
                        center=ServiceCenter.get(ServiceCenter.code == "banner-center"))
    create_user("bench_township", "压测乡镇", PASSWORD, ["township_agent"],
                center=ServiceCenter.get(ServiceCenter.code == "yinde-er-center"))
    matters = [(m.code, m.version) for m in catalog.matters.values()]
    rng = random.Random(7)
    start = time.perf_counter()
    cases, ratings, materials = [], [], []
    with db.atomic():
        for i in range(1, rows + 1):
            code, version = matters[i % len(matters)]
            accepted = TODAY - datetime.timedelta(days=rng.randint(0, 730))
            due = accepted + datetime.timedelta(days=14)
            status = STATES[i % len(STATES)]
            result = accepted + datetime.timedelta(days=rng.randint(1, 20)) if status == "closed" else None
            result = result if result is None or result <= TODAY else TODAY
            cases.append({
                "id": i, "number": f"BD{accepted:%Y%m%d}-{i:06d}", "matter_code": code,
                "matter_version": version, "mode": "proxy" if i % 3 else "assist",
                "channel": ("window", "home_visit", "hotline")[i % 3], "status": status,
                "first_agent": agent.id, "center": centers[i % len(centers)],
                "applicant_name": f"申请人{i}", "applicant_id_number_sealed": f"plain:152223194501{i:06d}",
                "values": "{}", "accepted_on": accepted, "due_on": due, "result_on": result,
                "closed_on": result, "lock_version": 0,
            })
            if result is not None:
                level = rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]
                ratings.append({"case": i, "visit": 1, "level": level, "channel": "on_site", "comment": "",
                                "staff": agent.id, "center": centers[i % len(centers)], "rated_on": result,
                                "bad": level <= 2})
            if i % 7 == 0:
                materials.append({"case": i, "material_id": "m1", "name": "户口簿", "notice_status": "needed",
                                  "status": "deferred" if i % 2 else "supplied", "deferred_on": accepted,
                                  "promised_on": due, "supplied_on": None if i % 2 else due})
            if len(cases) == 5000:
                Case.insert_many(cases).execute()
                Rating.insert_many(ratings).execute()
                if materials:
                    CaseMaterial.insert_many(materials).execute()
                cases, ratings, materials = [], [], []
        for model, batch in ((Case, cases), (Rating, ratings), (CaseMaterial, materials)):
            if batch:
                model.insert_many(batch).execute()
    seconds = time.perf_counter() - start
    print(f"inserted {rows:,} cases with ratings and deferred materials in {seconds:.1f} s")


def main(rows: int) -> None:
    """Fill a temporary database with `rows` cases and time the supervision screens."""
    folder = Path(tempfile.mkdtemp(prefix="daiban-bench-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    db = connect_database(url)
    upgrade_database(db)
    fill(db, rows)  # the immutability triggers refuse updates and deletes, not inserts

    from daiban.supervision.report import quarter_of
    from daiban.web import create_app

    app = create_app({"DATABASE_URL": url, "CONFIG_DIR": str(ROOT / "config"), "WTF_CSRF_ENABLED": False,
                      "UPLOAD_DIR": str(folder / "uploads")})
    year, quarter = quarter_of(TODAY)
    start = TODAY.replace(month=1, day=1)
    screens = {
        "bench": {
            "ledger, page 1 (this year)": f"/admin/ledger/?start={start}&end={TODAY}",
            "ledger, township filter": f"/admin/ledger/?start={start}&end={TODAY}&township=yinde-er",
            "ledger export .xlsx (this year)": f"/admin/ledger/export.xlsx?start={start}&end={TODAY}",
            "quarterly report, banner": f"/admin/reports/?year={year}&quarter={quarter}",
            "dashboard, banner, 12 months": "/admin/overview/",
            "dashboard, banner, 24 months": "/admin/overview/?months=24",
            "alert queues, banner": "/admin/alerts/",
        },
        "bench_township": {
            "dashboard, township": "/admin/overview/",
            "quarterly report, township": f"/admin/reports/?year={year}&quarter={quarter}",
        },
    }
    print(f"{'screen':<42}{'median ms':>10}{'peak MB':>10}")
    for username, paths in screens.items():
        client = app.test_client()
        client.post("/login", data={"username": username, "password": PASSWORD})
        for label, path in paths.items():
            ms, peak = timed(client, path)
            print(f"{label:<42}{ms:>10.1f}{peak:>10.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200000)
