"""The web server: gunicorn's threaded workers in production, Flask's reloader for developers.

Each gunicorn worker builds the app itself after the fork (no preload), so no database
connection is ever shared between processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gunicorn.app.base import BaseApplication

DEFAULT_WORKERS = 2  # the banner's server has two cores
DEFAULT_THREADS = 4  # requests mostly wait on the database, so threads share a core well
GRACEFUL_TIMEOUT = 30  # seconds a stopping worker may spend finishing its requests
# A worker that stops answering the arbiter for this long is restarted; gthread workers answer
# from their main thread, so a long export in a request thread does not count against it.
WORKER_TIMEOUT = 120


def environment(environ: Mapping[str, str]) -> str:
    """DAIBAN_ENV: `production` unless it says `development`."""
    return "development" if environ.get("DAIBAN_ENV", "").strip() == "development" else "production"


def gunicorn_options(host: str, port: int, workers: int, threads: int,
                     graceful_timeout: int = GRACEFUL_TIMEOUT,
                     when_ready: Callable | None = None) -> dict:
    """The gunicorn settings daiban runs with."""
    options = {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "preload_app": False,
        "graceful_timeout": graceful_timeout,
        "timeout": WORKER_TIMEOUT,
        "accesslog": "-",  # access log to stdout, error log to stderr (the journal keeps both)
        "errorlog": "-",
        "proc_name": "daiban",
        "control_socket_disable": True,  # unused, and it would write under the user's home
    }
    if when_ready is not None:
        options["when_ready"] = when_ready
    return options


class DaibanServer(BaseApplication):
    """gunicorn configured from code; `load` runs in each worker and builds a fresh app."""

    def __init__(self, options: dict, app_config: dict):
        self.options = options
        self.app_config = app_config
        super().__init__(prog="daiban serve")

    def load_config(self):
        """Apply our options; gunicorn's command line and config file are not read."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Build the Flask app in this worker (so its database connections are its own)."""
        from daiban.web import create_app

        return create_app(self.app_config)


def run_gunicorn(app_config: dict, host: str, port: int, workers: int, threads: int,
                 graceful_timeout: int = GRACEFUL_TIMEOUT, announce: Callable[[str], None] = print):
    """Serve until SIGTERM or SIGINT; `announce` gets the startup line once the port is bound."""
    def when_ready(_arbiter):
        announce(f"帮办代办平台已启动（gunicorn，{workers} 个进程 × {threads} 个线程）："
                 f"http://{host}:{port}/  （Ctrl+C 停止）")

    options = gunicorn_options(host, port, workers, threads, graceful_timeout, when_ready)
    DaibanServer(options, app_config).run()


def run_development(app_config: dict, host: str, port: int, announce: Callable[[str], None] = print):
    """Flask's development server with the reloader and debugger (DAIBAN_ENV=development only)."""
    from werkzeug.serving import is_running_from_reloader

    from daiban.web import create_app

    app = create_app(app_config)
    if not is_running_from_reloader():  # the reloader's child would say it twice
        announce(f"帮办代办平台已启动（开发服务器，修改代码自动重载）：http://{host}:{port}/"
                 "  （Ctrl+C 停止）")
    app.run(host=host, port=port, debug=True, use_reloader=True)
