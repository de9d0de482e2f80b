"""Matter drafts edited in the browser, with their review."""

import datetime

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create matter_draft."""

    @migrator.create_model
    class MatterDraft(pw.Model):
        code = pw.CharField(max_length=40, index=True)
        name = pw.CharField(max_length=200)
        responsible_unit = pw.CharField(max_length=64, default="")
        base_version = pw.IntegerField(null=True)
        status = pw.CharField(max_length=16, default="draft", index=True)
        content = pw.TextField()
        author = pw.CharField(max_length=64)
        created_at = pw.DateTimeField(default=datetime.datetime.now)
        updated_at = pw.DateTimeField(default=datetime.datetime.now)
        submitted_at = pw.DateTimeField(null=True)
        reviewer = pw.CharField(max_length=64, null=True)
        reviewed_at = pw.DateTimeField(null=True)
        review_comment = pw.TextField(null=True)
        published_version = pw.IntegerField(null=True)

        class Meta:
            table_name = "matter_draft"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop matter_draft."""
    migrator.remove_model("matter_draft")
