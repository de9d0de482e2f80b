"""A case's materials checklist, scans of its materials, the commission, and their history."""

import datetime

import peewee as pw
from peewee_migrate import Migrator

# Columns fixed when a checklist row is made from the one-time notice.
MATERIAL_FIXED = ["case_id", "material_id", "name", "position", "notice_status", "optional",
                  "verified_by_department", "exempt_with_electronic_licence", "originals_required",
                  "copies_required", "options", "deferrable_amount", "deferrable_unit",
                  "deferrable_label", "created_at"]
UPLOAD_GUARDED = ["case_id", "case_material_id", "filename", "content_type", "declared_type", "size",
                  "sha256", "stored_path", "uploaded_by_id", "uploaded_at"]
MATERIAL_EVENT_GUARDED = ["case_id", "case_material_id", "at", "day", "actor_id", "role", "action",
                          "from_status", "to_status", "originals", "copies", "received_as",
                          "promised_on", "upload_id", "note"]
# What the citizen signs is what was drafted.
COMMISSION_CONTENT = ["case_id", "kind", "previous_id", "citizen_name", "citizen_id_masked", "agent_id",
                      "agent_name", "center_name", "matter_code", "matter_version", "matter_name",
                      "scope", "prohibitions", "valid_days", "reason", "drafted_on", "drafted_by_id",
                      "created_at"]
COMMISSION_SIGNING = ["valid_from", "valid_until", "signed_on", "recorded_by_id"]


