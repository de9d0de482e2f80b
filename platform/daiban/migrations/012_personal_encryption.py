"""Personal data at rest: blind-index columns on case_file, and every stored ID number, phone,
personal form value and agent mobile sealed with SM4-GCM (no row lost; see daiban.security)."""

import peewee as pw
from peewee_migrate import Migrator


def _encrypt(database):
    # Imported here so that replaying this migration (fake mode) needs no keys.
    from daiban.cases.personal import reseal_all

    reseal_all(database)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the blind-index columns, widen agent.phone, and seal every existing value."""
    migrator.add_fields(
        "case_file",
        applicant_id_number_index=pw.CharField(max_length=64, null=True, index=True),
        applicant_phone_index=pw.CharField(max_length=64, null=True, index=True),
    )
    from daiban.db import is_postgres

    if is_postgres(database):
        migrator.sql("ALTER TABLE agent ALTER COLUMN phone TYPE VARCHAR(255)")
    if not fake:
        migrator.run(_encrypt, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the blind-index columns (sealed values stay sealed: they need the keyring to open)."""
    for column in ("applicant_id_number_index", "applicant_phone_index"):
        migrator.sql(f"DROP INDEX IF EXISTS case_file_{column}")
    migrator.remove_fields("case_file", "applicant_id_number_index", "applicant_phone_index")
