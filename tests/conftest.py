"""Shared fixtures: a temporary config folder, a migrated database (SQLite and PostgreSQL), the app."""

from __future__ import annotations

import datetime
import os
import shutil
import uuid
from pathlib import Path

import pytest
import yaml

from daiban.db import connect_database, database, upgrade_database
from daiban.web import pdf

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
TODAY = datetime.date(2026, 11, 28)
PG_URL = os.environ.get("DAIBAN_TEST_PG_URL")


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """A private copy of the shipped config folder, with only one matter, for tests to change."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    shutil.rmtree(target / "matters")
    (target / "matters").mkdir()
    return target


def matter_doc(**overrides) -> dict:
    """A small valid matter document; keyword arguments replace top-level keys."""
    doc = {
        "code": "TEST-0001",
        "version": 1,
        "name": "高龄津贴申领",
        "everyday_name": "高龄津贴",
        "domain": "elderly_care",
        "matter_type": "administrative_payment",
        "levels": ["village", "township"],
        "responsible_unit": "banner-civil-affairs-bureau",
        "effective_from": "2025-01-01",
        "promised_limit": {"amount": 10, "unit": "working_days"},
        "statutory_limit": {"amount": 20, "unit": "working_days"},
        "fields": [
            {"id": "name", "label": "姓名", "type": "text", "required": True},
            {"id": "id_number", "label": "公民身份号码", "type": "id_number", "required": True},
        ],
        "conditions": [{"id": "age", "text": "年满80周岁", "rule": "age(id_number) >= 80"}],
        "materials": [{"id": "id_card", "name": "居民身份证", "originals": 1}],
    }
    doc.update(overrides)
    return doc


def write_matter(config_dir: Path, doc: dict | None = None, filename: str | None = None, **overrides) -> Path:
    """Write a matter file under config_dir/matters/ and return its path."""
    doc = doc if doc is not None else matter_doc(**overrides)
    path = config_dir / "matters" / (filename or f"{doc['code']}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(autouse=True, scope="session")
def _keyring(tmp_path_factory):
    """Every test seals with a keyring in a temporary folder, never the repo's var/keys.json."""
    from daiban.security import keys

    path = tmp_path_factory.mktemp("keys") / "keys.json"
    previous = os.environ.get("DAIBAN_KEYS_FILE")
    os.environ["DAIBAN_KEYS_FILE"] = str(path)  # subprocesses (live server, CLI) too
    keys.use_keyring(path)
    yield path
    keys.use_keyring(None)
    if previous is None:
        os.environ.pop("DAIBAN_KEYS_FILE", None)
    else:
        os.environ["DAIBAN_KEYS_FILE"] = previous


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param(
        "postgresql", id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="set DAIBAN_TEST_PG_URL to run on PostgreSQL"),
    )


@pytest.fixture(params=list(_backends()))
def db_url(request, tmp_path):
    """A database URL for an empty database: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    import psycopg2

    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{joiner}options=-csearch_path%3D{schema}"
    finally:
        if database.obj is not None and not database.obj.is_closed():
            database.obj.close()
        conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


@pytest.fixture
def db(db_url):
    """A migrated database bound to the models."""
    connection = connect_database(db_url)
    upgrade_database(connection)
    yield connection
    if not connection.is_closed():
        connection.close()


@pytest.fixture
def app(db_url, db, tmp_path):
    """The web application on the test database and the shipped config."""
    from daiban.web import create_app

    return create_app({"TESTING": True, "DATABASE_URL": db_url, "CONFIG_DIR": str(CONFIG),
                       "UPLOAD_DIR": str(tmp_path / "uploads")})


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


# Debian packages some tests need, each with the check that it is there. Without one, the tests
# that need it skip with one line naming it; DAIBAN_PRETEND_MISSING (comma-separated names) makes
# the checks, and the platform's own, report a package absent, as on a bare machine.
INSTALL_HINT = "run scripts/install-system-packages"


def _weasyprint_loads() -> bool:
    try:
        return pdf.available()
    except Exception:  # e.g. a warning that pytest turned into an error while WeasyPrint loads
        return False


SYSTEM_PACKAGES = {
    "chromium": lambda: shutil.which("chromium") is not None,
    "fonts-noto-cjk": lambda: bool(pdf.installed_cjk_fonts()),
    "libpangoft2-1.0-0": _weasyprint_loads,
}
PRETEND_MISSING = {name for name in os.environ.get("DAIBAN_PRETEND_MISSING", "").split(",") if name}
if PRETEND_MISSING - SYSTEM_PACKAGES.keys():
    raise pytest.UsageError(f"DAIBAN_PRETEND_MISSING knows only {', '.join(SYSTEM_PACKAGES)}")


def has_package(name: str) -> bool:
    """True when the Debian package the tests call `name` is there (and not pretended missing)."""
    return name not in PRETEND_MISSING and SYSTEM_PACKAGES[name]()


def needs(*packages: str):
    """Skip the test, naming the first missing package, unless every one of `packages` is there."""
    missing = [name for name in packages if not has_package(name)]
    return pytest.mark.skipif(
        bool(missing), reason=f"needs Debian package {missing[0] if missing else ''}: {INSTALL_HINT}")


@pytest.fixture(autouse=True)
def _pretend_missing(monkeypatch):
    """The platform's own checks report what DAIBAN_PRETEND_MISSING names as absent."""
    if "fonts-noto-cjk" in PRETEND_MISSING:
        monkeypatch.setattr(pdf, "installed_cjk_fonts", lambda: ())
    if "libpangoft2-1.0-0" in PRETEND_MISSING:
        monkeypatch.setattr(pdf, "available", lambda: False)


@pytest.fixture
def no_cjk_font(monkeypatch):
    """The platform's font check finds no Chinese font, as on a machine without fonts-noto-cjk."""
    monkeypatch.setattr(pdf, "installed_cjk_fonts", lambda: ())


@pytest.fixture
def cjk_font(monkeypatch):
    """The platform's checks find a Chinese font and Pango, whatever this machine has."""
    monkeypatch.setattr(pdf, "installed_cjk_fonts", lambda: ("Noto Sans CJK SC",))
    monkeypatch.setattr(pdf, "available", lambda: True)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
needs_chromium = needs("chromium")
needs_pdf = needs("libpangoft2-1.0-0", "fonts-noto-cjk")
# The threaded test server may drop a static file's handle when the browser moves on mid-download.
quiet_server = [pytest.mark.filterwarnings("ignore::ResourceWarning"),
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


@pytest.fixture
def serve():
    """Serve a Flask app from a thread on a free local port; yields a function app -> base URL."""
    import threading

    from werkzeug.serving import make_server

    servers = []

    def start(app) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download fails here), started once
    per test process: each test gets a fresh context of its own (cookies, storage, viewport)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page in a new browser context: nothing carries over from another test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def sign_in(page, base: str, username: str, password: str = "Test-pass-2026") -> None:
    """Sign in through the login page in the browser and wait for the admin."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_terminal_summary(terminalreporter):
    """Count the skipped tests by reason, one line each, instead of a line per test."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped", sep="-")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.line(f"{count} skipped: {reason}")
