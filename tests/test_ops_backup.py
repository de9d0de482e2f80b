"""`daiban backup` and `daiban restore`: a consistent copy while the platform writes, clear refusals."""

from __future__ import annotations

import re
import sqlite3
import stat
import threading
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

import daiban.ops.backup
from conftest import PG_URL
from daiban.cli import main
from daiban.db import open_database, upgrade_database
from daiban.ops.backup import BackupError, backup_database, restore_database

PADDING_ROWS = 5000  # about 2 MB, so the SQLite copy takes many steps
MIN_BEFORE = 50  # rows committed before the backup begins


def run(*args: str) -> tuple[int, str]:
    """Run `daiban ARGS…`; the exit code and everything printed."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


class Writer(threading.Thread):
    """Insert 1, 2, 3 … into backup_probe, one committed row at a time, on its own connection."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.committed = 0
        self.stop = threading.Event()
        self.error: Exception | None = None

    def run(self):
        db = open_database(self.url)
        try:
            deadline = time.monotonic() + 60
            while not self.stop.is_set() and time.monotonic() < deadline and self.committed < 100_000:
                db.execute_sql("INSERT INTO backup_probe (n) VALUES (%s)" % (self.committed + 1))
                self.committed += 1
        except Exception as exc:
            self.error = exc
        finally:
            db.close()

    def wait_for(self, count: int, timeout: float = 20) -> None:
        """Wait until `count` rows are committed."""
        deadline = time.monotonic() + timeout
        while self.committed < count and time.monotonic() < deadline and self.error is None:
            time.sleep(0.005)
        assert self.committed >= count, self.error


def _numbers(url: str) -> list[int]:
    db = open_database(url)
    try:
        return [row[0] for row in db.execute_sql("SELECT n FROM backup_probe ORDER BY n")]
    finally:
        db.close()


def test_a_backup_taken_under_writes_restores_every_row_committed_before_it(db_url, db, tmp_path,
                                                                          monkeypatch):
    db.execute_sql("CREATE TABLE backup_probe (n INTEGER PRIMARY KEY)")
    db.execute_sql("CREATE TABLE backup_padding (id INTEGER PRIMARY KEY, text TEXT)")
    with db.atomic():
        for start in range(0, PADDING_ROWS, 500):
            values = ", ".join(f"({i}, '{'填' * 120}')" for i in range(start, start + 500))
            db.execute_sql(f"INSERT INTO backup_padding (id, text) VALUES {values}")
    db.close()
    monkeypatch.setattr(daiban.ops.backup, "PAGES_PER_STEP", 16)
    writer = Writer(db_url)
    writer.start()
    steps: list[tuple[int, int]] = []
    try:
        writer.wait_for(MIN_BEFORE)
        before = writer.committed

        def progress(done, total):
            if not steps:  # hold the copy until the writer has committed more behind its back
                writer.wait_for(before + 20)
            steps.append((done, total))

        out = tmp_path / "backups" / "copy"
        outcome = backup_database(db_url, out, progress=progress)
        during = writer.committed
        writer.wait_for(during + 20)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert outcome.tables >= 3 and outcome.size == out.stat().st_size
    if outcome.kind == "sqlite":
        assert len(steps) > 10 and steps[-1][0] == steps[-1][1]
        assert [done for done, _ in steps] == sorted(done for done, _ in steps)  # never started over
        assert during > before + 20  # rows were committed while the copy ran

    restore_database(db_url, out)  # over the live database, which has rows the backup has not
    numbers = _numbers(db_url)
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps
    assert before <= len(numbers) < writer.committed
    if outcome.kind == "sqlite":
        with sqlite3.connect(db_url[len("sqlite:///"):]) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert check.execute("SELECT count(*) FROM backup_padding").fetchone() == (PADDING_ROWS,)
    else:
        restored = open_database(db_url)
        assert restored.execute_sql("SELECT count(*) FROM backup_padding").fetchone() == (PADDING_ROWS,)
        restored.close()


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    """A migrated SQLite database with one row in a table of its own; its URL."""
    url = f"sqlite:///{tmp_path / 'live' / 'daiban.sqlite3'}"
    db = open_database(url)
    upgrade_database(db)
    db.execute_sql("CREATE TABLE restore_probe (name TEXT)")  # the test's own: models change
    db.execute_sql("INSERT INTO restore_probe VALUES ('测试嘎查')")
    db.close()
    return url


