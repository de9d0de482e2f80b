"""Pinyin search columns on matter versions, filled for rows that already exist."""

import peewee as pw
from peewee_migrate import Migrator

GUARDED = [
    "code", "version", "status", "name", "domain", "levels", "responsible_unit",
    "effective_from", "effective_until", "content", "content_hash", "published_at",
    "published_by",
]


def _fill(database):
    # Imported here so that replaying this migration (fake mode) needs no pypinyin work.
    from daiban.search import search_keys

    cursor = database.execute_sql("SELECT id, name, everyday_name FROM matter_version")
    for row_id, name, everyday_name in list(cursor.fetchall()):
        initials, full = search_keys([name, everyday_name])
        database.execute_sql(
            "UPDATE matter_version SET search_initials = %s, search_pinyin = %s WHERE id = %s"
            % ((database.param,) * 3),
            (initials, full, row_id),
        )


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add search_initials and search_pinyin, and fill them from the names."""
    migrator.add_fields(
        "matter_version",
        search_initials=pw.CharField(max_length=255, default="", index=True),
        search_pinyin=pw.TextField(default=""),
    )
    if not fake:
        migrator.run(_fill, database)
    # SQLite rebuilt the table for the NOT NULL columns, dropping its triggers: restore them.
    from daiban.immutability import guard_statements

    for statement in guard_statements(database, "matter_version", GUARDED):
        migrator.sql(statement)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the search columns."""
    migrator.remove_fields("matter_version", "search_initials", "search_pinyin")
