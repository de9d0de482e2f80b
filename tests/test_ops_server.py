"""`daiban serve` as a real process: gunicorn answers, stops cleanly, and loses no answered write."""

from __future__ import annotations

import http.client
import threading
import time

from case_screens import CATALOG, PASSWORD
from daiban.accounts import create_user
from daiban.models import Consultation, ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog
from live_server import Browser, LiveServer, daiban

WRITERS = 6  # client threads, more than the server's 2 × 4 request threads can take at once
MAX_WRITES = 150  # per thread
KILL_AFTER = 60  # successful writes, or
KILL_WITHIN = 20.0  # seconds, whichever comes first


def test_serve_runs_gunicorn_and_stops_cleanly_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'daiban.sqlite3'}"
    assert daiban("db", "upgrade", db_url=url, cwd=tmp_path).returncode == 0
    server = LiveServer(url, tmp_path, "--workers", "2", "--threads", "2")
    try:
        server.wait_ready()
        status, _headers, page = server.request("GET", "/login")
        assert status == 200 and "登录" in page
        assert len(server.children()) == 2  # the workers, forked by gunicorn's master
        output = server.output()
        started = f"帮办代办平台已启动（gunicorn，2 个进程 × 2 个线程）：http://127.0.0.1:{server.port}/"
        assert started in output
        assert "Using worker: gthread" in output
        assert server.terminate() == 0
    finally:
        server.stop()
    output = server.output()
    assert "Handling signal: term" in output and "Shutting down: Master" in output
    assert "Traceback" not in output


def test_the_development_server_needs_the_development_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'daiban.sqlite3'}"
    result = daiban("serve", "--dev", db_url=url, cwd=tmp_path)
    assert result.returncode == 1
    assert "请设置 DAIBAN_ENV=development" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_an_outdated_database(tmp_path):
    result = daiban("serve", db_url=f"sqlite:///{tmp_path / 'new.sqlite3'}", cwd=tmp_path)
    assert result.returncode == 1 and "daiban db upgrade" in result.stderr


def _seed(count: int) -> list[str]:
    """The published catalog and `count` village agents; their usernames."""
    sync_organisation(CATALOG.organisation)
    publish_catalog(CATALOG, "tester")
    center = ServiceCenter.get(ServiceCenter.code == "yinde-er-hongxing-station")
    names = [f"agent{n}" for n in range(count)]
    for name in names:
        create_user(name, f"代办员{name}", PASSWORD, ["village_agent"], center=center)
    return names


def _write_until_stopped(server, username, n, stop, answered, statuses, problems):
    """Sign in, then record consultations until told to stop or the server goes away."""
    browser = Browser(server)
    try:
        browser.sign_in(username, PASSWORD)
        token = browser.csrf("/admin/intake/YLFW-0001/")
    except Exception as exc:  # reported by the test, not lost in the thread
        problems.append(f"{username} could not start: {exc!r}")
        return
    try:
        for i in range(MAX_WRITES):
            if stop.is_set():
                return
            note = f"writer{n}-{i}"
            status, location, _ = browser.send("POST", "/admin/cases/consult/YLFW-0001/",
                                               {"csrf_token": token, "channel": "window", "note": note})
            statuses.append(status)
            if status == 302 and location.endswith("/admin/cases/"):
                answered.append(note)
    except (OSError, http.client.HTTPException):
        return  # the server was killed mid-request: that write was never promised


def test_no_answered_write_is_lost_when_the_server_is_killed(db_url, db, tmp_path):
    agents = _seed(WRITERS)
    db.close()
    server = LiveServer(db_url, tmp_path, "--workers", "2", "--threads", "4")
    answered: list[str] = []
    statuses: list[int] = []
    problems: list[str] = []
    stop = threading.Event()
    try:
        server.wait_ready()
        writers = [threading.Thread(target=_write_until_stopped,
                                    args=(server, agents[n], n, stop, answered, statuses, problems))
                   for n in range(WRITERS)]
        for thread in writers:
            thread.start()
        deadline = time.monotonic() + KILL_WITHIN
        while len(answered) < KILL_AFTER and time.monotonic() < deadline and any(
                t.is_alive() for t in writers):
            time.sleep(0.05)
        server.kill()  # mid-write: the writers' requests in flight fail
        stop.set()
        for thread in writers:
            thread.join(30)
        assert not any(t.is_alive() for t in writers)
    finally:
        stop.set()
        server.stop()
    assert not problems, problems
    assert len(answered) >= 10, f"too few writes before the kill: {statuses}\n{server.output()}"
    assert set(statuses) <= {302}, f"answers other than success: {sorted(set(statuses))}"

    again = LiveServer(db_url, tmp_path)
    try:
        again.wait_ready()
        db.connect(reuse_if_open=True)
        stored = {row.note for row in Consultation.select(Consultation.note)}
        assert set(answered) <= stored, f"lost: {sorted(set(answered) - stored)}"
        if db_url.startswith("sqlite"):
            assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        else:  # no integrity pragma: every row and index entry of the table is read back consistently
            by_index = db.execute_sql("SELECT count(*) FROM consultation WHERE id > 0").fetchone()[0]
            assert by_index == len(stored) == Consultation.select().count()
        assert again.terminate() == 0
    finally:
        again.stop()
