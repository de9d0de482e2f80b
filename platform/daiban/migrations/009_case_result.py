"""The department's decision and certificate number on a case."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add result_decision and result_number to case_file."""
    migrator.add_fields(
        "case_file",
        result_decision=pw.CharField(max_length=16, null=True),
        result_number=pw.CharField(max_length=100, null=True),
    )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the result columns."""
    migrator.remove_fields("case_file", "result_decision", "result_number")
