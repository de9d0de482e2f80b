"""Publishing: immutable versions, idempotence, refusals, and the version in force on a date."""

import datetime

import peewee
import pytest
from click.testing import CliRunner

from conftest import TODAY, matter_doc, write_matter
from daiban.catalog.loader import load_catalog
from daiban.cli import main
from daiban.models import ImmutableRecordError, MatterVersion
from daiban.publishing import (
    PublishRefused,
    catalog_in_force,
    history,
    publish_catalog,
    published_states,
    upcoming_versions,
    version_in_force,
)


def cli(db_url, *args):
    result = CliRunner().invoke(main, ["--database", db_url, *args])
    assert "Traceback" not in result.output
    return result


def publish(config_dir, actor="tester"):
    result = load_catalog(config_dir, today=TODAY, published=published_states())
    assert result.ok, [p.format() for p in result.errors]
    return publish_catalog(result.catalog, actor)


def test_publish_stores_an_immutable_version(config_dir, db):
    write_matter(config_dir)
    report = publish(config_dir, actor="张三")
    assert report.published == [("TEST-0001", 1)]
    (row,) = history("TEST-0001")
    assert (row.version, row.status, row.published_by) == (1, "active", "张三")
    assert row.document["name"] == "高龄津贴申领"
    assert row.search_initials.split()[:2] == ["gljtsl", "gljt"]
    assert len(row.content_hash) == 64


def test_publishing_again_changes_nothing(config_dir, db):
    write_matter(config_dir)
    publish(config_dir)
    report = publish(config_dir)
    assert report.published == [] and report.unchanged == ["TEST-0001"]
    assert MatterVersion.select().count() == 1


def test_writing_a_default_explicitly_is_not_a_change(config_dir, db):
    write_matter(config_dir)
    publish(config_dir)
    write_matter(config_dir, status="active", channels=["window"])
    assert publish(config_dir).published == []


def test_published_versions_cannot_be_changed_or_deleted(config_dir, db):
    write_matter(config_dir)
    publish(config_dir)
    row = MatterVersion.get()
    row.name = "改名"
    with pytest.raises(ImmutableRecordError):
        row.save()
    with pytest.raises(ImmutableRecordError):
        row.delete_instance()
    # The database refuses too, whoever asks.
    with pytest.raises(peewee.DatabaseError), db.atomic():
        MatterVersion.update(name="改名").execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        MatterVersion.delete().execute()
    assert MatterVersion.get().name == "高龄津贴申领"


def test_changed_file_with_unchanged_version_is_refused(config_dir, db, db_url):
    write_matter(config_dir)
    publish(config_dir)
    write_matter(config_dir, promised_limit={"amount": 5, "unit": "working_days"})
    result = cli(db_url, "catalog", "publish", str(config_dir), "--today", "2026-11-28")
    assert result.exit_code == 1
    assert "/version: 内容与已发布的第 1 版不同，但版本号没有增加；请改为 2" in result.output
    assert MatterVersion.select().count() == 1
    # The store refuses on its own as well, without the loader's check.
    result = load_catalog(config_dir, today=TODAY)
    with pytest.raises(PublishRefused, match="版本号没有增加"):
        publish_catalog(result.catalog, "tester")


def test_an_invalid_file_publishes_nothing(config_dir, db, db_url):
    write_matter(config_dir)
    write_matter(config_dir, doc=matter_doc(code="TEST-0002", levels=["county"]))
    result = cli(db_url, "catalog", "publish", str(config_dir))
    assert result.exit_code == 1
    assert "TEST-0002.yaml" in result.output and "county" in result.output
    assert MatterVersion.select().count() == 0


