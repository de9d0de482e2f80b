"""The agent's own ID number (sealed), so a proxy case names its 委托代理人 without retyping."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add agent.id_number (a plain ADD COLUMN: SQLite keeps the table and its triggers)."""
    database.execute_sql("ALTER TABLE agent ADD COLUMN id_number VARCHAR(255)")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop agent.id_number."""
    database.execute_sql("ALTER TABLE agent DROP COLUMN id_number")
