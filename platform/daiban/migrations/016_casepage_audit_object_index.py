"""An index on the audit trail's object, so a case page reads the audit rows of its own steps
(办理记录: the time of a signature, a relay leg's finish, a rectification step) without a scan."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Index audit rows by object type and id."""
    migrator.add_index("audit_log", "object_type", "object_id")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the index."""
    migrator.drop_index("audit_log", "object_type", "object_id")
