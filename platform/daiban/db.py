"""The database: SQLite under `var/` by default, PostgreSQL when DATABASE_URL says so.

Models bind to one proxy; `connect_database(url)` opens the real database behind it and
`upgrade_database` applies the migrations under `migrations/` with peewee-migrate.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import peewee
from playhouse.db_url import connect as connect_url

database = peewee.DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MAX_ID = 2**31 - 1  # ids are 32-bit serials in PostgreSQL; a larger number names no record
SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never block the writer
    "foreign_keys": 1,
    "busy_timeout": 5000,  # wait for a concurrent writer instead of failing at once
    "synchronous": "normal",
}


class SqliteDatabase(peewee.SqliteDatabase):
    """SQLite whose transactions take the write lock when they begin (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes cannot wait for a concurrent writer: SQLite
    fails it at once with `database is locked`. Taken at BEGIN, the lock is waited for (with
    back-off, up to `busy_timeout`) before any work is done, so nothing needs redoing.
    """

    def begin(self, lock_type=None):
        """Begin a transaction, IMMEDIATE unless told otherwise."""
        return super().begin(lock_type or "IMMEDIATE")


def parse_id(value) -> int | None:
    """A record id from a request: one whole number of ASCII digits within the id column's range;
    None for anything else (a repeated `?id=3&id=3`, "²", "-1", "1e3", a number too big)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class DatabaseUrlError(ValueError):
    """A DATABASE_URL this platform cannot use."""


def default_url() -> str:
    """DATABASE_URL from the environment, else an SQLite file under ./var/."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{Path.cwd() / 'var' / 'daiban.sqlite3'}"


def open_database(url: str) -> peewee.Database:
    """Open (without binding) the database a URL names: sqlite:///path or postgresql://…."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseUrlError(f"SQLite 地址应写成 sqlite:///路径：{url}")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    if scheme in ("postgres", "postgresql"):
        return connect_url(url)
    raise DatabaseUrlError(f"不支持的数据库地址 “{url}”：请使用 sqlite:///… 或 postgresql://…")


def connect_database(url: str | None = None) -> peewee.Database:
    """Open the database named by `url` (or the default) and bind every model to it."""
    db = open_database(url or default_url())
    database.initialize(db)
    return db


def is_postgres(db) -> bool:
    """True when `db` (or the database behind the proxy) is PostgreSQL."""
    target = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    return isinstance(target, peewee.PostgresqlDatabase)


def _router(db):
    from peewee_migrate import Router

    logger = logging.getLogger("daiban.migrations")
    return Router(db, migrate_dir=MIGRATIONS_DIR, logger=logger)


def pending_migrations(db=None) -> list[str]:
    """Names of the migrations not yet applied."""
    return _router(db or database.obj).diff


def upgrade_database(db=None, until: str | None = None) -> list[str]:
    """Apply pending migrations (up to `until` if given); return the names applied."""
    return _router(db or database.obj).run(until)
