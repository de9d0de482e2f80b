"""The benchmarks' one shared fill: realistic cases over several years, made once and kept.

`bench_database(cases)` returns a database holding `cases` cases across the shipped organisation
(config/org/: the banner, its townships and villages) and catalog (config/matters/): applicants
sealed as `cases.personal` seals them (SM4-GCM, with the HMAC-SM3 blind indexes), each case with
its history and audit rows, checklist, commission, relay legs, rating and rectification (see
`caserows`). The fill is made once and kept under `var/bench/`, keyed by the case count, the fill
version and a digest of the fill's code and of config/, so a changed fill (or catalog) is made
afresh: an SQLite file `var/bench/<key>.sqlite3`, or, when DATABASE_URL names PostgreSQL, a
schema `bench_<key>` in that database. Each has its own keyring `var/bench/<key>.keys.json`,
without which its sealed values cannot be read or searched.

On PostgreSQL the rows are copied in with their ids, so the fill moves every id sequence past
them (setval); `check_open_case` then opens a case through the case service (rolled back) to
prove that a case opened after the fill takes a fresh id.

Usage: .venv/bin/python benchmarks/fill.py [CASES]   (default BENCH_CASES, else 1000000)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

import click  # noqa: E402
import peewee  # noqa: E402
from bulk import indexes_dropped, set_sequences  # noqa: E402

from daiban.db import connect_database, is_postgres, upgrade_database  # noqa: E402
from daiban.security import keys  # noqa: E402

FILL_VERSION = 1  # raise by hand when the fill means something else with the same code
YEARS = 4
DEFAULT_CASES = 1_000_000
BENCH_DIR = ROOT / "var" / "bench"
CONFIG = ROOT / "config"
HERE = Path(__file__).resolve().parent
SOURCES = ("fill.py", "bulk.py", "casework.py", "caserows.py", "forms.py", "people.py", "staff.py")
CHECK_ID_NUMBER = "11010119900307002X"  # a Beijing number: no resident of the fill has it
CONFIG_PARTS = ("org", "matters", "workflow", "calendar", "roles", "supervision.yaml")


class FillError(RuntimeError):
    """The fill cannot be made or used."""


def default_cases(argv: list[str] | None = None) -> int:
    """The case count: the first argument, else BENCH_CASES, else a million."""
    argv = sys.argv[1:] if argv is None else argv
    text = argv[0] if argv else os.environ.get("BENCH_CASES") or str(DEFAULT_CASES)
    return int(text.replace(",", "").replace("_", ""))


def fill_key(cases: int) -> str:
    """The cache key: case count, fill version, and a digest of the fill's code and of config/."""
    digest = hashlib.sha256()
    files = [HERE / name for name in SOURCES]
    for part in CONFIG_PARTS:
        path = CONFIG / part
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return f"c{cases}-v{FILL_VERSION}-{digest.hexdigest()[:10]}"


@dataclass(frozen=True)
class Bench:
    """A filled database ready for the benchmarks: its URL, key and what the fill recorded."""

    url: str
    key: str
    meta: dict
    var_dir: Path

    @property
    def samples(self) -> list[dict]:
        """A few cases with their applicants in clear (number, name, ID number, phone, center)."""
        return self.meta["samples"]

    @property
    def cases(self) -> int:
        """How many cases the fill made."""
        return self.meta["cases"]


def _progress(cases: int):
    """A progress bar on a terminal; a line each tenth in a log."""
    if sys.stderr.isatty():
        return click.progressbar(length=cases, label=f"filling {cases:,} cases", file=sys.stderr,
                                 show_eta=True, show_percent=True)
    return _LogProgress(cases)


class _LogProgress:
    def __init__(self, total: int):
        self.total, self.done, self.shown, self.start = total, 0, 0, time.perf_counter()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        self.done += n
        tenth = self.done * 10 // max(1, self.total)
        if tenth > self.shown:
            self.shown = tenth
            seconds = time.perf_counter() - self.start
            print(f"  filled {self.done:,} of {self.total:,} cases ({seconds:.0f} s)", file=sys.stderr,
                  flush=True)


def _meta(db) -> dict | None:
    tables = db.get_tables()
    if "bench_meta" not in tables:
        return None
    row = db.execute_sql("SELECT value FROM bench_meta WHERE name = 'meta'").fetchone()
    return json.loads(row[0]) if row else None


def populate(db, cases: int, key: str) -> dict:
    """Fill an empty, upgraded database with `cases` cases; return what the fill recorded."""
    from caserows import CaseFill
    from forms import matter_infos
    from staff import set_up

    from daiban.web import load_reference

    start = time.perf_counter()
    if not is_postgres(db):
        # A file being made, renamed into place only when complete: no journal is needed.
        # Foreign keys are not checked row by row either; the fill's tests check them on a small fill.
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1048576",
                       "temp_store = MEMORY", "foreign_keys = OFF"):
            db.execute_sql(f"PRAGMA {pragma}")
    today = datetime.date.today()
    staff = set_up(CONFIG)
    reference = load_reference(str(CONFIG))
    matters = matter_infos(staff.catalog, today, random.Random(7))
    filler = CaseFill(db, staff, reference, matters, today, YEARS)
    with indexes_dropped(db, [t.name for t in filler.writer.tables]):
        with _progress(cases) as bar:
            rows = filler.run(cases, bar.update)
    sequences = set_sequences(db)
    meta = {"key": key, "cases": cases, "filled_on": today.isoformat(), "years": YEARS, "rows": rows,
            "samples": filler.samples, "seconds": round(time.perf_counter() - start, 1),
            "sequences": dict(sequences), "database": "postgresql" if is_postgres(db) else "sqlite"}
    db.execute_sql("CREATE TABLE bench_meta (name VARCHAR(64) PRIMARY KEY, value TEXT)")
    db.execute_sql(f"INSERT INTO bench_meta (name, value) VALUES ('meta', {db.param})", (json.dumps(meta),))
    if is_postgres(db):
        db.execute_sql("ANALYZE")  # what autovacuum would do after a load this size
    else:
        db.execute_sql("PRAGMA journal_mode = WAL")
    return meta


