"""Migrations: a database made by an older schema upgrades without losing rows."""

import datetime

from daiban.db import connect_database, pending_migrations, upgrade_database


def test_upgrade_keeps_rows_and_fills_new_columns(db_url):
    db = connect_database(db_url)
    assert pending_migrations(db)[:2] == ["001_catalog", "002_matter_search"]
    upgrade_database(db, "001_catalog")
    db.execute_sql(f"INSERT INTO matter (code, created_at) VALUES ('YLFW-0001', {db.param})",
                   (datetime.datetime(2025, 1, 1),))
    db.execute_sql(
        "INSERT INTO matter_version (matter_id, code, version, status, name, everyday_name, "
        "domain, levels, responsible_unit, effective_from, content, content_hash, published_at, "
        "published_by) VALUES (1, 'YLFW-0001', 1, 'active', '高龄老年人津贴申领', '高龄津贴', "
        "'elderly_care', 'village', 'banner-civil-affairs-bureau', '2025-01-01', '{}', 'h', "
        "'2025-01-01 08:00:00', 'old')"
    )
    assert upgrade_database(db)[0] == "002_matter_search"
    rows = db.execute_sql(
        "SELECT code, name, published_by, search_initials, search_pinyin FROM matter_version"
    ).fetchall()
    assert len(rows) == 1
    code, name, by, initials, full = rows[0]
    assert (code, name, by) == ("YLFW-0001", "高龄老年人津贴申领", "old")
    assert "gljt" in initials.split()
    assert "gaolingjintie" in full.split()
    assert pending_migrations(db) == []
    db.close()


def test_history_stays_protected_after_the_upgrade(db_url):
    db = connect_database(db_url)
    upgrade_database(db)
    triggers = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }["sqlite" if db_url.startswith("sqlite") else "postgresql"]
    names = {row[0] for row in db.execute_sql(triggers).fetchall()}
    assert {"matter_version_no_update", "matter_version_no_delete"} <= names
    db.close()
