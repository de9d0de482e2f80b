"""Personal data at rest: SM4-GCM sealing, the HMAC-SM3 blind index, the keyring, rotation,
migration 012, and no demo ID number or phone in clear in the database files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from case_screens import fill_with_demo
from daiban.cases import personal
from daiban.db import connect_database, upgrade_database
from daiban.models import Agent, Case
from daiban.security import crypto, keys
from daiban.security.crypto import TamperedData


@pytest.fixture
def own_keyring(tmp_path, _keyring):
    """A keyring of this test's own (rotation changes it)."""
    path = tmp_path / "keys.json"
    keys.use_keyring(path)
    yield path
    keys.use_keyring(_keyring)


def test_self_test_passes_and_checks_the_standard_vectors():
    crypto.self_test()
    assert crypto.sm3(b"abc").hex() == crypto.SM3_ABC
    assert crypto.hmac_sm3(b"k", b"m") == crypto._hmac_by_hand(b"k", b"m")


def test_seal_round_trip_and_tampering_is_refused_clearly():
    sealed = personal.seal("15222319450101002X", "id_number")
    assert sealed.startswith("sm4:") and "15222319450101002X" not in sealed
    assert personal._unseal(sealed, "id_number") == "15222319450101002X"
    assert personal.seal("x", "phone") != personal.seal("x", "phone")  # fresh nonce each time
    scheme, key_id, body = sealed.split(":")
    blob = bytearray(__import__("base64").b64decode(body))
    blob[-1] ^= 1
    tampered = f"{scheme}:{key_id}:{__import__('base64').b64encode(bytes(blob)).decode()}"
    with pytest.raises(TamperedData, match="无法解开公民身份号码"):
        personal._unseal(tampered, "id_number")
    with pytest.raises(TamperedData):  # moved to another kind: the AAD no longer matches
        personal._unseal(sealed, "phone")
    with pytest.raises(personal.SealError, match="没有密钥 “k9”"):
        personal._unseal(f"sm4:k9:{body}", "id_number")
    assert personal._unseal("plain:13900000001", "phone") == "13900000001"  # rows before 012


def test_blind_index_is_keyed_and_normalized():
    a = personal.blind_index("id_number", "15222319450101002x")
    assert a == personal.blind_index("id_number", " 15222319450101002X ")
    assert len(a) == 64 and a != personal.blind_index("phone", "15222319450101002X")


