"""Benchmark: 查找办件 and the workbench over the shared fill (prints figures; not a timed test).

The workbench's and the ledger's search (`cases.search`: a POST, so no ID number lands in an
access log) by case number, number prefix (a day), applicant name and name prefix, ID number and
phone (blind indexes), as the bureau (every case), a township and a village agent and a
department's liaison (their scopes); the workbench's open cases as each of them; and the page of
a case found. Each beside the floor.

Usage: .venv/bin/python benchmarks/search.py [CASES]   (default BENCH_CASES, else 1000000)
"""

from __future__ import annotations

import fill
from harness import Harness

WORKBENCH = "/admin/cases/"
LEDGER = "/admin/ledger/"


def sample(bench, *centers: str) -> dict:
    """A sampled case accepted at one of `centers` (the first found), else the middle one."""
    for code in centers:
        found = next((s for s in bench.samples if s["center"] == code), None)
        if found:
            return found
    return bench.samples[len(bench.samples) // 2]


def main(cases: int) -> None:
    """Time the searches and the workbench on a fill of `cases` cases."""
    bench = fill.bench_database(cases)
    h = Harness(bench)
    h.header(f"case search and the workbench, {bench.cases:,} cases")
    mid = sample(bench, "banner-center")
    day = mid["number"].split("-")[0]  # BD20250514: the cases accepted that day
    searches = {
        "number": (mid["number"], mid["number"]),
        "number prefix (a day)": (day, None),
        "ID number": (mid["id_number"], mid["number"]),
        "phone": (mid["phone"], mid["number"]),
        # A name is shared by thousands of applicants: the newest hundred are shown, rarely this one.
        "name": (mid["name"], None),
        f"name prefix ({mid['name'][:1]})": (mid["name"][:1], None),
        f"name prefix ({mid['name'][:2]})": (mid["name"][:2], None),
    }
    h.time("workbench, open cases (bureau)", "bench", WORKBENCH)
    for kind, (text, expect) in searches.items():
        h.time(f"workbench search by {kind} (bureau)", "bench", WORKBENCH, "POST", {"q": text}, expect)
    for kind in ("number", "ID number", "phone", "name"):
        text, expect = searches[kind]
        h.time(f"ledger search by {kind} (bureau)", "bench", LEDGER, "POST", {"q": text}, expect)
    h.time("case page of the case found", "bench", f"/admin/cases/{mid['id']}/", expect=mid["number"])

    township = sample(bench, "yinde-er-center", "yinde-er-hongxing-station", "yinde-er-dongfang-station")
    h.time("workbench, open cases (township agent)", "bench_township", WORKBENCH)
    h.time("workbench search by ID number (township)", "bench_township", WORKBENCH, "POST",
           {"q": township["id_number"]}, township["number"])
    h.time("workbench search by name (township)", "bench_township", WORKBENCH, "POST",
           {"q": township["name"]})
    h.time("ledger search by phone (township)", "bench_township", LEDGER, "POST",
           {"q": township["phone"]}, township["number"])

    village = sample(bench, "yinde-er-hongxing-station")
    h.time("workbench, open cases (village agent)", "bench_village", WORKBENCH)
    h.time("workbench search by phone (village)", "bench_village", WORKBENCH, "POST",
           {"q": village["phone"]}, village["number"])

    h.time("workbench, open cases (banner agent)", "bench_banner", WORKBENCH)
    h.time("workbench, open cases (department liaison)", "bench_liaison", WORKBENCH)
    h.time("workbench search by number (liaison)", "bench_liaison", WORKBENCH, "POST",
           {"q": mid["number"]})


if __name__ == "__main__":
    main(fill.default_cases())
