"""One audit row for every signed-in write request (and denied read) that wrote none itself."""

from __future__ import annotations

import json
import logging

from flask import Flask, g, request

log = logging.getLogger("daiban.audit")


def _outcome(response, write: bool) -> str:
    """Denied, failed or done; a write answered by the same page again (200 HTML, not the
    redirect a saved form gets) kept nothing: the form was refused."""
    status = response.status_code
    if status in (401, 403, 404):
        return "denied"
    if status >= 400 or (write and status == 200 and response.mimetype == "text/html"):
        return "failure"
    return "success"


def _audit_request(response):
    from flask_login import current_user

    if g.get("audit_written") or not getattr(current_user, "is_authenticated", False):
        return response
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    if not write and response.status_code not in (403, 404):  # the admin hides views with 404
        return response
    from daiban import audit

    user = current_user.user
    view_args = json.dumps(request.view_args or {}, ensure_ascii=False, sort_keys=True, default=str)
    try:
        audit.record("request" if write else "read", user.username, roles=user.roles or "",
                     object_type=(request.endpoint or request.path)[:64], object_id=view_args[:64],
                     summary=f"{request.method} {request.path}"[:255],
                     outcome=_outcome(response, write))
    except Exception:  # the business transaction has already committed; never hide the response
        log.exception("audit record of %s %s failed", request.method, request.path)
    return response


def init_app(app: Flask) -> None:
    """Register the hook."""
    app.after_request(_audit_request)