def test_keyring_file_is_created_private_and_refused_when_open_or_malformed(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "keys.json"
    ring = keys.load(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(ring.index_key) == 32 and len(ring.audit_key) == 32 and ring.active == "k1"
    assert keys.load(path).index_key == ring.index_key  # read again, not replaced
    os.chmod(path, 0o644)
    with pytest.raises(keys.KeyringError, match="权限过宽"):
        keys.load(path)
    os.chmod(path, 0o600)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(keys.KeyringError, match="不是有效的 JSON"):
        keys.load(path)
    doc = {"active": "k1", "data": {"k1": "00" * 16}, "index": "11" * 32, "audit": "22" * 32}
    monkeypatch.setenv("DAIBAN_KEYS", json.dumps(doc))
    assert keys.load().index_key == bytes.fromhex("11" * 32)


def _all_values():
    cases = [(personal._unseal(c.applicant_id_number_sealed, "id_number"),
              personal._unseal(c.applicant_phone_sealed, "phone"),
              json.dumps(personal._open_values(c.form_values, lambda k, v: v), ensure_ascii=False))
             for c in Case.select().order_by(Case.id)]
    return cases, [(a.phone, a.id_number) for a in Agent.select().order_by(Agent.id)]


def _sqlite_only(db):
    if not isinstance(db, __import__("peewee").SqliteDatabase):
        pytest.skip("the database file is SQLite's")


def test_rotate_reseals_everything_and_all_still_reveals(db, own_keyring):
    _sqlite_only(db)
    assert fill_with_demo() > 0
    before = _all_values()
    runner = CliRunner()
    from daiban.cli import main

    url = f"sqlite:///{db.database}"
    result = runner.invoke(main, ["--database", url, "keys", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "k2" in result.output
    connect_database(url)
    assert keys.keyring().active == "k2" and set(keys.keyring().data) == {"k1", "k2"}
    assert _all_values() == before
    counts = personal.key_counts(db)
    assert set(counts) == {"k2"}
    status = runner.invoke(main, ["--database", url, "keys", "status"], catch_exceptions=False)
    assert "k1" in status.output and "k2" in status.output
    id_number = before[0][0][0]
    assert Case.select().where(personal.find_cases_by_id_number(id_number)).count() >= 1


def test_migration_012_seals_old_plain_rows_without_losing_any(db_url):
    db = connect_database(db_url)
    upgrade_database(db, "011_supervision")
    db.execute_sql("INSERT INTO agent (name, phone, status, duties, created_at) "
                   "VALUES ('老代办', '13904821009', 'active', '', '2025-01-01 08:00:00')")
    upgrade_database(db)
    stored = db.execute_sql("SELECT phone FROM agent").fetchone()[0]
    assert stored.startswith("sm4:") and "13904821009" not in stored
    assert Agent.get().phone == "13904821009"
    db.close()


def test_resealing_plain_case_rows_fills_the_index_and_keeps_every_value(db):
    fill_with_demo()
    before = _all_values()
    p = db.param
    for case in Case.select():  # put the rows back as before migration 012: plain, no index
        plain = json.loads(case.values)
        for leaf in plain.values():
            if isinstance(leaf, dict) and "$sealed" in leaf:
                leaf["$sealed"] = "plain:" + personal._unseal(leaf["$sealed"], leaf["kind"])
        db.execute_sql(
            f"UPDATE case_file SET applicant_id_number_sealed = {p}, applicant_phone_sealed = {p}, "
            f"form_values = {p}, applicant_id_number_index = NULL, applicant_phone_index = NULL "
            f"WHERE id = {p}",
            (("plain:" + personal._unseal(case.applicant_id_number_sealed, "id_number"))
             if case.applicant_id_number_sealed else None,
             ("plain:" + personal._unseal(case.applicant_phone_sealed, "phone"))
             if case.applicant_phone_sealed else None,
             json.dumps(plain, ensure_ascii=False), case.id))
    assert personal.key_counts(db).get("plain", 0) > 0
    personal.reseal_all(db)
    assert _all_values() == before
    assert "plain" not in personal.key_counts(db)
    for id_number, phone, _ in before[0]:
        if id_number:
            assert Case.select().where(personal.find_cases_by_id_number(id_number)).exists()
        if phone:
            assert Case.select().where(personal.find_cases_by_phone(phone)).exists()


def test_the_demo_database_and_its_wal_hold_no_id_number_or_phone_in_clear(db):
    _sqlite_only(db)
    assert fill_with_demo(fresh=True) > 0  # written by the app itself, not copied in
    (cases, agents) = _all_values()
    secrets = {v for id_number, phone, _ in cases for v in (id_number, phone) if v}
    secrets |= {v for pair in agents for v in pair if v}
    assert any(id_number for _phone, id_number in agents)  # the demo agents' own ID numbers too
    secrets = {s for s in secrets if re.fullmatch(r"\d{17}[\dX]|\d{11}", s)}
    assert len(secrets) > 10
    files = [Path(db.database), Path(f"{db.database}-wal")]
    blob = b"".join(f.read_bytes() for f in files if f.exists())
    assert Path(f"{db.database}-wal").exists()  # nothing checkpointed by hand
    name = Case.select().order_by(Case.id.desc()).get().applicant_name
    assert name.encode() in blob  # the scan does see the rows (names are not sealed)
    found = sorted(s for s in secrets if s.encode() in blob)
    assert found == []


def test_a_tampered_value_shows_a_clear_error_on_the_case_page(db_url, db, tmp_path):
    from case_screens import make_site, open_elderly_case, signed_in

    site = make_site(db_url, tmp_path / "uploads")
    client = signed_in(site, "village")
    open_elderly_case(client)
    case = Case.get()
    sealed = case.applicant_id_number_sealed
    flipped = sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB")
    db.execute_sql(f"UPDATE case_file SET applicant_id_number_sealed = {db.param}", (flipped,))
    response = client.get(f"/admin/cases/{case.id}/")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "无法解开公民身份号码" in page and "篡改" in page


def test_an_agent_mobile_is_sealed_and_masked_in_the_audit_log(db_url, db):
    from conftest import CONFIG
    from daiban.accounts import create_user
    from daiban.catalog.loader import load_catalog
    from daiban.models import AuditLog, ServiceCenter
    from daiban.orgsync import sync_organisation
    from daiban.web import create_app
    from test_admin import csrf_token, sign_in

    sync_organisation(load_catalog(CONFIG, include_matters=False).catalog.organisation)
    center = ServiceCenter.get(ServiceCenter.code == "xinlin-center")
    create_user("admin", "管理员", "Test-pass-2026", ["system_admin"], center=center)
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)})
    agent = Agent.create(name="要删除的代办员", center=center, phone="13904821077")
    stored = db.execute_sql(f"SELECT phone FROM agent WHERE id = {db.param}", (agent.id,)).fetchone()[0]
    assert stored.startswith("sm4:") and Agent.get_by_id(agent.id).phone == "13904821077"
    client = app.test_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/agent/")
    client.post("/admin/agent/delete/", data={"id": agent.id, "csrf_token": token})
    logged = " ".join(f"{a.before} {a.after}" for a in AuditLog.select())
    assert "13904821077" not in logged
    assert "139****1077" in logged


def test_the_app_refuses_to_start_on_a_keyring_others_can_read(db_url, db, own_keyring):
    from conftest import CONFIG
    from daiban.web import create_app

    keys.load(own_keyring)
    os.chmod(own_keyring, 0o640)
    keys.reset()
    with pytest.raises(keys.KeyringError, match="无法启动：密钥文件 .* 的权限过宽"):
        create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)})
    os.chmod(own_keyring, 0o600)
    keys.reset()
    assert create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG)})