def _use_keyring(key: str) -> Path:
    path = BENCH_DIR / f"{key}.keys.json"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DAIBAN_KEYS_FILE"] = str(path)  # the app and any subprocess read the same keys
    keys.use_keyring(path)
    return path


def _sqlite(cases: int, key: str, echo) -> str:
    path = BENCH_DIR / f"{key}.sqlite3"
    if path.exists():
        return f"sqlite:///{path}"
    for stale in BENCH_DIR.glob(f"c{cases}-*"):
        if not stale.name.startswith(key):
            echo(f"removing the old fill {stale.name}")
            stale.unlink()
    partial = path.with_name(path.name + ".partial")
    for leftover in BENCH_DIR.glob(partial.name + "*"):
        leftover.unlink()
    url = f"sqlite:///{partial}"
    db = connect_database(url)
    upgrade_database(db)
    echo(f"filling {path} (once; kept for the next runs)")
    meta = populate(db, cases, key)
    db.close()
    partial.rename(path)
    echo(f"filled {cases:,} cases in {meta['seconds']:.0f} s: {meta['rows']}")
    return f"sqlite:///{path}"


def _postgres(base_url: str, cases: int, key: str, echo) -> str:
    import psycopg2

    schema = f"bench_{key.replace('-', '_')}"
    joiner = "&" if "?" in base_url else "?"
    url = f"{base_url}{joiner}options=-csearch_path%3D{schema}"
    conn = psycopg2.connect(base_url)
    conn.autocommit = True
    cursor = conn.cursor()
    cursor.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = "
                   "'bench_meta'", (schema,))
    if cursor.fetchone():
        conn.close()
        return url
    cursor.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
                   (f"bench_c{cases}_%",))
    for (stale,) in cursor.fetchall():
        echo(f"dropping the old or unfinished fill {stale}")
        cursor.execute(f'DROP SCHEMA "{stale}" CASCADE')
    cursor.execute(f'CREATE SCHEMA "{schema}"')
    conn.close()
    db = connect_database(url)
    upgrade_database(db)
    echo(f"filling PostgreSQL schema {schema} (once; kept for the next runs)")
    meta = populate(db, cases, key)
    db.close()
    echo(f"filled {cases:,} cases in {meta['seconds']:.0f} s: {meta['rows']}")
    return url


def bench_database(cases: int, database_url: str | None = None, echo=print) -> Bench:
    """The filled database of `cases` cases (made now if there is none for this fill), upgraded to
    the latest migrations, bound to the models, its keyring in use, checked by `check_open_case`."""
    key = fill_key(cases)
    _use_keyring(key)
    base = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        url = _postgres(base, cases, key, echo)
    else:
        url = _sqlite(cases, key, echo)
    db = connect_database(url)
    upgrade_database(db)  # migrations added since the fill was made
    meta = _meta(db)
    if meta is None or meta.get("key") != key:
        raise FillError(f"the fill {key} is incomplete: delete it and run again")
    check_open_case()
    return Bench(url, key, meta, BENCH_DIR)


def check_open_case() -> int:
    """Open one case through the case service in a transaction that is rolled back, and check
    that it takes an id past every filled case (on PostgreSQL: that the sequences were moved);
    returns that id."""
    from daiban.cases.service import Applicant, open_case
    from daiban.db import database
    from daiban.models import Case, User
    from daiban.publishing import compiled, version_in_force
    from daiban.web import load_reference

    reference = load_reference(str(CONFIG))
    agent = User.get(User.username == "bench_village")
    matter = compiled(version_in_force("SHBX-0001"))
    largest = Case.select(Case.id).order_by(Case.id.desc()).scalar() or 0
    try:
        with database.atomic() as transaction:
            case = open_case(matter, matter.version, {"name": "核验"}, "assist", "window", agent,
                             agent.center, datetime.date.today(), reference.calendar,
                             workflow=reference.workflow,
                             applicant=Applicant("核验", CHECK_ID_NUMBER, "13900000000"))
            transaction.rollback()
    except peewee.IntegrityError as exc:  # an id the sequence handed out is taken already
        raise FillError(f"opening a case after the fill failed: {exc}; the id sequences were not "
                        f"moved past the filled rows") from None
    if case.id <= largest:
        raise FillError(f"a case opened after the fill took id {case.id}, not past {largest}: "
                        f"the id sequences were not moved")
    return case.id


def main() -> None:
    """Make (or find) the fill and say where it is."""
    bench = bench_database(default_cases())
    print(f"fill {bench.key}: {bench.cases:,} cases, made {bench.meta['filled_on']} in "
          f"{bench.meta['seconds']:.0f} s on {bench.meta['database']}")
    print(f"  {bench.url.split('?')[0]}")
    for table, count in bench.meta["rows"].items():
        print(f"  {table:<22}{count:>12,}")
    print("  a case opened now takes a fresh id: ok")


if __name__ == "__main__":
    main()
