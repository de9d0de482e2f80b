"""Persistent records. Published matter versions are immutable: the database refuses changes too."""

from __future__ import annotations

import datetime
import json

import peewee

from daiban.db import database


class ImmutableRecordError(RuntimeError):
    """An attempt to change or delete a record that history depends on."""


class BaseModel(peewee.Model):
    """Base of every model: bound to the database proxy."""

    class Meta:
        database = database


class Matter(BaseModel):
    """A matter's identity across its versions (事项)."""

    code = peewee.CharField(max_length=40, unique=True)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "matter"


class MatterVersion(BaseModel):
    """One published version of a matter: content, hash, who and when, effective dates."""

    matter = peewee.ForeignKeyField(Matter, backref="versions", on_delete="RESTRICT")
    code = peewee.CharField(max_length=40, index=True)
    version = peewee.IntegerField()
    status = peewee.CharField(max_length=16)
    name = peewee.CharField(max_length=200)
    everyday_name = peewee.CharField(max_length=200, null=True)
    domain = peewee.CharField(max_length=64, index=True)
    levels = peewee.CharField(max_length=64)
    responsible_unit = peewee.CharField(max_length=64)
    effective_from = peewee.DateField(index=True)
    effective_until = peewee.DateField(null=True)
    content = peewee.TextField()
    content_hash = peewee.CharField(max_length=64)
    source_path = peewee.CharField(max_length=255, null=True)
    published_at = peewee.DateTimeField(default=datetime.datetime.now)
    published_by = peewee.CharField(max_length=64)
    search_initials = peewee.CharField(max_length=255, default="", index=True)
    search_pinyin = peewee.TextField(default="")

    class Meta:
        table_name = "matter_version"
        indexes = ((("code", "version"), True),)

    @property
    def document(self) -> dict:
        """The matter document as its author wrote it."""
        return json.loads(self.content)

    @property
    def level_list(self) -> list[str]:
        """Levels at which the version is accepted."""
        return self.levels.split(",") if self.levels else []

    def save(self, *args, **kwargs):
        """Insert a new version; refuse to rewrite a published one."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError("已发布的事项版本不能修改；请发布新版本")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refuse: published versions are history."""
        raise ImmutableRecordError("已发布的事项版本不能删除；撤销事项请发布状态为 withdrawn 的新版本")


MODELS = (Matter, MatterVersion)
