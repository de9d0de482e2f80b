"""Indexes behind the admin lists' sorts and searches, so they stay fast with many rows."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Index agent names, user display names, and agents by center and status (agent counts)."""
    migrator.add_index("agent", "name")
    migrator.add_index("agent", "center", "status")
    migrator.add_index("app_user", "display_name")
    migrator.add_index("service_center", "name")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the indexes."""
    migrator.drop_index("agent", "name")
    migrator.drop_index("agent", "center", "status")
    migrator.drop_index("app_user", "display_name")
    migrator.drop_index("service_center", "name")
