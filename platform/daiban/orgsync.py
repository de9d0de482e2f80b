"""Bring the organisation from `config/org/` into the database (create or update, never delete)."""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from daiban.catalog.org import Organisation
from daiban.db import database
from daiban.models import Department, OrgUnit, ServiceCenter


@dataclass
class SyncReport:
    """How many records were created and updated."""

    created: int = 0
    updated: int = 0


def _current(record, key):
    field = record._meta.fields[key]
    if isinstance(field, peewee.ForeignKeyField):
        return getattr(record, field.column_name)  # the raw id, without a query
    return getattr(record, key)


def _wanted(value):
    return value.id if isinstance(value, peewee.Model) else value


def _upsert(model, code: str, values: dict, report: SyncReport):
    record = model.get_or_none(model.code == code)
    if record is None:
        report.created += 1
        return model.create(code=code, **values)
    changed = {k: v for k, v in values.items() if _current(record, k) != _wanted(v)}
    if changed:
        report.updated += 1
        model.update(**changed).where(model.id == record.id).execute()
    return model.get_by_id(record.id)


def sync_organisation(org: Organisation) -> SyncReport:
    """Create or update org units, service centers and departments from the config."""
    report = SyncReport()
    with database.atomic():
        records: dict[str, OrgUnit] = {}
        # Parents first: banner, then townships, then villages.
        for level in ("banner", "township", "village"):
            for unit in org.units.values():
                if unit.level != level:
                    continue
                parent = records.get(unit.parent) if unit.parent else None
                records[unit.id] = _upsert(OrgUnit, unit.id, {
                    "name": unit.name, "level": unit.level, "kind": unit.kind, "parent": parent,
                }, report)
        for center in org.service_centers.values():
            _upsert(ServiceCenter, center.id, {
                "name": center.name, "level": center.level, "unit": records[center.unit],
                "address": center.address, "phone": center.phone, "hours": center.hours,
            }, report)
        for dept in org.departments.values():
            _upsert(Department, dept.id, {
                "name": dept.name, "short_name": dept.short_name, "in_hall": dept.in_hall,
                "phone": dept.phone, "address": dept.address,
            }, report)
    return report
