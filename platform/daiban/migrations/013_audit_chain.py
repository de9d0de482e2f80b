"""The audit chain: outcome, prev_hash and row_hash on audit_log, existing rows chained, and
triggers that refuse any DELETE, any UPDATE of content, and any UPDATE of a sealed row's hashes."""

import peewee as pw
from peewee_migrate import Migrator

CONTENT = ["at", "actor", "roles", "ip", "action", "object_type", "object_id", "summary",
           "before", "after", "outcome", "id"]


def _chain(database):
    from daiban import audit
    from daiban.security import audit_chain

    key = audit._audit_key()
    prev = audit_chain.GENESIS
    cursor = database.execute_sql(
        "SELECT id, at, actor, roles, ip, action, object_type, object_id, summary, before, after,"
        " outcome FROM audit_log WHERE row_hash IS NULL ORDER BY id")
    names = [c[0] for c in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        digest = audit_chain.row_hash(key, prev, row)
        database.execute_sql(
            "UPDATE audit_log SET prev_hash = %s, row_hash = %s WHERE id = %s"
            .replace("%s", database.param), (prev, digest, row["id"]))
        prev = digest


def _triggers(database) -> list[str]:
    cols = ", ".join(CONTENT)
    if isinstance(database, pw.PostgresqlDatabase):
        return [
            "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_no_reseal ON audit_log",
            "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log rows are immutable'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF {cols} ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
            "CREATE TRIGGER audit_log_no_reseal BEFORE UPDATE OF prev_hash, row_hash ON audit_log "
            "FOR EACH ROW WHEN (OLD.row_hash IS NOT NULL) EXECUTE FUNCTION audit_log_refuse_change()",
            "CREATE OR REPLACE FUNCTION audit_log_refuse_truncate() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log rows are immutable'; END; $$ LANGUAGE plpgsql",
            "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_truncate()",
        ]
    message = "SELECT RAISE(ABORT, 'audit_log rows are immutable')"
    return [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
        "DROP TRIGGER IF EXISTS audit_log_no_reseal",
        f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF {cols} ON audit_log BEGIN {message}; END",
        f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN {message}; END",
        "CREATE TRIGGER audit_log_no_reseal BEFORE UPDATE OF prev_hash, row_hash ON audit_log "
        f"WHEN OLD.row_hash IS NOT NULL BEGIN {message}; END",
    ]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the chain columns (plain ADD COLUMN: no table rebuild), chain old rows, guard."""
    migrator.sql("ALTER TABLE audit_log ADD COLUMN outcome VARCHAR(16) NOT NULL DEFAULT 'success'")
    migrator.sql("ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR(64)")
    migrator.sql("ALTER TABLE audit_log ADD COLUMN row_hash VARCHAR(64)")
    if not fake:
        migrator.run(_chain, database)
    for statement in _triggers(database):
        migrator.sql(statement)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Not supported: the chain is history."""
    raise RuntimeError("013_audit_chain cannot be rolled back")