def test_a_database_at_011_with_plain_case_rows_upgrades_and_every_value_reveals(db_url, db):
    import importlib

    fill_with_demo()
    before = _all_values()
    p = db.param
    for case in Case.select():
        plain = json.loads(case.values)
        for leaf in plain.values():
            if isinstance(leaf, dict) and "$sealed" in leaf:
                leaf["$sealed"] = "plain:" + personal._unseal(leaf["$sealed"], leaf["kind"])
        id_number = personal._unseal(case.applicant_id_number_sealed, "id_number")
        phone = personal._unseal(case.applicant_phone_sealed, "phone")
        db.execute_sql(
            f"UPDATE case_file SET applicant_id_number_sealed = {p}, applicant_phone_sealed = {p}, "
            f"form_values = {p} WHERE id = {p}",
            (id_number and f"plain:{id_number}", phone and f"plain:{phone}",
             json.dumps(plain, ensure_ascii=False), case.id))
    for agent in list(Agent.select()):  # agents' phones and ID numbers in clear
        db.execute_sql(f"UPDATE agent SET phone = {p}, id_number = {p} WHERE id = {p}",
                       (agent.phone, agent.id_number, agent.id))
    # The rows are now as migration 011 left them (clear values). Later migrations (013's audit
    # chain) cannot be rolled back, so 012's encryption step is run on them directly.
    assert set(personal.key_counts(db)) == {"plain"}
    importlib.import_module("daiban.migrations.012_personal_encryption")._encrypt(db)
    assert _all_values() == before
    assert "plain" not in personal.key_counts(db)
    for id_number, phone, _ in before[0]:
        if id_number:
            assert Case.select().where(personal.find_cases_by_id_number(id_number)).exists()
        if phone:
            assert Case.select().where(personal.find_cases_by_phone(phone)).exists()


def pending_names(db):
    from daiban.db import pending_migrations

    return pending_migrations(db)
