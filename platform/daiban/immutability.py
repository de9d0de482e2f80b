"""SQL for triggers that make the database itself refuse to change or delete history rows.

Migrations call this (with the columns guarded at that point in time) because SQLite rebuilds
a table to add a NOT NULL column, which drops its triggers.
"""

from __future__ import annotations

import peewee


def guard_statements(database, table: str, columns: list[str]) -> list[str]:
    """Statements that (re)create the no-update and no-delete triggers of `table`."""
    cols = ", ".join(columns)
    message = f"{table} rows are immutable"
    if isinstance(database, peewee.PostgresqlDatabase):
        function = f"{table}_refuse_change"
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OF {cols} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OF {cols} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]
