"""Backups: SQLite through its online backup API, PostgreSQL through pg_dump and pg_restore.

Both copy one consistent snapshot while the platform keeps writing: SQLite's copy is taken
inside a read transaction (in WAL mode writers go on, and the copy does not restart when
they commit); pg_dump reads in one repeatable-read transaction.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse, urlunparse

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PAGES_PER_STEP = 256  # 1 MB of 4 KB pages per step of the SQLite copy
MIGRATIONS_TABLE = "migratehistory"  # peewee-migrate's: every daiban database has it
TOOL_TIMEOUT = 6 * 3600

Progress = Callable[[int, int], None]  # (pages done, pages in all)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in Chinese."""


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did: the file, the kind of database, its size and its tables."""

    path: Path
    kind: str
    size: int
    tables: int


def database_kind(url: str) -> str:
    """`sqlite` or `postgresql`, from a DATABASE_URL."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgres", "postgresql"):
        return "postgresql"
    raise BackupError(f"不支持的数据库地址 “{display_url(url)}”：只能备份 SQLite 或 PostgreSQL 数据库")


def file_kind(path: Path) -> str | None:
    """The kind of database a backup file holds, from its first bytes; None if it is neither."""
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


def display_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunparse(parts._replace(netloc=netloc))


def default_backup_path(url: str, now: datetime.datetime | None = None,
                        folder: Path = Path("var") / "backups") -> Path:
    """var/backups/daiban-YYYYmmdd-HHMMSS.sqlite3 (.pgdump for PostgreSQL)."""
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return folder / f"daiban-{stamp}{SUFFIXES[database_kind(url)]}"


