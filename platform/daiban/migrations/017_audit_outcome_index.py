"""An index on the audit trail's outcome, so the audit log screen filters 失败/拒绝 without a scan."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Index audit rows by outcome (raw SQL: migration 013 added the column outside the migrator)."""
    database.execute_sql('CREATE INDEX IF NOT EXISTS "audit_log_outcome" ON "audit_log" ("outcome")')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the index."""
    database.execute_sql('DROP INDEX IF EXISTS "audit_log_outcome"')
