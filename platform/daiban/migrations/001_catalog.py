"""Matters and their immutable published versions."""

import datetime

import peewee as pw
from peewee_migrate import Migrator

GUARDED = [
    "code", "version", "status", "name", "domain", "levels", "responsible_unit",
    "effective_from", "effective_until", "content", "content_hash", "published_at",
    "published_by",
]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create matter and matter_version, and triggers that keep published versions unchanged."""

    @migrator.create_model
    class Matter(pw.Model):
        code = pw.CharField(max_length=40, unique=True)
        created_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "matter"

    @migrator.create_model
    class MatterVersion(pw.Model):
        matter = pw.ForeignKeyField(Matter, backref="versions", on_delete="RESTRICT")
        code = pw.CharField(max_length=40, index=True)
        version = pw.IntegerField()
        status = pw.CharField(max_length=16)
        name = pw.CharField(max_length=200)
        everyday_name = pw.CharField(max_length=200, null=True)
        domain = pw.CharField(max_length=64, index=True)
        levels = pw.CharField(max_length=64)
        responsible_unit = pw.CharField(max_length=64)
        effective_from = pw.DateField(index=True)
        effective_until = pw.DateField(null=True)
        content = pw.TextField()
        content_hash = pw.CharField(max_length=64)
        source_path = pw.CharField(max_length=255, null=True)
        published_at = pw.DateTimeField(default=datetime.datetime.now)
        published_by = pw.CharField(max_length=64)

        class Meta:
            table_name = "matter_version"
            indexes = ((("code", "version"), True),)

    from daiban.immutability import guard_statements

    for statement in guard_statements(database, "matter_version", GUARDED):
        migrator.sql(statement)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the catalog tables."""
    migrator.remove_model("matter_version")
    migrator.remove_model("matter")
