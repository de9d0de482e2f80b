"""Revocable sessions: a per-account session version that the user loader checks."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add app_user.session_version (a plain ADD COLUMN: SQLite keeps the table and its triggers)."""
    database.execute_sql("ALTER TABLE app_user ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop app_user.session_version."""
    database.execute_sql("ALTER TABLE app_user DROP COLUMN session_version")