def commission_statements(database) -> list[str]:
    """Triggers: the signing columns never change once signed; a terminated or void commission
    never changes at all."""
    signing = ", ".join(COMMISSION_SIGNING)
    if isinstance(database, pw.PostgresqlDatabase):
        return [
            "CREATE OR REPLACE FUNCTION commission_refuse_after_signing() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'a signed commission keeps its dates'; END; $$ LANGUAGE plpgsql",
            "DROP TRIGGER IF EXISTS commission_signed_fixed ON commission",
            "DROP TRIGGER IF EXISTS commission_ended_fixed ON commission",
            f"CREATE TRIGGER commission_signed_fixed BEFORE UPDATE OF {signing} ON commission "
            "FOR EACH ROW WHEN (OLD.signed_on IS NOT NULL) "
            "EXECUTE FUNCTION commission_refuse_after_signing()",
            "CREATE TRIGGER commission_ended_fixed BEFORE UPDATE ON commission FOR EACH ROW "
            "WHEN (OLD.status IN ('terminated', 'void')) EXECUTE FUNCTION commission_refuse_after_signing()",
        ]
    return [
        "DROP TRIGGER IF EXISTS commission_signed_fixed",
        "DROP TRIGGER IF EXISTS commission_ended_fixed",
        f"CREATE TRIGGER commission_signed_fixed BEFORE UPDATE OF {signing} ON commission "
        "WHEN OLD.signed_on IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'a signed commission keeps its dates'); END",
        "CREATE TRIGGER commission_ended_fixed BEFORE UPDATE ON commission "
        "WHEN OLD.status IN ('terminated', 'void') "
        "BEGIN SELECT RAISE(ABORT, 'an ended commission does not change'); END",
    ]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create case_material, case_upload, case_material_event and commission, with their triggers."""

    class User(pw.Model):
        class Meta:
            table_name = "app_user"

    class Case(pw.Model):
        class Meta:
            table_name = "case_file"

    @migrator.create_model
    class CaseMaterial(pw.Model):
        case = pw.ForeignKeyField(Case, backref="materials", on_delete="RESTRICT")
        material_id = pw.CharField(max_length=64)
        name = pw.CharField(max_length=200)
        position = pw.IntegerField(default=0)
        notice_status = pw.CharField(max_length=16)
        optional = pw.BooleanField(default=False)
        verified_by_department = pw.BooleanField(default=False)
        exempt_with_electronic_licence = pw.BooleanField(default=False)
        originals_required = pw.IntegerField(default=0)
        copies_required = pw.IntegerField(default=0)
        options = pw.TextField(default="[]")
        deferrable_amount = pw.IntegerField(null=True)
        deferrable_unit = pw.CharField(max_length=16, null=True)
        deferrable_label = pw.CharField(max_length=100, null=True)
        status = pw.CharField(max_length=16, index=True)
        originals_received = pw.IntegerField(default=0)
        copies_received = pw.IntegerField(default=0)
        received_as = pw.CharField(max_length=64, null=True)
        received_as_name = pw.CharField(max_length=200, null=True)
        via_electronic_licence = pw.BooleanField(default=False)
        received_on = pw.DateField(null=True)
        deferred_on = pw.DateField(null=True)
        promised_on = pw.DateField(null=True, index=True)
        promised_provisional = pw.BooleanField(default=False)
        supplied_on = pw.DateField(null=True)
        note = pw.TextField(default="")
        lock_version = pw.IntegerField(default=0)
        created_at = pw.DateTimeField(default=datetime.datetime.now)
        updated_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "case_material"
            indexes = ((("case", "material_id"), True),)

    @migrator.create_model
    class CaseUpload(pw.Model):
        case = pw.ForeignKeyField(Case, backref="uploads", on_delete="RESTRICT")
        case_material = pw.ForeignKeyField(CaseMaterial, backref="uploads", on_delete="RESTRICT")
        filename = pw.CharField(max_length=200)
        content_type = pw.CharField(max_length=64)
        declared_type = pw.CharField(max_length=100, default="")
        size = pw.IntegerField()
        sha256 = pw.CharField(max_length=64, index=True)
        stored_path = pw.CharField(max_length=500)
        uploaded_by = pw.ForeignKeyField(User, backref="uploads", on_delete="RESTRICT")
        uploaded_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "case_upload"
            indexes = ((("case_material", "sha256"), True),)

    @migrator.create_model
    class CaseMaterialEvent(pw.Model):
        case = pw.ForeignKeyField(Case, backref="material_events", on_delete="RESTRICT")
        case_material = pw.ForeignKeyField(CaseMaterial, null=True, backref="events", on_delete="RESTRICT")
        at = pw.DateTimeField(default=datetime.datetime.now, index=True)
        day = pw.DateField()
        actor = pw.ForeignKeyField(User, backref="material_events", on_delete="RESTRICT")
        role = pw.CharField(max_length=64, default="")
        action = pw.CharField(max_length=32)
        from_status = pw.CharField(max_length=16, null=True)
        to_status = pw.CharField(max_length=16, null=True)
        originals = pw.IntegerField(default=0)
        copies = pw.IntegerField(default=0)
        received_as = pw.CharField(max_length=64, null=True)
        promised_on = pw.DateField(null=True)
        upload = pw.ForeignKeyField(CaseUpload, null=True, backref="events", on_delete="RESTRICT")
        note = pw.TextField(default="")

        class Meta:
            table_name = "case_material_event"

    @migrator.create_model
    class Commission(pw.Model):
        case = pw.ForeignKeyField(Case, backref="commissions", on_delete="RESTRICT")
        kind = pw.CharField(max_length=16)
        previous = pw.ForeignKeyField("self", null=True, backref="followers", on_delete="RESTRICT")
        status = pw.CharField(max_length=16, index=True)
        citizen_name = pw.CharField(max_length=100)
        citizen_id_masked = pw.CharField(max_length=40, default="")
        agent = pw.ForeignKeyField(User, backref="commissions", on_delete="RESTRICT")
        agent_name = pw.CharField(max_length=64)
        center_name = pw.CharField(max_length=100, default="")
        matter_code = pw.CharField(max_length=40)
        matter_version = pw.IntegerField()
        matter_name = pw.CharField(max_length=200)
        scope = pw.TextField(default="")
        prohibitions = pw.TextField(default="[]")
        valid_days = pw.IntegerField(default=0)
        reason = pw.TextField(default="")
        drafted_on = pw.DateField()
        drafted_by = pw.ForeignKeyField(User, backref="drafted_commissions", on_delete="RESTRICT")
        valid_from = pw.DateField(null=True)
        valid_until = pw.DateField(null=True, index=True)
        signed_on = pw.DateField(null=True)
        recorded_by = pw.ForeignKeyField(User, null=True, backref="recorded_commissions",
                                         on_delete="RESTRICT")
        terminated_on = pw.DateField(null=True)
        lock_version = pw.IntegerField(default=0)
        created_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "commission"
            indexes = ((("case", "kind", "status"), False),)

    from daiban.immutability import guard_statements

    for table, columns in (("case_material", MATERIAL_FIXED), ("case_upload", UPLOAD_GUARDED),
                           ("case_material_event", MATERIAL_EVENT_GUARDED),
                           ("commission", COMMISSION_CONTENT)):
        for statement in guard_statements(database, table, columns):
            migrator.sql(statement)
    for statement in commission_statements(database):
        migrator.sql(statement)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the tables (events first: they point at the others)."""
    migrator.remove_model("case_material_event")
    migrator.remove_model("case_upload")
    migrator.remove_model("commission")
    migrator.remove_model("case_material")
