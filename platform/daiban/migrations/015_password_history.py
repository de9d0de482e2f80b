"""Password history: the hashes of an account's earlier passwords, so a new one cannot repeat them."""

import datetime

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create password_history."""

    class User(pw.Model):
        class Meta:
            table_name = "app_user"

    @migrator.create_model
    class PasswordHistory(pw.Model):
        user = pw.ForeignKeyField(User, backref="password_history", on_delete="CASCADE")
        password_hash = pw.CharField(max_length=255)
        replaced_at = pw.DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "password_history"
            indexes = ((("user", "id"), False),)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop password_history."""
    migrator.remove_model("password_history")