def test_version_in_force_on_a_date(config_dir, db):
    write_matter(config_dir, effective_from="2025-01-01")
    publish(config_dir)
    write_matter(config_dir, version=2, effective_from="2026-07-01",
                 promised_limit={"amount": 5, "unit": "working_days"})
    publish(config_dir)
    write_matter(config_dir, version=3, effective_from="2027-01-01", name="高龄津贴发放")
    publish(config_dir)
    assert version_in_force("TEST-0001", datetime.date(2024, 12, 31)) is None
    assert version_in_force("TEST-0001", datetime.date(2025, 3, 1)).version == 1
    assert version_in_force("TEST-0001", datetime.date(2026, 7, 1)).version == 2
    assert version_in_force("TEST-0001", datetime.date(2027, 1, 1)).version == 3
    # The future version waits beside the current one.
    assert [r.version for r in upcoming_versions(TODAY)] == [3]
    assert [r.version for r in catalog_in_force(TODAY)] == [2]


def test_withdrawn_and_expired_versions_leave_the_catalog(config_dir, db):
    write_matter(config_dir)
    write_matter(config_dir, doc=matter_doc(code="TEST-0002", effective_until="2026-06-30"))
    publish(config_dir)
    write_matter(config_dir, version=2, status="withdrawn", effective_from="2026-10-01")
    publish(config_dir)
    assert version_in_force("TEST-0001", datetime.date(2026, 9, 30)).version == 1
    assert version_in_force("TEST-0001", datetime.date(2026, 10, 1)) is None
    assert version_in_force("TEST-0002", datetime.date(2026, 6, 30)) is not None
    assert catalog_in_force(TODAY) == []
    assert [r.status for r in history("TEST-0001")] == ["active", "withdrawn"]


def test_an_older_version_number_is_refused(config_dir, db):
    write_matter(config_dir, version=3)
    publish(config_dir)
    write_matter(config_dir, version=2)
    result = load_catalog(config_dir, today=TODAY, published=published_states())
    (problem,) = result.errors
    assert problem.pointer == "/version" and "低于已发布的版本 3" in problem.message


def test_cli_publish_history_and_diff(config_dir, db, db_url):
    write_matter(config_dir)
    result = cli(db_url, "catalog", "publish", str(config_dir), "--by", "李四")
    assert result.exit_code == 0, result.output
    assert "已发布 TEST-0001 第 1 版" in result.output
    assert "新版本 1 个，未变化 0 个" in result.output

    result = cli(db_url, "catalog", "diff", str(config_dir))
    assert "没有需要发布的变化" in result.output

    doc = matter_doc(version=2)
    doc["materials"].append({"id": "bank_card", "name": "本人银行卡（折）", "copies": 1})
    write_matter(config_dir, doc)
    result = cli(db_url, "catalog", "diff", str(config_dir))
    assert result.exit_code == 0, result.output
    assert "TEST-0001 高龄津贴申领：第 1 版 → 第 2 版" in result.output
    assert "+ 申请材料：bank_card（本人银行卡（折））" in result.output

    cli(db_url, "catalog", "publish", str(config_dir), "--by", "李四")
    result = cli(db_url, "catalog", "history", "TEST-0001")
    assert result.exit_code == 0
    assert "第 1 版  已被替代" in result.output and "第 2 版  现行" in result.output
    assert "李四" in result.output
    assert cli(db_url, "catalog", "history", "NOPE-1").exit_code == 1


def test_validate_compares_versions_with_the_database(config_dir, db, db_url):
    write_matter(config_dir)
    publish(config_dir)
    write_matter(config_dir, name="高龄津贴发放")
    result = cli(db_url, "catalog", "validate", str(config_dir))
    assert result.exit_code == 1
    assert "版本号没有增加" in result.output


def test_commands_ask_for_an_upgrade_on_an_old_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = cli(url, "catalog", "history", "X")
    assert result.exit_code == 1
    assert "daiban db upgrade" in result.output
    assert cli(url, "db", "upgrade").exit_code == 0
    assert "已是最新" in cli(url, "db", "upgrade").output


def test_unsupported_database_url():
    result = cli("mysql://x", "db", "upgrade")
    assert result.exit_code == 1 and "不支持的数据库地址" in result.output


def test_cli_publication_is_audited(config_dir, db, db_url):
    from daiban.models import AuditLog

    write_matter(config_dir)
    cli(db_url, "catalog", "publish", str(config_dir), "--by", "李四")
    entry = AuditLog.get(AuditLog.action == "publish")
    assert (entry.actor, entry.object_id) == ("李四", "TEST-0001#1")
