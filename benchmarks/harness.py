"""Timing screens through the Flask test client, each beside the floor measured just before it.

`Harness(bench)` builds the app on a filled database (`fill.bench_database`) with the floor's
screen added (`floor`), signs accounts in, and `time(...)` requests a URL until a time budget is
spent: the median and 95th percentile of the wall time, and the peak of Python's memory during
one more request (tracemalloc; that request is not timed). Right before each screen the floor is
timed again with the same signed-in client, so a figure and its floor share the machine's load of
that moment (these machines are shared), and the table prints both and their ratio, × floor.
Figures are printed, never asserted: the benchmarks measure, the tests decide.
"""

from __future__ import annotations

import datetime
import math
import os
import platform as host
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass

import floor
from fill import CONFIG, Bench
from staff import PASSWORD

from daiban.db import database, is_postgres
from daiban.models import Case

FLOOR_RUNS = 15


@dataclass(frozen=True)
class Figure:
    """How long one request took: median and p95 in ms over `runs`, peak Python memory in MB."""

    median: float
    p95: float
    peak_mb: float
    runs: int


@dataclass(frozen=True)
class Row:
    """One line of the table: a screen and the floor measured just before it."""

    label: str
    figure: Figure
    floor: Figure

    @property
    def times_floor(self) -> float:
        """The screen's median over the floor's."""
        return self.figure.median / self.floor.median


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Harness:
    """The app on a filled database, its signed-in clients, and the table of figures."""

    def __init__(self, bench: Bench, budget: float = 8.0, max_runs: int = 30):
        from daiban.web import create_app

        self.bench, self.budget, self.max_runs = bench, budget, max_runs
        self.app = create_app({
            "DATABASE_URL": bench.url, "CONFIG_DIR": str(CONFIG), "WTF_CSRF_ENABLED": False,
            "VAR_DIR": str(bench.var_dir), "UPLOAD_DIR": str(bench.var_dir / "uploads"),
        })
        floor.install(self.app)
        with self.app.app_context():
            largest = Case.select(Case.id).order_by(Case.id.desc()).scalar()
        self.floor_url = f"{floor.URL}?before={largest // 2 + 1}"
        self.rows: list[Row] = []
        self.clients: dict[str, object] = {}

    def client(self, username: str):
        """A test client signed in as `username` (one per account, kept)."""
        if username not in self.clients:
            client = self.app.test_client()
            response = client.post("/login", data={"username": username, "password": PASSWORD})
            if response.status_code != 302:
                raise RuntimeError(f"signing in as {username} failed ({response.status_code})")
            self.clients[username] = client
        return self.clients[username]

    def _request(self, client, method: str, url: str, data: dict | None, expect: str | None) -> float:
        start = time.perf_counter()
        response = client.open(url, method=method, data=data)
        body = response.get_data()
        elapsed = (time.perf_counter() - start) * 1000
        response.close()
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url} answered {response.status_code}")
        if expect is not None and expect.encode() not in body:
            raise RuntimeError(f"{method} {url} did not show {expect!r}")
        return elapsed

    def measure(self, client, url: str, method: str = "GET", data: dict | None = None,
                expect: str | None = None, runs: int | None = None) -> Figure:
        """Time one URL: a warm-up, then runs until the budget is spent (at least three, at most
        `max_runs`), then one request under tracemalloc for the peak memory. With `runs` given,
        exactly that many and no warm-up (for a screen that takes minutes)."""
        if runs is None:
            first = self._request(client, method, url, data, expect)
            wanted = max(3, min(self.max_runs, int(self.budget * 1000 / max(first, 0.1))))
        else:
            wanted = runs
        samples = [self._request(client, method, url, data, expect) for _ in range(wanted)]
        tracemalloc.start()
        try:
            self._request(client, method, url, data, expect)
            peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        finally:
            tracemalloc.stop()
        return Figure(statistics.median(samples), percentile(samples, 0.95), peak, len(samples))

    def floor(self, client) -> Figure:
        """The floor for this client now."""
        self._request(client, "GET", self.floor_url, None, None)  # warm
        return self.measure(client, self.floor_url, runs=FLOOR_RUNS, expect="下一页")

    def time(self, label: str, username: str, url: str, method: str = "GET", data: dict | None = None,
             expect: str | None = None, runs: int | None = None) -> Row:
        """Time a screen as `username`, beside the floor measured just before; print its line."""
        client = self.client(username)
        row = Row(label, self.measure(client, url, method, data, expect, runs), self.floor(client))
        self.rows.append(row)
        print(line(row), flush=True)
        return row

    def header(self, title: str) -> None:
        """Print what was measured, where and when, and the table's header."""
        with self.app.app_context():
            if is_postgres(database):
                engine = database.execute_sql("SHOW server_version").fetchone()[0]
                engine = f"PostgreSQL {engine}"
            else:
                import sqlite3
                engine = f"SQLite {sqlite3.sqlite_version} (WAL)"
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"# {title}")
        print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {host.node()}: {os.cpu_count()} cores "
              f"(load {load}), Python {sys.version.split()[0]}, {engine}")
        print(f"fill {self.bench.key}: {self.bench.cases:,} cases over {self.bench.meta['years']} years, "
              f"made {self.bench.meta['filled_on']}")
        print("floor: a bare 20-row keyset page in the admin layout (WHERE id < ? ORDER BY id DESC "
              "LIMIT 20), timed just before each screen with the same client")
        print()
        print(HEADER)
        print("-" * len(HEADER))


HEADER = (f"{'screen':<50}{'median ms':>10}{'p95 ms':>9}{'peak MB':>9}{'runs':>6}"
          f"{'floor ms':>10}{'× floor':>9}")


def line(row: Row) -> str:
    """One row of the table."""
    f = row.figure
    return (f"{_fit(row.label, 50)}{f.median:>10.1f}{f.p95:>9.1f}{f.peak_mb:>9.1f}{f.runs:>6}"
            f"{row.floor.median:>10.1f}{row.times_floor:>9.1f}")


def _fit(text: str, width: int) -> str:
    """Left-align text that may hold Chinese (two columns a character) in `width` columns."""
    used = sum(2 if ord(c) > 0x2E80 else 1 for c in text)
    return text + " " * max(1, width - used)
