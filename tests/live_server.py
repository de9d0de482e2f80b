"""Helpers for tests that run `daiban serve` as a real process: start, wait, sign in, stop."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from conftest import CONFIG

CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def daiban(*args: str, db_url: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a `daiban` command to completion against `db_url`."""
    return subprocess.run([sys.executable, "-m", "daiban.cli", *args], env=server_env(db_url, cwd),
                          cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs)


def server_env(db_url: str, cwd: Path) -> dict:
    """The environment a test server runs with: its own database, config and uploads, and
    otherwise the production defaults (so the workers must agree on a secret key by themselves)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAIBAN_")}
    env.update(DATABASE_URL=db_url, DAIBAN_CONFIG_DIR=str(CONFIG), DAIBAN_UPLOAD_DIR=str(cwd / "uploads"),
               PYTHONUNBUFFERED="1")
    return env


class LiveServer:
    """`daiban serve` in its own process group, its output in files under `cwd`."""

    def __init__(self, db_url: str, cwd: Path, *args: str):
        self.port = free_port()
        self.cwd = cwd
        self.out = open(cwd / f"serve-{self.port}.out", "w")
        self.err = open(cwd / f"serve-{self.port}.err", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daiban.cli", "serve", "--port", str(self.port), *args],
            env=server_env(db_url, cwd), cwd=cwd, stdout=self.out, stderr=self.err,
            start_new_session=True,  # its own process group, so a test can kill it whole
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until /login answers; fail with the server's output if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if self.request("GET", "/login")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server did not answer within {timeout} s:\n{self.output()}")

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        """One request on a fresh connection: (status, headers, text)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=urlencode(body) if body else None, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def output(self) -> str:
        """What the server printed so far (stdout, then stderr)."""
        for stream in (self.out, self.err):
            if not stream.closed:
                stream.flush()
        return (Path(self.out.name).read_text(encoding="utf-8")
                + Path(self.err.name).read_text(encoding="utf-8"))

    def children(self) -> list[int]:
        """Process ids of the master's children (the workers)."""
        pid = self.process.pid
        found = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
        return found

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM, as systemd stops it; return the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self.stop()

    def kill(self) -> None:
        """SIGKILL the whole process group, master and workers, as a power cut would stop them."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the workers die with the group; make sure they are gone
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.stop()

    def stop(self) -> None:
        """Make sure the server is gone and its files closed."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)
        self.out.close()
        self.err.close()


class Browser:
    """A signed-in user on a live server: a cookie jar, and a new connection for every request
    (so that one session's requests are served by every worker, not just the first)."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: dict | None = None):
        """One request with the cookies; (status, location, text)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=15)
        try:
            connection.request(method, path, body=urlencode(body, doseq=True) if body else None,
                               headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        status, _location, text = self.send("GET", path)
        assert status == 200, (path, status)
        tag = CSRF.search(text)
        assert tag, f"no csrf_token on {path}"
        return VALUE.search(tag.group(0)).group(1)

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the login page."""
        token = self.csrf("/login")
        status, location, _ = self.send("POST", "/login", {"csrf_token": token, "username": username,
                                                         "password": password})
        assert status == 302 and "/admin" in location, (status, location)
