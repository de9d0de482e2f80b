"""Cases (办件) and their immutable event log."""

import datetime

import peewee as pw
from peewee_migrate import Migrator

EVENT_GUARDED = ["case_id", "at", "day", "actor_id", "role", "transition", "from_status",
                 "to_status", "note", "due_on", "lock_version"]
# Columns of a case that never change once it is opened: its first agent (首问负责) answers for
# it to the end. The database refuses an UPDATE naming them, and any DELETE (cases are terminated).
CASE_FIXED = ["first_agent_id", "matter_code", "matter_version", "accepted_on", "created_at"]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create case_file and case_event, with triggers guarding history."""

    class User(pw.Model):
        class Meta:
            table_name = "app_user"

    class ServiceCenter(pw.Model):
        class Meta:
            table_name = "service_center"

    @migrator.create_model
    class Case(pw.Model):
        number = pw.CharField(max_length=40, unique=True)
        matter_code = pw.CharField(max_length=40, index=True)
        matter_version = pw.IntegerField()
        mode = pw.CharField(max_length=8)
        channel = pw.CharField(max_length=16)
        status = pw.CharField(max_length=32, index=True)
        first_agent = pw.ForeignKeyField(User, backref="first_cases", on_delete="RESTRICT")
        center = pw.ForeignKeyField(ServiceCenter, backref="cases", on_delete="RESTRICT")
        applicant_name = pw.CharField(max_length=100, default="", index=True)
        applicant_id_number_sealed = pw.CharField(max_length=255, null=True)
        applicant_phone_sealed = pw.CharField(max_length=255, null=True)
        values = pw.TextField(column_name="form_values", default="{}")
        accepted_on = pw.DateField()
        due_on = pw.DateField(null=True, index=True)
        due_provisional = pw.BooleanField(default=False)
        clock_stopped_on = pw.DateField(null=True)
        stopped_working_days = pw.IntegerField(default=0)
        result_on = pw.DateField(null=True)
        closed_on = pw.DateField(null=True)
        lock_version = pw.IntegerField(default=0)
        created_at = pw.DateTimeField(default=datetime.datetime.now)
        updated_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "case_file"
            indexes = ((("center", "status"), False), (("first_agent", "status"), False))

    @migrator.create_model
    class CaseEvent(pw.Model):
        case = pw.ForeignKeyField(Case, backref="events", on_delete="RESTRICT")
        at = pw.DateTimeField(default=datetime.datetime.now, index=True)
        day = pw.DateField()
        actor = pw.ForeignKeyField(User, backref="case_events", on_delete="RESTRICT")
        role = pw.CharField(max_length=64)
        transition = pw.CharField(max_length=64)
        from_status = pw.CharField(max_length=32, null=True)
        to_status = pw.CharField(max_length=32)
        note = pw.TextField(default="")
        due_on = pw.DateField(null=True)
        lock_version = pw.IntegerField()

        class Meta:
            table_name = "case_event"

    from daiban.immutability import guard_statements

    for statement in guard_statements(database, "case_event", EVENT_GUARDED):
        migrator.sql(statement)
    for statement in guard_statements(database, "case_file", CASE_FIXED):
        migrator.sql(statement)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the case tables."""
    migrator.remove_model("case_event")
    migrator.remove_model("case_file")
