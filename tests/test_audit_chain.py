"""The audit trail is hash-chained and append-only; `daiban audit verify` finds tampering."""

from __future__ import annotations

import peewee
import pytest
from click.testing import CliRunner

from daiban import audit
from daiban.cli import main
from daiban.db import is_postgres
from daiban.models import AuditLog


def _verify(db_url):
    return CliRunner().invoke(main, ["--database", db_url, "audit", "verify"])


def _rows(n=5):
    return [audit.record("update", f"user{i}", object_type="matter", object_id=i, summary=f"改 {i}",
                         after={"n": i}) for i in range(n)]


def _drop_guards(db):
    if is_postgres(db):
        for name in ("no_update", "no_delete", "no_reseal"):
            db.execute_sql(f"DROP TRIGGER audit_log_{name} ON audit_log")
    else:
        for name in ("no_update", "no_delete", "no_reseal"):
            db.execute_sql(f"DROP TRIGGER audit_log_{name}")


def test_rows_are_sealed_and_chained(db, db_url):
    rows = _rows(3)
    assert rows[0].row_hash and len(rows[0].row_hash) == 64
    assert rows[1].prev_hash == rows[0].row_hash
    result = _verify(db_url)
    assert result.exit_code == 0, result.output
    assert "共 3 条" in result.output


def test_verify_names_an_altered_row(db, db_url):
    rows = _rows()
    _drop_guards(db)
    db.execute_sql(f"UPDATE audit_log SET summary = 'x' WHERE id = {rows[2].id}")
    result = _verify(db_url)
    assert result.exit_code == 1
    assert f"第 {rows[2].id} 条记录已被篡改" in result.output


def test_verify_names_a_deleted_row(db, db_url):
    rows = _rows()
    _drop_guards(db)
    db.execute_sql(f"DELETE FROM audit_log WHERE id = {rows[2].id}")
    result = _verify(db_url)
    assert result.exit_code == 1
    assert f"第 {rows[3].id} 条之前有记录缺失或被删除" in result.output


def test_the_app_connection_cannot_update_or_delete(db):
    row = _rows(1)[0]
    for statement in (f"UPDATE audit_log SET summary = 'x' WHERE id = {row.id}",
                      f"UPDATE audit_log SET outcome = 'failure' WHERE id = {row.id}",
                      f"UPDATE audit_log SET row_hash = NULL WHERE id = {row.id}",
                      f"DELETE FROM audit_log WHERE id = {row.id}"):
        with pytest.raises(peewee.DatabaseError, match="immutable"):
            with db.atomic():
                db.execute_sql(statement)
    assert AuditLog.get_by_id(row.id).summary == "改 0"


def test_migration_chains_existing_rows(db_url):
    from daiban.db import connect_database, upgrade_database

    connection = connect_database(db_url)
    upgrade_database(connection, until="011_supervision")
    for i in range(3):
        connection.execute_sql(
            "INSERT INTO audit_log (at, actor, roles, ip, action, object_type, object_id, summary)"
            f" VALUES ('2026-01-0{i + 1} 10:00:00.123456', 'old', '', '', 'login', 'user', '{i}', '')")
    upgrade_database(connection)
    audit.record("logout", "old", object_type="user", object_id="0")
    result = _verify(db_url)
    connection.close()
    assert result.exit_code == 0, result.output
    assert "共 4 条" in result.output
