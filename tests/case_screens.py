"""Helpers for the case screens' tests: the published catalog, three agents, the elderly form."""

import atexit
import hashlib
import os
import sqlite3
import tempfile

from peewee import SqliteDatabase

from conftest import CONFIG, TODAY
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog

PASSWORD = "Test-pass-2026"
CATALOG = load_catalog(CONFIG, today=TODAY).catalog
ELDERLY = CATALOG.matters["YLFW-0001"]
BORN_1940 = "152223194001010015"


def elderly_form(**overrides) -> dict:
    values = {
        "name": "巴特尔", "id_number": BORN_1940, "phone": "13900000001", "hukou_address": "152223",
        "living_place": ELDERLY.field("living_place").options[0].value, "applicant_type": "self",
        "bank_name": "农村信用社", "bank_account": "6230000000000000", "receives_elsewhere": "false",
        "mode": "assist", "channel": "window",
        "confirmed": [c.id for c in ELDERLY.conditions + ELDERLY.exclusions if c.needs_judgement],
    }
    values.update(overrides)
    return values


def make_site(db_url, upload_dir):
    """The app with the catalog published, a village agent at 红星村 and a township agent at 音德尔镇."""
    from daiban.web import create_app

    sync_organisation(CATALOG.organisation)
    publish_catalog(CATALOG, "tester")
    centers = {c.code: c for c in ServiceCenter.select()}
    create_user("village", "周代办", PASSWORD, ["village_agent"], center=centers["yinde-er-hongxing-station"])
    create_user("township", "孙代办", PASSWORD, ["township_agent"], center=centers["yinde-er-center"])
    create_user("other", "别村代办", PASSWORD, ["village_agent"], center=centers["xinlin-hexi-station"])
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(upload_dir)})


def signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def open_elderly_case(client, **overrides):
    return client.post("/admin/cases/open/YLFW-0001/", data=elderly_form(**overrides), follow_redirects=True)




def fill_with_demo(password: str = PASSWORD, *, fresh: bool = False) -> int:
    """Publish the shipped catalog, create the demo accounts (all with `password`) and six months
    of demo work; return the number of demo cases. On SQLite the first fill of a test process is
    kept and later ones copy it in (the same data: same day, password and keys), unless `fresh`."""
    import datetime

    from daiban.db import database

    today = datetime.date.today()
    db = database.obj
    key = (password, today, _keyring_fingerprint())
    if fresh or not isinstance(db, SqliteDatabase):
        return _fill_with_demo(password, today)
    if key in _DEMO_COPIES:
        path, count = _DEMO_COPIES[key]
        with sqlite3.connect(path) as kept:
            kept.backup(db.connection())
        return count
    count = _fill_with_demo(password, today)
    handle, path = tempfile.mkstemp(prefix="daiban-demo-", suffix=".sqlite3")
    os.close(handle)
    atexit.register(os.unlink, path)
    with sqlite3.connect(path) as kept:
        db.connection().backup(kept)
    _DEMO_COPIES[key] = (path, count)
    return count


# (password, day, keyring) -> (a copy of the filled SQLite database, its number of demo cases)
_DEMO_COPIES: dict[tuple, tuple[str, int]] = {}


def _keyring_fingerprint() -> str:
    """Which keys seal the data: a test with a keyring of its own gets a fill of its own."""
    from daiban.security import keys

    ring = keys.keyring()
    material = ring.active.encode() + b"".join(ring.data[k] for k in sorted(ring.data))
    return hashlib.sha256(material + ring.index_key + ring.audit_key).hexdigest()


def _fill_with_demo(password: str, today) -> int:
    from daiban.accounts import set_password
    from daiban.demo import create_demo_accounts, create_demo_activity
    from daiban.models import User
    from daiban.publishing import catalog_in_force, compiled
    from daiban.web import load_reference

    sync_organisation(CATALOG.organisation)
    publish_catalog(CATALOG, "tester")
    create_demo_accounts()
    for user in User.select():
        set_password(user, password)
    matters = {row.code: compiled(row) for row in catalog_in_force(today)}
    return create_demo_activity(load_reference(str(CONFIG)), matters, today)


def with_result(case, day=None):
    """Test setup: the case as 反馈办理结果 leaves it (已出结果, result recorded `day`), so it may be
    rated (a rating or a link waits for the result)."""
    import datetime

    from daiban.models import Case

    day = day or datetime.date.today()
    Case.update(status="result_received", result_on=day, result_decision="approved").where(
        Case.id == case.id).execute()
    return Case.get_by_id(case.id)
