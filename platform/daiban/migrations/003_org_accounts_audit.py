"""Organisation, accounts, agents and the audit trail."""

import datetime

import peewee as pw
from peewee_migrate import Migrator

AUDIT_GUARDED = ["at", "actor", "roles", "ip", "action", "object_type", "object_id", "summary",
                 "before", "after"]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create org_unit, service_center, department, app_user, agent and audit_log."""

    @migrator.create_model
    class OrgUnit(pw.Model):
        code = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=100)
        level = pw.CharField(max_length=16, index=True)
        kind = pw.CharField(max_length=16)
        parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
        active = pw.BooleanField(default=True, index=True)

        class Meta:
            table_name = "org_unit"

    @migrator.create_model
    class ServiceCenter(pw.Model):
        code = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=100)
        level = pw.CharField(max_length=16, index=True)
        unit = pw.ForeignKeyField(OrgUnit, backref="centers", on_delete="RESTRICT")
        address = pw.CharField(max_length=200, null=True)
        phone = pw.CharField(max_length=30, null=True)
        hours = pw.CharField(max_length=100, null=True)
        active = pw.BooleanField(default=True, index=True)

        class Meta:
            table_name = "service_center"

    @migrator.create_model
    class Department(pw.Model):
        code = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=100)
        short_name = pw.CharField(max_length=50, null=True)
        in_hall = pw.BooleanField(default=True)
        phone = pw.CharField(max_length=30, null=True)
        address = pw.CharField(max_length=200, null=True)
        active = pw.BooleanField(default=True, index=True)

        class Meta:
            table_name = "department"

    @migrator.create_model
    class User(pw.Model):
        username = pw.CharField(max_length=64, unique=True)
        display_name = pw.CharField(max_length=64)
        password_hash = pw.CharField(max_length=255)
        center = pw.ForeignKeyField(ServiceCenter, null=True, backref="users", on_delete="RESTRICT")
        department = pw.ForeignKeyField(Department, null=True, backref="users", on_delete="RESTRICT")
        roles = pw.CharField(max_length=255)
        active = pw.BooleanField(default=True, index=True)
        failed_logins = pw.IntegerField(default=0)
        locked_until = pw.DateTimeField(null=True)
        last_login_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "app_user"

    @migrator.create_model
    class Agent(pw.Model):
        name = pw.CharField(max_length=64)
        center = pw.ForeignKeyField(ServiceCenter, null=True, backref="agents", on_delete="RESTRICT")
        department = pw.ForeignKeyField(Department, null=True, backref="agents", on_delete="RESTRICT")
        phone = pw.CharField(max_length=30, null=True)
        status = pw.CharField(max_length=16, default="active", index=True)
        duties = pw.TextField(default="")
        user = pw.ForeignKeyField(User, null=True, backref="agent_profiles", on_delete="RESTRICT")
        created_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "agent"

    @migrator.create_model
    class AuditLog(pw.Model):
        at = pw.DateTimeField(default=datetime.datetime.now, index=True)
        actor = pw.CharField(max_length=64, index=True)
        roles = pw.CharField(max_length=255, default="")
        ip = pw.CharField(max_length=64, default="")
        action = pw.CharField(max_length=32, index=True)
        object_type = pw.CharField(max_length=64, default="", index=True)
        object_id = pw.CharField(max_length=64, default="")
        summary = pw.CharField(max_length=255, default="")
        before = pw.TextField(null=True)
        after = pw.TextField(null=True)

        class Meta:
            table_name = "audit_log"

    from daiban.immutability import guard_statements

    for statement in guard_statements(database, "audit_log", AUDIT_GUARDED):
        migrator.sql(statement)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the tables."""
    for table in ("audit_log", "agent", "app_user", "department", "service_center", "org_unit"):
        migrator.remove_model(table)
