"""The web application: `create_app` wires configuration, the database and the blueprints."""

from __future__ import annotations

import os
from pathlib import Path

import flask_admin
from flask import Blueprint, Flask

from daiban.db import connect_database, default_url


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask application; `test_config` overrides settings (DATABASE_URL, CONFIG_DIR …)."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("DAIBAN_SECRET_KEY", "dev-only-secret"),
        DATABASE_URL=default_url(),
        CONFIG_DIR=os.environ.get("DAIBAN_CONFIG_DIR", "config"),
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.from_mapping(test_config)

    db = connect_database(app.config["DATABASE_URL"])

    @app.before_request
    def _open_db():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close_db(_exc):
        if not db.is_closed():
            db.close()

    # Bootstrap comes from Flask-Admin's own static folder: no CDN, one copy on disk.
    vendor = Blueprint(
        "vendor", __name__,
        static_folder=str(Path(flask_admin.__file__).parent / "static"),
        static_url_path="/vendor",
    )
    app.register_blueprint(vendor)

    from daiban.web import catalog

    app.register_blueprint(catalog.bp)
    return app
