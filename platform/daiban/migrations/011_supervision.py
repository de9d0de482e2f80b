"""Supervision: ratings, rating links, rectifications, the notification outbox, quarterly report
submissions and center standard assessments."""

import datetime

import peewee as pw
from peewee_migrate import Migrator

RATING_GUARDED = ["case_id", "visit", "level", "efficiency", "skill", "attitude", "channel", "comment",
                  "staff_id", "center_id", "recorded_by_id", "rated_on", "rated_at", "bad"]
ASSESSMENT_GUARDED = ["center_id", "item", "met", "note", "evidence_path", "evidence_sha256",
                      "evidence_type", "assessed_on", "assessor_id", "created_at"]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the supervision tables."""

    class Case(pw.Model):
        class Meta:
            table_name = "case_file"

    class ServiceCenter(pw.Model):
        class Meta:
            table_name = "service_center"

    class User(pw.Model):
        class Meta:
            table_name = "app_user"

    @migrator.create_model
    class Rating(pw.Model):
        case = pw.ForeignKeyField(Case, backref="ratings", on_delete="RESTRICT")
        visit = pw.IntegerField(default=1)
        level = pw.IntegerField()
        efficiency = pw.IntegerField(null=True)
        skill = pw.IntegerField(null=True)
        attitude = pw.IntegerField(null=True)
        channel = pw.CharField(max_length=16)
        comment = pw.TextField(default="")
        staff = pw.ForeignKeyField(User, backref="ratings_received", on_delete="RESTRICT")
        center = pw.ForeignKeyField(ServiceCenter, backref="ratings", on_delete="RESTRICT")
        recorded_by = pw.ForeignKeyField(User, null=True, backref="ratings_recorded", on_delete="RESTRICT")
        rated_on = pw.DateField(index=True)
        rated_at = pw.DateTimeField(default=datetime.datetime.now)
        bad = pw.BooleanField(default=False, index=True)

        class Meta:
            table_name = "rating"
            indexes = ((("case", "visit"), True),)

    @migrator.create_model
    class RatingLink(pw.Model):
        case = pw.ForeignKeyField(Case, backref="rating_links", on_delete="RESTRICT")
        visit = pw.IntegerField(default=1)
        token_hash = pw.CharField(max_length=64, unique=True)
        created_by = pw.ForeignKeyField(User, backref="rating_links", on_delete="RESTRICT")
        created_at = pw.DateTimeField(default=datetime.datetime.now)
        expires_on = pw.DateField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "rating_link"

    @migrator.create_model
    class Rectification(pw.Model):
        rating = pw.ForeignKeyField(Rating, unique=True, backref="rectifications", on_delete="RESTRICT")
        case = pw.ForeignKeyField(Case, backref="rectifications", on_delete="RESTRICT")
        responsible = pw.ForeignKeyField(User, backref="rectifications", on_delete="RESTRICT")
        center = pw.ForeignKeyField(ServiceCenter, backref="rectifications", on_delete="RESTRICT")
        status = pw.CharField(max_length=16, default="open", index=True)
        opened_on = pw.DateField(index=True)
        due_on = pw.DateField(index=True)
        due_provisional = pw.BooleanField(default=False)
        call_on = pw.DateField(null=True)
        call_note = pw.TextField(default="")
        measures = pw.TextField(default="")
        reply = pw.TextField(default="")
        closed_on = pw.DateField(null=True)
        closed_by = pw.ForeignKeyField(User, null=True, backref="rectifications_closed", on_delete="RESTRICT")
        appeal_reason = pw.TextField(default="")
        appeal_decision_note = pw.TextField(default="")
        appeal_decided_by = pw.ForeignKeyField(User, null=True, backref="appeals_decided",
                                               on_delete="RESTRICT")
        appeal_decided_on = pw.DateField(null=True)
        lock_version = pw.IntegerField(default=0)

        class Meta:
            table_name = "rectification"

    @migrator.create_model
    class Notification(pw.Model):
        key = pw.CharField(max_length=160)
        kind = pw.CharField(max_length=24, index=True)
        channel = pw.CharField(max_length=8, default="in_app")
        recipient = pw.ForeignKeyField(User, backref="notifications", on_delete="RESTRICT")
        case = pw.ForeignKeyField(Case, null=True, backref="notifications", on_delete="RESTRICT")
        level = pw.IntegerField(default=0)
        title = pw.CharField(max_length=200)
        body = pw.TextField(default="")
        created_at = pw.DateTimeField(default=datetime.datetime.now, index=True)
        sent_at = pw.DateTimeField(null=True, index=True)
        read_at = pw.DateTimeField(null=True)
        attempts = pw.IntegerField(default=0)
        last_error = pw.TextField(default="")

        class Meta:
            table_name = "notification"
            indexes = ((("key", "recipient", "channel"), True), (("recipient", "read_at"), False))

    @migrator.create_model
    class ReportSubmission(pw.Model):
        unit_kind = pw.CharField(max_length=16)
        unit_code = pw.CharField(max_length=64)
        unit_name = pw.CharField(max_length=100)
        year = pw.IntegerField()
        quarter = pw.IntegerField()
        figures = pw.TextField(default="{}")
        note = pw.TextField(default="")
        submitted_by = pw.ForeignKeyField(User, backref="report_submissions", on_delete="RESTRICT")
        submitted_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "report_submission"
            indexes = ((("unit_kind", "unit_code", "year", "quarter"), True),)

    @migrator.create_model
    class CenterAssessment(pw.Model):
        center = pw.ForeignKeyField(ServiceCenter, backref="assessments", on_delete="RESTRICT")
        item = pw.CharField(max_length=16, index=True)
        met = pw.BooleanField()
        note = pw.TextField(default="")
        evidence_path = pw.CharField(max_length=255, null=True)
        evidence_sha256 = pw.CharField(max_length=64, null=True)
        evidence_type = pw.CharField(max_length=40, null=True)
        assessed_on = pw.DateField(index=True)
        assessor = pw.ForeignKeyField(User, backref="assessments", on_delete="RESTRICT")
        created_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "center_assessment"
            indexes = ((("center", "item", "assessed_on"), False),)

    # Ratings and assessments are history: the database refuses to change or delete them.
    from daiban.immutability import guard_statements

    for table, columns in (("rating", RATING_GUARDED), ("center_assessment", ASSESSMENT_GUARDED)):
        for statement in guard_statements(database, table, columns):
            migrator.sql(statement)
    # Ledgers and reports count cases by the day they were accepted and the unit that accepted them.
    migrator.sql("CREATE INDEX IF NOT EXISTS case_file_accepted_on_center "
                 "ON case_file (accepted_on, center_id)")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the supervision tables."""
    migrator.sql("DROP INDEX IF EXISTS case_file_accepted_on_center")
    for table in ("center_assessment", "report_submission", "notification", "rectification",
                  "rating_link", "rating"):
        migrator.remove_model(table)
