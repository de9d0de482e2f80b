"""Benchmark: admin list screens over many agents (prints figures; not a timed test).

Usage: .venv/bin/python benchmarks/admin_lists.py [ROWS]   (default 200000)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from daiban.accounts import create_user  # noqa: E402
from daiban.catalog.loader import load_catalog  # noqa: E402
from daiban.db import connect_database, upgrade_database  # noqa: E402
from daiban.models import Agent, ServiceCenter  # noqa: E402
from daiban.orgsync import sync_organisation  # noqa: E402

PASSWORD = "Bench-pass-2026"


def timed(client, url: str, repeat: int = 5) -> float:
    """Median milliseconds of GET url."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        response.close()
    return statistics.median(samples)


def main(rows: int) -> None:
    """Fill a temporary database with `rows` agents and time the list screens."""
    folder = Path(tempfile.mkdtemp(prefix="daiban-bench-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    db = connect_database(url)
    upgrade_database(db)
    sync_organisation(load_catalog(ROOT / "config", include_matters=False).catalog.organisation)
    centers = [c.id for c in ServiceCenter.select()]
    start = time.perf_counter()
    with db.atomic():
        batch = []
        for i in range(rows):
            batch.append({"name": f"代办员{i:07d}", "center": centers[i % len(centers)],
                          "status": "active" if i % 10 else "inactive", "phone": f"139{i:08d}"})
            if len(batch) == 5000:
                Agent.insert_many(batch).execute()
                batch = []
        if batch:
            Agent.insert_many(batch).execute()
    print(f"inserted {rows:,} agents in {time.perf_counter() - start:.1f} s")
    create_user("bench", "压测", PASSWORD, ["bureau"],
                center=ServiceCenter.get(ServiceCenter.code == "banner-center"))

    from daiban.web import create_app

    app = create_app({"DATABASE_URL": url, "CONFIG_DIR": str(ROOT / "config"), "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    deep = min(rows // 20 - 1, 2500)
    cases = {
        "list page 1": "/admin/agent/",
        f"list page {deep + 1} (OFFSET)": f"/admin/agent/?page={deep}",
        "sorted by name": "/admin/agent/?sort=0",
        "filtered by status": "/admin/agent/?flt0_0=inactive",
        "search by name": "/admin/agent/?search=代办员0012345",
        "details by id": f"/admin/agent/details/?id={rows // 2}",
        "service centers with agent counts": "/admin/service_center/",
    }
    print(f"{'screen':<40}{'median ms':>10}")
    for label, path in cases.items():
        print(f"{label:<40}{timed(client, path):>10.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
