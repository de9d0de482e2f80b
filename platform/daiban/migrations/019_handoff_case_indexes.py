"""Indexes that hold a relay leg's case beside where it went, so the data scope's "cases relayed to
us" (`access.scope_filter`) is read from the index alone: a township's centers receive every leg
their villages send up, a department every leg sent to it, and without the case id in the index
each of those legs was a row to fetch (on a million cases, hundreds of milliseconds per screen)."""

import peewee as pw
from peewee_migrate import Migrator

INDEXES = {
    "handoff_to_center_id_case_id": ("to_center_id", "case_id"),
    "handoff_to_department_id_case_id": ("to_department_id", "case_id"),
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Index relay legs by target and case (IF NOT EXISTS: a benchmark fill may have made them)."""
    for name, columns in INDEXES.items():
        quoted = ", ".join(f'"{c}"' for c in columns)
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "handoff" ({quoted})')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the indexes."""
    for name in INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
