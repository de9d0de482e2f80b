"""Relay legs (接力办): a case handed to a higher center or to departments, in parallel."""

import datetime

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create handoff."""

    class Case(pw.Model):
        class Meta:
            table_name = "case_file"

    class ServiceCenter(pw.Model):
        class Meta:
            table_name = "service_center"

    class Department(pw.Model):
        class Meta:
            table_name = "department"

    @migrator.create_model
    class Handoff(pw.Model):
        case = pw.ForeignKeyField(Case, backref="handoffs", on_delete="RESTRICT")
        group = pw.IntegerField(default=1)
        from_center = pw.ForeignKeyField(ServiceCenter, null=True, backref="handoffs_out",
                                         on_delete="RESTRICT")
        to_center = pw.ForeignKeyField(ServiceCenter, null=True, backref="handoffs_in", on_delete="RESTRICT")
        to_department = pw.ForeignKeyField(Department, null=True, backref="handoffs_in", on_delete="RESTRICT")
        status = pw.CharField(max_length=16, default="sent", index=True)
        sent_by = pw.CharField(max_length=64)
        sent_at = pw.DateTimeField(default=datetime.datetime.now)
        received_by = pw.CharField(max_length=64, null=True)
        received_at = pw.DateTimeField(null=True)
        result_decision = pw.CharField(max_length=16, null=True)
        result_number = pw.CharField(max_length=100, null=True)
        note = pw.TextField(default="")

        class Meta:
            table_name = "handoff"
            indexes = ((("to_center", "status"), False), (("to_department", "status"), False))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop handoff."""
    migrator.remove_model("handoff")