def test_backup_names_the_file_by_the_time_and_keeps_it_private(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, output = run("--database", sqlite_db, "backup")
    assert code == 0, output
    [made] = (tmp_path / "var" / "backups").iterdir()
    assert re.fullmatch(r"daiban-\d{8}-\d{6}\.sqlite3", made.name)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert f"已备份到 var/backups/{made.name}" in output and "完整性检查通过" in output
    assert "密钥文件" in output  # the keys are not in the database: a reminder to keep them too
    with sqlite3.connect(made) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    folder = tmp_path / "usb"
    folder.mkdir()
    assert run("--database", sqlite_db, "backup", str(folder))[0] == 0
    assert [p.suffix for p in folder.iterdir()] == [".sqlite3"]
    code, output = run("--database", sqlite_db, "backup", str(made))
    assert code == 1 and "已存在，不会覆盖" in output


def test_restore_overwrites_only_with_yes_and_says_to_stop_the_server(sqlite_db, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    assert run("--database", sqlite_db, "backup", str(copy))[0] == 0
    code, output = run("--database", sqlite_db, "restore", str(copy))
    assert code == 1
    assert "恢复会用备份覆盖其全部内容" in output and "停止服务" in output and "--yes" in output
    code, output = run("--database", sqlite_db, "restore", str(copy), "--yes")
    assert code == 0 and "完整性检查通过" in output, output
    fresh = f"sqlite:///{tmp_path / 'new' / 'daiban.sqlite3'}"  # a new server: nothing to overwrite
    code, output = run("--database", fresh, "restore", str(copy))
    assert code == 0, output
    with sqlite3.connect(tmp_path / "new" / "daiban.sqlite3") as restored:
        assert restored.execute("SELECT name FROM restore_probe").fetchall() == [("测试嘎查",)]
        assert restored.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert stat.S_IMODE((tmp_path / "new" / "daiban.sqlite3").stat().st_mode) == 0o600


def test_restore_explains_what_is_wrong_with_the_file(sqlite_db, tmp_path):
    code, output = run("--database", sqlite_db, "restore", str(tmp_path / "missing.sqlite3"))
    assert code == 1 and "找不到备份文件" in output
    junk = tmp_path / "notes.txt"
    junk.write_text("不是备份", encoding="utf-8")
    code, output = run("--database", sqlite_db, "restore", str(junk))
    assert code == 1 and "不是 daiban 的备份文件" in output
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as foreign:
        foreign.execute("CREATE TABLE t (x)")
    code, output = run("--database", sqlite_db, "restore", str(other), "--yes")
    assert code == 1 and "不是 daiban 的数据库" in output
    copy = tmp_path / "copy.sqlite3"
    assert run("--database", sqlite_db, "backup", str(copy))[0] == 0
    code, output = run("--database", "postgresql://nobody@127.0.0.1:1/none", "restore", str(copy))
    assert code == 1 and "是 SQLite 数据库的备份，不能恢复到 PostgreSQL 数据库" in output
    damaged = bytearray(copy.read_bytes())
    damaged[5000:9000] = b"\xff" * 4000
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(bytes(damaged))
    code, output = run("--database", sqlite_db, "restore", str(broken), "--yes")
    assert code == 1 and ("已损坏" in output or "无法读取备份文件" in output), output
    with sqlite3.connect(sqlite_db[len("sqlite:///"):]) as live:  # a refused restore changes nothing
        assert live.execute("SELECT name FROM restore_probe").fetchall() == [("测试嘎查",)]


def test_restore_of_an_older_backup_says_to_upgrade(tmp_path):
    old = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = open_database(old)
    upgrade_database(db, until="005_list_indexes")
    db.close()
    copy = tmp_path / "old-copy.sqlite3"
    assert run("--database", old, "backup", str(copy))[0] == 0
    code, output = run("--database", f"sqlite:///{tmp_path / 'new.sqlite3'}", "restore", str(copy))
    assert code == 0 and "请运行 `daiban db upgrade`" in output


def test_postgresql_without_its_tools_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, no pg_restore
    code, output = run("--database", "postgresql://nobody@127.0.0.1:1/none", "backup", str(tmp_path / "x"))
    assert code == 1 and "找不到 pg_dump" in output and "postgresql-client" in output
    dump = tmp_path / "x.pgdump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    code, output = run("--database", "postgresql://nobody@127.0.0.1:1/none", "restore", str(dump))
    assert code == 1 and "找不到 pg_restore" in output


def test_passwords_stay_out_of_messages_and_the_process_list():
    url = "postgresql://daiban:s3cret@db.example:5432/daiban?options=-csearch_path%3Dt_1"
    assert daiban.ops.backup.display_url(url) == "postgresql://daiban:***@db.example:5432/daiban" \
        "?options=-csearch_path%3Dt_1"
    dbname, env = daiban.ops.backup._connection_args(url)
    assert "s3cret" not in " ".join(dbname) and env["PGPASSWORD"] == "s3cret"
    assert daiban.ops.backup._schemas(url) == ["t_1"]
    with pytest.raises(BackupError, match="只能备份 SQLite 或 PostgreSQL"):
        backup_database("mysql://x/y", Path("unused"))


@pytest.mark.skipif(not PG_URL, reason="set DAIBAN_TEST_PG_URL to run on PostgreSQL")
def test_a_whole_postgresql_database_restores_into_a_new_one(tmp_path):
    import psycopg2

    names = [f"daiban_bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    base = PG_URL.rsplit("/", 1)[0]
    try:
        for name in names:
            admin.cursor().execute(f"CREATE DATABASE {name}")
        source, target = (f"{base}/{name}" for name in names)
        db = open_database(source)
        upgrade_database(db)
        db.execute_sql("CREATE TABLE restore_probe (name TEXT)")
        db.execute_sql("INSERT INTO restore_probe VALUES ('测试嘎查')")
        db.close()
        dump = tmp_path / "daiban.pgdump"
        code, output = run("--database", source, "backup", str(dump))
        assert code == 0 and "备份文件可读" in output, output
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600
        code, output = run("--database", target, "restore", str(dump))  # empty: no --yes needed
        assert code == 0 and "各表均已恢复" in output, output
        assert "daiban db upgrade" not in output
        code, output = run("--database", target, "restore", str(dump))
        assert code == 1 and "--yes" in output
        assert run("--database", target, "restore", str(dump), "--yes")[0] == 0
        restored = open_database(target)
        assert restored.execute_sql("SELECT name FROM restore_probe").fetchall() == [("测试嘎查",)]
        restored.close()
    finally:
        for name in names:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
