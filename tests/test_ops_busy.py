"""A busy SQLite database: transactions wait for the write lock, and a timeout answers 503, not 500."""

from __future__ import annotations

import sqlite3
import threading

import peewee
import pytest

import daiban.db
from case_screens import make_site, signed_in
from daiban.db import open_database


def test_transactions_that_read_then_write_wait_for_each_other(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    setup = open_database(url)
    setup.execute_sql("CREATE TABLE counter (n INTEGER)")
    setup.close()
    errors: list[str] = []

    def work():
        db = open_database(url)
        for _ in range(100):
            try:
                with db.atomic():  # a deferred transaction here would fail with 'database is locked'
                    db.execute_sql("SELECT count(*) FROM counter").fetchone()
                    db.execute_sql("INSERT INTO counter VALUES (1)")
            except peewee.OperationalError as exc:
                errors.append(str(exc))
        db.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    check = open_database(url)
    assert check.execute_sql("SELECT count(*) FROM counter").fetchone() == (600,)
    check.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_write_that_cannot_get_the_lock_answers_a_chinese_503(db_url, db, tmp_path, monkeypatch):
    from daiban.models import Consultation

    monkeypatch.setitem(daiban.db.SQLITE_PRAGMAS, "busy_timeout", 50)  # do not wait 5 s in a test
    site = make_site(db_url, tmp_path / "uploads")
    client = signed_in(site, "village")
    holder = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock longer than busy_timeout
    try:
        response = client.post("/admin/cases/consult/YLFW-0001/", data={"note": "等锁"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "系统繁忙" in page and "您这次提交的内容未保存" in page
    assert not Consultation.select().where(Consultation.note == "等锁").exists()
    assert client.post("/admin/cases/consult/YLFW-0001/", data={"note": "再试"}).status_code == 302
