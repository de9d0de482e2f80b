"""Bulk writes for the bench fill: rows gathered per table, written in batches, ids given.

The services insert one row per statement in its own transaction; millions of rows need batches:
`executemany` on SQLite, `COPY … FROM STDIN` on PostgreSQL. Rows are tuples in the order of the
columns a table was declared with; ids are given by the fill, so on PostgreSQL the id sequences
must be moved past them afterwards (`set_sequences`).
"""

from __future__ import annotations

import datetime
import io
import sqlite3
from collections.abc import Sequence
from contextlib import contextmanager

import peewee

from daiban.db import is_postgres


def column_names(model, fields: Sequence[str]) -> list[str]:
    """The database column of each field name (a foreign key `case` is the column `case_id`)."""
    return [model._meta.fields[name].column_name for name in fields]


# Dates stored as peewee stores them, so rows read back exactly as the services' rows do (these are
# Python 3.11's default adapters, which later versions deprecate); booleans are integers already.
sqlite3.register_adapter(datetime.date, datetime.date.isoformat)
sqlite3.register_adapter(datetime.datetime, lambda value: value.isoformat(sep=" "))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


class Table:
    """Rows waiting to be written to one table, in the order of `fields`."""

    def __init__(self, model, fields: Sequence[str]):
        self.model = model
        self.name = model._meta.table_name
        self.columns = column_names(model, fields)
        self.rows: list[tuple] = []
        self.written = 0

    def append(self, row: tuple) -> None:
        """Queue one row (values in the order of the declared fields)."""
        self.rows.append(row)


class BulkWriter:
    """Tables written together, in the order they were declared (parents before children)."""

    def __init__(self, db: peewee.Database):
        self.db = db
        self.postgres = is_postgres(db)
        self.tables: list[Table] = []

    def table(self, model, fields: Sequence[str]) -> Table:
        """Declare a table and the fields each of its rows gives."""
        table = Table(model, fields)
        self.tables.append(table)
        return table

    def pending(self) -> int:
        """Rows queued and not yet written."""
        return sum(len(t.rows) for t in self.tables)

    def flush(self) -> None:
        """Write every queued row in one transaction."""
        with self.db.atomic():
            for table in self.tables:
                if table.rows:
                    self._write(table)
                    table.written += len(table.rows)
                    table.rows = []

    def _write(self, table: Table) -> None:
        quoted = ", ".join(f'"{c}"' for c in table.columns)
        if self.postgres:
            text = "".join("\t".join(map(_copy_value, row)) + "\n" for row in table.rows)
            cursor = self.db.cursor()
            cursor.copy_expert(f'COPY "{table.name}" ({quoted}) FROM STDIN', io.StringIO(text))
            return
        marks = ", ".join("?" * len(table.columns))
        self.db.cursor().executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', table.rows)


@contextmanager
def indexes_dropped(db: peewee.Database, tables: Sequence[str]):
    """Drop the secondary indexes of `tables` and make them again afterwards: building an index
    from a full table sorts once, where inserting into it costs a random write per row."""
    if is_postgres(db):
        found = db.execute_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            (list(tables),)).fetchall()
    else:
        marks = ", ".join("?" * len(tables))
        found = db.execute_sql(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                               f"AND sql IS NOT NULL AND tbl_name IN ({marks})", tuple(tables)).fetchall()
    for name, _ in found:
        db.execute_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in found:
        db.execute_sql(sql)


def set_sequences(db: peewee.Database) -> list[tuple[str, int]]:
    """On PostgreSQL, move every table's id sequence past its largest id (rows were inserted with
    their ids given, which leaves a sequence where it was); returns (table, next id) pairs."""
    if not is_postgres(db):
        return []
    rows = db.execute_sql(
        "SELECT c.table_name, pg_get_serial_sequence(quote_ident(c.table_name), 'id') "
        "FROM information_schema.columns c WHERE c.table_schema = current_schema() "
        "AND c.column_name = 'id' AND position('nextval(' in c.column_default) = 1").fetchall()
    moved = []
    for table, sequence in rows:
        if sequence is None:
            continue
        (largest,) = db.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()
        # is_called=false with 1 on an empty table: its first id stays 1.
        db.execute_sql("SELECT setval(%s, %s, %s)", (sequence, largest or 1, largest is not None))
        moved.append((table, (largest or 0) + 1))
    return sorted(moved)