def backup_database(url: str, out: Path, progress: Progress | None = None) -> Outcome:
    """Copy the database to `out` (mode 0600) and check the copy; `out` must not exist yet."""
    kind = database_kind(url)
    if out.exists():
        raise BackupError(f"备份文件 {out} 已存在，不会覆盖：请换一个文件名")
    try:
        out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {out.parent}：{exc.strerror}") from None
    partial = out.with_name(out.name + ".partial")
    try:
        _create_private(partial)
        if kind == "sqlite":
            tables = _backup_sqlite(_sqlite_path(url), partial, progress)
        else:
            tables = _backup_postgres(url, partial)
        os.replace(partial, out)
    except OSError as exc:
        raise BackupError(f"无法写入备份文件 {out}：{exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(out, kind, out.stat().st_size, tables)


def check_backup(url: str, source: Path) -> str:
    """Check that `source` is a daiban backup that fits the database of `url`; return its kind."""
    kind = database_kind(url)
    if not source.exists():
        raise BackupError(f"找不到备份文件 {source}")
    if not source.is_file():
        raise BackupError(f"{source} 不是文件")
    try:
        found = file_kind(source)
    except OSError as exc:
        raise BackupError(f"无法读取备份文件 {source}：{exc.strerror}") from None
    if found is None:
        raise BackupError(f"{source} 不是 daiban 的备份文件"
                          "（既不是 SQLite 数据库，也不是 pg_dump 的自定义格式）")
    if found != kind:
        raise BackupError(f"{source} 是 {KIND_NAMES[found]} 数据库的备份，不能恢复到 {KIND_NAMES[kind]} "
                          f"数据库 {display_url(url)}：请用 DATABASE_URL 或 --database 指定 "
                          f"{KIND_NAMES[found]} 数据库")
    if kind == "sqlite":
        _check_sqlite_file(source)
    else:
        _archive_tables(source)
    return kind


def has_data(url: str) -> bool:
    """True when the database of `url` holds any table (a restore would overwrite it)."""
    if database_kind(url) == "sqlite":
        path = Path(_sqlite_path(url))
        if not path.exists() or path.stat().st_size == 0:
            return False
        with closing(_sqlite_connect(path)) as connection:
            return bool(_tables(connection))
    return bool(_postgres_tables(url))


def restore_database(url: str, source: Path, progress: Progress | None = None) -> Outcome:
    """Replace the contents of the database with the backup `source`, then check the result."""
    kind = check_backup(url, source)
    if kind == "sqlite":
        tables = _restore_sqlite(source, Path(_sqlite_path(url)), progress)
    else:
        tables = _restore_postgres(url, source)
    return Outcome(source, kind, source.stat().st_size, tables)


# SQLite

def _sqlite_path(url: str) -> str:
    path = unquote(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else ""
    if not path or path == ":memory:":
        raise BackupError(f"SQLite 地址应写成 sqlite:///文件路径：{url}")
    return path


def _sqlite_connect(path, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions begun explicitly)."""
    if readonly:
        return sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True,
                               isolation_level=None)
    return sqlite3.connect(path, isolation_level=None, timeout=30)


def _integrity(connection: sqlite3.Connection) -> list[str]:
    """The problems PRAGMA integrity_check reports; empty when the file is sound."""
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> None:
    def step(_status, remaining, total):
        if progress is not None:
            progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step, sleep=0)


def _backup_sqlite(path: str, partial: Path, progress: Progress | None) -> int:
    if not Path(path).is_file():
        raise BackupError(f"数据库文件不存在：{path}")
    try:
        with closing(_sqlite_connect(path)) as source:
            # One read transaction for the whole copy: its snapshot is what gets copied, and commits
            # by others meanwhile neither block it nor make it start over.
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            with closing(_sqlite_connect(partial)) as target:
                _copy(source, target, progress)
                target.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
                problems = _integrity(target)
                tables = _tables(target)
            source.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份 SQLite 数据库 {path} 失败：{exc}") from None
    if problems:
        raise BackupError("备份副本未通过完整性检查（PRAGMA integrity_check）：" + "；".join(problems[:5]))
    return len(tables)


def _check_sqlite_file(source: Path) -> None:
    """A sound SQLite file with daiban's tables, or BackupError."""
    try:
        with closing(_sqlite_connect(source, readonly=True)) as connection:
            problems = _integrity(connection)
            tables = _tables(connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"无法读取备份文件 {source}：{exc}") from None
    if problems:
        raise BackupError(f"备份文件 {source} 已损坏（PRAGMA integrity_check）：" + "；".join(problems[:5]))
    if MIGRATIONS_TABLE not in tables:
        raise BackupError(f"{source} 是 SQLite 数据库，但不是 daiban 的数据库（没有 {MIGRATIONS_TABLE} 表）")


def _restore_sqlite(source: Path, path: Path, progress: Progress | None) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_private(path)
        with closing(_sqlite_connect(source, readonly=True)) as backup:
            with closing(_sqlite_connect(path)) as target:
                _copy(backup, target, progress)
                target.execute("PRAGMA journal_mode=WAL")  # as the platform runs it
                problems = _integrity(target)
                tables = _tables(target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"恢复到 {path} 失败：{exc}") from None
    except OSError as exc:
        raise BackupError(f"无法写入数据库文件 {path}：{exc.strerror}") from None
    if problems:
        raise BackupError(f"恢复后的数据库未通过完整性检查：{'；'.join(problems[:5])}")
    return len(tables)


# PostgreSQL

def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：PostgreSQL 数据库的备份与恢复需要 PostgreSQL 客户端工具"
                          "（pg_dump、pg_restore，版本不低于服务器；"
                          "Debian：apt-get install postgresql-client）")
    return found


def _connection_args(url: str) -> tuple[list[str], dict]:
    """`--dbname` without the password (which would show in the process list) and the environment
    that carries it; `--schema` when the URL's search_path names one."""
    parts = urlparse(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", "@", 1))
    if parts.scheme == "postgres":
        parts = parts._replace(scheme="postgresql")
    return ["--dbname", urlunparse(parts)], env


def _schemas(url: str) -> list[str]:
    """The schemas `options=-csearch_path=…` in the URL names (none: the whole database)."""
    options = " ".join(parse_qs(urlparse(url).query).get("options", []))
    match = re.search(r"search_path\s*=\s*([^\s]+)", options)
    return [s.strip() for s in match.group(1).split(",") if s.strip()] if match else []


def _run(command: list[str], env: dict, what: str) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what}超时") from None
    if done.returncode != 0:
        detail = done.stderr.strip() or f"退出码 {done.returncode}"
        raise BackupError(f"{what}失败：{detail}")
    return done.stdout


def _archive_tables(path: Path) -> list[str]:
    """The tables a pg_dump archive holds, from its table of contents (`pg_restore --list`)."""
    listing = _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ), f"读取备份文件 {path} ")
    tables = []
    for line in listing.splitlines():
        fields = line.split()
        if not line.startswith(";") and "TABLE" in fields and "DATA" not in fields:
            at = fields.index("TABLE")
            if len(fields) > at + 2:
                tables.append(fields[at + 2])
    return tables


def _backup_postgres(url: str, partial: Path) -> int:
    dbname, env = _connection_args(url)
    schemas = [f"--schema={s}" for s in _schemas(url)]
    _run([_tool("pg_dump"), "--format=custom", "--no-password", *schemas, "--file", str(partial), *dbname],
         env, "pg_dump 导出")
    return len(_archive_tables(partial))


def _postgres_tables(url: str) -> set[str]:
    """Tables in the URL's first schema (current_schema())."""
    import peewee

    from daiban.db import open_database

    db = open_database(url)
    try:
        db.connect()
        rows = db.execute_sql("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
        return {row[0] for row in rows}
    except peewee.OperationalError as exc:
        raise BackupError(f"无法连接数据库 {display_url(url)}：{str(exc).strip()}") from None
    finally:
        if not db.is_closed():
            db.close()


def _restore_postgres(url: str, source: Path) -> int:
    expected = set(_archive_tables(source))
    dbname, env = _connection_args(url)
    # One transaction: if anything fails, the database is left as it was.
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-owner", "--no-privileges", "--no-password", *dbname, str(source)], env, "pg_restore 恢复")
    missing = expected - _postgres_tables(url)
    if missing:
        raise BackupError(f"恢复后缺少表：{'、'.join(sorted(missing))}")
    return len(expected)


# Files

def _create_private(path: Path) -> None:
    """Create an empty file readable and writable by its owner only (0600)."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)  # whatever the umask

