"""The shipped deployment files: systemd units that run real commands, nginx in front, every setting
documented."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from conftest import CONFIG, ROOT
from daiban.cli import main

DEPLOY = ROOT / "deploy"
DOCS = ROOT / "docs" / "deploy.md"
UNITS = sorted([*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer")])
SERVICES = {p.name: p for p in UNITS if p.suffix == ".service"}
TIMERS = [p for p in UNITS if p.suffix == ".timer"]
INSTALL_DIR = "/srv/daiban"
DAIBAN = f"{INSTALL_DIR}/.venv/bin/daiban"


def read_unit(path: Path) -> configparser.ConfigParser:
    """A unit file as sections of keys (systemd's syntax is close enough to INI for these files)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def resolve_command(args: list[str]) -> click.Command:
    """The click command `daiban ARGS` runs, its options parsed; fails on an unknown command or option."""
    command: click.Command = main
    context = main.make_context("daiban", [], resilient_parsing=True)
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        name, *args = args
        assert name in command.commands, f"daiban has no command {name!r}"
        command = command.commands[name]
    assert not isinstance(command, click.Group), f"{command.name} needs a subcommand"
    command.make_context(command.name, list(args), parent=context)  # raises on an unknown option
    return command


def env_settings(text: str) -> dict[str, str]:
    """KEY=value lines of an env file (comments skipped)."""
    pairs = [line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {key.strip(): value for key, value in pairs}


def documented_settings() -> set[str]:
    """Names in the first column of docs/deploy.md's settings table."""
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_unit_parses_and_runs_a_daiban_command_that_exists():
    assert set(SERVICES) == {"daiban.service", "daiban-alerts.service", "daiban-backup.service"}
    commands = {}
    for path in SERVICES.values():
        unit = read_unit(path)
        service = unit["Service"]
        for key in [k for k in service if k.startswith("Exec")]:
            args = shlex.split(service[key])
            if args[0] == DAIBAN:
                commands.setdefault(path.name, []).append(resolve_command(args[1:]).name)
            elif key == "ExecStart":
                pytest.fail(f"{path.name}: ExecStart runs {args[0]}, not {DAIBAN}")
        assert service["EnvironmentFile"] == "/etc/daiban/daiban.env"
        assert service["WorkingDirectory"] == INSTALL_DIR
        assert service["User"] == "daiban" and service["Group"] == "daiban"
        for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                           "ProtectHome": "yes", "ReadWritePaths": f"{INSTALL_DIR}/var",
                           "CapabilityBoundingSet": "", "UMask": "0077"}.items():
            assert service.get(key) == value, (path.name, key)
    assert commands == {"daiban.service": ["serve"], "daiban-alerts.service": ["run"],
                        "daiban-backup.service": ["backup"]}


def test_the_server_unit_binds_where_nginx_proxies():
    service = read_unit(DEPLOY / "daiban.service")["Service"]
    args = shlex.split(service["ExecStart"])
    host, port = args[args.index("--host") + 1], args[args.index("--port") + 1]
    assert (host, service["Type"]) == ("127.0.0.1", "notify")
    nginx = (DEPLOY / "nginx" / "daiban.conf").read_text(encoding="utf-8")
    assert f"proxy_pass http://{host}:{port};" in nginx


def test_timers_start_existing_oneshot_services():
    assert {p.name for p in TIMERS} == {"daiban-alerts.timer", "daiban-backup.timer"}
    for path in TIMERS:
        timer = read_unit(path)
        target = timer["Timer"].get("Unit", path.stem + ".service")
        assert target in SERVICES, f"{path.name} starts {target}, which deploy/ does not have"
        assert read_unit(SERVICES[target])["Service"]["Type"] == "oneshot"
        assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
        assert timer["Install"]["WantedBy"] == "timers.target"
        if shutil.which("systemd-analyze"):
            check = subprocess.run(["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]],
                                   capture_output=True, text=True, timeout=30)
            assert check.returncode == 0, check.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    # verify checks that ExecStart's program exists: point the units at this checkout.
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace(INSTALL_DIR, str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    assert (ROOT / ".venv" / "bin" / "daiban").exists() or pytest.skip("no .venv/bin/daiban here")
    check = subprocess.run(["systemd-analyze", "verify", "--man=no", *(p.name for p in UNITS)],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    ours = [line for line in check.stderr.splitlines() if any(p.name in line for p in UNITS)]
    assert check.returncode == 0 and not ours, check.stderr  # unknown keys are only warnings


def test_nginx_terminates_https_and_passes_the_client_on():
    from daiban.web import create_app

    nginx = (DEPLOY / "nginx" / "daiban.conf").read_text(encoding="utf-8")
    code = re.sub(r"#.*", "", nginx)
    assert code.count("{") == code.count("}")
    assert re.search(r"listen 443 ssl", code) and "ssl_certificate " in code
    assert "return 301 https://$host$request_uri;" in code
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in code
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in code
    size = re.search(r"client_max_body_size (\d+)m;", code)
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:", "CONFIG_DIR": str(CONFIG)})
    app_limit = app.config["MAX_CONTENT_LENGTH"]
    assert int(size.group(1)) * 1024 * 1024 >= app_limit  # the app, not nginx, refuses a large scan


def test_every_setting_the_code_reads_is_documented_in_one_table():
    read = set()
    patterns = [r"environ(?:\.get)?[(\[]\s*[\"']([A-Z][A-Z0-9_]+)[\"']",
                r"getenv\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']", r"envvar=[\"']([A-Z][A-Z0-9_]+)[\"']"]
    for source in (ROOT / "platform").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for pattern in patterns:
            read |= set(re.findall(pattern, text))
    documented = documented_settings()
    assert read, "found no settings in the code"
    assert read <= documented, f"not in docs/deploy.md's table: {sorted(read - documented)}"
    text = DOCS.read_text(encoding="utf-8")
    assert text.count("| Setting | Default | What it does |") == 1
    for name in ("DATABASE_URL", "DAIBAN_SECRET_KEY", "DAIBAN_KEYS_FILE", "DAIBAN_HTTPS", "DAIBAN_PROXY_HOPS",
                 "DAIBAN_CONFIG_DIR", "DAIBAN_UPLOAD_DIR", "DAIBAN_WORKERS", "DAIBAN_THREADS", "DAIBAN_ENV"):
        assert name in documented, name


def test_the_example_env_file_sets_only_documented_settings_and_none_empty():
    settings = env_settings((DEPLOY / "daiban.env.example").read_text(encoding="utf-8"))
    assert set(settings) <= documented_settings()
    assert all(value.strip() for value in settings.values()), "an empty value overrides the default"
    assert settings["DAIBAN_HTTPS"] == "1" and settings["DAIBAN_PROXY_HOPS"] == "1"
    assert settings["DATABASE_URL"].startswith("postgresql://")
    assert "DAIBAN_SECRET_KEY" not in settings  # generated on the server, never shipped


def test_the_readme_links_the_deployment_guide():
    assert "docs/deploy.md" in (ROOT / "README.md").read_text(encoding="utf-8")
