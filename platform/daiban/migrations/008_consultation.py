"""Consultations: visits that ended without a case."""

import datetime

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create consultation."""

    class User(pw.Model):
        class Meta:
            table_name = "app_user"

    class ServiceCenter(pw.Model):
        class Meta:
            table_name = "service_center"

    @migrator.create_model
    class Consultation(pw.Model):
        at = pw.DateTimeField(default=datetime.datetime.now, index=True)
        agent = pw.ForeignKeyField(User, backref="consultations", on_delete="RESTRICT")
        center = pw.ForeignKeyField(ServiceCenter, null=True, backref="consultations", on_delete="RESTRICT")
        matter_code = pw.CharField(max_length=40, null=True, index=True)
        channel = pw.CharField(max_length=16, default="window")
        note = pw.TextField(default="")

        class Meta:
            table_name = "consultation"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop consultation."""
    migrator.remove_model("consultation")
